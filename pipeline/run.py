"""Running the stages in order over one input: the whole pipeline, or one stage."""
from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Callable, Sequence

from . import duplicates, outdir, records, stages
from . import story as stories
from .config import MANIFEST, MAX_FILE_BYTES
from .runner import (ArticleStage, CorpusStage, StageError, chains, die_with_parent, executors, prepare_corpus_stage,
                     run_article_stage, run_chain, run_corpus_stage)

# Below this size of 01_ingest's records (about 2,000 articles) the corpus stages run one after
# the other: a fork's cost would outweigh what the overlap saves.
OVERLAP_MIN_BYTES = 4 << 20


class NothingIngested(RuntimeError):
    pass


def _stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def configured(name: str, story: stories.Story | None, out_root: Path | None = None):
    """Stage ``name`` with the story's settings in its params, resources and manifest, and, for
    strip, the lines ingest found recurring across a site's articles and the copies of an earlier
    article of the same outlet it found (their hashes in its params, so a change recomputes strip)."""
    stage = stages.module(name).STAGE
    if name == "strip" and out_root is not None:
        folder = Path(out_root) / stages.module("ingest").STAGE.folder
        found = folder / "recurring_lines.json"
        if found.is_file() and records.read_json(found):  # {}: nothing recurs
            stage = dataclasses.replace(stage, params={**stage.params, "_recurring": str(found),
                                                       "recurring_sha256": records.sha256_file(found)})
        copies = folder / duplicates.FILE
        if (story is None or story.duplicates == "drop") and copies.is_file() and records.read_json(copies):
            stage = dataclasses.replace(stage, params={**stage.params, "_duplicates": str(copies),
                                                       "duplicates_sha256": records.sha256_file(copies)})
    if story is None:
        return stage
    return dataclasses.replace(stories.configure(stage, story), story=story.resolved())


def _story_of(out_root: Path, story: stories.Story | None) -> stories.Story:
    """The story given, else the one the output folder's run used, else the defaults."""
    return story or stories.saved(out_root) or stories.DEFAULT


def run_ingest(input_path: Path, out_root: Path, *, jobs: int = 1, max_bytes: int = MAX_FILE_BYTES,
               use_cache: bool = True, progress: bool | None = None, warn: Callable[[str], None] = _stderr,
               client=None, story: stories.Story | None = None, warm_ahead=()) -> dict:
    outdir.inside(out_root, input_path)
    module = stages.module("ingest")
    story = _story_of(out_root, story)
    stage = configured("ingest", story)
    stage = dataclasses.replace(stage, params={**stage.params, "max_bytes": max_bytes})
    exclude = stories.input_files(story, Path(input_path)) if Path(input_path).is_dir() else set()
    items, inputs = module.enumerate_inputs(Path(input_path), max_bytes=max_bytes, warn=warn, exclude=exclude)
    return run_article_stage(stage, out_root, items=items, inputs=inputs, jobs=jobs, use_cache=use_cache,
                             progress=progress, warn=warn, client=client, warm_ahead=warm_ahead)


def run_stage(name: str, out_root: Path, *, jobs: int = 1, use_cache: bool = True,
              progress: bool | None = None, warn: Callable[[str], None] = _stderr, client=None,
              defer_finish: bool = False, story: stories.Story | None = None):
    stage = configured(name, _story_of(Path(out_root), story), Path(out_root))
    if isinstance(stage, ArticleStage):
        return run_article_stage(stage, out_root, jobs=jobs, use_cache=use_cache, progress=progress, warn=warn,
                                 client=client, defer_finish=defer_finish)
    if isinstance(stage, CorpusStage):
        return run_corpus_stage(stage, out_root, jobs=jobs)
    raise TypeError(f"{name}: STAGE is neither an ArticleStage nor a CorpusStage")


def run_pipeline(input_path: Path, out_root: Path, *, jobs: int = 1, strict: bool = False,
                 max_bytes: int = MAX_FILE_BYTES, use_cache: bool = True, progress: bool | None = None,
                 only: Sequence[str] | None = None, warn: Callable[[str], None] = _stderr,
                 log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                 dask: bool = False, scheduler: str | None = None,
                 story: str | Path | stories.Story | None = None, force: bool = False) -> dict[str, dict]:
    """Every available stage in order; returns each stage's manifest.

    ``story``: a story file (or a loaded :class:`pipeline.story.Story`); by default
    ``story.toml`` in the input folder, else story-neutral defaults (said once).
    Per-article stages run in ``jobs`` processes, or on a Dask cluster: a local one
    with ``dask=True``, or the scheduler at ``scheduler``. Raises NothingIngested when
    no input became an article, and, with ``strict``, when any input was skipped;
    :class:`pipeline.story.StoryError` before any work when the story file cannot be used.
    Raises StageError, before writing anything, for an output folder the pipeline must not
    write (see :mod:`pipeline.outdir`; ``force``: write beside files it did not write) or
    one that another run holds.
    """
    outdir.check(Path(out_root) if str(out_root) else Path(""), input_path=Path(input_path), force=force)
    if not Path(input_path).exists():
        raise FileNotFoundError(f"input {input_path} does not exist")
    if not isinstance(story, stories.Story):
        story = stories.resolve(Path(input_path), Path(story) if story is not None else None)
    if story.path is None:
        log("no story file (story.toml in the input folder, or --story): story-neutral defaults "
            "(generic frames, no target); `python -m pipeline init DIR` writes a template")
    outdir.claim(out_root)
    with outdir.locked(out_root), dask_client(dask=dask, scheduler=scheduler, workers=jobs) as client, \
            interrupts() as interrupted:
        return _run_all(input_path, out_root, jobs=jobs, strict=strict, max_bytes=max_bytes, use_cache=use_cache,
                        progress=progress, only=only, warn=warn, log=log, client=client, story=story,
                        interrupted=interrupted)


@contextlib.contextmanager
def interrupts():
    """A check that raises KeyboardInterrupt if Ctrl-C came during the run, even one that Python
    had to drop: an exception cannot leave a finaliser (``__del__``, a weakref callback), so
    Ctrl-C landing while one runs is only printed as "Exception ignored", and the run would go on
    to finish. The run calls the check between stages. Only in the main thread, and only where
    Ctrl-C has Python's default handler (not where the caller ignores it or handles it)."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: None
        return
    seen: list[int] = []

    def handler(signum, frame):
        seen.append(signum)
        raise KeyboardInterrupt

    def check() -> None:
        if seen:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@contextlib.contextmanager
def dask_client(*, dask: bool, scheduler: str | None, workers: int):
    """A dask.distributed Client for the run, or None when running locally."""
    if not dask and not scheduler:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the optional extra is missing
        raise NothingIngested("--dask/--scheduler need dask.distributed: pip install 'dask[distributed]'") from exc
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _run_all(input_path, out_root, *, jobs, strict, max_bytes, use_cache, progress, only, warn, log, client,
             story, interrupted=lambda: None):
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    stories.save(story, out_root)
    manifests: dict[str, dict] = {}
    names = [n for n in stages.available() if only is None or n in only]
    # A run stopped half-way must not leave a later stage of an earlier run looking
    # finished over new input: unmark everything this run will redo, first.
    for path in [out_root / "run.json", out_root / "report.html", *(out_root / stages.module(n).STAGE.folder / MANIFEST for n in names)]:
        path.unlink(missing_ok=True)
    run_record = outdir.run_record(input_path, max_bytes)  # the input as this run reads it, by content
    # What runs as one: each chain of per-article stages in one fused pass (pipeline.runner.chain:
    # strip to sourcing when they all run), every other stage alone; on Dask, each stage alone.
    pending = [tuple(s.name for s in group) for group in chains([stages.module(n).STAGE for n in names])]
    if client is not None:
        pending = [(name,) for group in pending for name in group]
    prepared: dict[str, object] = {}
    forking = jobs > 1 and client is None and executors.can_fork()

    def one(name: str) -> dict:
        # While ingest's workers map, this process loads the fused pass's resources (the sentiment
        # models, the segmenter's dictionary ...), which it would otherwise load after them.
        ahead = stages_to_warm(pending, story) if name == "ingest" and forking else ()
        return _run_one(name, input_path, out_root, jobs=jobs, max_bytes=max_bytes, use_cache=use_cache,
                        progress=progress, warn=warn, client=client, story=story, warm_ahead=ahead)

    while pending:
        wave = _ready(pending)
        pending = [group for group in pending if group not in wave]
        chained = [group for group in wave if len(group) > 1]
        wave = [name for group in wave for name in group]
        early = _early_prepare(wave, [n for group in pending for n in group], out_root) if forking else None
        if early is not None:
            # The wave (plots) runs in a child while this process prepares the next stage
            # (the report reads the article stages while the figures are drawn).
            child = _start_child(lambda: [one(n) for n in wave], daemon=False)
            prepared[early] = prepare_corpus_stage(configured(early, story), out_root, jobs=jobs)
            manifests.update(_joined(child, wave, out_root))
        else:
            for group in chained:
                completions = run_chain([configured(n, story, out_root) for n in group], out_root, jobs=jobs,
                                        use_cache=use_cache, progress=progress, warn=warn, defer_finish=True)
                manifests.update(_completed(completions, out_root, forking=forking))
            # Stages with a reduce first: with cores to spare, each reduce (keywords, framing)
            # runs in a child beside the maps that follow it; each writes only its own folder.
            alone = [n for n in wave if not any(n in group for group in chained)]
            in_order = sorted(alone, key=lambda n: getattr(stages.module(n).STAGE, "finish", None) is None)
            children = []
            for i, name in enumerate(in_order):
                stage = configured(name, story)
                if name in prepared:
                    manifests[name] = run_corpus_stage(stage, out_root, jobs=jobs, prepared=prepared.pop(name))
                elif (forking and i < len(in_order) - 1 and isinstance(stage, ArticleStage)
                      and stage.finish is not None):
                    complete = run_stage(name, out_root, jobs=jobs, use_cache=use_cache, progress=progress,
                                         warn=warn, defer_finish=True, story=story)
                    children.append((name, _start_child(complete, daemon=False), complete.cache_hits))  # may fork
                else:
                    manifests[name] = one(name)
            for name, child, cache_hits in children:
                manifests[name] = {**_joined(child, [name], out_root)[name], "cache_hits": cache_hits}
        for name in wave:
            manifest = manifests[name]
            if name == "report":  # the page a researcher opens sits at the top of the output folder
                records.write_bytes(out_root / "report.html",
                                    (out_root / manifest["folder"] / "report.html").read_bytes())
            log(f"{name}: {summary(manifest)}")
            if strict and manifest.get("counts", {}).get("skipped"):
                raise NothingIngested(f"--strict: {name} skipped {manifest['counts']['skipped']} input(s)")
        interrupted()
    fit = story_fit(out_root, story)
    for message in fit:
        warn(message)
    folders = [manifests[n]["folder"] for n in names]
    interrupted()
    records.write_json(out_root / "run.json", {"stages": {n: manifests[n]["folder"] for n in names},
                                               "story": story.resolved(), "story_warnings": fit, **run_record,
                                               "manifests": outdir.manifest_hashes(out_root, folders)})
    from . import api, parquet

    parquet.write(out_root, api.load, warn=warn, jobs=jobs if client is None else 1)  # after every stage: the copies are made from what is final
    return {n: manifests[n] for n in names}


def story_fit(out_root: Path, story: stories.Story) -> list[str]:
    """Warnings that the story's settings do not fit the corpus (also shown in the report)."""
    from . import fit

    return fit.warnings(out_root, story)


def _joined(child, names: list[str], out_root: Path) -> dict[str, dict]:
    """Wait for a child that ran the stages ``names``; their manifests, as it wrote them."""
    child.join()
    if child.exitcode != 0:
        raise StageError(f"{', '.join(names)} failed (exit code {child.exitcode}); see the messages above")
    return {n: records.read_json(out_root / stages.module(n).STAGE.folder / MANIFEST) for n in names}


def _upstream_folders(name: str) -> set[str]:
    stage = stages.module(name).STAGE
    return set(stage.upstreams) if isinstance(stage, CorpusStage) else {stage.upstream} - {None}


def _early_prepare(wave: list[str], pending: list[str], out_root: Path) -> str | None:
    """A pending stage whose ``prepare`` can run while ``wave`` runs: every stage of the wave a
    corpus stage, nothing left to write the prepare's upstreams, and a corpus worth the fork."""
    if not all(isinstance(stages.module(n).STAGE, CorpusStage) for n in wave):
        return None
    ingested = out_root / stages.module("ingest").STAGE.folder / "articles.jsonl"
    if not ingested.exists() or ingested.stat().st_size < OVERLAP_MIN_BYTES:
        return None
    busy = {stages.module(n).STAGE.folder for n in [*wave, *pending]}
    for name in pending:
        stage = stages.module(name).STAGE
        if isinstance(stage, CorpusStage) and stage.prepare is not None and not (set(stage.prepare_upstreams) & busy):
            return name
    return None


def _ready(pending: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The pending groups of stages (a chain, or one stage) none of whose inputs another
    pending group still has to write."""
    ready = []
    for group in pending:
        own = {stages.module(n).STAGE.folder for n in group}
        needs = set().union(*(_upstream_folders(n) for n in group)) - own
        others = {stages.module(n).STAGE.folder for other in pending if other != group for n in other}
        if not needs & others:
            ready.append(group)
    return ready


def _completed(completions: dict[str, Callable[[], dict]], out_root: Path, *, forking: bool) -> dict[str, dict]:
    """A fused chain's completions (:func:`pipeline.runner.run_chain`), in stage order. Those of
    the stages without a reduce only write a manifest; with cores to spare, each reduce but the
    last runs in a child beside the others (a stage with a reduce ends its branch of the chain:
    nothing in the chain waits for its manifest)."""
    reduces = [n for n in completions if stages.module(n).STAGE.finish is not None]
    manifests, children = {}, []
    for name, complete in completions.items():
        if forking and name in reduces[:-1]:
            children.append((name, _start_child(complete, daemon=False), complete.cache_hits))  # may fork
        else:
            manifests[name] = complete()
    for name, child, cache_hits in children:
        manifests[name] = {**_joined(child, [name], out_root)[name], "cache_hits": cache_hits}
    return {name: manifests[name] for name in completions}


def stages_to_warm(pending: list[tuple[str, ...]], story: stories.Story) -> list[ArticleStage]:
    """The per-article stages of the fused passes still to run whose resources can be loaded now:
    all but strip, whose configuration reads what ingest's reduce finds (the recurring lines)."""
    return [stage for group in pending if len(group) > 1 for name in group if name != "strip"
            if isinstance(stage := configured(name, story), ArticleStage)]


def _run_one(name, input_path, out_root, *, jobs, max_bytes, use_cache, progress, warn, client, story,
             warm_ahead=()) -> dict:
    if name != "ingest":
        return run_stage(name, out_root, jobs=jobs, use_cache=use_cache, progress=progress, warn=warn,
                         client=client, story=story)
    manifest = run_ingest(input_path, out_root, jobs=jobs, max_bytes=max_bytes, use_cache=use_cache,
                          progress=progress, warn=warn, client=client, story=story, warm_ahead=warm_ahead)
    counts = manifest["counts"]
    if counts["done"] == 0:
        raise NothingIngested(f"nothing could be ingested from {input_path} "
                              f"({counts['skipped']} inputs skipped: see {out_root / '01_ingest/manifest.json'})")
    return manifest


def _child_main(work: Callable[[], object], parent: int) -> None:
    """In a forked child: die with the parent, do the work, exit 0, or 1 with the reason (the
    traceback only for an error of the pipeline's own; none for Ctrl-C, which the parent reports)."""
    try:
        die_with_parent(parent)
        work()
    except KeyboardInterrupt:
        os._exit(130)
    except (OSError, StageError) as exc:
        print(outdir.describe(exc, "this run's"), file=sys.stderr)
        os._exit(1)
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _start_child(work: Callable[[], object], *, daemon: bool = True):
    """A forked child doing ``work``. ``daemon=False`` for work that starts processes of its own."""
    child = multiprocessing.get_context("fork").Process(target=_child_main, args=(work, os.getpid()), daemon=daemon)
    child.start()
    return child


def summary(manifest: dict) -> str:
    counts = manifest.get("counts")
    if not counts or "done" not in counts:
        return f"wrote {len(manifest.get('outputs', {}))} file(s) to {manifest['folder']}/"
    text = f"{counts['done']} done, {counts['skipped']} skipped"
    if manifest.get("cache_hits"):
        text += f" ({manifest['cache_hits']} from cache)"
    if counts.get("warnings"):
        text += f", {counts['warnings']} warning(s)"
    return text + f" -> {manifest['folder']}/"
