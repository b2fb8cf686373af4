"""The Node.js bridge process and the request/response channel to it.

One child process runs ``js/bridge.cjs``; requests go to its stdin and
responses come back on its stdout as newline-delimited JSON, matched by id,
many in flight at once. The channel is an asyncio subprocess *protocol*, not a
``StreamReader``: output is split into lines in ``pipe_data_received`` and each
waiting future is resolved right there, with no reader task and no line-length
limit. When the process dies every pending request fails at once with
`EngineUnavailableError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from prisma_infra.errors import EngineUnavailableError, OperationTimeoutError, PrismaInfraError

from prisma_infra_prisma import codec

__all__ = ["Bridge", "ErrorFactory"]

log = logging.getLogger("prisma_infra.engine.bridge")

#: Builds the exception for an error payload: ``(error, model, action) -> exception``.
ErrorFactory = Callable[[Mapping[str, Any], "str | None", str], PrismaInfraError]

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


class _Pending:
    """A request waiting for its response."""

    __slots__ = ("action", "future", "model", "timer")

    def __init__(self, future: asyncio.Future[Any], model: str | None, action: str) -> None:
        self.future = future
        self.model = model
        self.action = action
        self.timer: asyncio.TimerHandle | None = None


class _Protocol(asyncio.SubprocessProtocol):
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.out = b""
        self.err = b""

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            buffer = self.out + data if self.out else data
            end = buffer.rfind(b"\n")
            if end < 0:
                self.out = buffer
                return
            self.out = buffer[end + 1 :]
            receive = self.bridge._receive
            for line in buffer[:end].split(b"\n"):
                if line:
                    receive(line)
        else:
            buffer = self.err + data
            *lines, self.err = buffer.split(b"\n")
            for line in lines:
                self.bridge._log_line(line)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self.bridge._lost("its output closed")

    def process_exited(self) -> None:
        self.bridge._exited.set()
        if self.err:
            self.bridge._log_line(self.err)
            self.err = b""
        self.bridge._lost("it exited")


class Bridge:
    """One Node.js bridge process; `request` sends one request and awaits its response."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | None = None,
        errors: ErrorFactory,
        start_timeout: float = 30.0,
    ) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._errors = errors
        self._start_timeout = start_timeout
        self._pending: dict[int, _Pending] = {}
        self._next_id = 0
        self._transport: asyncio.SubprocessTransport | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._ready: asyncio.Future[Any] | None = None
        self._exit_reason: str | None = None
        self.alive = False
        self.info: dict[str, Any] = {}
        self._recent_stderr: list[str] = []
        self._exited = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._transport.get_pid() if self._transport is not None else None

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        transport, _ = await loop.subprocess_exec(
            lambda: _Protocol(self),
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            cwd=self._cwd,
            start_new_session=True,  # a Ctrl-C in the terminal reaches Python, which stops the bridge itself
        )
        self._transport = transport
        stdin = transport.get_pipe_transport(0)
        assert isinstance(stdin, asyncio.WriteTransport)
        self._stdin = stdin
        self.alive = True
        try:
            self.info = await asyncio.wait_for(asyncio.shield(self._ready), self._start_timeout)
        except TimeoutError:
            await self.close()
            raise EngineUnavailableError(
                f"the Prisma bridge did not start within {self._start_timeout:g}s", detail=self._stderr_tail()
            ) from None

    def _stderr_tail(self) -> str | None:
        return "\n".join(self._recent_stderr[-20:]) or None

    # -- receiving ---------------------------------------------------------------------------

    def _receive(self, line: bytes) -> None:
        try:
            message = orjson.loads(line)
            ident = message["id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("unreadable line from the Prisma bridge: %r", line[:200])
            return
        pending = self._pending.pop(ident, None)
        if pending is None:
            if ident == 0 and self._ready is not None and not self._ready.done():
                self._ready.set_result(message.get("result") or {})
            return  # answered after its timeout: dropped
        if pending.timer is not None:
            pending.timer.cancel()
        future = pending.future
        if future.done():
            return
        error = message.get("error")
        if error is None:
            result = message.get("result")
            future.set_result(codec.decode(result) if "t" in message else result)
        else:
            future.set_exception(self._errors(error, pending.model, pending.action))

    def _log_line(self, raw: bytes) -> None:
        text = raw.decode(errors="replace").rstrip()
        if not text:
            return
        level, message = logging.WARNING, text
        if text.startswith("{"):
            try:
                parsed = orjson.loads(text)
                level = _LEVELS.get(str(parsed.get("level")), logging.INFO)
                message = str(parsed.get("msg", text))
            except (orjson.JSONDecodeError, AttributeError):
                pass
        self._recent_stderr.append(message)
        del self._recent_stderr[:-50]
        log.log(level, "%s", message)

    def _lost(self, reason: str) -> None:
        if not self.alive and not self._pending:
            return
        self.alive = False
        code = self._transport.get_returncode() if self._transport is not None else None
        self._exit_reason = f"the Prisma bridge process stopped ({reason}, exit code {code})"
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(EngineUnavailableError(self._exit_reason, detail=self._stderr_tail()))
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if item.timer is not None:
                item.timer.cancel()
            if not item.future.done():
                where = f"{item.model}.{item.action}" if item.model else item.action
                item.future.set_exception(EngineUnavailableError(f"{where}: {self._exit_reason}"))

    # -- sending -----------------------------------------------------------------------------

    def _expire(self, ident: int) -> None:
        pending = self._pending.pop(ident, None)
        if pending is not None and not pending.future.done():
            where = f"{pending.model}.{pending.action}" if pending.model else pending.action
            pending.future.set_exception(OperationTimeoutError(f"{where} did not finish in time"))

    def request(
        self,
        model: str | None,
        action: str,
        args: Any,
        *,
        tx_id: str | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[Any]:
        """Send one request; the returned future resolves with its decoded result.

        ``args`` must already be `codec.encode`-d.
        """
        if not self.alive or self._stdin is None:
            raise EngineUnavailableError(self._exit_reason or "the Prisma bridge is not running")
        self._next_id += 1
        ident = self._next_id
        payload: dict[str, Any] = {"id": ident, "model": model, "action": action, "args": args}
        if tx_id is not None:
            payload["txId"] = tx_id
        data = codec.dumps(payload) + b"\n"
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        pending = _Pending(future, model, action)
        if timeout is not None:
            pending.timer = loop.call_later(timeout, self._expire, ident)
        self._pending[ident] = pending
        self._stdin.write(data)
        return future

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the process to stop (stdin closed), then terminate or kill it."""
        transport, self._transport = self._transport, None
        if transport is None:
            return
        with contextlib.suppress(Exception):
            if self._stdin is not None:
                self._stdin.close()
        pid = transport.get_pid()
        try:
            await asyncio.wait_for(self._exited.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exited.wait(), 1.0)
        self._lost("closed")
        transport.close()
