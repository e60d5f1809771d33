"""The books of a per-article stage: counts, skips and warnings, as the results come in."""
from __future__ import annotations

from typing import Callable

from .results import Result

MAX_WARNINGS = 20  # printed per stage; the manifest lists every one


class Books:
    def __init__(self, stage: str, folder: str, warn: Callable[[str], None], progress: bool | None = None):
        self.stage, self.folder, self.warn = stage, folder, warn
        self.input = self.done = self.cached = 0
        self.skipped: list[dict] = []
        self.warnings: list[dict] = []
        self.said = 0
        self.bar = _progress(stage, progress)

    def add(self, result: Result, *, cached: bool = False) -> None:
        self.input += 1
        self.cached += cached
        self.bar.update(1)
        if result.skipped:
            self.skipped.append({"id": result.id, "source": result.source, "reason": result.reason})
            self.say(f"{result.source}: skipped: {result.reason}")
            return
        self.done += 1
        for message in result.warnings:
            self.warnings.append({"id": result.id, "source": result.source, "warning": message})
            self.say(f"{result.source}: {message}")

    def say(self, message: str) -> None:
        """The first MAX_WARNINGS messages in full, then one line: the manifest has them all."""
        self.said += 1
        if self.said <= MAX_WARNINGS:
            self.warn(message)
        elif self.said == MAX_WARNINGS + 1:
            self.warn(f"{self.stage}: more warnings and skips follow; all are listed in {self.folder}/manifest.json")

    def manifest(self) -> dict:
        """The manifest's fields (the cache hits stay out: they depend on the cache, not the input)."""
        return {"counts": {"input": self.input, "done": self.done, "skipped": len(self.skipped),
                           "warnings": len(self.warnings)},
                "skipped": self.skipped, "warnings": self.warnings}

    def close(self) -> None:
        self.bar.close()


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress(name: str, progress: bool | None):
    if progress is False:
        return _NoBar()
    from tqdm import tqdm

    # None: a bar only on a terminal; tqdm stays silent in pipes and CI logs.
    return tqdm(desc=name, unit=" articles", disable=None if progress is None else not progress,
                mininterval=0.5, leave=False)
