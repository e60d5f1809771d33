"""Running a per-article stage: its input file in ranges of lines, through an executor.

How an article flows (every per-article stage; ingest first writes its inputs' list):

1. The parent cuts the input file (the upstream's ``articles.jsonl``) into ranges of whole
   lines and hands them to the executor (serial, a process pool, or a Dask cluster).
2. A worker reads its range, looks each line up in the stage's cache (a hit is the stored
   :class:`Result`), runs the stage's ``process`` on the misses (:func:`apply`), stores them,
   and writes the range's output lines to a part file of its own. It returns the books only:
   each article's id, source, skip reason or warnings, and whether it came from the cache.
3. The parent appends the part files to ``articles.jsonl`` in range order, so the output is
   the serial run's byte for byte, and keeps the books (:class:`~.stats.Books`).
4. The stage's reduce (``finish``) reads ``articles.jsonl`` through :func:`map_ranges`; the
   manifest is written last, so a folder without one is known to be unfinished.

Run serially, or with workers that cannot see the output folder (a remote Dask cluster), the
lines travel with the task and back instead of through files; the parent then does the cache.

``pipeline run`` runs the stages from strip on as one fused pass (:mod:`.chain`): the same
steps, each stage's input lines handed over in memory instead of read from its upstream's file.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .. import records
from ..config import ARTICLES, MANIFEST
from . import cache as caches
from . import executors, ranges
from .contract import ArticleStage, Skip, Skipped
from .fingerprint import fingerprint, version
from .folders import output_hashes, start_folder, upstream_input
from .preload import Preload, modules
from .results import Result
from .stats import Books

SKIPPED = "_skipped"  # in ingest's list of inputs: an input that is already known to be skipped


@dataclass(frozen=True)
class Job:
    """What every range task of one stage run needs (reaches forked workers without pickling)."""

    stage: ArticleStage
    key: str  # the fingerprint as JSON: with an input line, the article's cache key
    version: str
    cache: str | None  # the cache file, for workers that look up and store results themselves
    source: str | None  # the input file, for workers that read their ranges themselves
    parts: str | None  # where workers write their output lines (None: the lines travel back)
    inputs_list: bool = False  # ingest's list: keyed without its ``_`` fields (local paths)


@dataclass(frozen=True)
class Task:
    index: int
    start: int = 0
    end: int = 0
    lines: tuple[bytes, ...] | None = None  # shipped with the task: the worker reads no file


# ---------------------------------------------------------------- in a worker

_LOADED: dict = {}  # per process: {"resources": {stage name: Loaded}, "caches": {file: open cache}}


@dataclass
class Loaded:
    stage: ArticleStage
    resources: Any
    warm: bool = False


def resources(stage: ArticleStage, *, warm: bool = False) -> Any:
    """The stage's resources, loaded once per process (a forked worker inherits its parent's).
    One entry per stage name: a fused pass holds every stage of its chain at once."""
    held = _LOADED.setdefault("resources", {})
    loaded = held.get(stage.name)
    if loaded is None or (loaded.stage is not stage and loaded.stage != stage):  # identity first: comparing the fields costs per article
        loaded = held[stage.name] = Loaded(stage, stage.load_resources(stage.params))
    elif loaded.stage is not stage:  # an equal stage loaded them (e.g. ahead, see run_article_stage): this one's
        loaded.stage = stage         # identity answers from now on, without comparing the fields per article
    if warm and stage.warm is not None and not loaded.warm:
        stage.warm(loaded.resources)
        loaded.warm = True
    return loaded.resources


def forget_resources() -> None:
    """Drop the resources this process loaded: the next stage loads its own again (for a benchmark
    that times loading, run after run in one process)."""
    _LOADED.pop("resources", None)


def apply(stage: ArticleStage, line: bytes) -> Result:
    """One article: parse, run the stage, serialise. A failure skips that article with the reason."""
    try:
        record = records.loads(line)
    except ValueError as exc:
        return Result("?", "?", reason=f"upstream record is not valid JSON: {exc}")
    id_, source = record.get("id", "?"), record.get("source", "?")
    if SKIPPED in record:
        return Result(id_, source, reason=record[SKIPPED])
    try:
        out = stage.process(record, resources(stage))
        return Result(id_, source, warnings=tuple(out.get("warnings", ())), line=records.dumpb(out))
    except Skip as skip:
        return Result(id_, source, reason=skip.reason)
    except Exception as exc:  # one bad article never stops the run
        return Result(id_, source, reason=f"{stage.name} failed: {type(exc).__name__}: {exc}")


def cache_key(job: Job, line: bytes) -> str | None:
    if not job.inputs_list:
        return caches.key(job.key, line)
    item = records.loads(line)
    if SKIPPED in item:
        return None
    return caches.key(job.key, _input_line({k: v for k, v in item.items() if not k.startswith("_")}))


def _input_line(item: dict) -> bytes:
    try:
        return records.dumpb(item) + b"\n"
    except UnicodeEncodeError:  # a lone surrogate (not UTF-8) travels escaped; its article decides
        return json.dumps(item, ensure_ascii=True).encode("ascii") + b"\n"


def _cache(job: Job) -> caches.Cache | None:
    """This process's connection to the stage's cache (never one inherited through a fork)."""
    if job.cache is None:
        return None
    held = _LOADED.setdefault("caches", {})
    opened = held.get(job.cache)
    if opened is None or opened[0] != (job.version, os.getpid()):
        if opened is not None and opened[0][1] == os.getpid():
            opened[1].close()
        opened = held[job.cache] = (job.version, os.getpid()), caches.Cache(Path(job.cache), create=False,
                                                                             version=job.version)
    return opened[1]


def close_caches() -> None:
    """Close this process's connections (a run's own: the files may be gone before the next run)."""
    for (_, pid), cache in _LOADED.pop("caches", {}).values():
        if pid == os.getpid():
            cache.close()


def run_lines(job: Job, lines: list[bytes]) -> list[tuple[Result, bool]]:
    """One stage over some of its input lines: each line's cached result, or ``process`` run on
    it (and stored); returns [(result, from cache)] in line order."""
    cache = _cache(job)
    keys = [cache_key(job, line) for line in lines] if cache else [None] * len(lines)
    hits = cache.get_many([k for k in keys if k is not None]) if cache else {}
    answers, fresh = [], []
    for line, key in zip(lines, keys):
        result = hits.get(key) or apply(job.stage, line)
        if key is not None and key not in hits:
            fresh.append((key, result))
        answers.append((result, key in hits))
    if cache:
        cache.put_many(fresh)
    return answers


def write_part(job: Job, index: int, answers: list[tuple[Result, bool]]) -> list[tuple[Result, bool]]:
    """With ``job.parts``: the output lines to the range's part file, and the books alone back."""
    if job.parts is None:
        return answers
    with open(os.path.join(job.parts, f"{index:08d}"), "wb") as part:
        part.writelines(r.line + b"\n" for r, _ in answers if r.line is not None)
    return [(r.books(), cached) for r, cached in answers]


def run_range(job: Job, task: Task) -> tuple[int, list[tuple[Result, bool]]]:
    """A task: one range of input lines, start to finish; returns (index, [(result, from cache)])."""
    lines = task.lines if task.lines is not None else ranges.read_lines(job.source, task.start, task.end)
    return task.index, write_part(job, task.index, run_lines(job, lines))


# ---------------------------------------------------------------- in the parent

def _inputs_list(items: Iterable[dict | Skipped], path: Path, lines: int) -> Iterator[Task]:
    """Write ingest's inputs as JSON lines, a range at a time, handing each range out as soon as
    it is written (the workers start while the inputs are still being listed)."""
    with open(path, "wb") as fh:
        for index in itertools.count():
            batch = list(itertools.islice(items, lines))
            if not batch:
                return
            start = fh.tell()
            fh.writelines(_input_line({"id": item.id, "source": item.source, SKIPPED: item.reason}
                                      if isinstance(item, Skipped) else item) for item in batch)
            fh.flush()
            yield Task(index, start, fh.tell())


def _with_parent_cache(job: Job, cache: caches.Cache, tasks: Iterable[Task],
                       answers: Callable[[Iterable[Task]], Iterator]) -> Iterator[tuple[int, list]]:
    """For workers that see neither the input nor the cache: the parent reads each range, looks
    it up, ships the misses' lines alone and stores what comes back."""
    held: dict[int, tuple[list, list, dict]] = {}

    def shipped() -> Iterator[Task]:
        for task in tasks:
            lines = ranges.read_lines(job.source, task.start, task.end)
            keys = [cache_key(job, line) for line in lines]
            hits = cache.get_many([k for k in keys if k is not None])
            held[task.index] = lines, keys, hits
            yield Task(task.index, lines=tuple(line for line, k in zip(lines, keys) if k not in hits))

    for index, fresh in answers(shipped()):
        lines, keys, hits = held.pop(index)
        computed = iter(fresh)
        merged = [(hits[k], True) if k in hits else next(computed) for k in keys]
        cache.put_many([(k, r) for k, (r, cached) in zip(keys, merged) if k is not None and not cached])
        yield index, merged


def fewer_lines(path: Path, n: int) -> bool:
    with open(path, "rb") as fh:
        return sum(1 for _ in itertools.islice(fh, n)) < n


def run_article_stage(stage: ArticleStage, out_root: Path, *, items: Iterable[dict | Skipped] | None = None,
                      inputs: Mapping | None = None, jobs: int = 1, use_cache: bool = True,
                      progress: bool | None = None, warn: Callable[[str], None] | None = None, client: Any = None,
                      defer_finish: bool = False, warm_ahead: Sequence[ArticleStage] = ()) -> dict | Callable[[], dict]:
    """Run a per-article stage over its upstream's records (or, for ingest, over ``items``,
    described for the manifest by ``inputs``); returns its manifest. With ``defer_finish``, the
    per-article work is done and the rest (``finish``, then the manifest) is returned as a
    function to call, e.g. in another process beside the next stage. ``warm_ahead``: stages whose
    resources this process loads in a thread while the workers map (see .preload), for the stages
    that run next in it (their configuration must not depend on this stage's output)."""
    out_root = Path(out_root)
    out_dir = out_root / stage.folder
    if items is None:
        inputs = upstream_input(out_root, stage.upstream)
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    fp = fingerprint(stage)
    cache_path = (out_root / caches.FOLDER / f"{stage.name}.sqlite").resolve() if use_cache else None
    cache = caches.Cache(cache_path, version=version(fp), warn=warn)  # set up before any worker opens it
    start_folder(out_dir)
    scratch = Path(tempfile.mkdtemp(prefix=".parts-", dir=out_dir)).resolve()  # a fresh name: no stray writer
    books = Books(stage.name, stage.folder, warn, progress)
    preload = Preload(modules([stage]), [functools.partial(resources, s, warm=True) for s in warm_ahead])
    try:
        if items is None:
            source = (out_root / stage.upstream / ARTICLES).resolve()
            small = fewer_lines(source, ranges.ARTICLE_LINES)
        else:
            source = scratch / "inputs.jsonl"
            items = iter(items)
            head = list(itertools.islice(items, ranges.ARTICLE_LINES))
            small = len(head) < ranges.ARTICLE_LINES
            items = itertools.chain(head, items)
        executor = executors.Serial() if small and client is None else executors.choose(jobs, client)
        ship = isinstance(executor, executors.Dask) and not executor.sees(scratch)
        inline = isinstance(executor, executors.Serial) or ship
        job = Job(stage, records.dumps(fp), cache.version, None if ship or cache_path is None else str(cache_path),
                  str(source), None if inline else str(scratch), inputs_list=items is not None)
        lines = ranges.DASK_ARTICLE_LINES if client is not None else ranges.ARTICLE_LINES
        tasks = (_inputs_list(items, source, lines) if items is not None
                 else (Task(i, a, b) for i, (a, b) in enumerate(ranges.line_ranges(source, lines))))
        if executor.inherits:
            resources(stage, warm=True)  # once here: forked workers share it copy-on-write
        if ship:
            answers = _with_parent_cache(job, cache, tasks, lambda shipped: executor.map(run_range, job, shipped))
        else:
            answers = executor.map(run_range, job, tasks)
        digest = hashlib.sha256()  # taken as the parts are appended, not by reading the file again
        with records.atomic_open(out_dir / ARTICLES, "wb") as out:
            for index, results in answers:
                preload.start()  # once the executor's workers have started (see .preload)
                for result, cached in results:
                    books.add(result, cached=cached)
                if inline:
                    data = b"".join(r.line + b"\n" for r, _ in results if r.line is not None)
                else:
                    part = scratch / f"{index:08d}"
                    data = part.read_bytes()
                    part.unlink()
                digest.update(data)
                out.write(data)
        cache.prune()  # all done: older versions' results can go
    finally:
        preload.join()  # before anything can fork again
        shutil.rmtree(scratch, ignore_errors=True)
        close_caches()  # a serial run's own connections: the files may be gone before the next run
        cache.close()
        books.close()

    def complete() -> dict:
        return finish_stage(stage, out_dir, inputs=inputs or {}, fp=fp, books=books, digest=digest.hexdigest(),
                            jobs=jobs)

    if not defer_finish:
        return complete()
    complete.cache_hits = books.cached  # type: ignore[attr-defined]
    return complete


def finish_stage(stage: ArticleStage, out_dir: Path, *, inputs: Mapping, fp: dict, books: Books, digest: str,
                 jobs: int) -> dict:
    """After the articles: the stage's reduce, then its manifest (last: a folder without one is
    unfinished); returns the manifest with the run's cache hits."""
    extra = dict(stage.finish(out_dir, stage.params, jobs=jobs) or {}) if stage.finish is not None else {}
    manifest = {"stage": stage.name, "folder": stage.folder, "input": inputs, **fp,
                **({"story": stage.story} if stage.story else {}), **books.manifest(), **extra,
                # finish writes beside articles.jsonl, never to it
                "outputs": output_hashes(out_dir, {ARTICLES: digest})}
    records.write_json(out_dir / MANIFEST, manifest)
    return {**manifest, "cache_hits": books.cached}


def map_ranges(fn: Callable[[Path, int, int, Any], Any], path: Path, *, jobs: int = 1, shared: Any = None,
               fine: bool = False) -> Iterator:
    """A reduce's per-range work: ``fn(path, start, end, shared)`` for consecutive byte ranges of
    ``path`` (whole lines), results in file order for the reduce to merge as they come (memory
    holds ``jobs`` ranges' results, not the file's): in ``jobs`` processes for a large file,
    else here. ``shared`` reaches forked workers without pickling (an idf table costs nothing).

    ``fine``: ranges of :func:`~.ranges.reduce_range_bytes`, about four a process, for a merge that
    costs little (lines of text, totals): where the ranges fall then depends on ``jobs``, so the
    merge must not (counts; text in file order)."""
    path = Path(path)
    total = path.stat().st_size
    executor = executors.local(jobs if total >= ranges.REDUCE_SERIAL_BELOW else 1)
    size = ranges.reduce_range_bytes(total, jobs) if fine and executor.workers > 1 else ranges.REDUCE_RANGE_BYTES
    return executor.map(_range_call, (fn, shared, str(path)), ranges.byte_ranges(path, size))


def _range_call(call: tuple, bounds: tuple[int, int]) -> Any:
    fn, shared, path = call
    return fn(Path(path), bounds[0], bounds[1], shared)
