"""Where the bridge runs: ``database.options.colocate`` puts its main thread beside the event loop.

Each operation hands off twice between the event loop's thread and the bridge's main
thread (Node's JavaScript thread). When the two run on different CPUs, each hand-off wakes
a sleeping CPU, which on a VM without guest halt-polling is a VM exit (~40 µs measured on
the project's VM; docs/engine.md, "Latency"). A worker pinned to one CPU avoids that, but a
child inherits the mask of the thread that starts it for *all* its threads, so Node's
helpers (V8's garbage-collector and compiler threads, libuv's pool) would share that one
CPU with the JavaScript thread. `colocate` gives the main thread the loop thread's CPUs and
lets every other thread of the bridge run anywhere.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["colocate"]


def colocate(pid: int) -> None:
    """Pin process ``pid``'s main thread to the calling thread's CPUs, its other threads to any CPU.

    Threads Node starts later inherit its main thread's CPUs. A process that has exited is left alone
    (the engine notices the exit and starts another bridge, which is placed in turn).
    """
    here = os.sched_getaffinity(0)
    # The kernel keeps only the CPUs the process's cpuset allows.
    anywhere = set(range(os.cpu_count() or 1))
    try:
        threads = [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:
        return
    for thread in threads:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(thread, here if thread == pid else anywhere)
