"""The fused per-article pass: a chain of per-article stages over one read of their input.

Run one by one, each per-article stage reads its upstream's ``articles.jsonl`` from disk and
writes its own. Fused, a worker reads a range of the chain's input once and hands each article
from stage to stage in memory; every stage still writes its own records, cache, reduce and
manifest, the same bytes as when it runs alone.

Which stages form a chain (:func:`chains`): a per-article stage joins the chain of its upstream
when that upstream is a per-article stage of the same run that has no reduce (``finish``). A
reduce is a barrier: what it writes exists only once every article has passed, and the next
stage's ``process`` may need it (strip needs the lines that ingest's reduce found recurring
across a site's pages). So the pipeline's chain is everything after ingest up to the reduces::

    01_ingest -> strip -> normalize -> segment -> keywords, sentiment, framing
                                    \\-> sourcing

a tree run in stage order (each stage after its upstream). keywords, framing and sourcing have
reduces of their own; nothing per-article follows them.

How an article flows through a chain (compare :mod:`.article`, one stage):

1. The parent checks the chain's input (the first stage's upstream: finished and current),
   drops every chain stage's manifest, then empties their folders: a pass interrupted anywhere
   leaves no stage looking finished. It cuts the input into ranges of lines for the executor.
2. A worker reads its range once. Each stage in turn gets its input lines, the range's lines
   for the first stage, its upstream's output lines of the same range for the others: the lines
   it would read from its upstream's ``articles.jsonl`` alone. They go through the stage's cache
   and ``process`` as in a stage run alone (:func:`.article.run_lines`). An article a stage
   skips is not in its output, so it never reaches the next stage. Each stage's output lines go
   to a part file in its own folder.
3. The parent appends each stage's parts to its ``articles.jsonl`` in range order and keeps
   each stage's books.
4. The completions, in stage order: each stage's reduce, then its manifest, which records the
   hash of its upstream's manifest (so the upstream's completion comes first).

A chain runs serially or in a local process pool; on a Dask cluster each stage runs alone.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from .. import records
from ..config import ARTICLES, MANIFEST
from . import cache as caches
from . import executors, ranges
from .article import Job, Task, close_caches, fewer_lines, finish_stage, resources, run_lines, write_part
from .contract import ArticleStage, CorpusStage
from .fingerprint import fingerprint, version
from .folders import start_folder, upstream_input
from .preload import Preload, modules
from .stats import Books


def chains(stages: Sequence[ArticleStage | CorpusStage]) -> list[list]:
    """``stages`` (in run order) grouped into what runs as one: each chain of per-article stages
    as above, every other stage alone; in run order, each group after its upstreams."""
    groups: list[list] = []
    chain_of: dict[str, list] = {}  # folder -> the chain that a stage reading it would join
    for stage in stages:
        group = chain_of.get(stage.upstream) if isinstance(stage, ArticleStage) else None
        if group is None:
            group = [stage]
            groups.append(group)
        else:
            group.append(stage)
        if isinstance(stage, ArticleStage) and stage.upstream is not None and stage.finish is None:
            chain_of[stage.folder] = group  # ingest (no upstream: it lists its inputs) stays alone
    return groups


def run_range(jobs: tuple[Job, ...], task: Task) -> tuple[int, list[list]]:
    """A task: one range of the chain's input through every stage; returns (index, each
    stage's [(result, from cache)]), the output lines gone to the stages' part files."""
    lines = {jobs[0].stage.upstream: ranges.read_lines(jobs[0].source, task.start, task.end)}
    answers = []
    for job in jobs:
        results = run_lines(job, lines[job.stage.upstream])
        lines[job.stage.folder] = [r.line for r, _ in results if r.line is not None]
        answers.append(write_part(job, task.index, results))
    return task.index, answers


def run_chain(stages: Sequence[ArticleStage], out_root: Path, *, jobs: int = 1, use_cache: bool = True,
              progress: bool | None = None, warn: Callable[[str], None] | None = None,
              defer_finish: bool = False) -> dict:
    """Run a chain of per-article stages (one group of :func:`chains`, in stage order) in one
    pass; returns each stage's manifest by name. With ``defer_finish``, each stage's completion
    (its reduce, then its manifest) instead, to call in stage order (a stage with a reduce ends
    its branch of the chain: those may run side by side, e.g. in child processes)."""
    stages = list(stages)
    folders = [s.folder for s in stages]
    for i, stage in enumerate(stages[1:], 1):
        if stage.upstream not in folders[:i]:
            raise ValueError(f"{stage.name}: its upstream {stage.upstream} is not earlier in the chain")
    out_root = Path(out_root)
    first_input = upstream_input(out_root, stages[0].upstream)  # checked before any folder is touched
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    for stage in stages:  # every manifest first: an interrupted pass leaves no stage looking done
        (out_root / stage.folder / MANIFEST).unlink(missing_ok=True)
    for stage in stages:
        start_folder(out_root / stage.folder)
    fps = [fingerprint(stage) for stage in stages]
    books = [Books(s.name, s.folder, warn, progress if i == 0 else False) for i, s in enumerate(stages)]
    digests = [hashlib.sha256() for _ in stages]  # taken as the parts are appended
    opened: list[caches.Cache] = []
    scratches: list[Path] = []
    preload = Preload(modules(stages))
    try:
        source = (out_root / stages[0].upstream / ARTICLES).resolve()
        small = fewer_lines(source, ranges.ARTICLE_LINES)
        executor = executors.Serial() if small else executors.local(jobs)
        inline = isinstance(executor, executors.Serial)
        chain = []
        for stage, fp in zip(stages, fps):
            path = (out_root / caches.FOLDER / f"{stage.name}.sqlite").resolve() if use_cache else None
            opened.append(caches.Cache(path, version=version(fp), warn=warn))  # set up before any worker opens it
            scratches.append(Path(tempfile.mkdtemp(prefix=".parts-", dir=out_root / stage.folder)).resolve())
            chain.append(Job(stage, records.dumps(fp), opened[-1].version, None if path is None else str(path),
                             str(source), None if inline else str(scratches[-1])))
        tasks = (Task(i, a, b) for i, (a, b) in enumerate(ranges.line_ranges(source, ranges.ARTICLE_LINES)))
        if executor.inherits:
            for stage in stages:
                resources(stage, warm=True)  # once here: forked workers share them copy-on-write
        with contextlib.ExitStack() as files:
            outs = [files.enter_context(records.atomic_open(out_root / s.folder / ARTICLES, "wb")) for s in stages]
            for index, answers in executor.map(run_range, tuple(chain), tasks):
                preload.start()  # once the executor's workers have started (see .preload)
                for k, results in enumerate(answers):
                    for result, cached in results:
                        books[k].add(result, cached=cached)
                    if inline:
                        data = b"".join(r.line + b"\n" for r, _ in results if r.line is not None)
                    else:
                        part = scratches[k] / f"{index:08d}"
                        data = part.read_bytes()
                        part.unlink()
                    digests[k].update(data)
                    outs[k].write(data)
        for cache in opened:
            cache.prune()  # all done: older versions' results can go
    finally:
        preload.join()  # before anything can fork again
        for scratch in scratches:
            shutil.rmtree(scratch, ignore_errors=True)
        close_caches()
        for cache in opened:
            cache.close()
        for book in books:
            book.close()

    def completion(k: int) -> Callable[[], dict]:
        stage = stages[k]

        def complete() -> dict:
            inputs = first_input if k == 0 else upstream_input(out_root, stage.upstream)
            return finish_stage(stage, out_root / stage.folder, inputs=inputs, fp=fps[k], books=books[k],
                                digest=digests[k].hexdigest(), jobs=jobs)

        complete.cache_hits = books[k].cached  # type: ignore[attr-defined]
        return complete

    completions = {stage.name: completion(k) for k, stage in enumerate(stages)}
    if defer_finish:
        return completions
    return {name: complete() for name, complete in completions.items()}

