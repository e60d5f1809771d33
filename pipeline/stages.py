"""The stages in order, and the tables each one offers to :func:`pipeline.load`.

Each stage module defines ``STAGE`` (an ArticleStage or CorpusStage) and may define
``TABLES``: a mapping from table name to ``fn(stage_dir: Path) -> DataFrame``.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# Module names in run order. plots and report write figures/ and report.html.
ORDER = ("ingest", "strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing", "plots", "report")


def module(name: str) -> ModuleType:
    if name not in ORDER:
        raise KeyError(f"unknown stage {name!r}; stages are: {', '.join(ORDER)}")
    return importlib.import_module(f"pipeline.{name}")


def available() -> list[str]:
    """Stages whose module exists (all of them once the pipeline is complete)."""
    out = []
    for name in ORDER:
        try:
            module(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"pipeline.{name}":
                raise
            continue
        out.append(name)
    return out


def tables() -> dict[str, tuple[str, object]]:
    """table name -> (stage folder, loader)."""
    out = {}
    for name in available():
        mod = module(name)
        for table, loader in getattr(mod, "TABLES", {}).items():
            out[table] = (mod.STAGE.folder, loader)
    return out
