"""Shipped frame codebooks (pipeline/resources/frames/*.yaml): they load, and their entries are well formed."""
from __future__ import annotations

import re

import opencc
import pytest
import yaml

from pipeline.config import RESOURCES
from pipeline.framing import load_lexicon, term_key

CODEBOOKS = sorted((RESOURCES / "frames").glob("*.yaml"))
IDS = [path.name for path in CODEBOOKS]
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
T2S = opencc.OpenCC("t2s")


def _frames(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))["frames"]


def test_the_shipped_codebooks_are_there():
    assert {"generic.yaml", "policy.yaml"} <= set(IDS)


@pytest.mark.parametrize("path", CODEBOOKS, ids=IDS)
def test_loads(path):
    lexicon = load_lexicon(path)
    assert lexicon.frames


@pytest.mark.parametrize("path", CODEBOOKS, ids=IDS)
def test_frames_are_described(path):
    for frame in _frames(path):
        for key in ("label", "label_en", "description", "source"):
            value = frame.get(key)
            assert isinstance(value, str) and value.strip(), f"{frame.get('id')}: no {key}"


@pytest.mark.parametrize("path", CODEBOOKS, ids=IDS)
def test_ids_are_unique_snake_case(path):
    ids = [str(frame["id"]) for frame in _frames(path)]
    assert len(ids) == len(set(ids)), ids
    assert all(SNAKE_CASE.match(fid) for fid in ids), ids


@pytest.mark.parametrize("path", CODEBOOKS, ids=IDS)
def test_terms_are_non_empty_and_unique_within_a_frame(path):
    for frame in _frames(path):
        terms = [str(term) for term in frame.get("terms") or ()]
        keys = [term_key(term) for term in terms]  # what matching compares: "承担 责任" == "承担责任"
        assert all(keys), f"{frame['id']}: empty term"
        repeated = sorted({term for term, key in zip(terms, keys) if keys.count(key) > 1})
        assert not repeated, f"{frame['id']}: repeated {repeated}"
        if not terms:  # a frame no word can signal (a residual category) says so
            assert str(frame.get("notes") or "").strip(), f"{frame['id']}: no terms and no notes"


@pytest.mark.parametrize("path", CODEBOOKS, ids=IDS)
def test_terms_are_simplified_chinese(path):
    # normalize converts text to simplified before segmentation, so a traditional form would never match
    changed = [(frame["id"], term, T2S.convert(str(term)))
               for frame in _frames(path) for term in frame.get("terms") or ()
               if T2S.convert(str(term)) != str(term)]
    assert not changed, changed


@pytest.mark.parametrize("name, ids", [
    ("generic.yaml", ["conflict", "human_interest", "economic_consequences", "morality", "responsibility"]),
    ("policy.yaml", ["economic", "capacity_and_resources", "morality", "fairness_and_equality", "legality",
                     "policy_prescription", "crime_and_punishment", "security_and_defense", "health_and_safety",
                     "quality_of_life", "cultural_identity", "public_opinion", "political", "external_regulation",
                     "other"]),
])
def test_codebook_frames_follow_their_sources(name, ids):
    assert [frame["id"] for frame in _frames(RESOURCES / "frames" / name)] == ids
