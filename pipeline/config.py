"""Paths and default parameters. Nothing happens at import time but constants."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
RESOURCES = PACKAGE / "resources"

SEEDS = ROOT / "seeds"
OUTPUTS = ROOT / "outputs"

# Ingest
MAX_FILE_BYTES = 20 * 1024 * 1024  # files above this are skipped (configurable with --max-bytes)
METADATA_FILE = "metadata.csv"

# Every stage writes this file last: a stage folder without it is not finished.
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
