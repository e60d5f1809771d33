"""The output folder: whose it is, who is writing it, and whether it is up to date.

The pipeline empties only folders it made (each holds a mark, :data:`runner.OWNED`); it writes
into a folder only when the folder is new, empty or its own, or, with ``--force``, beside what
is there. One run at a time holds a folder (an ``flock`` on ``.zh-framing.lock``). ``run.json``
keeps hashes of the input, the code and each stage's manifest: :func:`up_to_date` (``make pipeline``
calls :func:`main`) compares them with what is there now, by content, not by file times.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
from pathlib import Path
from typing import Iterator

from . import records
from .config import MANIFEST, PACKAGE, ROOT
from .runner import OWNED, StageError

LOCK = ".zh-framing.lock"
RUN = "run.json"
TOP_FILES = (RUN, "report.html", "story.json")  # what the pipeline writes at the top of the output folder


def check(out_root: Path, *, input_path: Path | None = None, force: bool = False) -> None:
    """Raise StageError, touching nothing, when the pipeline must not write to ``out_root``."""
    out_root = Path(out_root)
    if str(out_root) == "":
        raise StageError("the output folder is an empty path: name a folder (e.g. --output outputs)")
    if out_root.exists() and not out_root.is_dir():
        raise StageError(f"output {out_root} is a file, not a folder: choose a folder for --output")
    if input_path is not None:
        inside(out_root, input_path)
    if not out_root.is_dir() or owns(out_root):
        return
    theirs = sorted(p.name for p in out_root.iterdir() if p.name not in (OWNED, LOCK))
    if theirs and not force:
        raise StageError(f"{out_root} is not empty and the pipeline did not write it (it holds "
                         f"{', '.join(theirs[:3])}{' …' if len(theirs) > 3 else ''}): choose a new or empty folder, "
                         "or pass --force to write the pipeline's folders beside what is there")
    if clash := [name for name in TOP_FILES if (out_root / name).exists()]:
        raise StageError(f"{out_root / clash[0]} was not written by the pipeline, which would replace it: "
                         "move it away or choose another --output")


def inside(out_root: Path, input_path: Path) -> None:
    """Refuse an output folder equal to, or inside, the input folder: the next run would read
    the outputs as articles."""
    out, src = Path(out_root).resolve(), Path(input_path).resolve()
    if src.is_dir() and (out == src or src in out.parents):
        raise StageError(f"the output folder {out_root} is inside the input folder {input_path}: the next run "
                         "would read its outputs as articles; choose an output folder outside it")


def owns(out_root: Path) -> bool:
    """The pipeline's mark, or a run.json of a run from before the marks."""
    return (out_root / OWNED).is_file() or (out_root / RUN).is_file()


def claim(out_root: Path) -> None:
    """Make the folder (after :func:`check`) and mark it as the pipeline's."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    if not (out_root / OWNED).is_file():  # written in place: a run killed here leaves a mark, or nothing
        (out_root / OWNED).write_text("Written by the zh-framing pipeline: it replaces its own folders (01_ingest/ "
                                      "… 09_report/, figures/, tables/), run.json and report.html here.\n", encoding="utf-8")


@contextlib.contextmanager
def locked(out_root: Path) -> Iterator[None]:
    """Hold ``out_root`` for this run; another run on it is refused rather than left to collide."""
    import fcntl

    import time

    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    with open(out_root / LOCK, "a+") as fh:
        deadline = time.monotonic() + 30
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # The workers of a run that was killed hold the lock (forked, they share it) for
                # the moment they take to die with it: wait for them, not for a live run.
                if _holder_alive(fh) or time.monotonic() > deadline:
                    raise StageError(f"{out_root} is in use by another run of the pipeline: wait for it to "
                                     "finish, or choose another --output") from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _holder_alive(fh) -> bool:
    """Whether the process that took the lock (its pid is in the file) is still running."""
    fh.seek(0)
    try:
        pid = int(fh.read().strip() or 0)
    except ValueError:
        return True
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- up to date, by content


def input_digest(input_path: Path) -> str:
    """SHA-256 over the input as ingest reads it: each file's relative path and content, the
    sidecar included, and the entries it does not read (with their reasons)."""
    from .ingest import walk_inputs

    path = Path(input_path)
    h = hashlib.sha256()
    if path.is_file():
        h.update(records.sha256_file(path).encode())
        return h.hexdigest()
    files, odd = walk_inputs(path)
    sidecar = path / "metadata.csv"
    for file in ([sidecar] if sidecar.is_file() else []) + files:
        h.update(os.fsencode(file.relative_to(path).as_posix()) + b"\0")
        try:
            h.update(records.sha256_file(file).encode() + b"\n")
        except OSError as exc:
            h.update(f"unreadable {exc.errno}\n".encode())
    for rel, reason in odd:
        h.update(f"{rel}\0{reason}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def code_digest() -> str:
    """SHA-256 over the package's code and resources and requirements.lock."""
    h = hashlib.sha256()
    files = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    lock = ROOT / "requirements.lock"
    for file in files + ([lock] if lock.is_file() else []):
        h.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + records.sha256_file(file).encode() + b"\n")
    return h.hexdigest()


def run_record(input_path: Path, max_bytes: int) -> dict:
    """What run.json keeps about the input and the code, taken before the run reads them."""
    return {"input": {"name": Path(input_path).name, "sha256": input_digest(input_path), "max_bytes": max_bytes},
            "code_sha256": code_digest()}


def manifest_hashes(out_root: Path, folders: list[str]) -> dict[str, str]:
    return {folder: records.sha256_file(Path(out_root) / folder / MANIFEST) for folder in folders}


def up_to_date(input_path: Path, out_root: Path, *, max_bytes: int | None = None,
               story: Path | None = None) -> str | None:
    """None when ``out_root`` holds a finished run on exactly this input, story and code, else why not."""
    from . import story as stories
    from .config import MAX_FILE_BYTES

    out_root = Path(out_root)
    try:
        run = records.read_json(out_root / RUN)
    except (OSError, ValueError):
        return f"{out_root}/{RUN} is missing: no finished run"
    if not isinstance(run, dict) or "manifests" not in run:
        return f"{out_root}/{RUN} is from an older version of the pipeline"
    if run.get("code_sha256") != code_digest():
        return "the code, its resources or requirements.lock changed"
    want = {"name": Path(input_path).name, "sha256": input_digest(input_path),
            "max_bytes": MAX_FILE_BYTES if max_bytes is None else max_bytes}
    if run.get("input") != want:
        return f"the input {input_path} changed"
    try:
        resolved = stories.resolve(Path(input_path), story).resolved()
    except Exception as exc:  # the run will say what is wrong with the story file
        return f"the story file cannot be used ({exc})"
    if run.get("story") != resolved:
        return "the story file, or a file it names, changed"
    for folder, digest in run["manifests"].items():
        manifest = out_root / folder / MANIFEST
        if not manifest.is_file() or records.sha256_file(manifest) != digest:
            return f"{folder} changed or is unfinished"
        for name in records.read_json(manifest).get("outputs") or {}:
            if not (out_root / folder / name).is_file():
                return f"{folder}/{name} is missing"
    if "09_report" in run["manifests"] and not (out_root / "report.html").is_file():
        return "report.html is missing"
    return None


# ---------------------------------------------------------------- one line per failure


def describe(exc: BaseException, out_root: Path | str) -> str:
    """One line for a failure that is the machine's or the user's, not the pipeline's: what,
    where, what to do."""
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        what = exc.strerror or str(exc)
        hint = {
            errno.ENOSPC: "the disk is full: free some space, then run again (finished stages are kept)",
            errno.EDQUOT: "the disk quota is used up: free some space, then run again",
            errno.EROFS: "the file system is read-only: choose another --output",
            errno.EACCES: "no permission: choose a folder you can write to, or fix its permissions",
            errno.EPERM: "not permitted: choose a folder you can write to, or fix its permissions",
            errno.ENAMETOOLONG: "a path is too long: move the input to a shallower folder",
        }.get(exc.errno, "see the message; the run stopped here and can be run again")
        return f"{what}{where}, output folder {out_root}: {hint}"
    return f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    """``main(["--input", PATH, "--output", DIR])`` (the Makefile's check): exit 0 when DIR is up to date
    with PATH and the code; else print why not and exit 1 (``make pipeline`` then runs)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pipeline.outdir")
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--story", type=Path)
    args = ap.parse_args(argv)
    reason = up_to_date(args.input, args.output, story=args.story)
    if reason:
        print(reason)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
