"""The Node.js bridge process and the request/response channel to it.

One child process runs ``js/bridge.cjs``; requests go to its stdin and
responses come back on its stdout as newline-delimited JSON, matched by id,
many in flight at once.

The hot path is kept short on purpose. stdin and stdout are plain pipes. stdin
is connected with ``connect_write_pipe``; stdout is read by a reader callback
into one preallocated buffer (asyncio's pipe transport allocates 256 KiB per
read, which glibc serves with mmap/munmap: ~20 µs of kernel time per response
on a VM). Output is split into lines right there and each waiting future is
resolved at once (no reader task, no extra event-loop turn, no line-length
limit). Deadlines are watched by one timer for the whole channel, not one per request.
stderr (log lines, cold path) is read by a task through a ``StreamReader`` with a raised
limit. When the process dies every pending request fails at once: with
`OutcomeUnknownError` when it was a write outside a transaction (or a commit) whose bytes had
reached the pipe, so the database may have applied it; with plain `EngineUnavailableError` when
it was a read, a statement of an interactive transaction (the database rolls that back when its
connection drops) or a request still waiting in the write buffer (it never left this process).
stdin is written by hand (`pipes.PipeWriter`) to know exactly which bytes reached the pipe.

With ``busy_poll`` (seconds) both sides poll instead of sleeping, for that long at most: Python
while one request is in flight, Node after answering its last one (docs/engine.md, "Latency:
busy polling").
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
from prisma_infra_sdk import (
    WRITE_ACTIONS,
    EngineUnavailableError,
    OperationTimeoutError,
    OutcomeUnknownError,
    PrismaInfraError,
)

from prisma_infra_prisma import codec
from prisma_infra_prisma.pipes import LineSplitter, PipeWriter

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
_STDERR_LIMIT = 16 * 1024 * 1024
#: stdout is read into one buffer of this size, allocated once.
_READ_SIZE = 256 * 1024
#: How late past its deadline a request may be failed (one timer serves every request).
_SLACK = 0.02
#: Actions whose effect is unknown when the process dies after they were sent outside a transaction.
#: ``queryRaw`` is among them: ``UPDATE ... RETURNING`` travels as one.
_WRITES = frozenset({a.value for a in WRITE_ACTIONS} | {"queryRaw"})


def _outcome_at_risk(action: str, args: Any, tx_id: str | None) -> bool:
    """Whether losing the process after sending this request leaves its effect unknown.

    Inside an interactive transaction only the commit is: anything else is rolled back by the
    database with the connection. A ``$batch`` is one transaction committed by the bridge.
    """
    if action == "$commit":
        return True
    if tx_id is not None:
        return False
    if action == "$batch":
        return any(op.get("action") in _WRITES for op in args.get("operations", ()))
    return action in _WRITES


class _Pending:
    """A request waiting for its response; ``end``: its last byte's offset in the stream to the child."""

    __slots__ = ("action", "at_risk", "deadline", "end", "future", "model")

    def __init__(
        self,
        future: asyncio.Future[Any],
        model: str | None,
        action: str,
        deadline: float,
        end: int = 0,
        at_risk: bool = False,
    ) -> None:
        self.future = future
        self.model = model
        self.action = action
        self.deadline = deadline
        self.end = end
        self.at_risk = at_risk

    @property
    def where(self) -> str:
        return f"{self.model}.{self.action}" if self.model else self.action


class Bridge:
    """One Node.js bridge process; `request` sends one request and returns a future for its response."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | None = None,
        errors: ErrorFactory,
        start_timeout: float = 30.0,
        busy_poll: float = 0.0,
    ) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._errors = errors
        self._start_timeout = start_timeout
        self._busy_poll = busy_poll
        self._polling = False
        self._poll_until = 0.0
        self._pending: dict[int, _Pending] = {}
        self._next_id = 0
        self._process: asyncio.subprocess.Process | None = None
        self._stdin: PipeWriter | None = None
        self._stdout: int | None = None  # the read end of the child's stdout, non-blocking
        self._buffer = bytearray(_READ_SIZE)
        self._view = memoryview(self._buffer)
        self._lines = LineSplitter(self._receive)
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: asyncio.Future[Any] | None = None
        self._watch: asyncio.TimerHandle | None = None
        self._watch_at = float("inf")
        self._exit_reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.alive = False
        self.info: dict[str, Any] = {}
        self._recent_stderr: list[str] = []

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        child_in, parent_in = os.pipe()
        parent_out, child_out = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=child_in,
                stdout=child_out,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
                cwd=self._cwd,
                limit=_STDERR_LIMIT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches Python, which stops the bridge itself
            )
        except BaseException:
            os.close(parent_in)
            os.close(parent_out)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self._process = process
        self.alive = True
        os.set_blocking(parent_out, False)
        self._stdout = parent_out
        loop.add_reader(parent_out, self._readable)
        self._stdin = PipeWriter(parent_in, loop, self._lost)
        assert process.stderr is not None
        self._tasks = [
            loop.create_task(self._read_stderr(process.stderr)),
            loop.create_task(self._wait_exit(process)),
        ]
        try:
            self.info = await asyncio.wait_for(asyncio.shield(self._ready), self._start_timeout)
        except TimeoutError:
            await self.close(timeout=0.5)
            raise EngineUnavailableError(
                f"the Prisma bridge did not start within {self._start_timeout:g}s", detail=self._stderr_tail()
            ) from None

    def _stderr_tail(self) -> str | None:
        return "\n".join(self._recent_stderr[-20:]) or None

    async def _read_stderr(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # a line beyond the (large) limit: skip it
                continue
            if not line:
                return
            self._log_line(line)

    async def _wait_exit(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        self._lost(f"it exited with code {code}")

    # -- receiving ---------------------------------------------------------------------------

    def _readable(self) -> None:
        fd = self._stdout
        if fd is None:
            return
        try:
            size = os.readv(fd, (self._buffer,))
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._close_stdout()
            self._lost(f"its output broke: {exc}")
            return
        if size == 0:
            self._close_stdout()
            self._lost("its output closed")
            return
        self._lines.feed(self._view[:size].tobytes())

    def _close_stdout(self) -> None:
        fd, self._stdout = self._stdout, None
        if fd is not None:
            if self._loop is not None:
                self._loop.remove_reader(fd)
            os.close(fd)

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
            return  # answered after its deadline: dropped
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
        if self._exit_reason is None:
            self._exit_reason = f"the Prisma bridge process stopped ({reason})"
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(EngineUnavailableError(self._exit_reason, detail=self._stderr_tail()))
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        pending, self._pending = self._pending, {}
        written = self._stdin.written if self._stdin is not None else 0
        for item in pending.values():
            if item.future.done():
                continue
            if item.at_risk and item.end <= written:
                item.future.set_exception(
                    OutcomeUnknownError(
                        f"{item.where}: {self._exit_reason} after the request was sent; "
                        "the database may or may not have applied it"
                    )
                )
            elif item.end <= written:
                item.future.set_exception(EngineUnavailableError(f"{item.where}: {self._exit_reason}"))
            else:
                item.future.set_exception(
                    EngineUnavailableError(f"{item.where}: {self._exit_reason} before the request was sent")
                )

    # -- deadlines ---------------------------------------------------------------------------

    def _arm(self, when: float) -> None:
        assert self._loop is not None
        if self._watch is not None:
            self._watch.cancel()
        self._watch_at = when
        self._watch = self._loop.call_at(when, self._expire)

    def _expire(self) -> None:
        """Fail every request past its deadline; re-arm for the earliest one left."""
        assert self._loop is not None
        self._watch = None
        self._watch_at = float("inf")
        now = self._loop.time()
        earliest = float("inf")
        expired = [ident for ident, item in self._pending.items() if item.deadline <= now]
        for ident in expired:
            item = self._pending.pop(ident)
            if not item.future.done():
                item.future.set_exception(OperationTimeoutError(f"{item.where} did not finish in time"))
        for item in self._pending.values():
            earliest = min(earliest, item.deadline)
        if earliest != float("inf"):
            # Not sooner than _SLACK from now: under steady load the earliest deadline is always
            # just ahead, and a timer per arrival would rescan the pending table each time.
            self._arm(max(earliest, now + _SLACK))

    # -- sending -----------------------------------------------------------------------------

    def request(
        self,
        model: str | None,
        action: str,
        args: Any,
        *,
        tx_id: str | None = None,
        timeout: float,
    ) -> asyncio.Future[Any]:
        """Send one request; the returned future resolves with its decoded result.

        ``args`` must already be `codec.encode`-d.
        """
        stdin = self._stdin
        if not self.alive or stdin is None or self._loop is None:
            raise EngineUnavailableError(self._exit_reason or "the Prisma bridge is not running")
        self._next_id += 1
        ident = self._next_id
        payload: dict[str, Any] = {"id": ident, "model": model, "action": action, "args": args}
        if tx_id is not None:
            payload["txId"] = tx_id
        data = codec.dumps(payload) + b"\n"
        loop = self._loop
        future: asyncio.Future[Any] = loop.create_future()
        now = loop.time()
        deadline = now + timeout
        end = stdin.queued + len(data)
        self._pending[ident] = _Pending(future, model, action, deadline, end, _outcome_at_risk(action, args, tx_id))
        if deadline < self._watch_at:
            self._arm(deadline)
        stdin.write(data)
        if self._busy_poll and len(self._pending) == 1:
            self._poll_until = now + self._busy_poll
            if not self._polling:
                self._polling = True
                loop.call_soon(self._poll)
        return future

    def _poll(self) -> None:
        """Keep the event loop turning while one request is in flight, up to the busy-poll budget.

        A callback that is ready makes the loop poll its selector without blocking, so the response
        is read as soon as it is written and other tasks run in between as usual. With several
        requests in flight it stops: their answers come back to back, and a loop that sleeps
        between them reads them in batches, which is what throughput needs.
        """
        loop = self._loop
        if len(self._pending) == 1 and loop is not None and loop.time() < self._poll_until:
            loop.call_soon(self._poll)
        else:
            self._polling = False

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the process to stop (stdin closed), then kill it if it does not."""
        process, self._process = self._process, None
        if process is None:
            return
        if self._stdin is not None:
            self._stdin.close()
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 2.0)
        self._exit_reason = self._exit_reason or "the Prisma bridge was closed"
        self._lost("closed")
        self._close_stdout()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
