"""The stage contract and the runner that every stage plugs into.

A *per-article* stage is a pure function ``process(record, resources) -> record``
(raise :class:`Skip` to drop an article with a reason) plus a loader for its
resources. The runner handles the rest: reading the upstream stage, a content-keyed
cache, parallel workers, writing ``articles.jsonl`` atomically in input order, and
the ``manifest.json`` written last, so that a folder without a manifest is known to
be unfinished.

A per-article stage may also ``finish``: a reduce over its own per-article records
(map-reduce). keywords maps each article to its term counts and reduces them to
document frequencies, TF-IDF and distinctive terms; framing maps each article to its
frame hits and reduces them per outlet. The map is cached and parallel like any
per-article work (on a Dask cluster too); the reduce reads counts, never text.

A *corpus* stage reads whole upstream folders and writes its own files; the runner
gives it the paths and writes its manifest.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import itertools
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from . import records
from .config import ARTICLES, MANIFEST

CACHE_DIR = ".cache"
BATCH = 2048          # items handed to the worker pool at a time: memory stays flat
SERIAL_BELOW = 64     # fewer cache misses than this run in-process: no pool start-up
MAX_WARNINGS = 20     # printed per stage; the manifest lists every one


class Skip(Exception):
    """Raised by a stage's ``process`` to drop an article, with the reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Skipped:
    """An input that never became a record (a bad file, a corpus row without text)."""

    id: str
    source: str
    reason: str


def _no_resources(params: Mapping) -> None:
    return None


@dataclass(frozen=True)
class ArticleStage:
    name: str
    folder: str
    upstream: str | None
    process: Callable[[dict, Any], dict]
    load_resources: Callable[[Mapping], Any] = _no_resources
    params: Mapping = field(default_factory=dict)
    resource_files: tuple[Path, ...] = ()
    code_files: tuple[Path, ...] = ()
    libraries: tuple[str, ...] = ()
    # The reduce: ``finish(out_dir, params, jobs=N) -> extra manifest fields``, run once the
    # stage's articles.jsonl is written; it reads that file and writes its own beside it,
    # in up to N processes (see :func:`map_ranges`), the same bytes whatever N.
    finish: Callable[..., Mapping] | None = None
    # ``light(item) -> bool``: items so cheap to process that the parent does them itself
    # rather than pay for sending them to a worker (ingest: corpus rows of plain text).
    light: Callable[[Any], bool] | None = None
    # ``warm(resources)``: build what the resources would otherwise build lazily, on first use
    # (normalize: its OpenCC converters and character tables). Called in the parent before a
    # pool forks, so that the workers share it instead of each building its own copy.
    warm: Callable[[Any], None] | None = None
    # The resolved story file (pipeline.story), written into the manifest; what of it the
    # stage uses is in ``params`` (its ``_`` keys stay out of the per-article cache key).
    story: Mapping | None = None


@dataclass(frozen=True)
class CorpusStage:
    name: str
    folder: str
    upstreams: tuple[str, ...]
    run: Callable[..., Mapping]  # (inputs, out_dir, params) -> extra manifest fields; see below
    params: Mapping = field(default_factory=dict)
    resource_files: tuple[Path, ...] = ()
    code_files: tuple[Path, ...] = ()
    libraries: tuple[str, ...] = ()
    # ``run`` also takes ``jobs=N`` (it may use N processes, same bytes out)
    uses_jobs: bool = False
    # ``prepare(inputs, params) -> data``: the part of the work that reads only the upstreams
    # in ``prepare_upstreams``; ``run`` then takes ``prepared=data``. The runner may call
    # ``prepare`` early, while the stages that write the other upstreams still run.
    prepare: Callable[[Mapping[str, Path], Mapping], object] | None = None
    prepare_upstreams: tuple[str, ...] = ()
    story: Mapping | None = None


class StageError(RuntimeError):
    pass


# ---------------------------------------------------------------- fingerprints

_CORE_FILES = (Path(__file__), Path(records.__file__))


def library_versions(names: Iterable[str]) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in sorted(set(names)):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _file_hashes(paths: Iterable[Path]) -> dict[str, str]:
    """File name -> SHA-256; a name that two files share (a story's userdict.txt beside the
    package's) is told apart by the folder it is in, so that neither hash is lost."""
    paths = sorted(paths, key=lambda p: (Path(p).name, str(p)))
    names = [Path(p).name for p in paths]
    return {(name if names.count(name) == 1 else f"{Path(p).parent.name}/{name}"): records.sha256_file(p)
            for name, p in zip(names, paths)}


def fingerprint(stage: ArticleStage | CorpusStage) -> dict:
    """Everything besides the input that determines a stage's output (of each article: params
    starting with ``_`` are paths, whose files' hashes are in ``resources``, or settings of the
    reduce alone)."""
    return {
        "params": {k: v for k, v in stage.params.items() if not k.startswith("_")},
        "resources": _file_hashes(stage.resource_files),
        "code": _file_hashes((*stage.code_files, *_CORE_FILES)),
        "versions": library_versions(stage.libraries),
    }


def _cache_key(stage_fp: str, item: bytes | str | dict) -> str:
    """Content key of an upstream JSON line, or of an ingest item without its ``_`` keys (local paths)."""
    if isinstance(item, dict):
        item = records.dumps({k: v for k, v in item.items() if not k.startswith("_")})
    if isinstance(item, str):
        item = item.encode("utf-8")
    return hashlib.sha256(stage_fp.encode("utf-8") + b"\n" + item).hexdigest()


# ---------------------------------------------------------------- workers

_WORKER: dict[str, Any] = {}


def _init_worker(stage: ArticleStage) -> None:
    if _WORKER.get("stage") == stage:  # a forked worker inherits what its parent loaded
        return
    _WORKER.pop("warm", None)
    _WORKER["stage"] = stage
    _WORKER["resources"] = stage.load_resources(stage.params)


def _init_before_fork(stage: ArticleStage) -> None:
    """Load (and warm) the stage's resources here, once: forked workers share them copy-on-write."""
    _init_worker(stage)
    if stage.warm is not None and not _WORKER.get("warm"):
        stage.warm(_WORKER["resources"])
        _WORKER["warm"] = True


# A worker's answer for one article: (status, payload, id, source, warnings), where
# payload is the output record as one JSON line (UTF-8 bytes) when status is "ok", else the reason.
Result = tuple[str, bytes | str, str, str, list]


def _apply(item: bytes | str | dict) -> Result:
    """Process one article in a worker: parse, run the stage, serialise.

    Upstream records travel as their JSON lines, so that parsing and serialising,
    the bulk of the per-article overhead, happen in parallel in the workers.
    """
    stage: ArticleStage = _WORKER["stage"]
    try:
        record = item if isinstance(item, dict) else records.loads(item)
    except ValueError as exc:
        return "skip", f"upstream record is not valid JSON: {exc}", "?", "?", []
    id_, source = record.get("id", "?"), record.get("source", "?")
    try:
        out = stage.process(record, _WORKER["resources"])
        line = records.dumpb(out)
    except Skip as skip:
        return "skip", skip.reason, id_, source, []
    except Exception as exc:  # one bad article never stops the run
        return "skip", f"{stage.name} failed: {type(exc).__name__}: {exc}", id_, source, []
    return "ok", line, id_, source, list(out.get("warnings", ()))


def _apply_batch(stage: ArticleStage, items: list) -> list[Result]:
    """A Dask task: one partition of articles, resources loaded once per worker process."""
    if _WORKER.get("stage") != stage:
        _init_worker(stage)
    return [_apply(item) for item in items]


def _light_flags(stage: ArticleStage, items: list) -> list[bool]:
    """Per item: whether the stage calls it ``light`` (done by the caller, not sent out)."""
    if stage.light is None:
        return [False] * len(items)
    return [isinstance(item, dict) and stage.light(item) for item in items]


def _merged(done: list, light: list[bool], answers: Iterator[Result]) -> Iterator[Result]:
    """Results in input order: the light items' from ``done``, the others' as ``answers`` come."""
    for result, cheap in zip(done, light):
        yield result if cheap else next(answers)


class _DaskExecutor:
    """Per-article work on a Dask cluster; results come back in input order."""

    PARTITION = 256

    def __init__(self, stage: ArticleStage, client: Any):
        self.stage, self.client = stage, client

    def map(self, items: list) -> Iterator[Result]:
        """Results in input order. Items the stage calls ``light`` (ingest's plain-text corpus
        rows) are done here while the cluster works: shipping them costs more than the work."""
        light = _light_flags(self.stage, items)
        heavy = [item for item, cheap in zip(items, light) if not cheap]
        parts = [heavy[i:i + self.PARTITION] for i in range(0, len(heavy), self.PARTITION)]
        futures = self.client.map(_apply_batch, [self.stage] * len(parts), parts, pure=False)
        if any(light):
            _init_worker(self.stage)
        done = [_apply(item) if cheap else None for item, cheap in zip(items, light)]
        return _merged(done, light, self._answers(futures))

    @staticmethod
    def _answers(futures: list) -> Iterator[Result]:
        for future in futures:
            yield from future.result()
            future.release()

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _apply_chunk(task: tuple[str, list]) -> tuple[str, list]:
    """A pool task: a chunk of articles, whose output lines the worker appends to its own
    part file; only (offset, length) of each comes back, not the text (see _Executor)."""
    parts_dir, items = task
    path = os.path.join(parts_dir, f"{os.getpid()}.part")
    out = []
    with open(path, "ab") as fh:
        for item in items:
            status, payload, id_, source, messages = _apply(item)
            if status == "ok":
                out.append((status, (fh.tell(), len(payload)), id_, source, messages))
                fh.write(payload)
            else:
                out.append((status, payload, id_, source, messages))
    return path, out


class _Executor:
    """Runs ``_apply`` over batches: in-process for small batches, a pool otherwise.

    Pool workers write their output lines to part files (one per worker, in a private
    folder) and send back only where each line is: pickling every record through a pipe
    and back cost the workers and the parent a third more CPU than the work itself
    (segment, 2 workers, CCTV corpus). The parent reads the lines back in input order.
    """

    CHUNK = 32  # articles per task

    def __init__(self, stage: ArticleStage, jobs: int, out_dir: Path):
        self.stage, self.jobs, self.pool = stage, jobs, None
        self.out_dir = Path(out_dir)  # the part files go to a private folder in it
        self.parts_dir: Path | None = None
        self.files: dict[str, Any] = {}

    def map(self, items: list) -> Iterator[Result]:
        light = _light_flags(self.stage, items)
        heavy = [item for item, cheap in zip(items, light) if not cheap]
        if self.jobs <= 1 or len(heavy) < SERIAL_BELOW:
            _init_worker(self.stage)
            return map(_apply, items)
        if self.pool is None:
            fork = sys.platform.startswith("linux")
            if fork:  # load once here; the forked workers share it copy-on-write
                _init_before_fork(self.stage)
            ctx = multiprocessing.get_context("fork" if fork else "spawn")
            self.pool = ctx.Pool(self.jobs, initializer=_init_pool_worker, initargs=(self.stage, os.getpid()))
            self.out_dir.mkdir(parents=True, exist_ok=True)  # a fresh name: no stray writer can reach it
            self.parts_dir = Path(tempfile.mkdtemp(prefix=".parts-", dir=self.out_dir))
        size = max(1, min(self.CHUNK, len(heavy) // (self.jobs * 4)))
        chunks = ((str(self.parts_dir), heavy[i:i + size]) for i in range(0, len(heavy), size))
        answers = self._read_back(self.pool.imap(_apply_chunk, chunks))  # the pool starts on these now
        if len(heavy) == len(items):
            return answers
        _init_worker(self.stage)
        done = [_apply(item) if cheap else None for item, cheap in zip(items, light)]  # meanwhile, here
        return _merged(done, light, answers)

    def _read_back(self, answers: Iterable[tuple[str, list]]) -> Iterator[Result]:
        for path, results in answers:
            fh = self.files.get(path)
            if fh is None:
                fh = self.files[path] = open(path, "rb")
            for status, payload, id_, source, messages in results:
                if status == "ok":
                    offset, length = payload
                    fh.seek(offset)
                    payload = fh.read(length)
                yield status, payload, id_, source, messages

    def abort(self) -> None:
        """Stop the workers now (Ctrl-C, a full disk): close() would wait for every queued task."""
        if self.pool is not None:
            self.pool.terminate()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
        for fh in self.files.values():
            fh.close()
        if self.parts_dir is not None:
            shutil.rmtree(self.parts_dir, ignore_errors=True)


# ---------------------------------------------------------------- ranges of the upstream file
#
# With a local pool, the parent hands each worker a byte range of the upstream
# articles.jsonl (RANGE lines). The worker reads it, looks its articles up in the cache,
# processes the misses, stores them in the cache and writes its output lines to a part
# file of its own; it returns only each article's status, id, source and warnings. The
# parent appends the part files to the output in range order and keeps the books. So
# the parent neither parses, serialises, compresses nor pickles records: it stays idle
# enough for many workers, and the output is the serial run's, byte for byte.

RANGE = 64  # upstream lines per task
DASK_RANGE = 256  # upstream lines per Dask task (each costs the scheduler a round trip)


def _has_lines(path: Path, n: int) -> bool:
    with open(path, "rb") as fh:
        return sum(1 for _ in itertools.islice(fh, n)) >= n


def _line_ranges(path: Path, lines: int) -> Iterator[tuple[int, int]]:
    """Byte ranges ``[start, end)`` of ``path``, each ``lines`` whole lines (the last fewer)."""
    start = end = n = 0
    with open(path, "rb") as fh:
        for line in fh:
            end += len(line)
            n += 1
            if n == lines:
                yield start, end
                start, n = end, 0
    if end > start:
        yield start, end


def _worker_cache(path: str, version: str) -> Cache:
    key = ("cache", path, version)
    if key not in _WORKER:
        _WORKER[key] = Cache(Path(path), create=False, version=version)
    return _WORKER[key]


def _run_range(task: tuple) -> tuple[int, list]:
    """A pool task: one range of upstream lines, start to finish (see above)."""
    index, source, start, end, parts_dir, cache_path, fp_key, version = task
    lines = [line for line in _read_bytes(source, start, end).split(b"\n") if line.strip()]
    cache = _worker_cache(cache_path, version) if cache_path else None
    keys = [_cache_key(fp_key, line) for line in lines] if cache else [None] * len(lines)
    hits = cache.get_many(keys) if cache else {}
    fresh = []
    books = []
    with open(os.path.join(parts_dir, f"{index:08d}"), "wb") as part:
        for line, key in zip(lines, keys):
            cached = key in hits
            result = hits[key] if cached else _apply(line)
            if key is not None and not cached:
                fresh.append((key, result))
            status, payload, id_, source_name, messages = result
            if status == "ok":
                part.write(payload + b"\n")
                payload = None
            books.append((status, payload, id_, source_name, messages, cached))
    if cache:
        cache.put_many(fresh)
    return index, books


# ---------------------------------------------------------------- reduces over ranges of a file

REDUCE_RANGE_BYTES = 4 << 20  # the most bytes of records one task of map_ranges reads
REDUCE_MIN_RANGE_BYTES = 256 << 10  # the least, unless the file is smaller
REDUCE_SERIAL_BELOW = 4 << 20  # files smaller than this are reduced in the calling process


def reduce_range_bytes(total: int, jobs: int) -> int:
    """Bytes per range of a ``total``-byte file reduced by ``jobs`` processes: about four
    ranges a process (so that none waits long on the last), within the bounds above."""
    return min(REDUCE_RANGE_BYTES, max(REDUCE_MIN_RANGE_BYTES, -(-total // (4 * max(1, jobs)))))


def byte_ranges(path: Path, size: int) -> list[tuple[int, int]]:
    """Byte ranges ``[start, end)`` covering ``path``, each whole lines, about ``size`` bytes each."""
    total = Path(path).stat().st_size
    bounds = [0]
    with open(path, "rb") as fh:
        while total - bounds[-1] > size:
            fh.seek(bounds[-1] + size - 1)
            fh.readline()  # to the start of the next line
            bounds.append(fh.tell())
    if bounds[-1] < total:
        bounds.append(total)
    return list(zip(bounds, bounds[1:]))


def _read_bytes(path: Path | str, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(end - start)


def read_range(path: Path, start: int, end: int) -> Iterator[dict]:
    """The JSON records on the lines of ``path`` between byte offsets ``start`` and ``end``."""
    return (records.loads(line) for line in _read_bytes(path, start, end).split(b"\n") if line.strip())


_RANGE_TASK: dict = {}


def _init_range_worker(parent: int, fn: Callable, shared: Any) -> None:
    die_with_parent(parent)
    _ignore_ctrl_c()
    _RANGE_TASK["call"] = fn, shared  # inherited through fork, never pickled


def _call_range(bounds: tuple[int, int, str]) -> Any:
    fn, shared = _RANGE_TASK["call"]
    start, end, path = bounds
    return fn(Path(path), start, end, shared)


def map_ranges(fn: Callable[[Path, int, int, Any], Any], path: Path, *, jobs: int = 1, shared: Any = None,
               fine: bool = False) -> Iterator:
    """``fn(path, start, end, shared)`` for consecutive byte ranges of ``path`` (whole lines,
    at most :data:`REDUCE_RANGE_BYTES` each), results in file order: in ``jobs`` forked processes
    for a large file on Linux, else here. ``shared`` reaches the workers by fork, not pickling
    (an idf table of the whole vocabulary costs nothing to hand over). A reduce merges the
    results as they come: memory holds ``jobs`` ranges' results, not the file's.

    ``fine``: ranges of :func:`reduce_range_bytes`, about four a process, for a reduce whose
    results cost this process little to merge (lines of text, a few totals): with many
    processes none then waits long on the last range. Where the ranges fall then depends on
    ``jobs``: the reduce's merge must not (counts; text in file order)."""
    path = Path(path)
    total = path.stat().st_size
    if jobs <= 1 or total < REDUCE_SERIAL_BELOW or not sys.platform.startswith("linux"):
        for start, end in byte_ranges(path, REDUCE_RANGE_BYTES):
            yield fn(path, start, end, shared)
        return
    ranges = byte_ranges(path, reduce_range_bytes(total, jobs) if fine else REDUCE_RANGE_BYTES)
    with fork_pool(jobs, _init_range_worker, (os.getpid(), fn, shared)) as pool:
        yield from pool.imap(_call_range, [(start, end, str(path)) for start, end in ranges])


@contextlib.contextmanager
def fork_pool(jobs: int, initializer: Callable, initargs: tuple) -> Iterator:
    """A pool of ``jobs`` forked workers: closed and joined when the block ends, terminated
    (workers killed) when it raises or is abandoned."""
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=initializer, initargs=initargs)
    try:
        yield pool
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def die_with_parent(parent: int) -> None:
    """In a forked child on Linux: be killed when the parent dies (PR_SET_PDEATHSIG), so that
    a killed run leaves no process writing behind it. Best effort elsewhere."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except Exception:  # not Linux, or no prctl: the parent's pipes still end the child
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _ignore_ctrl_c() -> None:
    """In a pool worker: Ctrl-C reaches the whole process group; the parent alone answers it
    (one line, the pool terminated), rather than every worker printing a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_pool_worker(stage: ArticleStage, parent: int) -> None:
    die_with_parent(parent)
    _ignore_ctrl_c()
    _init_worker(stage)


def _run_range_on_worker(stage: ArticleStage, task: tuple) -> tuple[int, list]:
    """A Dask task: :func:`_run_range`, the stage's resources loaded once per worker process."""
    _init_worker(stage)
    return _run_range(task)


def workers_see(client: Any, path: Path) -> bool:
    """Whether every worker of the Dask cluster sees ``path`` (a file system they share with
    this process: always so on a local cluster)."""
    seen = client.run(os.path.exists, str(Path(path).resolve()))
    return bool(seen) and all(seen.values())


def _range_results(stage: ArticleStage, tasks: Iterable[tuple], *, jobs: int, client: Any) -> Iterator[tuple[int, list]]:
    """:func:`_run_range` of each task, in task order: on the Dask cluster, or in ``jobs`` forked workers."""
    if client is not None:
        futures = client.map(functools.partial(_run_range_on_worker, stage), list(tasks), pure=False)
        for future in futures:
            yield future.result()
            future.release()
        return
    _init_before_fork(stage)  # once here; the forked workers share it copy-on-write
    with fork_pool(jobs, _init_pool_worker, (stage, os.getpid())) as pool:
        yield from pool.imap(_run_range, tasks)


def _run_ranges(stage: ArticleStage, source: Path, out_dir: Path, *, jobs: int, fp_key: str,
                cache_path: Path | None, version: str, account: Callable[[Result], bool], counts: dict,
                client: Any = None) -> str:
    """Returns the output's SHA-256, taken as the parts are appended (while the workers still
    work, rather than by reading the whole file again at the end)."""
    parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=out_dir)).resolve()  # a fresh name: no stray writer can reach it
    digest = hashlib.sha256()
    try:
        tasks = ((i, str(Path(source).resolve()), a, b, str(parts), str(Path(cache_path).resolve()) if cache_path else None,
                  fp_key, version)
                 for i, (a, b) in enumerate(_line_ranges(source, RANGE if client is None else DASK_RANGE)))
        with records.atomic_open(out_dir / ARTICLES, "wb") as out:
            for index, books in _range_results(stage, tasks, jobs=jobs, client=client):
                for status, payload, id_, source_name, messages, cached in books:
                    counts["input"] += 1
                    counts["cached"] += cached
                    account((status, payload, id_, source_name, messages))
                part = parts / f"{index:08d}"
                with open(part, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                part.unlink()
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return digest.hexdigest()


# ---------------------------------------------------------------- running


OWNED = ".zh-framing"  # in every folder the pipeline made: the folders it may empty


def owns(folder: Path) -> bool:
    """Whether the pipeline wrote ``folder``: its mark, or (a folder from before the marks) a
    manifest naming it."""
    if (folder / OWNED).is_file():
        return True
    try:
        return records.read_json(folder / MANIFEST).get("folder") == folder.name
    except (OSError, ValueError, AttributeError):
        return False


def _start_folder(out_dir: Path) -> None:
    """Drop the manifest first, then the rest: an interrupted stage never looks done.

    Only a folder the pipeline made is emptied: one holding files it did not write stops the
    run, with the files left as they are."""
    if out_dir.is_dir() and not owns(out_dir) and any(out_dir.iterdir()):
        raise StageError(f"{out_dir} holds files the pipeline did not write: move them away, or choose "
                         "another --output (--force never empties a folder the pipeline did not make)")
    if out_dir.exists() and not out_dir.is_dir():
        raise StageError(f"{out_dir} is a file, not a folder: move it away, or choose another --output")
    manifest = out_dir / MANIFEST
    if manifest.exists():
        manifest.unlink()
    if out_dir.exists():
        for child in out_dir.iterdir():
            if child.name == OWNED:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    if not (out_dir / OWNED).is_file():  # written in place: a run killed here leaves a mark, or nothing
        (out_dir / OWNED).write_text("Written by the zh-framing pipeline, which empties this folder on each run "
                                     "of its stage.\n", encoding="utf-8")


def stale(out_root: Path, folder: str) -> str | None:
    """Why ``folder``'s output no longer follows from the outputs it was built from (an earlier
    stage run again alone since), or None: each manifest records its upstreams' manifest hashes."""
    seen = set()
    todo = [folder]
    while todo:
        current = todo.pop()
        try:
            manifest = records.read_json(Path(out_root) / current / MANIFEST)
        except (OSError, ValueError):
            return f"{current} is missing or unfinished"
        inputs = manifest.get("input")
        for up in (inputs if isinstance(inputs, list) else [inputs]):
            if not isinstance(up, dict) or "folder" not in up:
                continue
            path = Path(out_root) / up["folder"] / MANIFEST
            if not path.exists():
                return f"{current} was built from a {up['folder']} that is now missing or unfinished"
            if records.sha256_file(path) != up.get("manifest_sha256"):
                return f"{current} was built from an earlier run of {up['folder']}"
            if up["folder"] not in seen:
                seen.add(up["folder"])
                todo.append(up["folder"])
    return None


def upstream_input(out_root: Path, folder: str) -> dict:
    """The upstream's manifest hash, once its outputs are known to be there and current: checked
    before this stage touches its own folder."""
    manifest = out_root / folder / MANIFEST
    if not manifest.exists():
        raise StageError(f"{folder} is missing or unfinished in {out_root}: run the earlier stages first")
    outputs = records.read_json(manifest).get("outputs") or {}
    if missing := [name for name in outputs if not (out_root / folder / name).is_file()]:
        raise StageError(f"{folder}/{missing[0]} is missing in {out_root}: run the earlier stages again "
                         "(or `python -m pipeline run`)")
    if reason := stale(out_root, folder):
        raise StageError(f"{folder} is stale in {out_root} ({reason}): run the stages after it in order, "
                         "or `python -m pipeline run`")
    return {"folder": folder, "manifest_sha256": records.sha256_file(manifest)}


def run_article_stage(
    stage: ArticleStage,
    out_root: Path,
    *,
    items: Iterable[str | dict | Skipped] | None = None,
    inputs: Mapping | None = None,
    jobs: int = 1,
    use_cache: bool = True,
    progress: bool | None = None,
    warn: Callable[[str], None] | None = None,
    client: Any = None,
    defer_finish: bool = False,
) -> dict | Callable[[], dict]:
    """Run a per-article stage; returns its manifest.

    ``items`` defaults to the upstream stage's records, as JSON lines; ingest passes
    dicts. ``inputs`` describes them for the manifest (ingest passes the input files' hashes).
    With ``defer_finish``, the per-article work is done and the rest (the stage's
    ``finish``, then the manifest) is returned as a function to call, e.g. in another
    process beside the next stage.
    """
    out_root = Path(out_root)
    out_dir = out_root / stage.folder
    source = None
    if items is None:
        inputs = upstream_input(out_root, stage.upstream)
        source = out_root / stage.upstream / ARTICLES
        items = records.read_byte_lines(source)
    fp = fingerprint(stage)
    fp_key = records.dumps(fp)
    cache_path = out_root / CACHE_DIR / f"{stage.name}.sqlite" if use_cache else None
    # Upstream records in a file and cores to use: workers read their ranges of it, look up
    # the cache and write their lines themselves; the parent only keeps the books.
    # On a Dask cluster whose workers share the output folder's file system, the same: the
    # records never travel through the scheduler, and this process never holds their text.
    ranged = source is not None and (
        (client is None and jobs > 1 and sys.platform.startswith("linux") and _has_lines(source, SERIAL_BELOW))
        or (client is not None and workers_see(client, source)))
    version = hashlib.sha256(fp_key.encode("utf-8")).hexdigest()[:16]
    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    cache = Cache(cache_path, version=version, warn=warn)  # set up here, before any worker opens the file
    said = [0]

    def say(message: str) -> None:
        """The first MAX_WARNINGS messages in full, then one line: the manifest has them all."""
        said[0] += 1
        if said[0] <= MAX_WARNINGS:
            warn(message)
        elif said[0] == MAX_WARNINGS + 1:
            warn(f"{stage.name}: more warnings and skips follow; all are listed in {stage.folder}/{MANIFEST}")

    _start_folder(out_dir)
    skipped: list[dict] = []
    warnings: list[dict] = []
    counts = {"input": 0, "done": 0, "skipped": 0, "cached": 0}
    executor = (_DaskExecutor(stage, client) if client is not None
                else _Executor(stage, max(1, jobs), out_dir))
    bar = _progress(stage.name, progress)

    def submit(batch: list) -> tuple[list, list, Iterator[Result]]:
        """Look a batch up in the cache and hand its misses to the executor (whose workers start on them)."""
        keys = [None if isinstance(item, Skipped) or not use_cache else _cache_key(fp_key, item)
                for item in batch]
        hits = cache.get_many([k for k in keys if k is not None])
        slots: list[Any] = []
        misses: list[tuple[int, str | None]] = []
        heavy = []
        for item, key in zip(batch, keys):
            counts["input"] += 1
            if isinstance(item, Skipped):
                slots.append(("skip", item.reason, item.id, item.source, []))
            elif key in hits:
                counts["cached"] += 1
                slots.append(hits[key])
            else:
                misses.append((len(slots), key))
                heavy.append(item)
                slots.append(None)
        return slots, misses, executor.map(heavy)

    def collect(slots: list, misses: list, answers: Iterator[Result]) -> Iterator[bytes]:
        fresh = []
        for (pos, key), result in zip(misses, answers):
            fresh.append((key, result))
            slots[pos] = result
        cache.put_many(fresh)
        for result in slots:
            if account(result):
                yield result[1]

    def results() -> Iterator[bytes]:
        """Output lines in input order. The next batch is read and handed out before this
        one's results are collected, so the workers never wait while this process reads."""
        it = iter(items)
        pending = None
        while batch := list(itertools.islice(it, BATCH)):
            submitted = submit(batch)
            if pending is not None:
                yield from collect(*pending)
            pending = submitted
        if pending is not None:
            yield from collect(*pending)

    def account(result: Result) -> bool:
        """Counts, skips and warnings of one article's result; True when it has an output line."""
        status, payload, id_, source, messages = result
        bar.update(1)
        if status == "skip":
            counts["skipped"] += 1
            skipped.append({"id": id_, "source": source, "reason": payload})
            say(f"{source}: skipped: {payload}")
            return False
        counts["done"] += 1
        for message in messages:
            warnings.append({"id": id_, "source": source, "warning": message})
            say(f"{source}: {message}")
        return True

    try:
        if ranged:
            known = _run_ranges(stage, source, out_dir, jobs=jobs, fp_key=fp_key, cache_path=cache_path,
                                version=version, account=account, counts=counts, client=client)
        else:
            digest = hashlib.sha256()
            records.write_lines(out_dir / ARTICLES, results(), digest=digest)
            known = digest.hexdigest()
        cache.prune()  # all done: older versions' results can go
    except BaseException:
        executor.abort()
        raise
    finally:
        executor.close()
        cache.close()
        bar.close()
    def complete() -> dict:
        extra = dict(stage.finish(out_dir, stage.params, jobs=jobs) or {}) if stage.finish is not None else {}
        manifest = {
            "stage": stage.name,
            "folder": stage.folder,
            "input": inputs or {},
            **fp,
            **({"story": stage.story} if stage.story else {}),
            "counts": {**counts, "warnings": len(warnings)},
            "skipped": skipped,
            "warnings": warnings,
            **extra,
            "outputs": _output_hashes(out_dir, {ARTICLES: known}),  # finish writes beside articles.jsonl, never to it
        }
        cached = manifest["counts"].pop("cached")  # depends on cache state, not on the input: not written
        records.write_json(out_dir / MANIFEST, manifest)
        return {**manifest, "cache_hits": cached}

    if not defer_finish:
        return complete()
    complete.cache_hits = counts["cached"]  # type: ignore[attr-defined]
    return complete


def _output_hashes(out_dir: Path, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of each output file in ``out_dir`` (``known``: those already taken, by name)."""
    known = known or {}
    out = {}
    for p in sorted(out_dir.rglob("*")):
        if p.is_file() and p.name != MANIFEST and not p.name.startswith("."):
            name = p.relative_to(out_dir).as_posix()
            out[name] = known.get(name) or records.sha256_file(p)
    return out


def prepare_corpus_stage(stage: CorpusStage, out_root: Path) -> object:
    """``stage.prepare`` on the stage's upstream folders (see :class:`CorpusStage`)."""
    return stage.prepare({folder: Path(out_root) / folder for folder in stage.upstreams}, stage.params)


_UNPREPARED = object()


def run_corpus_stage(stage: CorpusStage, out_root: Path, *, jobs: int = 1, prepared: object = _UNPREPARED) -> dict:
    out_root = Path(out_root)
    out_dir = out_root / stage.folder
    inputs = [upstream_input(out_root, folder) for folder in stage.upstreams]
    _start_folder(out_dir)
    kwargs: dict = {"jobs": jobs} if stage.uses_jobs else {}
    if stage.prepare is not None:
        kwargs["prepared"] = prepare_corpus_stage(stage, out_root) if prepared is _UNPREPARED else prepared
    extra = stage.run({folder: out_root / folder for folder in stage.upstreams}, out_dir, stage.params,
                      **kwargs) or {}
    manifest = {"stage": stage.name, "folder": stage.folder, "input": inputs, **fingerprint(stage),
                **({"story": stage.story} if stage.story else {}), **extra,
                "outputs": _output_hashes(out_dir)}
    records.write_json(out_dir / MANIFEST, manifest)
    return manifest


# ---------------------------------------------------------------- cache


class Cache:
    """Per-article results keyed by content: one SQLite file per stage.

    SQLite gives atomic batches for free: a run killed mid-batch loses that batch's
    entries, never leaves a torn one. A value is zstd-compressed: a JSON header
    ``[status, reason or null, id, source, warnings]``, a newline, then the output line
    as it is (not escaped into the header). zstd at level 1 compresses a segment record
    3 times faster than zlib at level 1, to the same size.

    Each entry carries the stage's ``version`` (a hash of its fingerprint: parameters,
    resources, code, libraries). After a stage has finished, :meth:`prune` drops the
    entries of every other version, which no run of this code can hit: the file holds one
    version of each article's result, and does not grow with every edit of a lexicon.
    """

    TABLE = "results_v3"  # the row format; tables of older formats are dropped
    OLD_TABLES = ("results", "results_v2")

    def __init__(self, path: Path | None, *, create: bool = True, version: str = "",
                 warn: Callable[[str], None] | None = None):
        """``create``: set the file up (WAL mode, the table). The pool's workers open a file
        their parent has set up (``create=False``): switching the journal mode does not wait
        for other connections' locks, and several workers share one file.

        A damaged file (truncated, overwritten) is moved aside with a warning and the cache
        starts empty; damage found later (a page read mid-run) turns the cache off for the rest
        of the run and moves the file aside. The results are recomputed, never wrong."""
        self.db = None
        self.version = version
        self.path, self.create = path, create
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
        if path is not None:
            import sqlite3

            import zstandard

            self.pack = zstandard.ZstdCompressor(level=1).compress
            self.unpack = zstandard.ZstdDecompressor().decompress
            self.error = zstandard.ZstdError
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._open(path, create)
            except sqlite3.DatabaseError as exc:
                self._damaged(exc)
                if create:
                    self._open(path, create)

    def _open(self, path: Path, create: bool) -> None:
        import sqlite3

        self.db = sqlite3.connect(path, timeout=120)
        if create:
            self.db.execute("PRAGMA journal_mode=WAL")
            for old in self.OLD_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {old}")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} "
                            "(key TEXT PRIMARY KEY, version TEXT, value BLOB)")
        self.db.execute("PRAGMA synchronous=NORMAL")

    def _damaged(self, exc: Exception) -> None:
        """Close the damaged file and move it (and its WAL) aside, so the next run starts afresh."""
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.close()
        self.db = None
        if not self.create:  # a pool worker goes on without the cache; its parent moves the file
            return
        path = Path(self.path)
        aside = path.with_name(f"{path.name}.damaged-{os.getpid()}")
        with contextlib.suppress(OSError):
            if path.exists():
                os.replace(path, aside)
            for extra in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{path}{extra}", f"{aside}{extra}")
            self.warn(f"cache file {path} is damaged ({exc}): moved to {aside.name}; rebuilding it "
                      "(its articles are recomputed)")

    @staticmethod
    def encode(result: Result) -> bytes:
        status, payload, id_, source, messages = result
        if status == "ok":
            return records.dumps([status, None, id_, source, messages]).encode() + b"\n" + payload
        return records.dumps([status, payload, id_, source, messages]).encode() + b"\n"

    @staticmethod
    def decode(data: bytes) -> Result:
        head, _, line = data.partition(b"\n")
        status, reason, id_, source, messages = records.loads(head)
        return status, line if status == "ok" else reason, id_, source, messages

    def get_many(self, keys: list[str]) -> dict[str, Result]:
        if self.db is None or not keys:
            return {}
        import sqlite3

        out = {}
        try:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                rows = self.db.execute(f"SELECT key, value FROM {self.TABLE} WHERE key IN ({','.join('?' * len(part))})",
                                       part).fetchall()
                for key, value in rows:
                    try:
                        out[key] = self.decode(self.unpack(value))
                    except (self.error, ValueError):  # a damaged entry is a miss
                        continue
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)
            return {}
        return out

    def put_many(self, entries: list[tuple[str | None, Result]]) -> None:
        if self.db is None or not entries:
            return
        import sqlite3

        rows = [(key, self.version, self.pack(self.encode(result))) for key, result in entries if key is not None]
        # IMMEDIATE: take the write lock up front, waiting (timeout) for another worker's
        # batch to finish, rather than failing on a lock upgrade half-way.
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(f"INSERT OR REPLACE INTO {self.TABLE} VALUES (?, ?, ?)", rows)
            except BaseException:
                self.db.rollback()
                raise
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            self._damaged(exc)

    def prune(self) -> int:
        """Drop the entries of other versions; returns how many went."""
        if self.db is None:
            return 0
        import sqlite3

        try:
            with self.db:
                return self.db.execute(f"DELETE FROM {self.TABLE} WHERE version != ?", (self.version,)).rowcount
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            self._damaged(exc)
            return 0

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


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
