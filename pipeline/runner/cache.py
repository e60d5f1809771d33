"""Per-article results keyed by content: one SQLite file per stage, looked up and filled by
whichever process works on the article (the parent when serial, each worker otherwise)."""
from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
from pathlib import Path
from typing import Callable

from .. import records
from .results import Result

FOLDER = ".cache"  # in the output folder: <out>/.cache/<stage>.sqlite


def key(stage_key: str, item: bytes) -> str:
    """Content key of one input line of a stage (an upstream record, or an ingest item)."""
    return hashlib.sha256(stage_key.encode("utf-8") + b"\n" + item).hexdigest()


class Cache:
    """SQLite gives atomic batches for free: a run killed mid-batch loses that batch's entries,
    never leaves a torn one. A value is zstd-compressed: a JSON header ``[reason or null, id,
    source, warnings]``, a newline, then the output line as it is. zstd at level 1 compresses a
    segment record 3 times faster than zlib at level 1, to the same size.

    Each entry carries the stage's ``version`` (a hash of its fingerprint). After a stage has
    finished, :meth:`prune` drops every other version's entries, which no run of this code can
    hit: the file holds one result per article and does not grow with every edit of a lexicon.

    A damaged file is moved aside with a warning and the cache starts empty; damage found
    mid-run turns the cache off for the rest of the run. Results are recomputed, never wrong.
    """

    TABLE = "results_v4"  # the row format; tables of older formats are dropped
    OLD_TABLES = ("results", "results_v2", "results_v3")

    def __init__(self, path: Path | None, *, create: bool = True, version: str = "",
                 warn: Callable[[str], None] | None = None):
        """``create``: set the file up (WAL mode, the table). Workers open a file their parent
        has set up (``create=False``): several share it, and none moves it aside."""
        self.db = None
        self.version = version
        self.path, self.create = path, create
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
        if path is None:
            return
        import zstandard

        self.pack = zstandard.ZstdCompressor(level=1).compress
        self.unpack = zstandard.ZstdDecompressor().decompress
        self.error = zstandard.ZstdError
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)
            if create:
                self._open()

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, timeout=120)
        if self.create:
            self.db.execute("PRAGMA journal_mode=WAL")
            for old in self.OLD_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {old}")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (key TEXT PRIMARY KEY, version TEXT, value BLOB)")
        self.db.execute("PRAGMA synchronous=NORMAL")

    def _damaged(self, exc: Exception) -> None:
        """Stop using the file; the process that set it up moves it (and its WAL) aside."""
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.close()
        self.db = None
        if not self.create:
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
        head = records.dumps([result.reason, result.id, result.source, list(result.warnings)]).encode()
        return head + b"\n" + (result.line or b"")

    @staticmethod
    def decode(data: bytes) -> Result:
        head, _, line = data.partition(b"\n")
        reason, id_, source, warnings = records.loads(head)
        return Result(id_, source, reason, tuple(warnings), None if reason is not None else line)

    def get_many(self, keys: list[str]) -> dict[str, Result]:
        if self.db is None or not keys:
            return {}
        out = {}
        try:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                rows = self.db.execute(f"SELECT key, value FROM {self.TABLE} WHERE key IN ({','.join('?' * len(part))})",
                                       part).fetchall()
                for key_, value in rows:
                    with contextlib.suppress(self.error, ValueError, TypeError):  # a damaged entry is a miss
                        out[key_] = self.decode(self.unpack(value))
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)
            return {}
        return out

    def put_many(self, entries: list[tuple[str, Result]]) -> None:
        if self.db is None or not entries:
            return
        rows = [(key_, self.version, self.pack(self.encode(result))) for key_, result in entries]
        try:
            # IMMEDIATE: take the write lock up front, waiting (timeout) for another worker's
            # batch to finish, rather than failing on a lock upgrade half-way.
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
