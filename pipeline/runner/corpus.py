"""Running a corpus stage: it reads whole upstream folders and writes its own files."""
from __future__ import annotations

from pathlib import Path

from .. import records
from ..config import MANIFEST
from .contract import CorpusStage
from .fingerprint import fingerprint
from .folders import output_hashes, start_folder, upstream_input


def prepare_corpus_stage(stage: CorpusStage, out_root: Path, *, jobs: int = 1) -> object:
    """``stage.prepare`` on the stage's upstream folders (see :class:`CorpusStage`)."""
    kwargs: dict = {"jobs": jobs} if stage.uses_jobs else {}
    return stage.prepare({folder: Path(out_root) / folder for folder in stage.upstreams}, stage.params, **kwargs)


_UNPREPARED = object()


def run_corpus_stage(stage: CorpusStage, out_root: Path, *, jobs: int = 1, prepared: object = _UNPREPARED) -> dict:
    out_root = Path(out_root)
    out_dir = out_root / stage.folder
    inputs = [upstream_input(out_root, folder) for folder in stage.upstreams]
    start_folder(out_dir)
    kwargs: dict = {"jobs": jobs} if stage.uses_jobs else {}
    if stage.prepare is not None:
        kwargs["prepared"] = prepare_corpus_stage(stage, out_root, jobs=jobs) if prepared is _UNPREPARED else prepared
    extra = stage.run({folder: out_root / folder for folder in stage.upstreams}, out_dir, stage.params,
                      **kwargs) or {}
    manifest = {"stage": stage.name, "folder": stage.folder, "input": inputs, **fingerprint(stage),
                **({"story": stage.story} if stage.story else {}), **extra, "outputs": output_hashes(out_dir)}
    records.write_json(out_dir / MANIFEST, manifest)
    return manifest
