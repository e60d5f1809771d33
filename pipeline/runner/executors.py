"""Where work runs: one interface, three implementations.

``executor.map(fn, shared, tasks)`` yields ``fn(shared, task)`` for each task, in task order.
``fn`` is a module-level function; ``shared`` is what every task needs (a stage, an idf table):

- :class:`Serial` calls it here, one task after the other;
- :class:`Pool` in ``jobs`` worker processes, forked where the platform can (``shared`` reaches
  them copy-on-write, never pickled), spawned elsewhere (``shared`` pickled once per worker);
- :class:`Dask` on a dask.distributed cluster (``shared`` pickled with each task).

``inherits`` says whether the workers start from this process's memory (serial, forked): what
is loaded here before :meth:`map` is then theirs for free.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator


class Serial:
    workers = 1
    inherits = True

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Iterable) -> Iterator:
        return (fn(shared, task) for task in tasks)


class Pool:
    """A pool per :meth:`map`: closed when its results are all taken, terminated (the workers
    killed) when the caller stops early or raises. Workers die with this process."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self.method = "fork" if can_fork() else "spawn"
        self.inherits = self.method == "fork"

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Iterable) -> Iterator:
        pool = multiprocessing.get_context(self.method).Pool(
            self.workers, initializer=_start_worker, initargs=(os.getpid(), fn, shared))
        try:
            yield from pool.imap(_call, tasks)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()


class Dask:
    def __init__(self, client: Any):
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.inherits = False

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Iterable) -> Iterator:
        futures = self.client.map(functools.partial(fn, shared), list(tasks), pure=False)
        try:
            for future in futures:
                yield future.result()
                future.release()
        finally:
            self.client.cancel(futures)

    def sees(self, path: Path) -> bool:
        """Whether every worker sees ``path`` (shares this process's file system: always so on a
        local cluster)."""
        seen = self.client.run(os.path.exists, str(Path(path).resolve()))
        return bool(seen) and all(seen.values())


def can_fork() -> bool:
    """Whether child processes can start from this one's memory (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def local(jobs: int) -> Serial | Pool:
    return Pool(jobs) if jobs > 1 else Serial()


def choose(jobs: int, client: Any = None) -> Serial | Pool | Dask:
    """The executor for ``jobs`` local processes, or for the Dask cluster of ``client``."""
    return Dask(client) if client is not None else local(jobs)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_TASK: dict = {}  # in a pool worker: the fn and shared of its pool


def _start_worker(parent: int, fn: Callable, shared: Any) -> None:
    die_with_parent(parent)
    import signal

    # Ctrl-C reaches the whole process group; the parent alone answers it (one line, the pool
    # terminated), rather than every worker printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _TASK["call"] = fn, shared


def _call(task: Any) -> Any:
    fn, shared = _TASK["call"]
    return fn(shared, task)


def die_with_parent(parent: int) -> None:
    """In a child process on Linux: be killed when the parent dies (PR_SET_PDEATHSIG), so that a
    killed run leaves no process writing behind it. Best effort elsewhere."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except Exception:  # not Linux, or no prctl: the parent's pipes still end the child
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
