"""Real HTTP servers for the web tests: an ASGI app under uvicorn, a WSGI app under werkzeug, each in a thread.

``with asgi_server(app) as served:`` runs ``app`` (its lifespan included: a ``PrismaInfra`` app starts
its infrastructure there) under uvicorn on a free port of 127.0.0.1 in a thread with its own event loop,
returns once it listens, and stops it (lifespan shutdown included) on exit. ``served.url`` is the base
URL; ``served.run(coro)`` runs a coroutine on the server's loop (where the app's infrastructure lives:
close its engine, read its audit trail) and returns its result; ``await served.arun(coro)`` does the same
from another event loop (an async test). A lifespan that fails to start fails the test with its message.

``with wsgi_server(app) as served:`` does the same for a WSGI app (werkzeug's threaded server).

``async with serving(app) as url:`` serves on the test's own event loop instead (a task, not a thread):
for a test that starts an infrastructure itself and hands it to the app.

No sleeps: start-up is an event set by the server itself, shutdown a join.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn

__all__ = ["ServedApp", "asgi_server", "serving", "wsgi_server"]

T = TypeVar("T")
#: Seconds a server may take to start (an infrastructure on the real engine starts in a few).
START_TIMEOUT = 60.0


@dataclass
class ServedApp:
    """A running server: its base URL and, for an ASGI app, its event loop."""

    url: str
    loop: asyncio.AbstractEventLoop | None = None
    errors: list[str] = field(default_factory=list)

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float = 60.0) -> T:
        """Run ``coro`` on the server's event loop (from a plain thread) and return its result."""
        assert self.loop is not None, "a WSGI server has no event loop"
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def arun(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """``await served.arun(coro)`` from another event loop."""
        assert self.loop is not None, "a WSGI server has no event loop"
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


class _Server(uvicorn.Server):
    """Calls ``ready`` once start-up is over (listening, or failed), instead of the test polling for it."""

    def __init__(self, config: uvicorn.Config, ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.ready = ready
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: Any = None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets)
        finally:
            self.ready()


def _config(app: Any, errors: list[str], lifespan: str, config: dict[str, Any]) -> uvicorn.Config:
    wrapped = _LifespanErrors(app, errors)
    return uvicorn.Config(wrapped, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan, **config)


class _LifespanErrors:
    """Keeps the message of a failed lifespan start-up, so the test can show it."""

    def __init__(self, app: Any, errors: list[str]) -> None:
        self.app = app
        self.errors = errors

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"].endswith(".failed"):
                self.errors.append(str(message.get("message", "")))
            await send(message)

        await self.app(scope, receive, sending)


@contextlib.contextmanager
def asgi_server(app: Any, *, lifespan: str = "on", **config: Any) -> Iterator[ServedApp]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; see the module doc."""
    ready = threading.Event()
    errors: list[str] = []
    server = _Server(_config(app, errors, lifespan, config), ready.set)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run()
        except BaseException as exc:  # SystemExit when the lifespan fails: reported below
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="asgi-test-server", daemon=True)
    thread.start()
    try:
        assert ready.wait(START_TIMEOUT), f"uvicorn did not start within {START_TIMEOUT:g} s"
        assert server.started, "the app did not start: " + ("\n".join(errors) or repr(failure) or "see the log")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield ServedApp(f"http://127.0.0.1:{port}", server.loop, errors)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
        assert not thread.is_alive(), "uvicorn did not stop"


@contextlib.asynccontextmanager
async def serving(app: Any, *, lifespan: str = "on", **config: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) as a task of the running loop; yields the base URL."""
    errors: list[str] = []
    started = asyncio.Event()
    server = _Server(_config(app, errors, lifespan, config), started.set)
    task = asyncio.create_task(server.serve())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    try:
        assert server.started, "the app did not start: " + ("\n".join(errors) or "see the log")
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def wsgi_server(app: Any) -> Iterator[ServedApp]:
    """Serve the WSGI ``app`` with werkzeug's threaded server on 127.0.0.1 (a free port) in a thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wsgi-test-server", daemon=True)
    thread.start()  # the socket listens already: make_server bound it
    try:
        yield ServedApp(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(START_TIMEOUT)
        server.server_close()
