"""The output folders: which the pipeline may empty, which are finished and current."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Mapping

from .. import records
from ..config import MANIFEST
from .contract import StageError

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


def start_folder(out_dir: Path) -> None:
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


def output_hashes(out_dir: Path, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of each output file in ``out_dir`` (``known``: those already taken, by name)."""
    known = known or {}
    out = {}
    for p in sorted(out_dir.rglob("*")):
        if p.is_file() and p.name != MANIFEST and not p.name.startswith("."):
            name = p.relative_to(out_dir).as_posix()
            out[name] = known.get(name) or records.sha256_file(p)
    return out
