"""Imports a reduce will need (and resources the next stages will), done in a thread of the parent
while the workers map.

The parent has little to do while its workers run a stage's maps: it appends their parts. What
the stage's reduce will import (scikit-learn for framing's topic discovery, about 1.2 s) is
imported then, in a thread, so that the reduce finds it loaded; a reduce run in a forked child
inherits it. The thread starts once the executor has started its workers (a fork while a module
is half imported would leave the child waiting on that module's lock for ever) and is joined
when the maps end, before anything else can fork. A module that fails to import is left to the
reduce, which then raises as it would have.
"""
from __future__ import annotations

import importlib
import threading
import time
from typing import Callable, Iterable


class Preload:
    """``start()`` once the workers run, ``join()`` when the maps end. ``cpu``: the thread's CPU
    seconds; ``after``: of them, those spent after the maps ended (on the critical path).

    ``calls``: work to do after the imports, e.g. loading the resources of the stages that run
    next (ingest's maps leave the parent idle while the fused pass's stages would load theirs in
    it after them). A call that fails is left to the stage, which does it again and says why."""

    def __init__(self, modules: Iterable[str], calls: Iterable[Callable[[], object]] = ()):
        self.modules = tuple(dict.fromkeys(modules))
        self.calls = tuple(calls)
        self.thread: threading.Thread | None = None
        self.cpu = 0.0
        self.after = 0.0
        self._running = False
        self._lock = threading.Lock()  # held while the thread's CPU clock is read: it cannot end meanwhile

    def start(self) -> None:
        if (self.modules or self.calls) and self.thread is None:
            self._running = True
            self.thread = threading.Thread(target=self._run, name="preload", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            for name in self.modules:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the reduce imports it again and says what is wrong
                    pass
            for call in self.calls:
                try:
                    call()
                except Exception:  # noqa: BLE001 - the stage loads it again and says what is wrong
                    pass
        finally:
            with self._lock:
                self.cpu = time.thread_time()
                self._running = False

    def join(self) -> None:
        if self.thread is None:
            return
        with self._lock:
            done = _thread_cpu(self.thread.ident) if self._running else None
            running = self._running
        self.thread.join()
        if running:
            self.after = self.cpu if done is None else max(0.0, self.cpu - done)


def _thread_cpu(ident: int | None) -> float | None:
    """CPU seconds the running thread ``ident`` has used; None where the platform cannot tell."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, TypeError):
        return None


def modules(stages) -> list[str]:
    """What the stages' reduces will import, as their ``preload(params)`` declare it."""
    return [name for stage in stages if stage.preload is not None for name in stage.preload(stage.params)]
