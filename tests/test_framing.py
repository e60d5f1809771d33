"""Framing: lexicon matching on tokens, per-1,000 arithmetic, the stage's tables, the seeds' snapshot."""
from __future__ import annotations

import csv

import opencc
import pytest

from pipeline import framing, records
from pipeline.framing import Frame, build_lexicon, format_terms, match_tokens, per_1k, term_key
from pipeline.config import SEEDS

LEXICON = build_lexicon([
    Frame("personnel", "人事", "Personnel", "", ("裁员", "优化", "员工")),
    Frame("capital", "资本", "Capital", "", ("上市", "上市辅导", "IPO", "国资战投")),
    Frame("state", "国资", "State", "", ("国资", "国资战投")),
    Frame("open_source", "开源", "Open source", "", ("Hugging Face", "开源")),
    Frame("technology", "技术", "Technology", "", ("GLM", "DeepSeek")),
])


@pytest.mark.parametrize("text, key", [
    ("IPO", "ipo"),
    ("ＩＰＯ", "ipo"),             # full-width folds to half-width
    ("Hugging Face", "huggingface"),
    (" 裁员\u3000", "裁员"),
    ("", ""),
])
def test_term_key(text, key):
    assert term_key(text) == key


@pytest.mark.parametrize("tokens, expected", [
    (["公司", "宣布", "裁员"], [("裁员", 2, 2)]),
    (["上市", "辅导"], [("上市辅导", 0, 1)]),                 # a phrase across two tokens
    (["上市辅导", "上市"], [("上市辅导", 0, 0), ("上市", 1, 1)]),
    (["上市", "前"], [("上市", 0, 0)]),
    (["Hugging", " ", "Face", "社区"], [("Hugging Face", 0, 2)]),  # whitespace tokens are skipped
    (["ipo", "和", "ＩＰＯ"], [("IPO", 0, 0), ("IPO", 2, 2)]),
    (["优化器"], []),                                          # no match inside a token
    (["GLM-4.5", "发布"], [("GLM", 0, 0)]),                    # versioned model name -> its name
    (["DeepSeek-R1"], [("DeepSeek", 0, 0)]),
    (["GLMX"], []),
    ([], []),
    (["国资战投"], [("国资战投", 0, 0)]),
])
def test_match_tokens(tokens, expected):
    got = [(m.term, m.first, m.last) for m in match_tokens(tokens, LEXICON)]
    assert got == expected


def test_a_term_in_two_frames_counts_in_both():
    (match,) = match_tokens(["国资", "战投"], LEXICON)
    assert match.term == "国资战投" and match.frames == ("capital", "state")


@pytest.mark.parametrize("key, stem", [
    ("glm-4.5", "glm"), ("glm-4.1v-9b-base", "glm"), ("chatglm-6b", "chatglm"), ("qwen2.5", "qwen"),
    ("glm", None), ("a股", None), ("h100", None), ("2025年", None),
])
def test_model_stem(key, stem):
    assert framing.model_stem(key) == stem


@pytest.mark.parametrize("hits, tokens, expected", [
    (3, 1000, 3.0),
    (1, 3, 333.333333),
    (12, 4000, 3.0),
    (0, 500, 0.0),
    (5, 0, 0.0),     # an article without content tokens has no emphasis, not a division error
])
def test_per_1k(hits, tokens, expected):
    assert per_1k(hits, tokens) == expected


@pytest.mark.parametrize("counts, limit, text", [
    ({"离职": 3, "裁员": 12}, None, "裁员×12, 离职×3"),
    ({"b": 2, "a": 2, "c": 5}, None, "c×5, a×2, b×2"),   # ties by term
    ({"b": 2, "a": 2, "c": 5}, 2, "c×5, a×2"),
    ({"a": 0}, None, ""),
    ({}, None, ""),
])
def test_format_terms(counts, limit, text):
    assert format_terms(counts, limit=limit) == text


def _sentence(index, words, start=0, content=True):
    """A 04_segment sentence in the stage's compact form."""
    flags = "".join("0" if (not content or w in "，。的了 ") else "1" for w in words)
    return {"index": index, "text": "".join(words), "start": start, "tokens": list(words),
            "pos": " ".join("n" for _ in words), "content": flags}


def _record(id_, outlet, sentences):
    return {"id": id_, "source": f"{id_}.txt", "outlet": outlet, "title": "", "sentences": sentences}


def test_frame_article_counts_and_traces_every_hit():
    s0 = _sentence(0, ["公司", "裁员", "，", "员工", "不满", "。"])
    s1 = _sentence(1, ["计划", "上市", "辅导", "。"], start=10)
    out = framing.frame_article(_record("x", "甲", [s0, s1]), LEXICON)
    assert list(out)[:4] == ["id", "source", "outlet", "title"]
    assert out["content_tokens"] == 7
    by_frame = {f["frame"]: f for f in out["frames"]}
    assert by_frame["personnel"]["hits"] == 2
    assert by_frame["personnel"]["per_1k"] == round(2 * 1000 / 7, 6)
    assert by_frame["personnel"]["terms"] == [["员工", 1], ["裁员", 1]]
    assert by_frame["capital"]["terms"] == [["上市辅导", 1]]
    assert by_frame["state"]["hits"] == 0
    text = "公司裁员，员工不满。计划上市辅导。"
    for m in out["matches"]:
        assert text[m["start"]:m["end"]] in ("裁员", "员工", "上市辅导")
    assert [m["sentence"] for m in out["matches"]] == [0, 0, 1]


def test_the_seeds_frames_file():
    """The seeds' story frames (seeds/frames.yaml, named by seeds/story.toml)."""
    lexicon = framing.load_lexicon(SEEDS / "frames.yaml")
    ids = lexicon.frame_ids
    assert ids == ("personnel", "capital", "finance", "technology", "competition", "state", "open_source",
                   "business_model", "overseas")
    t2s = opencc.OpenCC("t2s")
    for frame in lexicon.frames:
        assert frame.terms and frame.label and frame.label_en and frame.description
        for term in frame.terms:
            assert t2s.convert(term) == term, f"{frame.id}: {term} is not simplified Chinese"
    for term in ("裁员", "离职", "上市辅导", "招股书", "国资战投", "毛利率", "研发费用", "大模型", "GLM", "六小龙",
                 "DeepSeek", "价格战", "央国企", "Hugging Face", "MaaS", "B端", "一带一路"):
        assert term_key(term) in lexicon.entries, term


@pytest.mark.parametrize("frames, message", [
    ([Frame("a", "", "", "", ("x",)), Frame("a", "", "", "", ("y",))], "unique"),
    ([Frame("a", "", "", "", (" ",))], "empty term"),
])
def test_bad_lexicons_are_refused(frames, message):
    with pytest.raises(ValueError, match=message):
        build_lexicon(frames)


def test_stage_tables_pool_outlets_and_keep_unknown_outlets_apart(tmp_path, monkeypatch):
    seg = tmp_path / "04_segment"
    seg.mkdir()
    articles = [
        _record("a1", "甲报", [_sentence(0, ["裁员", "员工", "公司", "业务"])]),          # 4 content, 2 hits
        _record("a2", "甲报", [_sentence(0, ["上市", "公司", "业务", "发展", "计划", "团队"])]),  # 6 content, 1 hit
        _record("a3", "", [_sentence(0, ["开源", "模型"])]),
        _record("a4", None, [_sentence(0, ["裁员"])]),
        _record("a5", "NA", [_sentence(0, ["的", "了"])]),                                 # no content tokens
    ]
    records.write_jsonl(seg / "articles.jsonl", articles)
    monkeypatch.setattr(framing, "load_lexicon", lambda path=None: LEXICON)
    out = tmp_path / "07_framing"
    extra = framing.run_stage({"04_segment": seg}, out, {"top_terms": 10})
    assert extra["totals"] == {"articles": 5, "outlets": 3, "frames": 5, "hits": 5}

    table = framing.frames_table(out)
    assert list(table.columns[:5]) == ["outlet", "frame", "per_1k", "hits", "top_terms"]
    assert sorted(table["outlet"].unique()) == ["NA", "unknown (no outlet named)", "甲报"]
    row = table[(table["outlet"] == "甲报") & (table["frame"] == "personnel")].iloc[0]
    assert (row["hits"], row["per_1k"], row["top_terms"]) == (2, 200.0, "员工×1, 裁员×1")  # 2 / (4 + 6) * 1000
    unknown = table[(table["outlet"] == framing.UNKNOWN_OUTLET)].set_index("frame")
    assert unknown.loc["personnel", "hits"] == 1 and unknown.loc["open_source", "hits"] == 1
    assert unknown.loc["personnel", "articles"] == 2
    na = table[table["outlet"] == "NA"]
    assert (na["per_1k"] == 0).all() and (na["top_terms"] == "").all()

    by_article = framing.frames_by_article_table(out)
    assert list(by_article.columns) == ["id", "outlet", "frame", "per_1k", "hits", "top_terms"]
    assert len(by_article) == 5 * 5
    a1 = by_article[(by_article["id"] == "a1") & (by_article["frame"] == "personnel")].iloc[0]
    assert (a1["per_1k"], a1["hits"]) == (500.0, 2)
    assert by_article["id"].drop_duplicates().tolist() == ["a1", "a2", "a3", "a4", "a5"]  # input order

    terms = framing.frame_terms_table(out)
    assert terms[terms["outlet"] == "甲报"]["hits"].sum() == 3
    matches = framing.frame_matches_table(out)
    assert sorted(matches["term"]) == ["上市", "员工", "开源", "裁员", "裁员"]
    with open(out / "frames_by_outlet.csv", encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == list(framing.OUTLET_COLUMNS)


def test_seeds_frames_snapshot(seed_outputs, snapshot):
    import pipeline

    table = pipeline.load("frames", seed_outputs)
    snapshot("framing/frames", table.to_dict("records"))
    # Every count traces back to text: each match's offsets cut its term out of the normalised article.
    texts = {r["id"]: r["text"] for r in records.read_jsonl(seed_outputs / "03_normalize" / "articles.jsonl")}
    n = 0
    for r in records.read_jsonl(seed_outputs / "07_framing" / "articles.jsonl"):
        for m in r["matches"]:
            surface = texts[r["id"]][m["start"]:m["end"]]
            assert term_key(surface) == term_key(m["term"]) or framing.model_stem(term_key(surface)) == term_key(m["term"])
            n += 1
    assert n == table["hits"].sum() - _double_counted(seed_outputs)


def _double_counted(out):
    """Matches of a term listed under two frames count once per frame in the tables."""
    return sum(len(m["frames"]) - 1 for r in records.read_jsonl(out / "07_framing" / "articles.jsonl")
               for m in r["matches"])


def reference_match_tokens(tokens, lexicon):
    """``framing.match_tokens`` as first written, visiting every token: the oracle for the fast one."""
    keyed = [(i, key) for i, key in enumerate(map(framing._token_key, tokens)) if key]
    prefixes, entries = lexicon.prefixes, lexicon.entries
    out = []
    pos, n = 0, len(keyed)
    while pos < n:
        first_key = keyed[pos][1]
        best = None
        if first_key in prefixes:  # the common case, a token no term starts with, costs one set lookup
            joined = ""
            for end in range(pos, n):
                joined += keyed[end][1]
                if joined not in prefixes:
                    break
                entry = entries.get(joined)
                if entry is not None:
                    best = (end, entry)
        if best is None and first_key[0].isascii() and first_key[0].isalpha():
            stem = framing.model_stem(first_key)
            entry = entries.get(stem) if stem else None
            if entry is not None:
                best = (pos, entry)
        if best is None:
            pos += 1
            continue
        end, (term, frames) = best
        out.append(framing.Match(term=term, frames=frames, first=keyed[pos][0], last=keyed[end][0]))
        pos = end + 1
    return out


def test_match_tokens_agrees_with_the_reference():
    """match_tokens visits only tokens that can start a match: the same matches as visiting every token."""
    import random

    rng = random.Random(11)
    for lexicon in (LEXICON, framing.load_lexicon(SEEDS / "frames.yaml")):
        pieces = [" ", "", "\u3000", "GLM-4.5", "ChatGLM-6B", "DeepSeek-R1", "Qwen2.5", "glm", "x1", "的", "公司"]
        for key, (term, _) in lexicon.entries.items():
            for cut in range(len(term) + 1):
                pieces += [term[:cut], term[cut:], term.upper()]
        for _ in range(3000):
            tokens = [rng.choice(pieces) for _ in range(rng.randrange(10))]
            assert match_tokens(tokens, lexicon) == reference_match_tokens(tokens, lexicon), tokens


def test_the_reduce_in_ranges_and_processes_gives_the_serial_bytes(seed_outputs, tmp_path, monkeypatch):
    """finish over many small ranges (outlets split across them), in 2 forked processes, writes
    what one pass here writes."""
    from pipeline.runner import ranges

    folder = seed_outputs / framing.STAGE.folder
    serial, ranged = tmp_path / "serial", tmp_path / "ranged"
    for out in (serial, ranged):
        out.mkdir()
        (out / "articles.jsonl").write_bytes((folder / "articles.jsonl").read_bytes())
    params = {**framing.STAGE.params, "_frames": str(SEEDS / "frames.yaml")}
    expected = framing.finish(serial, params)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 1000)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    n_ranges = len(ranges.byte_ranges(ranged / "articles.jsonl", 1000))
    assert n_ranges >= 5  # one article a range at least
    assert framing.finish(ranged, params, jobs=2) == expected
    assert expected["totals"]["outlets"] >= 3
    names = sorted(p.name for p in serial.iterdir())
    assert names == sorted(p.name for p in ranged.iterdir())
    for name in names:
        assert (ranged / name).read_bytes() == (serial / name).read_bytes(), name
