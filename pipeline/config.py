"""Paths and default parameters. Nothing happens at import time but constants."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
RESOURCES = PACKAGE / "resources"

SEEDS = ROOT / "seeds"          # the reference corpus in a clone of the repository (tests use it)
# What the command line and pipeline.load use by default: folders of the current directory, so an
# installed package (pip install .) never reads or writes inside itself. `make pipeline`, run from
# the repository's root, gets the repository's seeds/ and outputs/.
DEFAULT_INPUT = Path("seeds")
OUTPUTS = Path("outputs")

# Ingest
MAX_FILE_BYTES = 20 * 1024 * 1024  # files above this are skipped (configurable with --max-bytes)
METADATA_FILE = "metadata.csv"

# Every stage writes this file last: a stage folder without it is not finished.
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
