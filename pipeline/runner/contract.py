"""The stage contract: what a stage module declares for the runner to run it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping


class Skip(Exception):
    """Raised by a stage's ``process`` to drop an article, with the reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StageError(RuntimeError):
    """A stage cannot run here (its upstream missing or stale, its folder not the pipeline's)."""


@dataclass(frozen=True)
class Skipped:
    """An input that never became a record (a bad file, a corpus row without text)."""

    id: str
    source: str
    reason: str


def no_resources(params: Mapping) -> None:
    return None


@dataclass(frozen=True)
class ArticleStage:
    """``process(record, resources) -> record`` for each article (raise :class:`Skip` to drop
    one), ``load_resources(params)`` once per process."""

    name: str
    folder: str
    upstream: str | None
    process: Callable[[dict, Any], dict]
    load_resources: Callable[[Mapping], Any] = no_resources
    params: Mapping = field(default_factory=dict)
    resource_files: tuple[Path, ...] = ()
    code_files: tuple[Path, ...] = ()
    libraries: tuple[str, ...] = ()
    # The reduce: ``finish(out_dir, params, jobs=N) -> extra manifest fields``, run once the
    # stage's articles.jsonl is written; it reads that file through :func:`map_ranges` (its
    # per-range work and the merge of the ranges' results) and writes its own files beside it.
    finish: Callable[..., Mapping] | None = None
    # ``warm(resources)``: build what the resources would otherwise build lazily (normalize's
    # converters), once in the parent before workers fork, so that they share it.
    warm: Callable[[Any], None] | None = None
    # ``preload(params) -> module names``: what ``finish`` will import (scikit-learn for framing's
    # discovery), imported in a thread of the parent while the workers map (:mod:`.preload`).
    preload: Callable[[Mapping], tuple[str, ...]] | None = None
    # The resolved story file (pipeline.story), written into the manifest; what of it the
    # stage uses is in ``params`` (its ``_`` keys stay out of the per-article cache key).
    story: Mapping | None = None


@dataclass(frozen=True)
class CorpusStage:
    """``run(inputs, out_dir, params[, jobs=N][, prepared=data]) -> extra manifest fields``."""

    name: str
    folder: str
    upstreams: tuple[str, ...]
    run: Callable[..., Mapping]
    params: Mapping = field(default_factory=dict)
    resource_files: tuple[Path, ...] = ()
    code_files: tuple[Path, ...] = ()
    libraries: tuple[str, ...] = ()
    uses_jobs: bool = False  # ``run`` takes ``jobs=N`` (it may use N processes, same bytes out)
    # ``prepare(inputs, params[, jobs=N]) -> data``: the part of the work that reads only the upstreams in
    # ``prepare_upstreams``; the runner may call it early, while other upstreams are still written.
    prepare: Callable[[Mapping[str, Path], Mapping], object] | None = None
    prepare_upstreams: tuple[str, ...] = ()
    story: Mapping | None = None
