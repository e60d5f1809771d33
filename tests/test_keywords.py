"""Keywords: TF-IDF top terms, background idf, Fightin' Words, and the seeds' snapshot."""
from __future__ import annotations

import csv
import json
import math
from collections import Counter

import pytest

from pipeline import keywords, records


def test_fightin_words_symmetric_groups_give_zero():
    counts = {"A": Counter({"x": 5, "y": 3}), "B": Counter({"x": 5, "y": 3})}
    out = keywords.fightin_words(counts, alpha0=10)
    for group in out.values():
        assert all(abs(r["z"]) < 1e-9 for r in group)


def test_fightin_words_word_only_in_one_group():
    counts = {"A": Counter({"shared": 10, "only_a": 6}), "B": Counter({"shared": 10, "only_b": 1})}
    out = {g: {r["term"]: r for r in rows} for g, rows in keywords.fightin_words(counts, alpha0=10).items()}
    assert out["A"]["only_a"]["z"] > 0 > out["B"]["only_a"]["z"]
    assert out["A"]["only_a"]["count"] == 6 and out["A"]["only_a"]["count_rest"] == 0
    # one vs the rest with two groups: B's z for a term is the negative of A's
    assert out["B"]["only_a"]["z"] == pytest.approx(-out["A"]["only_a"]["z"])
    assert keywords.fightin_words(counts, alpha0=10)["A"][0]["term"] == "only_a"


def test_fightin_words_formula():
    counts = {"A": Counter({"w": 3, "v": 1}), "B": Counter({"w": 1, "v": 3})}
    a0 = 8.0
    a = a0 * 4 / 8  # pooled w = 4 of 8 tokens
    delta = math.log((3 + a) / (4 + a0 - 3 - a)) - math.log((1 + a) / (4 + a0 - 1 - a))
    z = delta / math.sqrt(1 / (3 + a) + 1 / (1 + a))
    row = next(r for r in keywords.fightin_words(counts, alpha0=a0)["A"] if r["term"] == "w")
    assert row["delta"] == pytest.approx(delta) and row["z"] == pytest.approx(z)


@pytest.mark.parametrize("scores, k, expected", [
    ({"乙": 0.5, "甲": 0.5, "丙": 0.9}, 3, ["丙", "乙", "甲"]),   # ties: term ascending (乙 < 甲 in code points)
    ({"b": 0.1, "a": 0.1, "c": 0.1}, 2, ["a", "b"]),
    ({"a": 0.30000000000000004, "b": 0.3}, 2, ["a", "b"]),        # float noise below 1e-6 is a tie
    ({"a": 0.0, "b": 0.2}, 5, ["b"]),
])
def test_top_terms_deterministic(scores, k, expected):
    assert [t for t, _ in keywords.top_terms(scores, k)] == expected


def test_merged_idf():
    idf = keywords.merged_idf({"a": 2}, 4, {"a": 10, "b": 1}, 100, ["a", "b", "c"])
    assert idf == pytest.approx([math.log(105 / 13) + 1, math.log(105 / 2) + 1, math.log(105 / 1) + 1])


def _segment_dir(tmp_path, docs):
    """A fake 04_segment folder: docs = [(id, outlet, [(token, is_content), ...]), ...]."""
    recs = []
    for id_, outlet, toks in docs:
        recs.append({"id": id_, "source": id_ + ".txt", "outlet": outlet, "title": "",
                     "sentences": [{"index": 0, "text": "".join(t for t, _ in toks), "start": 0,
                                    "tokens": [t for t, _ in toks], "pos": " ".join("n" for _ in toks),
                                    "content": "".join(str(int(bool(c))) for _, c in toks)}]})
    folder = tmp_path / "04_segment"
    records.write_jsonl(folder / "articles.jsonl", recs)
    return folder


def _rows(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("idf", ["corpus", "background"])
def test_run_stage(tmp_path, idf):
    seg = _segment_dir(tmp_path, [
        ("a", "甲报", [("智谱", 1), ("的", 0), ("裁员", 1), ("裁员", 1), ("钱", 1)]),
        ("b", "乙报", [("智谱", 1), ("增长", 1), ("，", 0)]),
        ("c", "", [("智谱", 1), ("钱", 1), ("增长", 1)]),
    ])
    out = tmp_path / "05_keywords"
    extra = keywords.run_stage({"04_segment": seg}, out, {"idf": idf, "k": 2})
    kw = _rows(out / "keywords.csv")
    by_id = {}
    for r in kw:
        by_id.setdefault(r["id"], []).append(r["term"])
    assert by_id["a"][0] == "裁员"                       # twice in a, in no other article
    assert "的" not in {r["term"] for r in kw}            # only content tokens
    assert "钱" in by_id["a"] or "钱" in by_id["c"]       # one-character content words are kept
    assert all(len(v) <= 2 for v in by_id.values())
    assert [r["rank"] for r in kw if r["id"] == "a"] == ["1", "2"]
    dist = _rows(out / "distinctive.csv")
    assert {r["outlet"] for r in dist} == {"甲报", "乙报", keywords.UNKNOWN_OUTLET}
    assert next(r for r in dist if r["outlet"] == "甲报")["term"] == "裁员"
    assert extra["totals"]["articles"] == 3
    # deterministic: the same input gives byte-identical files
    out2 = tmp_path / "again"
    keywords.run_stage({"04_segment": seg}, out2, {"idf": idf, "k": 2})
    assert (out / "keywords.csv").read_bytes() == (out2 / "keywords.csv").read_bytes()
    assert (out / "distinctive.csv").read_bytes() == (out2 / "distinctive.csv").read_bytes()


def test_background_file():
    n_docs, df = keywords.load_background()
    assert n_docs > 20000 and df["发展"] > 1000 and min(df.values()) >= 3
    assert keywords.BACKGROUND_PATH.stat().st_size < 2_000_000


def test_one_outlet_gives_no_distinctive_rows(tmp_path):
    seg = _segment_dir(tmp_path, [("a", "甲报", [("甲", 1)]), ("b", "甲报", [("乙", 1)])])
    extra = keywords.run_stage({"04_segment": seg}, tmp_path / "out", {})
    assert _rows(tmp_path / "out" / "distinctive.csv") == [] and extra["notes"]


def test_seeds_snapshot(seed_outputs, snapshot):
    stage_dir = seed_outputs / keywords.STAGE.folder
    kw = keywords.keywords_frame(stage_dir)
    assert list(kw.columns) == ["id", "source", "outlet", "term", "score", "rank"]
    top = {id_: list(g.sort_values("rank")["term"][:10]) for id_, g in kw.groupby("id")}
    dist = keywords.distinctive_frame(stage_dir)
    assert {"outlet", "term", "count", "z", "rank"} <= set(dist.columns)
    distinct = {o: list(g.sort_values("rank")["term"][:10]) for o, g in dist.groupby("outlet")}
    snapshot("keywords/seeds", {"top10": top, "distinctive_top10": distinct})


def _reference_top(terms, idf, k, sublinear):
    """Every term's score, then top_terms: the plain definition article_keywords shortcuts."""
    w = {t: ((1 + math.log(c)) if sublinear else c) * idf[t] for t, c in terms.items()}
    norm = math.sqrt(sum(v * v for v in w.values()))
    return keywords.top_terms({t: v / norm for t, v in w.items()}, k) if norm else []


def test_article_keywords_agrees_with_scoring_every_term():
    """Only candidates near the k-th best are rounded and ranked: the same result as ranking
    every term, ties and differences below the rounding included."""
    import random

    rng = random.Random(5)
    vocab = [f"t{i:02d}" for i in range(40)]
    for trial in range(300):
        idf = {t: rng.choice([1.0, 1.5, 2.0, 2.0000001, 3.3]) for t in vocab}
        terms = {t: rng.choice([1, 1, 2, 3, 7]) for t in rng.sample(vocab, rng.randrange(0, 40))}
        for k in (0, 1, 3, 20, 50):
            for sublinear in (False, True):
                got = keywords.article_keywords(terms, idf, k, sublinear_tf=sublinear)
                assert got == _reference_top(terms, idf, k, sublinear), (trial, k)


@pytest.mark.parametrize("sublinear", [False, True])
def test_tfidf_agrees_with_scikit_learn(seed_outputs, sublinear):
    """The counts-based TF-IDF is scikit-learn's TfidfVectorizer (l2, smoothed corpus idf)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    counts = list(records.read_jsonl(seed_outputs / keywords.STAGE.folder / "articles.jsonl"))
    docs = [[t for t, n in r["terms"].items() for _ in range(n)] for r in counts]
    vec = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=sublinear)  # documents come tokenised
    X = vec.fit_transform(docs).tocsr()
    vocab = vec.get_feature_names_out()
    df = Counter(t for r in counts for t in r["terms"])
    idf = keywords.corpus_idf(df, len(counts))
    assert [idf[t] for t in vocab] == pytest.approx(vec.idf_.tolist(), rel=1e-12)
    for i, r in enumerate(counts):
        row = X.getrow(i)
        expected = {vocab[j]: v for j, v in zip(row.indices, row.data)}
        ours = keywords.article_keywords(r["terms"], idf, len(expected) + 1, sublinear_tf=sublinear)
        assert {t for t, _ in ours} == set(expected)
        assert all(abs(v - expected[t]) < 1e-6 + 1e-12 for t, v in ours)
        assert [t for t, _ in ours[:20]] == [t for t, _ in keywords.top_terms(expected, 20)]


def test_count_terms_keeps_content_tokens_in_count_order():
    record = {"id": "a", "source": "a.txt", "outlet": "甲报", "sentences": [
        {"index": 0, "start": 0, "tokens": ["裁员", "的", "钱", "裁员", "，"], "pos": "v uj n v x", "content": "10110"}]}
    out = keywords.count_terms(record)
    assert out == {"id": "a", "source": "a.txt", "outlet": "甲报", "content_tokens": 3, "terms": {"裁员": 2, "钱": 1}}
    assert list(out["terms"]) == ["裁员", "钱"]


def test_term_counts_table_is_what_the_corpus_tables_are_reduced_from(seed_outputs):
    import pipeline

    counts = pipeline.load("term_counts", seed_outputs)
    assert list(counts.columns) == ["id", "source", "group", "outlet", "term", "count"]
    per_article = counts.groupby("id")["count"].sum().to_dict()
    framed = {r["id"]: r["content_tokens"] for r in records.read_jsonl(seed_outputs / "07_framing" / "articles.jsonl")}
    assert per_article == framed and len(per_article) == 5       # the same content tokens framing counted
    by_outlet, df, n_docs = keywords.read_term_counts(seed_outputs / keywords.STAGE.folder)
    pooled = counts.groupby(["outlet", "term"], observed=True)["count"].sum()
    assert {(o, t): n for (o, t), n in pooled.items()} == {(o, t): n for o, c in by_outlet.items() for t, n in c.items()}
    assert counts.groupby("term")["id"].nunique().to_dict() == dict(df) and n_docs == 5


def test_the_reduce_in_ranges_and_processes_gives_the_serial_bytes(seed_outputs, tmp_path, monkeypatch):
    """finish over many small ranges, in 2 forked processes, writes what one pass here writes."""
    from pipeline.runner import map_ranges, ranges

    folder = seed_outputs / keywords.STAGE.folder
    serial = tmp_path / "serial"
    ranged = tmp_path / "ranged"
    for out in (serial, ranged):
        out.mkdir()
        (out / "articles.jsonl").write_bytes((folder / "articles.jsonl").read_bytes())
    expected = keywords.finish(serial, keywords.STAGE.params)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 2000)  # several ranges, some of one article
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    calls = []
    real = map_ranges

    def spy(fn, path, *, jobs=1, shared=None, **kwargs):
        results = list(real(fn, path, jobs=jobs, shared=shared, **kwargs))
        calls.append((fn.__name__, jobs, len(results)))
        return iter(results)

    monkeypatch.setattr(keywords, "map_ranges", spy)  # the name keywords calls
    assert keywords.finish(ranged, keywords.STAGE.params, jobs=2) == expected
    assert [(name, jobs) for name, jobs, _ in calls] == [("_count_range", 2), ("_score_range", 2)]
    assert all(n > 1 for _, _, n in calls)
    names = sorted(p.name for p in serial.iterdir())
    assert names == sorted(p.name for p in ranged.iterdir())
    for name in names:
        assert (ranged / name).read_bytes() == (serial / name).read_bytes(), name


def test_fine_ranges_give_each_process_about_four_within_bounds():
    from pipeline.runner import ranges

    mb = 1 << 20
    assert ranges.reduce_range_bytes(64 * mb, 16) == mb  # 64 ranges for 16 processes
    assert ranges.reduce_range_bytes(64 * mb, 1) == ranges.REDUCE_RANGE_BYTES  # never above the cap
    assert ranges.reduce_range_bytes(2 * mb, 16) == ranges.REDUCE_MIN_RANGE_BYTES  # nor below the floor
    assert ranges.reduce_range_bytes(64 * mb + 1, 16) * 64 >= 64 * mb + 1  # rounded up: no 65th sliver


def test_byte_ranges_cover_the_file_in_whole_lines(tmp_path):
    from pipeline.runner import byte_ranges, read_range

    path = tmp_path / "lines.jsonl"
    lines = [records.dumps({"n": i, "pad": "字" * (i % 7) * 40}) + "\n" for i in range(50)]
    path.write_text("".join(lines), encoding="utf-8")
    data = path.read_bytes()
    for size in (1, 100, 333, 10_000, 10**9):
        ranges = byte_ranges(path, size)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a < b and b == c for (a, b), (c, _) in zip(ranges, ranges[1:]))
        assert all(data[b - 1:b] == b"\n" for _, b in ranges)  # every range ends a line
        read = [r["n"] for a, b in ranges for r in read_range(path, a, b)]
        assert read == list(range(50))
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    assert byte_ranges(empty, 10) == []


def test_fightin_words_top_gives_the_full_rankings_first_rows():
    """The vectorised top rows are the row-by-row function's first rows, digits and order included."""
    import random

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(300)]
    counts = {g: Counter({t: rng.randint(1, 5) for t in rng.sample(vocab, 60)}) for g in "ABCDEFG"}
    counts["H"] = Counter({"w1": 1})  # a group with one term: its top rows reach negative z
    full = keywords.fightin_words(counts, alpha0=100)
    for top in (1, 10, 50):
        fast = keywords.fightin_words_top(counts, alpha0=100, top=top)
        for group, rows in full.items():
            assert fast[group] == rows[:top], (group, top)


def test_fightin_words_top_computes_exactly_only_the_terms_that_can_reach_the_top():
    """A large group's own terms are screened by numpy's z: only those near the top are computed
    row by row, and the rows are still the full ranking's, ties at the boundary included."""
    import random

    rng = random.Random(11)
    vocab = [f"w{i:04d}" for i in range(3000)]
    big = Counter({t: rng.choice((1, 1, 2, 3, 5, 40)) for t in vocab[:2500]})  # many ties
    counts = {"big": big, "small": Counter({t: rng.randint(1, 9) for t in rng.sample(vocab, 400)}),
              "one": Counter({"w0001": 3})}
    full = keywords.fightin_words(counts, alpha0=1000.0)
    for top in (1, 7, 50):
        assert keywords.fightin_words_top(counts, alpha0=1000.0, top=top) == {g: r[:top] for g, r in full.items()}
    pooled = sum(counts.values(), Counter())
    n = sum(pooled.values())
    kept = keywords._contenders(big, pooled, sum(big.values()), n - sum(big.values()), n, 1000.0, 50)
    assert 50 <= len(kept) < len(big) // 4
    assert keywords._contenders(counts["one"], pooled, 3, n - 3, n, 1000.0, 50) == [("w0001", 3)]


def test_by_count_orders_by_count_then_term():
    import random

    rng = random.Random(5)
    for n in (0, 1, 7, 500):
        counts = Counter({f"t{rng.randrange(1000)}{chr(0x4e00 + rng.randrange(50))}": rng.randint(1, 4)
                          for _ in range(n)})
        assert keywords.by_count(counts) == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def test_the_idf_table_computes_each_term_as_the_whole_vocabularys_tables_do():
    """Pass 2's idf, computed per term as the ranges ask, is the table the reduce used to make
    over the whole vocabulary, floats exactly; the folded background is fold_counts's."""
    n_bg, df_bg = keywords.load_background()
    assert keywords.folded_background(n_bg, df_bg) == keywords.fold_counts(df_bg, cap=n_bg)
    small = {"AI": 3, "ai": 2, "Ai": 1, "模型": 4, "MaaS": 1}
    assert keywords.folded_background(4, small) == keywords.fold_counts(small, cap=4) == {"ai": 4, "模型": 4, "maas": 1}
    df = {"ai": 3, "模型": 5, "maas": 1, "新词": 2, **{t: 1 + i % 4 for i, t in enumerate(list(df_bg)[:500])}}
    folded = keywords.fold_counts(df_bg, cap=n_bg)
    merged = keywords.Idf(df, 9, (n_bg, folded))
    corpus = keywords.Idf(df, 9)
    whole_merged = dict(zip(df, keywords.merged_idf(df, 9, folded, n_bg, df)))
    whole_corpus = keywords.corpus_idf(df, 9)
    for term in reversed(list(df)):  # asked in any order
        assert merged[term] == whole_merged[term] and corpus[term] == whole_corpus[term]
    assert len(merged) == len(corpus) == len(df)


def _segmented(id_: str, outlet: str, words: list[str]) -> dict:
    return {"id": id_, "source": id_, "outlet": outlet,
            "sentences": [{"index": 0, "text": "".join(words), "start": 0, "tokens": words,
                           "pos": " ".join("eng" for _ in words), "content": "1" * len(words)}]}


def test_latin_terms_are_counted_case_insensitively(tmp_path):
    """AI, Ai and ai are one term (scraped text writes them every way), shown as most often written."""
    a = keywords.count_terms(_segmented("a", "甲", ["AI", "AI", "Ai", "模型"]))
    b = keywords.count_terms(_segmented("b", "乙", ["ai", "ai", "MaaS"]))
    assert a["terms"] == {"ai": 3, "模型": 1} and a["forms"] == {"ai": {"AI": 2, "Ai": 1}}
    assert "forms" not in keywords.count_terms(_segmented("c", "丙", ["模型"]))
    out = tmp_path / "05_keywords"
    out.mkdir()
    (out / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (a, b)),
                                        encoding="utf-8")
    keywords.finish(out, {**keywords.DEFAULT_PARAMS, "idf": "corpus"})
    df = dict(csv.reader(open(out / "document_frequencies.csv", encoding="utf-8-sig")))
    assert df["AI"] == "2" and "ai" not in df and "Ai" not in df
    assert df["MaaS"] == "1"
    terms = {row[1] for row in csv.reader(open(out / "outlet_terms.csv", encoding="utf-8-sig"))}
    assert {"AI", "MaaS", "模型"} <= terms and "ai" not in terms
