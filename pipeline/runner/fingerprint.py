"""A stage's fingerprint: everything besides its input that determines its output."""
from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from pathlib import Path
from typing import Iterable

from .. import records
from .contract import ArticleStage, CorpusStage

_CORE_FILES = (*sorted(Path(__file__).parent.glob("*.py")), Path(records.__file__))


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
    package's; the runner's __init__.py) is told apart by the folder it is in."""
    paths = sorted(paths, key=lambda p: (Path(p).name, str(p)))
    names = [Path(p).name for p in paths]
    return {(name if names.count(name) == 1 else f"{Path(p).parent.name}/{name}"): records.sha256_file(p)
            for name, p in zip(names, paths)}


def fingerprint(stage: ArticleStage | CorpusStage) -> dict:
    """Params (but those starting with ``_``: paths, whose files' hashes are in ``resources``, or
    settings of the reduce alone), resources, code and library versions."""
    return {
        "params": {k: v for k, v in stage.params.items() if not k.startswith("_")},
        "resources": _file_hashes(stage.resource_files),
        "code": _file_hashes((*stage.code_files, *_CORE_FILES)),
        "versions": library_versions(stage.libraries),
    }


def version(fp: dict) -> str:
    """The short hash of a fingerprint that the cache keeps with each entry."""
    return hashlib.sha256(records.dumps(fp).encode("utf-8")).hexdigest()[:16]
