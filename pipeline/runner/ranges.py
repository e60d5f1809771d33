"""Byte ranges of a JSON Lines file, each whole lines: the unit of work handed to a worker."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .. import records

ARTICLE_LINES = 64        # upstream lines per task of a per-article stage on a local pool
DASK_ARTICLE_LINES = 256  # per Dask task (each costs the scheduler a round trip)
REDUCE_RANGE_BYTES = 4 << 20  # the most bytes of records one task of a reduce reads
REDUCE_MIN_RANGE_BYTES = 256 << 10  # the least, unless the file is smaller
REDUCE_SERIAL_BELOW = 4 << 20  # files smaller than this are reduced in the calling process


def line_ranges(path: Path, lines: int) -> Iterator[tuple[int, int]]:
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


def reduce_range_bytes(total: int, jobs: int) -> int:
    """Bytes per range of a ``total``-byte file reduced by ``jobs`` processes: about four
    ranges a process (so that none waits long on the last), within the bounds above."""
    return min(REDUCE_RANGE_BYTES, max(REDUCE_MIN_RANGE_BYTES, -(-total // (4 * max(1, jobs)))))


def read_lines(path: Path | str, start: int, end: int) -> list[bytes]:
    """The non-blank lines of ``path`` between byte offsets ``start`` and ``end``, without newlines."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return [line for line in data.split(b"\n") if line.strip()]


def read_range(path: Path, start: int, end: int) -> Iterator[dict]:
    """The JSON records on the lines of ``path`` between byte offsets ``start`` and ``end``."""
    return (records.loads(line) for line in read_lines(path, start, end))
