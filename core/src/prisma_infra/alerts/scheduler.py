"""A small asyncio scheduler: jobs on an interval (seconds) or a cron expression (UTC).

One task per scheduler, started with the analytics middleware and stopped when
it closes (every reload builds a new one). A job never overlaps itself: when it
is still running at its next due time, that run is skipped. A failing job is
logged and runs again at its next time.

Time is read and waited on through a `prisma_infra.clock.Clock` (the kernel's):
a test passes a `ManualClock`, moves it with ``await clock.advance(s)`` and
waits for the runs that became due with ``await scheduler.idle()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.errors import ConfigurationError

__all__ = ["Job", "Schedule", "Scheduler"]

log = logging.getLogger("prisma_infra.alerts")


@dataclass(frozen=True)
class Schedule:
    """Every ``seconds``, or at the times of a five-field ``cron`` expression (UTC)."""

    seconds: float | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, value: float | str, *, where: str = "schedule") -> Schedule:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value <= 0:
                raise ConfigurationError(f"{where}: an interval must be positive, not {value!r}")
            return cls(seconds=float(value))
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = None
        if seconds is not None:
            return cls.parse(seconds, where=where)
        from croniter import croniter  # type: ignore[import-untyped]

        if not croniter.is_valid(text):
            raise ConfigurationError(
                f"{where}: {text!r} is neither a number of seconds nor a cron expression (e.g. '*/5 * * * *')",
                problems=[f"{where}: invalid schedule {text!r}"],
            )
        return cls(cron=text)

    def next_after(self, now: float) -> float:
        """The next run time (Unix seconds) strictly after ``now``."""
        if self.seconds is not None:
            return now + self.seconds
        from croniter import croniter

        following: float = croniter(self.cron, datetime.fromtimestamp(now, UTC)).get_next(float)
        return following

    def __str__(self) -> str:
        return f"every {self.seconds:g} s" if self.seconds is not None else f"cron {self.cron!r}"


@dataclass
class Job:
    """A named coroutine function run on a schedule."""

    name: str
    schedule: Schedule
    run: Callable[[], Awaitable[object]]
    run_at_start: bool = False
    next_run: float = 0.0
    runs: int = 0
    failures: int = 0
    last_error: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Scheduler:
    """Runs jobs at their times until stopped."""

    def __init__(
        self,
        jobs: Sequence[Job] = (),
        *,
        ready: Callable[[], bool] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.jobs: dict[str, Job] = {job.name: job for job in jobs}
        self._ready = ready
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        #: The clock time the loop sleeps until (``None``: it is not sleeping), and the event set
        #: each time it goes to sleep, for `idle`.
        self._sleeping_until: float | None = None
        self._asleep = asyncio.Event()
        self._scheduling = False  # past the wait for readiness

    def add(self, job: Job) -> None:
        self.jobs[job.name] = job
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None and self.jobs:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="prisma-infra-scheduler")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop scheduling; wait up to ``grace`` seconds for running jobs, then cancel them."""
        self._stopped = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        running = [job.task for job in self.jobs.values() if job.task is not None and not job.task.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def run_now(self, name: str) -> None:
        """Run one job now (waits for it; shares the no-overlap rule)."""
        job = self.jobs[name]
        if job.task is not None and not job.task.done():
            await asyncio.shield(job.task)
            return
        job.task = asyncio.get_running_loop().create_task(self._run(job))
        await asyncio.shield(job.task)

    async def idle(self, *, runs: bool = True) -> None:
        """Wait until the loop started every job due by the clock's time and sleeps until later;
        with ``runs``, until those runs finished too (a job that never finishes: use ``runs=False``)."""
        while True:
            running = [job.task for job in self.jobs.values() if job.task is not None and not job.task.done()]
            if runs and running:
                await asyncio.wait(running)
                continue
            if not self.running:
                return
            until = self._sleeping_until
            if not self._scheduling and (self._ready is None or self._ready()):
                self._wake.set()  # readiness is polled on the clock: do not wait for the next poll
            elif until is not None and until > self._clock.time():
                return
            self._asleep.clear()
            await self._asleep.wait()

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of the clock's time, or until `add` wakes the loop."""
        until = self._clock.time() + seconds
        self._wake.clear()
        nap = asyncio.ensure_future(self._clock.sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.sleep(0)  # the nap starts (a manual clock registers it) before idle() returns
            self._sleeping_until = until
            self._asleep.set()
            await asyncio.wait((nap, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._sleeping_until = None
            nap.cancel()
            woken.cancel()

    async def _loop(self) -> None:
        # The runtime becomes current only after every middleware started: poll briefly.
        while self._ready is not None and not self._ready():
            await self._sleep(0.05)
        self._scheduling = True
        now = self._clock.time()
        for job in self.jobs.values():
            job.next_run = now if job.run_at_start else job.schedule.next_after(now)
        while not self._stopped:
            now = self._clock.time()
            due = [job for job in self.jobs.values() if job.next_run <= now]
            for job in due:
                job.next_run = job.schedule.next_after(max(now, job.next_run))
                if job.task is not None and not job.task.done():
                    log.warning("scheduled job %r is still running: this run is skipped", job.name)
                    continue
                job.task = asyncio.get_running_loop().create_task(self._run(job), name=f"prisma-infra-job-{job.name}")
            if not self.jobs:
                return
            await self._sleep(max(0.0, min(job.next_run for job in self.jobs.values()) - self._clock.time()))

    async def _run(self, job: Job) -> None:
        try:
            await job.run()
            job.runs += 1
            job.last_error = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            job.failures += 1
            job.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("scheduled job %r failed", job.name)

    def status(self) -> list[dict[str, object]]:
        return [
            {
                "name": job.name,
                "schedule": str(job.schedule),
                "next_run": job.next_run or None,
                "runs": job.runs,
                "failures": job.failures,
                "last_error": job.last_error,
            }
            for job in self.jobs.values()
        ]
