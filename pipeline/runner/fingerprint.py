"""A stage's fingerprint: everything besides its input that determines its output."""
from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import re
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


def _module_file(base: Path, parts: list[str]) -> Path | None:
    """The file of module ``parts`` below folder ``base``: a module's .py or a package's __init__.py."""
    path = base.joinpath(*parts)
    for candidate in (path.with_name(path.name + ".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# A relative import at the start of a line (inside a function too): its dots, module and names (parenthesised
# names may run over several lines). Read as text, not parsed: a few milliseconds for the whole package.
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.M)


def _relative_imports(path: Path) -> list[Path]:
    """The files of the modules that ``path`` imports relatively (``from . import a``, ``from .a import b``,
    ``from .. import c``), wherever in the file."""
    out = []
    for dots, module, names in _RELATIVE_IMPORT.findall(path.read_text(encoding="utf-8")):
        base = path.parent
        for _ in range(len(dots) - 1):
            base = base.parent
        parts = module.split(".") if module else []
        found = _module_file(base, parts) if parts else None
        if found is not None:
            out.append(found)
        for item in names.strip("()").split(","):  # ``from .a import b as c``: b may be a module of package a
            name = item.split()[0] if item.split() else ""
            sub = _module_file(base, [*parts, name]) if name.isidentifier() else None
            if sub is not None:
                out.append(sub)
    return out


def code_closure(paths: Iterable[Path]) -> list[Path]:
    """``paths`` and every module of the package they import, directly or through one another: a change
    to any of them can change what the stage writes (a stage that lists only its own module would
    otherwise keep a cache made by an older model or helper)."""
    seen: dict[Path, None] = {}
    todo = [Path(p).resolve() for p in paths]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        if path.suffix == ".py":
            todo.extend(p.resolve() for p in _relative_imports(path))
    return sorted(seen)


def fingerprint(stage: ArticleStage | CorpusStage) -> dict:
    """Params (but those starting with ``_``: paths, whose files' hashes are in ``resources``, or
    settings of the reduce alone), resources, code (the stage's files, the runner's, and every module
    of the package they import) and library versions."""
    return {
        "params": {k: v for k, v in stage.params.items() if not k.startswith("_")},
        "resources": _file_hashes(stage.resource_files),
        "code": _file_hashes(code_closure((*stage.code_files, *_CORE_FILES))),
        "versions": library_versions(stage.libraries),
    }


def version(fp: dict) -> str:
    """The short hash of a fingerprint that the cache keeps with each entry."""
    return hashlib.sha256(records.dumps(fp).encode("utf-8")).hexdigest()[:16]
