"""The large tables also as Parquet, for researchers who read them with Arrow, R or DuckDB.

After a run, the tables that grow with the corpus (per sentence, per match, per attribution,
per article) are written to ``tables/<name>.parquet`` exactly as :func:`pipeline.load` returns
them (group labels and datetimes included), and ``tables/manifest.json`` last. The manifest
records the hash of every stage manifest and of ``story.json`` they were made from:
:func:`read` gives a table back only while those are unchanged (a stage run again alone since
makes the copies stale, and ``pipeline.load`` reads the stage's CSV/JSON Lines as before).

The files are deterministic: the same tables give the same bytes (zstd level 3, no timestamps;
pyarrow's ``created_by`` and pandas' metadata name only the library versions).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from . import records, stages
from .config import ARTICLES, MANIFEST
from .runner import OWNED, executors

FOLDER = "tables"
# Tables that grow with the corpus: one row per sentence, match, attribution, claim, removed line,
# article × keyword or article × frame, and the one-row-per-article join. The token table
# (``segment``, ~25 rows a sentence) and ``term_counts`` stay JSON Lines, built when loaded:
# as Parquet every run would hold the whole token table in memory at its end.
LARGE = ("articles", "sentences", "normalized_sentences", "removed", "keywords", "frames_by_article",
         "frame_matches", "attributions", "claims")
PARALLEL_MIN_BYTES = 16 << 20  # of the stages' records (about 500 articles): smaller runs stay in one process
WRITE_OPTIONS = {"compression": "zstd", "compression_level": 3, "use_dictionary": True,
                 "write_statistics": True, "row_group_size": 1 << 20}


def _key(out_root: Path) -> dict[str, str]:
    """What the tables are made from: every finished stage folder's manifest hash, and story.json's."""
    out_root = Path(out_root)
    key = {}
    for name in stages.available():
        folder = stages.module(name).STAGE.folder
        if (out_root / folder / MANIFEST).is_file():
            key[folder] = records.sha256_file(out_root / folder / MANIFEST)
    if (out_root / "story.json").is_file():
        key["story.json"] = records.sha256_file(out_root / "story.json")
    return key


def to_bytes(frame) -> bytes:
    """One DataFrame as Parquet bytes, the same bytes for the same frame."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf, **WRITE_OPTIONS)
    return buf.getvalue()


def _write_one(shared: tuple, name: str) -> tuple[str, int, str] | None:
    """One table loaded and written (a task on the executors); None when it cannot be loaded."""
    load, out_root, folder = shared
    try:
        frame = load(name, out_root)
    except (KeyError, FileNotFoundError, RuntimeError):
        return None  # a stage that did not run (a partial run), or stale: no copy of its table
    data = to_bytes(frame)
    records.write_bytes(folder / f"{name}.parquet", data)
    return name, len(frame), records.sha256_bytes(data)


def write(out_root: Path, load: Callable, *, names: Iterable[str] = LARGE,
          warn: Callable[[str], None] = lambda m: None, jobs: int = 1) -> list[str]:
    """Write ``tables/<name>.parquet`` for each of ``names`` that ``load(name, out_root)`` can give;
    returns the names written. A ``tables`` folder the pipeline did not make is left alone
    (with a warning); each file is written atomically, the manifest last. Each table is a task
    on the executors: with ``jobs`` > 1, up to ``jobs`` tables are loaded and written at once
    (``load`` must be a module-level function where workers are spawned)."""
    out_root = Path(out_root)
    folder = out_root / FOLDER
    if folder.exists() and not (folder / OWNED).is_file():
        warn(f"{folder} was not made by the pipeline: the Parquet tables are not written there")
        return []
    folder.mkdir(exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # unfinished until the manifest is back
    (folder / OWNED).write_text("Written by the zh-framing pipeline: Parquet copies of the large tables, "
                                "replaced on each run.\n", encoding="utf-8")
    key = _key(out_root)
    names = list(names)
    size = sum(path.stat().st_size for path in out_root.glob(f"*/{ARTICLES}"))
    workers = min(jobs, len(names)) if size >= PARALLEL_MIN_BYTES else 1
    written = {}
    for done in executors.local(workers).map(_write_one, (load, out_root, folder), names):
        if done is not None:
            written[done[0]] = done[1:]
    for old in folder.glob("*.parquet"):
        if old.stem not in written:
            old.unlink()
    # as a stage's manifest: the files with their hashes, what they were made from, the versions
    import pyarrow

    records.write_json(folder / MANIFEST, {
        "folder": FOLDER, "made_from": key, "libraries": {"pyarrow": pyarrow.__version__},
        "outputs": {f"{n}.parquet": digest for n, (_, digest) in written.items()},
        "rows": {n: rows for n, (rows, _) in written.items()}})
    return sorted(written)


def read(name: str, out_root: Path):
    """The Parquet copy of table ``name`` as a DataFrame, or None when there is none or it no
    longer matches the stage outputs it was made from."""
    folder = Path(out_root) / FOLDER
    path = folder / f"{name}.parquet"
    if not path.is_file():
        return None
    try:
        manifest = records.read_json(folder / MANIFEST)
    except (OSError, ValueError):
        return None
    if f"{name}.parquet" not in manifest.get("outputs", {}) or manifest.get("made_from") != _key(out_root):
        return None
    import pandas as pd

    return pd.read_parquet(path)
