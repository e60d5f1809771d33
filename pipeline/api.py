"""The public API for notebooks and scripts."""
from __future__ import annotations

from pathlib import Path

from . import stages
from .config import MANIFEST, OUTPUTS


class StaleOutput(RuntimeError):
    """A stage's output built from an earlier output of a stage before it (that stage was run
    again alone since): loading it would mix two inputs."""


def load(stage: str, output_dir: str | Path = OUTPUTS):
    """One stage's output as a pandas DataFrame.

    ``stage`` is a stage name (``"ingest"``, ``"strip"``, ``"normalize"``, ``"segment"``,
    ``"sentiment"``, ...), one of the extra tables (``"keywords"``, ``"distinctive"``,
    ``"sentences"``, ``"frames"``), or ``"articles"`` (one row per article, every stage's
    per-article results joined); the README lists each table's columns.
    """
    if stage == "articles":  # one row per article, joined across the stages
        from .explore import articles_table

        return articles_table(output_dir)
    available = stages.tables()
    if stage not in available:
        raise KeyError(f"no table {stage!r}; available: {', '.join(sorted([*available, 'articles']))}")
    folder, loader = available[stage]
    stage_dir = Path(output_dir) / folder
    if not (stage_dir / MANIFEST).exists():
        raise FileNotFoundError(f"{stage_dir} is missing or unfinished: run `make pipeline` "
                                f"or `python -m pipeline run --output {output_dir}` first")
    from .runner import stale

    if reason := stale(Path(output_dir), folder):
        raise StaleOutput(f"{stage_dir} is stale: {reason}; run the stages after it again "
                          f"(or `python -m pipeline run --output {output_dir}`)")
    return loader(stage_dir)


def kwic(term: str, output_dir: str | Path = OUTPUTS, *, window: int = 20, limit: int | None = None):
    """Keyword in context (see :func:`pipeline.explore.kwic`): id, group, sentence, left, match, right, start, end."""
    from .explore import kwic as _kwic

    return _kwic(term, output_dir, window=window, limit=limit)
