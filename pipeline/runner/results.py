"""What a worker answers for one article: a :class:`Result`, written or skipped."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Result:
    """One article's outcome: skipped, with the ``reason``, or written, with its ``warnings``
    and its output record as one JSON line (``line``, UTF-8 bytes without the newline; None
    once the line has gone to a part file and only the books travel back)."""

    id: str
    source: str
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    line: bytes | None = None

    @property
    def skipped(self) -> bool:
        return self.reason is not None

    def books(self) -> "Result":
        """The outcome without its output line."""
        return dataclasses.replace(self, line=None)
