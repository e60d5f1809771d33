"""Sourcing: attributions, numeric claims, conflicts across groups and text reuse."""
from __future__ import annotations

import csv
import math

import pytest

from pipeline import records, sourcing

RULES = sourcing.load_rules()


def _said(sentence: str, outlet: str | None = None) -> list[tuple]:
    return [(a["speaker"], a["speaker_type"], a["cue"], a["content"], a["direct"])
            for a in sourcing.attributions(sentence, RULES, outlet=outlet)]


@pytest.mark.parametrize("sentence, outlet, expected", [
    ("对于这个消息，智谱方面回应称：网上不实造谣行为属个例。", None,
     [("智谱方面", "company_official", "回应称", "网上不实造谣行为属个例", False)]),
    ("据连线Insight了解，智谱近期确实在进行裁员。", "连线Insight",
     [("连线Insight", "own_outlet", "据…了解", "智谱近期确实在进行裁员", False)]),
    ("近日，白鲸实验室报道称，智谱AI近期开启了多部门的紧急裁员。", "连线Insight",
     [("白鲸实验室", "media", "报道称", "智谱AI近期开启了多部门的紧急裁员", False)]),
    ("一位接近智谱的人士透露，公司正在调整业务。", None,
     [("一位接近智谱的人士", "anonymous", "透露", "公司正在调整业务", False)]),
    ("张鹏在接受采访时表示：“完成股改是朝着IPO目标去的。”", None,
     [("张鹏", "company_official", "表示", "完成股改是朝着IPO目标去的。", True)]),
    ("“我们不会停下来，”张鹏说。", None,
     [("张鹏", "company_official", "说", "我们不会停下来，", True)]),
    ("网传G端产研部门被解散。", None, [("网传", "social", "网传", "G端产研部门被解散", False)]),
    ("据报道，智谱此轮裁员的处理方式是突然的。", None,
     [("据报道", "media", "据报道", "智谱此轮裁员的处理方式是突然的", False)]),
    ("招股书显示，智谱的收入增长很快。", None, [("招股书", "document", "显示", "智谱的收入增长很快", False)]),
    ("中信证券分析师认为，大模型行业将出现整合。", None,
     [("中信证券分析师", "expert_analyst", "认为", "大模型行业将出现整合", False)]),
    ("证监会表示，将依法审核。", None, [("证监会", "government_regulator", "表示", "将依法审核", False)]),
    ("有消息称，公司估值已达400亿元。", None, [("消息称", "anonymous", "消息称", "公司估值已达400亿元", False)]),
    ("有智谱员工告诉光锥智能，业务交到了张鹏手中。", "光锥智能",
     [("有智谱员工", "anonymous", "告诉", "业务交到了张鹏手中", False)]),
    # traditional script
    ("據連線Insight瞭解，智譜近期確實在進行裁員。", "連線Insight",
     [("連線Insight", "own_outlet", "据…瞭解", "智譜近期確實在進行裁員", False)]),
    # not attributions: a cue inside another word, or no speaker
    ("这个说法并不准确，简称为智谱。", None, []),
    ("他被认为是行业领袖。", None, []),
    ("公司对此表示感谢。", None, []),
])
def test_attributions(sentence, outlet, expected):
    assert _said(sentence, outlet) == expected


def test_attribution_offsets_point_at_the_content():
    sentence = "对此，智谱方面回应称：网上传言不实。"
    (a,) = sourcing.attributions(sentence, RULES)
    assert sentence[a["start"]:a["end"]] == a["content"] == "网上传言不实"
    assert sentence[a["speaker_start"]:a["speaker_end"]] == "智谱方面"


@pytest.mark.parametrize("speaker, cue_type, outlet, expected", [
    ("连线Insight", None, "连线Insight", "own_outlet"),
    ("本报记者", None, "甲报", "own_outlet"),
    ("", None, None, "own_outlet"),              # 据了解, 据悉: the outlet's own reporting
    ("知情人士", None, None, "anonymous"),
    ("一位接近字节跳动的人士", None, None, "anonymous"),
    ("网友", None, None, "social"),
    ("白鲸实验室", "media", None, "media"),       # the cue (报道称) decides
    ("晚点LatePost", None, None, "media"),
    ("王小明", None, None, "company_official"),  # a name the lexicon does not know: the default
    ("36氪", None, None, "media"),
    ("公告", None, None, "document"),
    ("国家金融监督管理总局", None, None, "government_regulator"),
    ("清华大学教授", None, None, "expert_analyst"),
    ("智谱CEO张鹏", None, None, "company_official"),
    ("市场监管局", None, None, "government_regulator"),
])
def test_speaker_types(speaker, cue_type, outlet, expected):
    assert sourcing.speaker_type(speaker, cue_type, outlet=outlet, rules=RULES) == expected


def test_a_pronoun_takes_the_previous_speakers_type():
    assert sourcing.speaker_type("他", None, outlet=None, rules=RULES, previous="expert_analyst") == "expert_analyst"


def _claim(sentence: str) -> list[tuple]:
    return [(c["subject"], c["value"], c["unit"], c["original"], c["period"]) for c in sourcing.claims(sentence, RULES)]


@pytest.mark.parametrize("sentence, expected", [
    ("此次人员调整涉及十余人。", [("", "≥10", "人", "十余人", "")]),
    ("此次裁员涉及十余人。", [("裁员", "≥10", "人", "十余人", "")]),
    ("其中将近一半员工被裁。", [("裁员", "≈0.5", "share", "将近一半", "")]),
    ("智谱被传出裁掉产研中心过半员工。", [("裁员", ">0.5", "share", "过半", "")]),
    ("App月活近600万。", [("月活", "≈6000000", "", "近600万", "")]),
    ("智谱2024年亏损24.66亿元。", [("亏损", "2466000000", "元", "24.66亿元", "2024年")]),
    ("估值超过200亿。", [("估值", ">20000000000", "元", "超过200亿", "")]),
    ("公司估值200亿+。", [("估值", "≥20000000000", "元", "200亿+", "")]),
    ("公司获得融资三千万美元。", [("融资", "30000000", "美元", "三千万美元", "")]),
    ("毛利率为56.3%。", [("毛利率", "0.563", "share", "56.3%", "")]),
    ("收入增长了3倍。", [("收入", "3", "倍", "3倍", "")]),
    ("研发投入约三分之一。", [("研发投入", "≈0.333333", "share", "约三分之一", "")]),
    ("API收入占比不到三成。", [("份额", "<0.3", "share", "不到三成", "")]),
    ("2022 年至 2024 年，亏损分别为 0.97 亿元、6.21 亿元、24.66 亿元。",
     [("亏损", "97000000", "元", "0.97 亿元", "2022年"), ("亏损", "621000000", "元", "6.21 亿元", "2023年"),
      ("亏损", "2466000000", "元", "24.66 亿元", "2024年")]),
    # not claims: model versions, dates, a bare 一个
    ("GLM-4.5于9月30日发布，这是一个新模型。", []),
])
def test_claims(sentence, expected):
    assert _claim(sentence) == expected


def test_months_active_have_a_unit_when_counted_in_users():
    (c,) = sourcing.claims("月活用户近600万用户。", RULES)
    assert (c["number"], c["approx"], c["unit"]) == (6_000_000, "≈", "用户")


@pytest.mark.parametrize("text, expected", [
    ("二十四点六六", 24.66), ("一千二百", 1200), ("两", 2), ("1,200", 1200), ("十", 10), ("三千", 3000),
])
def test_chinese_numerals(text, expected):
    assert sourcing.cn_number(text) == pytest.approx(expected)


def _side(text: str, group: str) -> tuple:
    (c,) = sourcing.claims(text, RULES)
    return (c["subject"], c["unit"], c["period"], group, c["value"], c["number"], "id-" + group, 0, c["original"],
            c["lo"], c["hi"], text)


@pytest.mark.parametrize("a, b, conflict", [
    ("2024年亏损20亿元。", "2024年亏损24.66亿元。", True),     # beyond rounding
    ("2024年亏损25亿元。", "2024年亏损24.66亿元。", False),    # 24.66 rounds to 25
    ("其中将近一半员工被裁。", "裁掉了过半员工。", True),           # nearly half vs more than half
    ("其中将近一半员工被裁。", "裁员比例约50%。", False),
    ("估值超过200亿。", "估值243.77亿元。", False),            # a lower bound holds
    ("估值400亿元。", "估值243.77亿元。", True),
    ("裁员十余人。", "裁员15人。", False),
    ("裁员十余人。", "裁员60人。", True),
    ("2023年亏损20亿元。", "2024年亏损24.66亿元。", False),    # different periods are not compared
    ("亏损20亿元。", "亏损20亿美元。", False),                   # different units are not compared
])
def test_conflicts(a, b, conflict):
    rows = sourcing.conflicts([_side(a, "甲"), _side(b, "乙")])
    assert bool(rows) is conflict
    if conflict:
        assert sorted(r["group"] for r in rows) == ["乙", "甲"] and rows[0]["other_value"] == rows[1]["value"]


def test_conflicts_need_two_groups():
    assert sourcing.conflicts([_side("估值400亿元。", "甲"), _side("估值243.77亿元。", "甲")]) == []


def test_intervals():
    assert sourcing.interval(20e8, "exact", 1e8) == (19.5e8, 20.5e8)
    assert sourcing.interval(10, "some", 1) == (10, 20)
    assert sourcing.interval(0.5, "over", 0.01)[1] == math.inf


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("'quoted", "''quoted"),
    ("智谱", "智谱"), (3, 3),
])
def test_csv_cells_never_start_a_formula(value, expected):
    assert sourcing.csv_safe(value) == expected
    assert sourcing.csv_text(sourcing.csv_safe(value)) == value


# ---------------------------------------------------------------- reuse


BASE = "智谱在其官方公众号发布的招聘贴显示，包括多模态生成算法工程师、推理优化工程师、产品和业务团队在内的多岗位待招。"
EDITED = "智谱近期在其官方公众号发布的招聘帖显示，包括多模态生成算法工程师、推理优化工程师、产品和业务团队在内的近50个岗位待招。"
OTHER = "唐杰认为科研就像登山，一定要登到顶峰，不登顶就是失败，这是清华大学实验室多年来坚持的信念。"


def _normalized(id_: str, outlet: str, sentences: list[str]) -> dict:
    out, start = [], 0
    for i, s in enumerate(sentences):
        out.append({"index": i, "text": s, "start": start, "end": start + len(s)})
        start += len(s)
    return {"id": id_, "source": id_ + ".txt", "outlet": outlet, "title": "", "text": "".join(sentences),
            "sentences": out}


def _run(tmp_path, articles: list[dict], published: dict[str, str] | None = None):
    ingest = tmp_path / "01_ingest"
    ingest.mkdir()
    records.write_jsonl(ingest / "articles.jsonl",
                        [{"id": a["id"], "published": (published or {}).get(a["id"], "")} for a in articles])
    norm = tmp_path / "03_normalize"
    norm.mkdir()
    records.write_jsonl(norm / "articles.jsonl", articles)
    out = tmp_path / "08_sourcing"
    out.mkdir()
    totals = sourcing.run_stage({"03_normalize": norm}, out, {})
    return out, totals


def test_reuse_finds_edited_copies_and_their_origin(tmp_path):
    out, totals = _run(tmp_path, [_normalized("a", "甲", [BASE, OTHER]), _normalized("b", "乙", [EDITED])],
                       published={"a": "2025-10-01", "b": "2025-10-03"})
    rows = list(csv.DictReader(open(out / sourcing.REUSE, encoding="utf-8-sig")))
    assert [(r["id_a"], r["id_b"], r["group_a"], r["group_b"], r["origin"]) for r in rows] == [("a", "b", "甲", "乙", "a")]
    assert rows[0]["text_a"] == BASE and rows[0]["text_b"] == EDITED and float(rows[0]["similarity"]) >= 0.5
    assert totals["totals"]["reuse"] == 1


def test_reuse_ignores_unrelated_text_and_the_same_article(tmp_path):
    out, _ = _run(tmp_path, [_normalized("a", "甲", [BASE, BASE]), _normalized("b", "乙", [OTHER])])
    assert list(csv.DictReader(open(out / sourcing.REUSE, encoding="utf-8-sig"))) == []


def test_reduce_with_its_bands_and_checks_in_workers_gives_the_same_files(seed_outputs, tmp_path, monkeypatch):
    """The LSH bands and the exact checks as tasks in two worker processes, the checks a pair
    at a time: the reduce writes the same tables."""
    import shutil

    from pipeline import run, story

    out = tmp_path / "out"
    shutil.copytree(seed_outputs, out)
    folder = out / "08_sourcing"
    before = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    monkeypatch.setattr(sourcing, "PARALLEL_MIN_PASSAGES", 0)
    monkeypatch.setattr(sourcing, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(sourcing, "JACCARD_CHUNK", 1)
    stage = run.configured("sourcing", story.saved(out), out)
    totals = sourcing.finish(folder, stage.params, jobs=2)
    assert totals["totals"]["reuse_candidates"] > 1  # more than one chunk
    assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == before


@pytest.mark.parametrize("jobs, lines", [(1, 1), (2, 1), (2, 2)])
def test_reduce_by_ranges_of_one_to_three_articles_gives_one_ranges_tables(seed_outputs, tmp_path, monkeypatch, jobs,
                                                                           lines):
    """The reduce's per-range work (table lines, counts, signatures, the passages' texts and
    dates read back) over ranges of 1 to 3 articles, its bands and exact checks as tasks of
    one article's pairs each, here or in two forked processes: the same tables and totals as
    the reduce over one range."""
    import shutil

    from pipeline import run, story
    from pipeline.runner import ranges

    out = tmp_path / "out"
    shutil.copytree(seed_outputs, out)
    folder = out / "08_sourcing"
    stage = run.configured("sourcing", story.saved(out), out)
    expected_totals = sourcing.finish(folder, stage.params)
    expected = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    assert expected_totals["totals"]["reuse"] > 0 and expected_totals["totals"]["claim_conflicts"] > 0
    for path in folder.glob("*.csv"):
        path.unlink()
    sizes = sorted(len(line) + 1 for line in (folder / "articles.jsonl").read_bytes().splitlines())
    size = 1 if lines == 1 else sizes[len(sizes) // 2]  # a range a record, or about two (1 to 3, some more)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", size)
    monkeypatch.setattr(sourcing, "PARALLEL_MIN_PASSAGES", 0)
    monkeypatch.setattr(sourcing, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(sourcing, "JACCARD_CHUNK", 1)
    calls = []
    real = sourcing.map_ranges

    def spy(fn, path, **kwargs):
        results = list(real(fn, path, **kwargs))
        calls.append((fn.__name__, len(results)))
        return iter(results)

    monkeypatch.setattr(sourcing, "map_ranges", spy)
    assert sourcing.finish(folder, stage.params, jobs=jobs) == expected_totals
    assert [name for name, _ in calls] == ["_range_pass", "_texts_range", "_published_range"]
    assert all(n >= 3 for _, n in calls), calls
    assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == expected


def test_the_exact_checks_keep_an_article_pairs_matches_in_one_chunk():
    """Chunks of the candidate pairs are cut only where the first side's article changes."""
    import numpy as np

    first = np.asarray([0, 0, 0, 1, 2, 2, 5, 5, 5, 5, 7])
    for size in range(1, 13):
        chunks = sourcing._chunks(first, size)
        assert chunks[0][0] == 0 and chunks[-1][1] == len(first)
        assert all(a < b and b == c for (a, b), (c, _) in zip(chunks, chunks[1:] + [(len(first), None)]))
        assert all(first[b - 1] != first[b] for _, b in chunks[:-1])  # never inside one article's pairs
    assert sourcing._chunks(first, 1) == [(0, 3), (3, 4), (4, 6), (6, 10), (10, 11)]
    assert sourcing._chunks(first, 100) == [(0, 11)]
    assert sourcing._chunks(first[:0], 5) == []


def test_reuse_with_an_id_repeated_apart_keeps_each_side(tmp_path, monkeypatch):
    """An id that occurs twice, apart (not from ingest, which renames repeats): its passages are
    one article's, and the pairs it is the second side of still make rows of their own."""
    articles = [_normalized("a", "甲", [BASE]), _normalized("b", "乙", [EDITED]), _normalized("a", "甲", [BASE])]
    monkeypatch.setattr(sourcing, "JACCARD_CHUNK", 1)
    out, totals = _run(tmp_path, articles, published={"a": "2025-10-01", "b": "2025-10-03"})
    rows = list(csv.DictReader(open(out / sourcing.REUSE, encoding="utf-8-sig")))
    assert [(r["id_a"], r["id_b"], r["origin"]) for r in rows] == [("a", "b", "a"), ("b", "a", "a")]
    assert totals["totals"]["reuse"] == 2


# ---------------------------------------------------------------- the seeds


def _rows(path, columns):
    return [{c: row[c] for c in columns} for row in csv.DictReader(open(path, encoding="utf-8-sig"))]


def test_seed_attributions(seed_outputs, snapshot):
    folder = seed_outputs / "08_sourcing"
    snapshot("sourcing/attributions", _rows(folder / sourcing.ATTRIBUTIONS,
                                            ["id", "group", "sentence", "speaker", "speaker_type", "cue", "content",
                                             "direct", "start", "end"]))


def test_seed_claims(seed_outputs, snapshot):
    folder = seed_outputs / "08_sourcing"
    snapshot("sourcing/claims", _rows(folder / sourcing.CLAIMS,
                                      ["id", "group", "sentence", "subject", "value", "unit", "approx", "period",
                                       "speaker", "original"]))


def test_seed_conflicts_and_reuse(seed_outputs, snapshot):
    folder = seed_outputs / "08_sourcing"
    conflicts = _rows(folder / sourcing.CONFLICTS, ["subject", "group", "value", "id", "sentence", "original"])
    snapshot("sourcing/conflicts", conflicts)
    # the figures the issue names: the 2024 loss, the valuation and the share laid off
    pairs = {(r["subject"], r["original"]) for r in conflicts}
    assert {("亏损", "24.66 亿元"), ("亏损", "20亿元"), ("估值", "400亿元"), ("估值", "243.77 亿元"),
            ("裁员", "将近一半"), ("裁员", "过半")} <= pairs
    reuse = _rows(folder / sourcing.REUSE, ["id_a", "id_b", "similarity"])
    assert [(r["id_a"], r["id_b"]) for r in reuse] == [("000_d151f6eed1cf98de", "002_15155710bce3e603")]


def test_seed_tables_load(seed_outputs):
    from pipeline import load

    att = load("attributions", seed_outputs)
    assert list(att.columns[:11]) == ["id", "source", "group", "sentence", "speaker", "speaker_type", "cue", "content",
                                      "direct", "start", "end"]
    assert set(att["speaker_type"]) <= set(sourcing.TYPES)
    assert list(load("claims", seed_outputs).columns[:11]) == ["id", "source", "group", "sentence", "subject", "value",
                                                               "number", "unit", "approx", "period", "speaker"]
    assert list(load("claim_conflicts", seed_outputs).columns[:6]) == ["subject", "group", "value", "number", "id",
                                                                       "sentence"]
    assert list(load("reuse", seed_outputs).columns[:8]) == ["id_a", "id_b", "group_a", "group_b", "text_a", "text_b",
                                                             "similarity", "origin"]
    claims = load("claims", seed_outputs)
    assert claims["hi"].dtype == float and (claims["hi"] == float("inf")).any()
    assert set(claims["approx"]) <= {"=", "≈", ">", "≥", "<", "≤"}  # "=" read back without its apostrophe
    assert set(load("top_speakers", seed_outputs).columns) == {"group", "speaker", "speaker_type", "n", "direct"}
    assert list(load("reuse_by_group", seed_outputs).columns) == ["group_a", "group_b", "pairs", "chars"]
    manifest = records.read_json(seed_outputs / "08_sourcing" / "manifest.json")
    assert manifest["totals"]["attributions"] == len(att)


# ---------------------------------------------------------------- the report


def test_seed_report_shows_who_speaks_and_the_differing_numbers(seed_outputs):
    from pipeline import report

    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    for heading in ('<h2 id="sourcing">Who speaks</h2>', "<h2 id=\"claims\">Where the outlets' numbers differ</h2>",
                    '<h2 id="reuse">Shared passages</h2>'):
        assert heading in page
    section = page[page.index('id="claims"'):page.index('id="reuse"')]
    assert "24.66 亿元" in section and "将近一半" in section and "过半" in section
    assert 'href="#a' in page[page.index('id="sourcing"'):page.index('id="claims"')]  # links to the sentences


def test_sourcing_sections_escape_untrusted_text():
    from pipeline import report

    evil = "<script>alert(1)</script>"
    d = {"anchors": report._Anchors(), "articles": {}, "sourcing": {
        "profile": [{"group": evil, "speaker_type": "media", "n": "1", "share": "1.0", "direct": "1", "indirect": "0"}],
        "speakers": {evil: [{"group": evil, "speaker": evil, "speaker_type": "media", "n": "1", "direct": "1"}]},
        "quotes": {evil: [{"id": evil, "group": evil, "sentence": "0", "speaker": evil, "speaker_type": "media",
                           "cue": evil, "content": evil, "direct": "True"}]},
        "n_quotes": {evil: 1},
        "conflicts": [{"subject": evil, "group": evil, "value": evil, "original": evil, "id": evil, "sentence": "0"}] * 2,
        "n_conflicts": 1,
        "passages": [{"id_a": evil, "id_b": evil, "group_a": evil, "group_b": evil, "text_a": evil, "text_b": evil,
                      "similarity": "1.0", "origin": evil, "sentences_a": "0", "sentences_b": "0"}],
        "n_passages": 1, "by_group": [{"group_a": evil, "group_b": evil, "pairs": "1", "chars": "5"}]}}
    html = report._sourcing_sections(d)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_who_speaks_shows_the_largest_groups_first_and_at_most_max_groups():
    from pipeline import report

    profile = [{"group": g, "speaker_type": "media", "n": str(n), "share": "1.0", "direct": "0", "indirect": str(n)}
               for g, n in (("甲", 1), ("乙", 5), ("丙", 3))]
    d = {"anchors": report._Anchors(), "articles": {}, "params": {"max_groups": 2}, "sourcing": {
        "profile": profile, "speakers": {}, "quotes": {}, "n_quotes": {"甲": 1, "乙": 5, "丙": 3},
        "conflicts": [], "n_conflicts": 0, "passages": [], "n_passages": 0, "by_group": []}}
    html = report._sourcing_sections(d)
    assert html.index("<h3>乙") < html.index("<h3>丙") and "<h3>甲" not in html and "1 more are in" in html


def test_vectorised_signatures_equal_datasketch_minhash():
    texts = [BASE, EDITED, OTHER, "短句。", "ab"]
    assert sourcing.signatures(texts, RULES) == [sourcing.signature(t, RULES) for t in texts]


def test_permutations_mixing_and_bands_are_datasketchs():
    import numpy as np
    from datasketch import MinHash, MinHashLSH
    from datasketch.minhash import _fmix

    assert np.array_equal(sourcing._permutations(RULES.num_perm),
                          MinHash(num_perm=RULES.num_perm, seed=1, scheme=sourcing.SCHEME).permutations)
    hv = np.random.default_rng(0).integers(0, 1 << 32, 1000, dtype=np.uint64).astype(np.uint32)
    assert np.array_equal(sourcing._fmix32(hv), _fmix(hv, 32))
    lsh = MinHashLSH(threshold=RULES.lsh_threshold, num_perm=RULES.num_perm)
    assert (RULES.bands, RULES.rows) == (lsh.b, lsh.r)


def test_signatures_estimate_the_jaccard_similarity():
    import numpy as np

    a, b, c = (np.frombuffer(__import__("base64").b64decode(s), dtype="<u4")
               for s in sourcing.signatures([BASE, EDITED, OTHER], RULES))
    assert (a == b).mean() > 0.35 and (a == c).mean() < 0.1


# ---------------------------------------------------------------- properties

from hypothesis import given, settings, strategies as st  # noqa: E402

PIECES = ["张鹏", "智谱方面", "一位接近公司的人士", "网传", "据", "了解", "报道", "表示", "回应称", "称", "说", "认为",
          "显示", "招股书", "“", "”", "，", "。", "：", "十余人", "将近一半", "过半", "24.66亿元", "200亿+", "近600万",
          "估值", "亏损", "裁员", "2024年", "分别为", "、", "数十", "六成二", "被曝", "他", "的", " ", "a", "1"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_sentence_gives_well_formed_attributions_and_claims(pieces):
    sentence = "".join(pieces)
    for a in sourcing.attributions(sentence, RULES, outlet="连线Insight"):
        assert sentence[a["start"]:a["end"]] == a["content"] and a["content"]
        assert a["speaker_type"] in sourcing.TYPES
    for c in sourcing.claims(sentence, RULES):
        assert sentence[c["start"]:c["end"]] == c["original"]
        assert c["approx"] in {"=", "≈", ">", "≥", "<", "≤"} and c["lo"] <= (c["hi"] if c["hi"] is not None else c["lo"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="的一是在不了有和人这中大为，。“”ab 12", max_size=40), min_size=2, max_size=12),
       st.integers(min_value=1, max_value=4))
def test_vectorised_jaccard_equals_the_set_one(texts, k):
    pairs = [(i, j) for i in range(len(texts)) for j in range(len(texts))]
    assert sourcing.jaccards(texts, pairs, k) == [
        sourcing.jaccard(sourcing.shingles(texts[i], k), sourcing.shingles(texts[j], k)) for i, j in pairs]


# ---------------------------------------------------------------- session 8: cues, types, subjects


@pytest.mark.parametrize("sentence, expected", [
    # cue verbs of official news (预计, 重申, 证实, 提醒, 宣称 ...), only before punctuation where the word has other uses
    ("气象部门预计，未来三天将有降雪。", [("气象部门", "government_regulator", "预计", "未来三天将有降雪", False)]),
    ("外交部发言人重申，中方立场没有改变。", [("外交部发言人", "government_regulator", "重申", "中方立场没有改变", False)]),
    ("警方证实，事故造成两人受伤。", [("警方", "government_regulator", "证实", "事故造成两人受伤", False)]),
    ("交通运输部提醒，出行前查询路况。", [("交通运输部", "government_regulator", "提醒", "出行前查询路况", False)]),
    ("该组织宣称对袭击负责。", [("该组织", "company_official", "宣称", "对袭击负责", False)]),
    ("随着新产品的发布，收入将增长。", []),
    ("市场预计的增速偏低。", []),
    # 引述: the outlet cites, and the cited speaker is an attribution of its own inside it
    ("《星岛日报》引述消息人士指，谈判仍在进行。",
     [("《星岛日报》", "media", "引述", "消息人士指，谈判仍在进行", False),
      ("消息人士", "anonymous", "指", "谈判仍在进行", False)]),
    # a cue inside what an earlier speaker said belongs to that speaker
    ("负责人表示暂时未能确认，会尽快提供资料。",
     [("负责人", "company_official", "表示", "暂时未能确认，会尽快提供资料", False)]),
    ("对方表示现在不太清楚，称咨询期为期六星期。",
     [("对方", "company_official", "表示", "现在不太清楚，称咨询期为期六星期", False)]),
    # the speaker in an earlier clause of the sentence (its subject, by part-of-speech tags)
    ("1月1日，国家主席习近平和夫人彭丽媛向师生代表回赠新年贺卡，致以新年祝福，表示两国友谊源远流长。",
     [("国家主席习近平和夫人彭丽媛", "government_regulator", "表示", "两国友谊源远流长", False)]),
    ("韩国外交部31日公布调查结果，称已确认设备的安装情况。",
     [("韩国外交部", "government_regulator", "称", "已确认设备的安装情况", False)]),
    ("公司股价大涨，表示市场看好。", []),  # the head, 股价, is no speaker
    # a setting cut from the speaker: 在谈到……时, 在……方面, an adverb
    ("他在谈到成本时坦言：“首先是算力。”", [("他", "company_official", "坦言", "首先是算力。", True)]),
    ("局方突然宣布，记者会延期。", [("局方", "government_regulator", "宣布", "记者会延期", False)]),
    # 显示 after a body's data: the body speaks; data named as the speaker is a document
    ("统计局12月31日发布数据显示，全年增长5%。", [("统计局", "government_regulator", "显示", "全年增长5%", False)]),
    ("商务部公布的数据显示，进出口增长5%。", [("商务部公布的数据", "document", "显示", "进出口增长5%", False)]),
    # a quotation that runs on into the next sentence is direct
    ("张三表示：“首先是成本。", [("张三", "company_official", "表示", "首先是成本", True)]),
    # traditional script
    ("氣象部門預計，未來三天將有降雪。", [("氣象部門", "government_regulator", "預計", "未來三天將有降雪", False)]),
])
def test_attributions_session8(sentence, expected):
    assert _said(sentence) == expected


@pytest.mark.parametrize("speaker, expected", [
    ("也门胡塞武装运营的媒体", "media"),            # the head of the phrase (its end) decides
    ("统计局数据", "document"),
    ("国家发展改革委有关负责人", "government_regulator"),  # a neutral role takes what it follows
    ("某公司有关负责人", "company_official"),
    ("外交部方面", "government_regulator"),
    ("外交部发言人", "government_regulator"),
    ("负责人", "company_official"),                 # alone: the role's own type
    ("对方", "company_official"),                   # a pronoun, not 中方/美方
    ("美方", "government_regulator"),
])
def test_speaker_types_by_head(speaker, expected):
    assert sourcing.speaker_type(speaker, None, outlet=None, rules=RULES) == expected


@pytest.mark.parametrize("name, context, expected", [
    ("习近平", "国家主席习近平会见来宾。习近平指出，", "government_regulator"),
    ("诺沃亚", "同厄瓜多尔总统诺沃亚举行会谈。", "government_regulator"),
    ("李明", "清华大学教授李明说。", "expert_analyst"),
    ("诺沃亚", "美国制裁诺沃亚。", "company_official"),  # no title right before the name: the default
])
def test_a_bare_name_takes_the_type_of_its_title_in_the_article(name, context, expected):
    assert sourcing.speaker_type(name, None, outlet=None, rules=RULES, context=context) == expected


def test_source_article_types_a_name_by_its_title_elsewhere():
    record = {"id": "x", "source": "x", "outlet": "甲", "sentences": [
        {"index": 0, "start": 0, "text": "国家主席习近平会见来宾。"},
        {"index": 1, "start": 12, "text": "习近平指出，两国是好朋友。"}]}
    (a,) = sourcing.source_article(record, RULES)["attributions"]
    assert (a["speaker"], a["speaker_type"]) == ("习近平", "government_regulator")


@pytest.mark.parametrize("row", [["=1+1", "+a", "-b", "@c", "\tx", "\rx", "'q", "ok", "", 3, 2.5, True, None, "中文"]])
def test_the_inline_csv_guard_equals_csv_safe(row):
    assert sourcing._safe_row(row) == [sourcing.csv_safe(v) for v in row]


CUE_PIECES = [v.verb for v in RULES.verbs] + ["据", "據"] + [q[0] for q in RULES.quotes] + [
    "他", "的", "公司", "。", "，", " ", "a", "1", "发", "报", "表", "称说"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(CUE_PIECES), max_size=12), st.text(max_size=20))
def test_cue_automaton_answers_as_the_cue_alternation(pieces, noise):
    """The automaton the map asks (one C pass) finds a cue exactly where the regex does."""
    for text in ("".join(pieces), noise + "".join(pieces), "".join(pieces[:1]) + noise):
        assert sourcing.has_any(RULES.cue_words, text) == bool(RULES.any_cue.search(text))
    assert not sourcing.has_any(RULES.cue_words, "")


# ---------------------------------------------------------------- session 9: reporting verbs, bodies and titles


@pytest.mark.parametrize("sentence, expected", [
    # reporting verbs of any domain (呼吁, 谈及, 形容, 列明, 发现, 解释 …), both scripts
    ("联合国儿童基金会呼吁加沙地带立即停火。",
     [("联合国儿童基金会", "government_regulator", "呼吁", "加沙地带立即停火", False)]),
    ("聯合國兒童基金會呼籲加沙地帶立即停火。",
     [("聯合國兒童基金會", "government_regulator", "呼籲", "加沙地帶立即停火", False)]),
    ("胡国兴在演说中谈及自己的愿景，希望下届特首可以一人一票选出。",
     [("胡国兴", "company_official", "谈及", "自己的愿景，希望下届特首可以一人一票选出", False)]),
    ("唐英年形容2012年是“负面教材”。", [("唐英年", "company_official", "形容", "2012年是“负面教材”", False)]),
    ("香港《基本法》第46条只列明：“行政长官任期五年，可连任一次。”",
     [("香港《基本法》第46条", "document", "列明", "行政长官任期五年，可连任一次。", True)]),
    ("记者在正阳县采访时发现，机收损失率可以降低到0.6%。",
     [("记者", "own_outlet", "发现", "机收损失率可以降低到0.6%", False)]),
    ("記者在正陽縣採訪時發現，損失率可以降低。", [("記者", "own_outlet", "發現", "損失率可以降低", False)]),
    ("调查发现，多数受访者支持新措施。", [("调查", "document", "发现", "多数受访者支持新措施", False)]),
    ("他发现钱包不见了。", []),                                   # 发现: only the outlet or a document
    ("消息人士解释，李嘉诚退休时已表明只继续公益事业。",
     [("消息人士", "anonymous", "解释", "李嘉诚退休时已表明只继续公益事业", False)]),
    ("“十五五”规划纲要提出，深入推进数字中国建设。",
     [("规划纲要", "document", "提出", "深入推进数字中国建设", False)]),
    # 综合…消息/报道: a compilation of sources
    ("综合与会者消息，两人会上并无触及具体政策措施。",
     [("与会者", "anonymous", "综合…消息", "两人会上并无触及具体政策措施", False)]),
    ("综合外媒报道，停火协议已经生效。", [("外媒", "media", "综合…报道", "停火协议已经生效", False)]),
    # 据……数据/报告/资料 before a comma: a document
    ("据国家统计局数据，全年增长5%。", [("国家统计局", "document", "据…数据", "全年增长5%", False)]),
    # a named_only cue without its punctuation: only after a person
    ("至于胡国兴，唐英年说胡一直担任法官多年。", [("唐英年", "company_official", "说", "胡一直担任法官多年", False)]),
    ("梁锦松重申希望新政府团结所有香港人。", [("梁锦松", "company_official", "重申", "希望新政府团结所有香港人", False)]),
    ("梁锦松会见传媒时没有表态，只是说教育非常重要。", [("梁锦松", "company_official", "说", "教育非常重要", False)]),
    ("可以说，这是一个好消息。", []),
    ("公司越发强调大模型的功能性。", []),
    # 要求: a document's, or a person's in government; a body's demand is no statement
    ("西非两国总统要求法国撤军。", []),
    # a quoted name inside the speaker
    ("韩国社会团体“环境运动联合”呼吁政府立即解散考察团。",
     [("韩国社会团体“环境运动联合”", "company_official", "呼吁", "政府立即解散考察团", False)]),
    # 发布/公布: what follows a published document, or a typed body's announcement
    ("全国少工委发布统计数据，截至2023年底，全国共有少先队员1亿名。",
     [("全国少工委", "government_regulator", "发布", "截至2023年底，全国共有少先队员1亿名", False)]),
    ("国家航天局发布消息，火箭已运抵发射场。", [("国家航天局", "government_regulator", "发布", "火箭已运抵发射场", False)]),
    ("1958年11月婚讯公布，报纸以头条报道。", []),
    # a cue followed by a clause that opens with a cue: the later one speaks
    ("当局否认村民的讲法，指早于1977年已签订协议。",
     [("当局", "government_regulator", "指", "早于1977年已签订协议", False)]),
    ("林郑提及记者，表示一直维护新闻自由。", [("林郑", "company_official", "表示", "一直维护新闻自由", False)]),
    # a setting (谈到……时, 出席……时, 在倡议中) is cut from the speaker, and is no cue of its own
    ("资深法医马宣立曾谈及陈彦霖案时表示：“所有市民都有权知道。”",
     [("资深法医马宣立", "company_official", "表示", "所有市民都有权知道。", True)]),
    ("胡国兴出席外国记者会时提及，他多数提名来自民主派选委。",
     [("胡国兴", "company_official", "提及", "他多数提名来自民主派选委", False)]),
    ("彭丽媛在倡议中表示，中国是非洲永远的朋友。", [("彭丽媛", "company_official", "表示", "中国是非洲永远的朋友", False)]),
    # a speaker named inside what a citing cue attributes, with a setting and a year cut
    ("当时有报道引述北京大学法学院教授饶戈平2007年出席研讨会时称，香港也是一样。",
     [("有报道", "media", "引述", "北京大学法学院教授饶戈平2007年出席研讨会时称，香港也是一样", False),
      ("北京大学法学院教授饶戈平", "expert_analyst", "称", "香港也是一样", False)]),
    # not attributions: courtesies, negated cues, a setting or a topic as the speaker, a noun
    ("党中央和国务院向你们表示热烈祝贺和亲切慰问！", []),
    ("李克强与工作人员交流，对外汇储备实现好的经营收益表示肯定。", []),
    ("《基本法》没有提及特首卸任后可否再参选。", []),
    ("西九管理局开始咨询，并在中环展城馆召开记者会公布，惟记者会延期。", []),
    ("台下的编辑问胡国兴，是否认为选举是公平的。", []),
    ("翻查过往报道，澳门在2007年曾出现类似讨论。", []),
    ("福建素有“八山一水一分田”之称，人均耕地很少。", []),
    ("三人均承认一项暴动罪。", []),
    ("她否认普通袭击罪，案件今日裁决。", []),                         # a plea in court
    ("他早前承认向儿童作出猥亵行为等8罪。", []),
    ("梁振英与李慧琼作呼吁，相信并非巧合。", []),
    ("他否认曾经收受利益。", [("他", "company_official", "否认", "曾经收受利益", False)]),
])
def test_attributions_session9(sentence, expected):
    assert _said(sentence) == expected


def test_a_demand_counts_when_a_person_in_government_makes_it():
    context = "国务院副总理丁薛祥到北京检查高考准备工作。丁薛祥要求各级党委政府做好服务保障工作。"
    (a,) = sourcing.attributions("丁薛祥要求各级党委政府做好服务保障工作。", RULES, context=context)
    assert (a["speaker"], a["speaker_type"], a["cue"], a["content"]) == (
        "丁薛祥", "government_regulator", "要求", "各级党委政府做好服务保障工作")


@pytest.mark.parametrize("speaker, expected", [
    # offices, parliaments, armed forces, intergovernmental bodies (both scripts)
    ("以色列国防军", "government_regulator"),
    ("联合国儿童基金会", "government_regulator"),
    ("俄总统新闻秘书佩斯科夫", "government_regulator"),   # not media (新闻)
    ("全国人大常委会委员长赵乐际", "government_regulator"),
    ("阿根廷众议长莫雷阿乌", "government_regulator"),
    ("行政长官", "government_regulator"),
    ("行政長官", "government_regulator"),
    ("立法會議員", "government_regulator"),
    ("全国政协常委唐英年", "government_regulator"),
    ("巴勒斯坦武装组织", "government_regulator"),
    ("国家主席习近平夫人彭丽媛", "government_regulator"),
    ("台湾农委会", "government_regulator"),
    ("立法院", "government_regulator"),
    ("警方", "government_regulator"),
    # candidates and former officials speak for themselves
    ("特首参选人胡国兴", "company_official"),
    ("建筑及测量界选委兼前议员谢伟铨", "company_official"),
    ("前财政司司长梁锦松", "company_official"),
    ("美国前总统特朗普", "company_official"),
    ("考评局前秘书长唐创时", "company_official"),
    # organisations speaking for themselves, and titles that are no office
    ("支联会", "company_official"),
    ("董事会主席", "company_official"),
    ("奥运冠军", "company_official"),
    # unnamed people, media, documents
    ("与会嘉宾", "anonymous"),
    ("与会的教育界选委甘秀云", "company_official"),
    ("消费者", "anonymous"),
    ("有报道", "media"),
    ("文章", "media"),
    ("外媒", "media"),
    ("香港《基本法》第46条", "document"),
])
def test_speaker_types_session9(speaker, expected):
    assert sourcing.speaker_type(speaker, None, outlet=None, rules=RULES) == expected


def test_an_anonymity_word_inside_a_name_does_not_make_it_anonymous():
    assert sourcing.speaker_type("美国消费者新闻与商业频道", "media", outlet=None, rules=RULES) == "media"


def _record(*texts: str) -> dict:
    sentences, at = [], 0
    for i, t in enumerate(texts):
        sentences.append({"index": i, "start": at, "text": t})
        at += len(t)
    return {"id": "x", "source": "x", "outlet": "甲", "sentences": sentences}


def test_a_pronoun_with_no_attribution_before_takes_the_previous_sentences_subject():
    record = _record("央视网消息：国务院副总理丁薛祥2日到北京检查高考准备工作。", "他强调，高考关系千家万户。")
    (a,) = sourcing.source_article(record, RULES)["attributions"]
    assert (a["speaker"], a["speaker_type"]) == ("他", "government_regulator")


def test_a_pronoun_does_not_refer_back_to_a_document():
    record = _record("港大副教授陈凯欣表示，调查有新发现。", "同一调查亦发现，多数人支持。", "她认为这反映了策略。")
    said = [(a["speaker"], a["speaker_type"]) for a in sourcing.source_article(record, RULES)["attributions"]]
    assert said == [("港大副教授陈凯欣", "expert_analyst"), ("同一调查", "document"), ("她", "expert_analyst")]


@pytest.mark.parametrize("sentence, expected", [
    ("今年全国8省小麦进入收割。", [("", "8", "省", "8省", "今年")]),
    ("年产400万台（套）以上。", [("", ">4000000", "台", "400万台（套）以上", "")]),  # a bracketed measure word
])
def test_claims_session9(sentence, expected):
    assert _claim(sentence) == expected


# ---------------------------------------------------------------- the claims path, faster and the same

NUMBER_PIECES = (list(RULES.before) + list(RULES.after) + list(RULES.units) + list(RULES.fractions) + list(RULES.vague)
                 + list("零〇一二两三四五六七八九十百千万亿点几数半成分之余多第-._/,%％+ ") + ["1", "24", "0.5", "1,200", "分之", "以上",
                                                                                      "估值", "亏损", "a", "B", "的", "，", "。", "（套）"])


def _spans(matches) -> list[tuple]:
    return [(m.span(), m.groupdict()) for m in matches]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(NUMBER_PIECES), max_size=25), st.text(alphabet="一二十百万亿点数第年人个%.,-1234567890", max_size=12))
def test_number_and_fraction_matches_are_the_full_scans(pieces, noise):
    """The jumping scan and the screened one find exactly what finditer over the whole text finds."""
    for text in ("".join(pieces), noise + "".join(pieces), "".join(pieces) + noise, noise):
        assert _spans(sourcing.number_matches(text, RULES)) == _spans(RULES.number.finditer(text))
        assert _spans(sourcing.fraction_matches(text, RULES)) == _spans(RULES.fraction.finditer(text))


@pytest.mark.parametrize("text", [
    "第十二届全国人大", "近600万用户，超过一半，不少于3成", "GLM-4.5于9月30日发布", "1,200.5亿元（约合170亿美元）以上",
    "数以千计的人，数十人，十余人，两成半", "百分之五十点五，三分之一", "", "没有数字的句子",
])
def test_number_matches_on_hand_picked_texts(text):
    assert _spans(sourcing.number_matches(text, RULES)) == _spans(RULES.number.finditer(text))
    assert _spans(sourcing.fraction_matches(text, RULES)) == _spans(RULES.fraction.finditer(text))


def test_cn_number_is_memoised_and_still_raises_on_bad_numerals():
    assert sourcing.cn_number("二十四点六六") == sourcing.cn_number("二十四点六六") == pytest.approx(24.66)
    for _ in range(2):
        with pytest.raises((ValueError, KeyError, TypeError)):
            sourcing.cn_number("点点")


# ---------------------------------------------------------------- session 9: the map's shortcuts agree with the full path


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="，。；！？,;!?：:、的一是a1 \n", max_size=30))
def test_clause_begin_is_the_end_of_the_last_clause_mark_before(text):
    for pos in range(len(text) + 1):
        assert sourcing._clause_begin(text, pos) == max(
            (m.end() for m in sourcing._CLAUSE.finditer(text, 0, pos)), default=0)


def test_clause_begin_on_the_seed_sentences(seed_outputs):
    for record in records.read_jsonl(seed_outputs / "03_normalize" / "articles.jsonl"):
        for sentence in record.get("sentences", ()):
            text = sentence["text"]
            assert [sourcing._clause_begin(text, p) for p in range(len(text) + 1)] == [
                max((m.end() for m in sourcing._CLAUSE.finditer(text, 0, p)), default=0) for p in range(len(text) + 1)]


# ---------------------------------------------------------------- session 11: more of the map in C, or once per distinct string


def _walk_back(text, pos):
    """The clause start as the map found it before session 11: a Python step per character."""
    i = pos
    while i > 0 and text[i - 1] not in sourcing._BOUNDARY and text[i - 1] not in "”」’』\"":
        i -= 1
    return i


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="，。；：！？,;:!?、”」’』\"“的一是a1 \n", max_size=30))
def test_clause_start_is_the_walk_back_to_the_last_boundary(text):
    for pos in range(len(text) + 1):
        assert sourcing._clause_start(text, pos) == _walk_back(text, pos)


def test_clause_start_on_the_seed_sentences(seed_outputs):
    for record in records.read_jsonl(seed_outputs / "03_normalize" / "articles.jsonl"):
        for sentence in record.get("sentences", ()):
            text = sentence["text"]
            assert [sourcing._clause_start(text, p) for p in range(len(text) + 1)] == [
                _walk_back(text, p) for p in range(len(text) + 1)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES + list(RULES.own_markers) + ["本", "报", "记", "者"]), max_size=10))
def test_own_marker_pattern_answers_as_the_marker_loop(pieces):
    text = "".join(pieces)
    assert bool(RULES.own_marker.search(text)) == any(m in text for m in RULES.own_markers)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="的一是在不了有和人这中大为，。“”ab 12", max_size=60), min_size=1, max_size=6))
def test_signatures_of_any_texts_equal_datasketch_minhash(texts):
    """The signatures' minima are taken a row per permutation (session 11): datasketch's values
    (for texts with a letter: the map signs no empty passage)."""
    texts = [t for t in texts if sourcing._NOT_TEXT.sub("", t)] or ["ab"]
    assert sourcing.signatures(texts, RULES) == [sourcing.signature(t, RULES) for t in texts]


FRACTION_PIECES = list(RULES.fractions) + list(RULES.vague) + ["分", "之", "分之", "成", "三", "两", "半", "十", "百", "的",
                                                                "1", "，", "成为", " "]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRACTION_PIECES), max_size=10), st.text(max_size=12))
def test_fraction_automaton_answers_as_the_fraction_screen(pieces, noise):
    """The fraction screen is asked of an automaton (session 11): a hit exactly where the regex has one."""
    for text in ("".join(pieces), noise + "".join(pieces), "".join(pieces[:1]) + noise):
        assert sourcing.has_any(RULES.fraction_words, text) == bool(RULES.fraction_screen.search(text))


def test_no_own_markers_match_nothing(tmp_path):
    data = sourcing.RULES_PATH.read_text(encoding="utf-8")
    start = data.index("own_outlet_markers:")
    end = data.index("\n", start)
    path = tmp_path / "sourcing.yaml"
    path.write_text(data[:start] + "own_outlet_markers: []" + data[end:], encoding="utf-8")
    rules = sourcing.load_rules(path)
    assert rules.own_markers == () and not rules.own_marker.search("本报记者说")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["国家主席", "外交部", "发言人", "前", "议员", "统计局", "数据", "方面", "教授"]),
                max_size=8))
def test_remembered_speaker_answers_equal_the_computed_ones(pieces):
    """clean_speaker, lexicon_type and the title test are remembered per distinct string: asked
    twice, and of fresh rules, the same answers as the computation itself."""
    text = "".join(pieces)
    fresh = sourcing.load_rules()
    for rules in (RULES, RULES, fresh):
        assert sourcing.clean_speaker(text, rules) == sourcing._clean_speaker(text, rules)
        assert sourcing.lexicon_type(text, rules) == sourcing._lexicon_type(text, rules)
        assert sourcing._is_title(text, rules) == any(
            t.end() == len(text) for type_, pattern in rules.type_res if type_ != "document"
            for t in pattern.finditer(text))


def test_remembered_answers_are_bounded(monkeypatch):
    rules = sourcing.load_rules()
    monkeypatch.setattr(sourcing, "MEMO_LIMIT", 3)
    for k in range(10):
        sourcing.clean_speaker(f"对此，公司{k}", rules)
        sourcing.lexicon_type(f"统计局{k}", rules)
        sourcing._is_title(f"主席{k}", rules)
    assert max(len(rules._cleaned), len(rules._typed), len(rules._titles)) <= 3
    assert sourcing.clean_speaker("对此，公司9", rules) == ("公司9", 3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUE_PIECES + PIECES), max_size=12))
def test_the_not_before_and_not_after_tuples_screen_as_the_word_loops(pieces):
    """A cue's guard words are asked as one str.endswith/startswith of the tuple: the answer of
    the loop over the words."""
    text = "".join(pieces)
    for verb in set(RULES.not_before) | set(RULES.not_after):
        for pos in range(len(text) + 1):
            before, after = text[max(0, pos - 2):pos], text[pos:pos + 2]
            assert before.endswith(RULES.not_before.get(verb, ())) == any(
                before.endswith(w) for w in RULES.not_before.get(verb, ()))
            assert after.startswith(RULES.not_after.get(verb, ())) == any(
                after.startswith(w) for w in RULES.not_after.get(verb, ()))


def test_the_maps_passage_signatures_are_signatures(seed_outputs):
    """source_article reuses each passage's text without punctuation for its MinHash: the same
    signatures as signatures() of the sentences' texts."""
    for record in records.read_jsonl(seed_outputs / "03_normalize" / "articles.jsonl"):
        texts = {s["index"]: s["text"] for s in record.get("sentences", ())}
        passages = sourcing.source_article(record, RULES)["passages"]
        assert passages and [p["minhash"] for p in passages] == sourcing.signatures(
            [texts[p["sentence"]] for p in passages], RULES)


def test_remember_computes_a_key_once_none_included_and_empties_at_its_limit():
    """pipeline.memo.remember, which the rules' per-string memos share: a None answer is remembered
    too (lexicon_type answers None for an untyped speaker), and the memo never holds more than its limit."""
    from pipeline import memo

    calls = []

    def compute(key):
        calls.append(key)
        return None if key == "无" else key * 2

    store = {}
    assert [memo.remember(store, k, compute, 2) for k in ("无", "无", "甲", "无")] == [None, None, "甲甲", None]
    assert calls == ["无", "甲"]
    assert memo.remember(store, "乙", compute, 2) == "乙乙" and store == {"乙": "乙乙"}
