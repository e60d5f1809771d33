"""Property-based tests across stages: arbitrary Unicode and corrupted seed text never
break an invariant (issue 8). Stage-specific properties live beside each stage's tests."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import ingest, segment, sentiment, strip
from pipeline.config import SEEDS
from pipeline.runner import Skip

SEED_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("[0-9]*.txt")))
CJKISH = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                                    st.sampled_from(list("，。！？、：；“”（）《》 \n\t-%.0123456789abcXYZ不很但好差"))),
                 max_size=200)


@pytest.fixture(scope="module")
def tokenizer():
    return segment.load_resources(segment.STAGE.params)


@pytest.fixture(scope="module")
def scorer():
    return sentiment.TextScorer()


@st.composite
def corrupted_seed(draw):
    """A slice of seed text with random bytes flipped, then decoded leniently."""
    start = draw(st.integers(0, len(SEED_TEXT) - 400))
    data = bytearray(SEED_TEXT[start:start + 400].encode("utf-8"))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(0, 30))):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data.decode("utf-8", errors="replace")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(), CJKISH, corrupted_seed()))
def test_tokens_join_back_to_the_text_with_consistent_offsets(tokenizer, text):
    tokens = tokenizer.tokens(text, start=7)
    assert "".join(t[0] for t in tokens) == text
    pos = 7
    for token, tag, start, end, is_content in tokens:
        assert (start, end) == (pos, pos + len(token)) and token and isinstance(tag, str) and is_content in (0, 1)
        pos = end


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(), CJKISH, corrupted_seed()))
def test_sentiment_scores_stay_in_range(scorer, text):
    for line in text.split("\n"):
        result = scorer.sentence(line)
        assert -1.0 <= result.score <= 1.0
        assert result.label in {"neg", "neu", "pos"}
    assert -1.0 <= scorer.document(text) <= 1.0


@settings(max_examples=100, deadline=None)
@given(corrupted_seed())
def test_strip_never_raises_on_corrupted_seed_text(text):
    rules = strip.load_rules()
    kept, removed = strip.strip_lines(text, rules)
    assert len(kept) + len(removed) <= len(text.split("\n"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_ingest_decides_on_any_bytes(data):
    """Arbitrary bytes become an article or a clear skip, never a crash."""
    item = {"id": "x", "source": "x.txt", "kind": "file", "meta": {}, "notes": []}
    try:
        record = ingest.ingest_file(item, data)
    except Skip as skip:
        assert skip.reason
    else:
        assert record["text"].strip() and record["encoding"]


def _safe_name_by_the_letter(text: str, max_len: int) -> str:
    """records.safe_name without its fast path: every character looked at."""
    import hashlib

    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text).strip("._-")[:max_len]
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{name}-{digest}" if name != text or not name else name


@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from("ab中文٣²Ⅻ_-. /\\\u00a0é")), st.from_regex(r"[\w.-]{0,130}", fullmatch=True)),
       st.sampled_from([80, 120]))
@settings(max_examples=400, deadline=None)
def test_safe_name_fast_path_gives_what_the_slow_path_gives(text, max_len):
    from pipeline import records

    assert records.safe_name(text, max_len=max_len) == _safe_name_by_the_letter(text, max_len)
