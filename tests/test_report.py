"""The report: escaping of untrusted text, safe urls, links to evidence, a planted <script> run end to end."""
from __future__ import annotations

import csv
import json
from html.parser import HTMLParser

import pytest

import re

from pipeline import plots, records, report
from pipeline.report import esc, external_link, highlight, safe_url

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


@pytest.mark.parametrize("text, expected", [
    (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('" onmouseover="x', "&quot; onmouseover=&quot;x"),
    ("'", "&#x27;"),
    ("智谱 & 裁员", "智谱 &amp; 裁员"),
    (None, ""),
    (3, "3"),
])
def test_esc(text, expected):
    assert esc(text) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://news.example.com/a?id=1&b=2", "https://news.example.com/a?id=1&b=2"),
    ("http://example.com", "http://example.com"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("javascript:alert(1)", None),
    ("JavaScript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox", None),
    ("//evil.example.com/x", None),
    ("https://", None),
    ("https://exa mple.com", None),
    ("https://example.com/\x00", None),
    ("", None),
    (None, None),
    (42, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_external_link_escapes_and_drops_unsafe_urls():
    assert external_link('https://e.com/?q="><script>', "t") == \
        '<a href="https://e.com/?q=&quot;&gt;&lt;script&gt;" rel="noopener noreferrer nofollow">t</a>'
    assert external_link("javascript:alert(1)", SCRIPT) == esc(SCRIPT)


@pytest.mark.parametrize("text, spans, expected", [
    ("公司裁员了", [(2, 4)], "公司<mark>裁员</mark>了"),
    ("<b>裁员</b>", [(3, 5)], "&lt;b&gt;<mark>裁员</mark>&lt;/b&gt;"),
    ("裁员裁员", [(2, 4), (0, 2)], "<mark>裁员</mark><mark>裁员</mark>"),
    ("abc", [(1, 9)], "a<mark>bc</mark>"),        # clamped to the text
    ("abc", [(2, 1), (5, 6)], "abc"),             # empty or outside spans are ignored
])
def test_highlight(text, spans, expected):
    assert highlight(text, spans) == expected


@pytest.mark.parametrize("href", ["javascript:alert(1)", "#a b", "https://x.com", '#a"x'])
def test_internal_links_refuse_anything_but_our_anchors(href):
    with pytest.raises(ValueError):
        report.link(href, "x")


@pytest.mark.parametrize("repair, kind, count", [
    ({"kind": "mojibake", "count": 3}, "mojibake", 3),
    ({"rule": "t2s"}, "t2s", 1),
    ({"action": "flagged", "original": "?guī)"}, "flagged", 1),
    ("pinyin", "pinyin", 1),
    ({}, "repair", 1),
])
def test_repair_kinds(repair, kind, count):
    assert (report.repair_kind(repair), report.repair_count(repair)) == (kind, count)


# ---------------------------------------------------------------- a planted corpus, end to end

BODY = ("智谱宣布裁员，员工表示不满。公司计划上市，估值超过四百亿元。大模型的训练成本很高，亏损仍在扩大。"
        "竞争对手DeepSeek发布了开源模型，开发者社区反应热烈。")


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from pipeline import run_pipeline

    root = tmp_path_factory.mktemp("planted")
    rows = [
        {"id": "evil", "outlet": SCRIPT, "title": IMG, "url": "javascript:alert(1)",
         "text": f"{BODY}\n有人在正文里写了{SCRIPT}这样的代码。\n{BODY}"},
        {"id": "plain", "outlet": "甲报", "title": "智谱裁员", "url": "https://example.com/a?x=1&y=2",
         "text": f"{BODY}\n政府与国资平台支持海外市场拓展，出海东南亚。\n{BODY}"},
        {"id": "nameless", "title": "无名", "url": "https://example.com/b",
         "text": f"{BODY}\n商业化与项目制交付仍是难题。"},
    ]
    corpus = root / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = root / "out"
    run_pipeline(corpus, out, jobs=1, progress=False, log=lambda m: None, warn=lambda m: None)
    return out


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "nav", "a", "p", "table",
                "thead", "tbody", "tr", "th", "td", "figure", "img", "figcaption", "section", "ul", "ol", "li",
                "span", "mark", "b", "div", "code"}
ALLOWED_ATTRS = {"charset", "http-equiv", "content", "name", "lang", "href", "id", "class", "src", "alt", "rel",
                 "value"}


def test_planted_script_is_escaped_everywhere(planted):
    page = (planted / "09_report" / report.REPORT).read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "onerror=" not in page.replace("onerror=&quot;", "")  # only ever as escaped text
    assert esc(SCRIPT) in page                                   # the outlet name and the sentence, as text
    assert page.count(esc(SCRIPT)) >= 3
    assert esc(IMG) in page

    parser = _Tags()
    parser.feed(page)
    seen = {tag for tag, _ in parser.tags}
    assert seen <= ALLOWED_TAGS, seen - ALLOWED_TAGS
    ids = [attrs["id"] for _, attrs in parser.tags if "id" in attrs]
    assert len(ids) == len(set(ids)), "anchors are unique"
    for tag, attrs in parser.tags:
        assert set(attrs) <= ALLOWED_ATTRS, (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://", "http://")), href
            if href.startswith("#"):
                assert href[1:] in ids, f"dangling link {href}"
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")
    assert "javascript:alert(1)" not in [a.get("href") for _, a in parser.tags]
    # The safe url survives, escaped once in its attribute.
    assert 'href="https://example.com/a?x=1&amp;y=2"' in page
    # The sentence with the script is shown as text with its score.
    assert any(SCRIPT in chunk for chunk in parser.text)


def test_report_links_numbers_to_sentences(planted):
    page = (planted / "09_report" / report.REPORT).read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    # Each outlet's top frame count links to its evidence list, which highlights the matched term.
    assert '<mark>裁员</mark>' in page
    assert "unknown (no outlet named)" in page
    for section in ("corpus", "figures", "outlets", "evidence", "terms", "articles", "stripped", "repairs"):
        assert f'id="{section}"' in page
    assert page.count("data:image/png;base64,") == len(plots.FIGURES)
    assert "<meta http-equiv=\"Content-Security-Policy\"" in page


def test_report_is_deterministic(planted, tmp_path):
    inputs = {folder: planted / folder for folder in report.STAGE.upstreams}
    report.run_stage(inputs, tmp_path, report.STAGE.params)
    assert (tmp_path / report.REPORT).read_bytes() == (planted / "09_report" / report.REPORT).read_bytes()


def test_seed_report(seed_outputs):
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    manifest = records.read_json(seed_outputs / "09_report" / "manifest.json")
    assert manifest["counts"]["articles"] == 5 and manifest["counts"]["figures"] == len(plots.FIGURES)
    assert "智谱" in page and page.count("<figure") == len(plots.FIGURES)
    assert (seed_outputs / "report.html").read_bytes() == (seed_outputs / "09_report" / report.REPORT).read_bytes()


def test_the_methods_section_cites_the_sentiment_model_and_the_methods_used(seed_outputs):
    """The learned model scores the default tone and the targets (session 13): the methods section cites it
    and its training data, and its parameters name the methods the run used."""
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    methods = page[page.index('<h2 id="methods">'):]
    assert "Sentiment model" in methods and "CFSC-ABSA" in methods and "BDCI 2019" in methods
    assert "one for the score toward a target" in methods  # session 14: a model of its own
    assert "method=combined" in methods and "target_method=model" in methods


def test_seed_report_counts_every_outlets_sentences(seed_outputs):
    """Outlets are grouped by their normalised names (光錐智能 → 光锥智能) in every table."""
    import re

    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    corpus = page[page.index("sentences scored"):]
    corpus = corpus[:corpus.index("</table>")]
    rows = re.findall(r'<a href="#o\d+">([^<]+)</a></td><td class="n"><a href="#o\d+-articles">(\d+)</a></td>'
                      r'<td class="n">(\d+)</td>', corpus)
    assert {name for name, _, _ in rows} == {"unknown (no outlet named)", "光锥智能", "华商韬略", "连线Insight", "晚点LatePost"}
    assert all(int(n_sentences) > 0 for _, _, n_sentences in rows), rows


def test_article_metadata_reads_the_shown_articles_only(tmp_path):
    """The report keeps metadata for the articles it shows; an id that JSON escapes, or a
    line that does not start with its id, is parsed in full and still found."""
    rows = [{"id": "a-1", "source": "甲.txt", "title": "标题甲", "url": "https://a.example/1"},
            {"id": "b-2", "source": "乙.txt", "title": "标题乙"},
            {"id": 'q"x\\y', "source": "丙.txt", "title": "标题丙"},
            {"source": "丁.txt", "id": "late", "title": "", "author": "记者", "published": "2025-01-02"}]
    path = tmp_path / "articles.jsonl"
    records.write_lines(path, [records.dumpb(r) for r in rows])
    got = report.article_metadata(path, {"a-1", 'q"x\\y', "late", "missing"})
    assert sorted(got) == sorted(["a-1", 'q"x\\y', "late"])
    assert got["a-1"] == {"title": "标题甲", "source": "甲.txt", "url": "https://a.example/1", "author": "",
                          "published": ""}
    assert got['q"x\\y']["title"] == "标题丙"
    assert got["late"]["author"] == "记者" and got["late"]["published"] == "2025-01-02"


def test_many_groups_get_sections_for_the_largest_only(seed_outputs):
    """With more groups than max_groups the page gives sections to the largest and lists the
    rest in the corpus table only (10,000 outlets once made a 128 MB page)."""
    inputs = {folder: seed_outputs / folder for folder in report.STAGE.upstreams}
    data = report.collect(inputs, {**report.STAGE.params, "max_groups": 2, "max_group_rows": 3})
    n = len(data["outlets"])
    assert n >= 4 and len(data["shown"]) == 2
    assert set(data["sentiment_articles"]) <= set(data["shown"])
    assert {o for o, _ in data["evidence"]} <= set(data["shown"])
    page = report.render_report(data)
    assert page.count('<section class="outlet"') == 2
    assert f"the other {n - 2} are in the tables only" in page
    assert f"Showing the first 3 of {n}" in page


def test_evidence_is_a_fixed_random_sample_one_line_per_sentence(seed_outputs):
    inputs = {folder: seed_outputs / folder for folder in report.STAGE.upstreams}
    params = {**report.STAGE.params, "evidence_per_frame": 3}
    first, again = report.collect(inputs, params), report.collect(inputs, params)
    assert first["evidence"] == again["evidence"]  # the same sample on every run
    # Not simply the first matches: some bucket's sample reaches past its first three.
    all_matches: dict = {}
    for r in records.read_jsonl(seed_outputs / "07_framing" / "articles.jsonl"):
        for m in r["matches"]:
            for fid in m["frames"]:
                all_matches.setdefault((r["id"], fid), []).append((m["sentence"], m["start"]))
    sampled_late = any(
        (e["sentence"], e["start"]) not in all_matches.get((e["id"], fid), [])[:3]
        for (_, fid), bucket in first["evidence"].items() for e in bucket)
    assert sampled_late
    page = report.render_report(first)
    assert "A random sample of 3 of the" in page
    appendix = page[page.index('id="evidence"'):page.index('id="terms"')]
    n_refs = 0
    for block in appendix.split("<h4")[1:]:
        refs = re.findall(r'<span class="note">\[[^;]*; (.*?)\]</span></li>', block)
        n_refs += len(refs)
        assert len(refs) == len(set(refs)), "a sentence is listed twice under one frame"
    assert n_refs > 10


def test_the_page_prints_without_the_long_appendices(seed_outputs):
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    assert "@media print" in page and ".print-omit{display:none}" in page
    omitted = page[page.index('<section class="print-omit">'):]
    assert 'id="articles"' in omitted and 'id="stripped"' in omitted


def test_the_page_embeds_the_glyphs_it_uses(seed_outputs):
    """Chinese shows without a system CJK font: the page carries a WOFF subset whose character
    map covers every character of the page that the shipped base font has."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    match = re.search(r'@font-face\{font-family:"([^"]+)";src:url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', page)
    assert match and match.group(1) == report.FONT_FAMILY
    assert f'font-family:"{report.FONT_FAMILY}"' in page and "font-src data:" in page
    embedded = set(TTFont(io.BytesIO(base64.b64decode(match.group(2)))).getBestCmap())
    base = set(TTFont(report.REPORT_FONT).getBestCmap())
    body = page[page.index("<body>"):]
    wanted = {ord(ch) for ch in body if ord(ch) in base}
    assert wanted <= embedded
    assert {ord(ch) for ch in "智谱裁员框架"} <= embedded
    assert len(embedded) < len(base) / 3  # a subset, not the whole base font


def test_the_embedded_glyphs_are_the_base_fonts_as_stored():
    """The base font has TrueType outlines and no hinting (session 12: its glyphs are copied, not
    decoded); each embedded glyph is the base's, point for point, and the font's bounding box encloses
    every embedded glyph's."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    text = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 1500)) + "智谱裁员 Framing 0123 ，。《》"
    base = TTFont(report.REPORT_FONT)
    assert "glyf" in base and "CFF " not in base and "fpgm" not in base and "prep" not in base
    rule = report.font_face(text)
    sub = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)\)", rule).group(1))))
    cmap, base_cmap = sub.getBestCmap(), base.getBestCmap()
    assert len(cmap) > 500 and set(cmap) <= set(base_cmap)
    head = sub["head"]
    for code in list(cmap)[::50]:
        glyph, original = sub["glyf"][cmap[code]], base["glyf"][base_cmap[code]]
        assert glyph.getCoordinates(sub["glyf"])[0] == original.getCoordinates(base["glyf"])[0]
        if glyph.numberOfContours:
            assert head.xMin <= glyph.xMin and glyph.xMax <= head.xMax
            assert head.yMin <= glyph.yMin and glyph.yMax <= head.yMax
    assert report.font_face(text) == rule


@pytest.mark.parametrize("articles, flag", [(1, "One article"), (2, "Two articles"), (3, ""), (40, "")])
def test_groups_of_one_or_two_articles_are_flagged_beside_their_interval(articles, flag):
    note = report.small_group_note(articles)
    assert (flag in note) if flag else note == ""


def test_seed_report_flags_its_one_article_outlets(seed_outputs):
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    assert page.count("<b>One article</b>") >= 4   # every named outlet of the seeds has one article


def test_target_section_links_the_sentences_behind_it():
    """Issue 19: the target table is followed by the most negative and most positive target
    sentences per group, each linked to its article in Appendix C."""
    kept: list = []
    record = {"id": "x1", "sentences": [
        {"index": i, "text": f"句{i}", "mentions_target": i % 2 == 0, "target_score": (i - 4) / 5,
         "target_label": "neg" if i < 4 else "pos" if i > 4 else "neu"} for i in range(10)]}
    report._keep_target_sentences(kept, record, 2)
    assert [t[2] for t in sorted(kept)] == [0, 2, 6, 8]  # two most negative, two most positive
    anchors = report._Anchors()
    anchors.article("x1")
    d = {"story": {"targets": [{"name": "智谱"}]}, "anchors": anchors, "articles": {"x1": {"title": "标题"}},
         "target_by_group": [{"group": "新华社", "articles": 1, "mentions": 5, "mean": -0.1, "low": None,
                              "high": None, "neg_share": 0.4}],
         "target_sentences": report._target_examples({"新华社": kept})}
    html = report._target_section(d)
    assert html.index("句0") < html.index("句8")
    assert html.count('href="#a1"') == 4 and "sentence 1" in html


def test_collected_by_ranges_in_workers_is_the_page_of_one_pass(seed_outputs, monkeypatch):
    """collect_articles reads each upstream by ranges and merges the ranges' results in file
    order: with a range per article in two processes, and caps small enough that each list fills
    across ranges, the page is the same bytes as with one range per file."""
    from pipeline.runner import ranges

    inputs = {folder: seed_outputs / folder for folder in report.STAGE.upstreams}
    params = {**report.STAGE.params, "evidence_per_frame": 2, "examples_per_term": 1, "articles_per_outlet": 1,
              "repairs_listed": 2, "removed_listed": 3, "distinctive_top": 3}
    one_pass = report.render_report(report.collect(inputs, params))
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 1)
    assert len(ranges.byte_ranges(seed_outputs / "06_sentiment" / "articles.jsonl", 1)) == 5
    assert report.render_report(report.collect(inputs, params, jobs=2)) == one_pass


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_target_sentences_kept_by_ranges_are_those_of_one_pass(k):
    """The most negative and positive target sentences: merging each range's extremes keeps
    what one pass keeps (after the final sort)."""
    import random as random_

    rng = random_.Random(k)
    articles = [{"id": f"a{i}", "sentences": [
        {"index": j, "text": "句", "mentions_target": True, "target_score": round(rng.uniform(-1, 1), 1),
         "target_label": "neu"} for j in range(rng.randrange(4))]} for i in range(30)]
    one_pass: list = []
    for a in articles:
        report._keep_target_sentences(one_pass, a, k)
    merged: list = []
    for start in range(0, 30, 7):
        kept: list = []
        for a in articles[start:start + 7]:
            report._keep_target_sentences(kept, a, k)
        merged.extend(kept)
        report._trim_target_sentences(merged, k)
    assert report._target_examples({"g": merged}) == report._target_examples({"g": one_pass})


def test_the_methods_section_lists_a_targets_other_parties():
    """A target's others (story file) are part of how its score was made: the methods table names them,
    escaped like every story value."""
    d = {"n_articles": 1, "outlets": ["甲"], "methods": {"story": {"targets": [
        {"name": "甲公司", "aliases": ["甲公司"], "others": ["乙平台", "<b>丙</b>"]}, {"name": "丁", "aliases": ["丁"]}]}}}
    html = report._methods_section(d)
    assert "甲公司 (甲公司), other parties: 乙平台, &lt;b&gt;丙&lt;/b&gt;; 丁 (丁)" in html


def test_with_several_targets_each_gets_its_own_table_and_sentences(tmp_path):
    """Several targets: besides the pooled table, each target's per-group mean, mentions and negative
    share come from its own scores (the article's ``targets``, the sentences' ``by_target``), and its
    sentences are those scored toward it."""
    def sentence(i, text, *named):
        return {"index": i, "text": text, "score": 0.0, "label": "neu", "mentions_target": bool(named),
                "target_score": -0.5 if named else None, "target_label": "neg" if named else None,
                "targets": [n for n, _, _ in named], "by_target": [{"name": n, "score": v, "label": lab, "matched": []}
                                                                  for n, v, lab in named]}
    rows = [{"id": "a1", "outlet": "甲报", "target_score": -0.5, "target_n_sentences": 2,
             "targets": [{"name": "甲", "score": -0.6, "n_sentences": 1}, {"name": "乙", "score": 0.1, "n_sentences": 2}],
             "sentences": [sentence(0, "甲乙都说", ("甲", -0.6, "neg"), ("乙", 0.4, "pos")),
                           sentence(1, "乙独白", ("乙", -0.2, "neg"))]}]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    part = report._sentiment_range(path, 0, path.stat().st_size, (lambda r: r["outlet"], set(), 0, 3))
    assert part["target_scores"]["甲报"] == [(-0.5, 2, 2)]  # pooled, as before
    assert part["target_scores"]["甲", "甲报"] == [(-0.6, 1, 1)] and part["target_scores"]["乙", "甲报"] == [(0.1, 2, 1)]
    assert [t[0] for t in part["target_sentences"]["乙", "甲报"]] == [0.4, -0.2]
    anchors = report._Anchors()
    d = {"story": {"targets": [{"name": "甲"}, {"name": "乙"}]}, "anchors": anchors, "articles": {},
         "target_by_group": report._target_by_group({"甲报": part["target_scores"]["甲报"]}, seed=1),
         "target_sentences": {},
         "target_each": [{"name": n, "by_group": report._target_by_group({"甲报": part["target_scores"][n, "甲报"]}, seed=1),
                          "sentences": report._target_examples({"甲报": part["target_sentences"][n, "甲报"]})}
                         for n in ("甲", "乙")]}
    html = report._target_section(d)
    assert html.index("<h3>Toward 甲</h3>") < html.index("<h3>Toward 乙</h3>")
    after = html[html.index("<h3>Toward 乙</h3>"):]
    assert "+0.100" in after and "50.0%" in after and "乙独白" in after and "甲乙都说" in after
    assert "Each target's own table" in html


def test_an_outlets_sentiment_is_also_given_with_articles_as_the_unit():
    """Issue 19's article-level view on the page: after the sentence-level interval, the mean over articles
    with its interval resampling them; no interval under three articles; nothing for a one-article group."""
    import pandas as pd

    table = pd.DataFrame([["甲", 4, 40, -0.25, -0.5, 0.1, 0.95], ["乙", 2, 9, 0.1, float("nan"), float("nan"), 0.95],
                          ["丙", 1, 5, 0.3, float("nan"), float("nan"), 0.95]],
                         columns=["outlet", "articles", "sentences", "mean", "ci_low", "ci_high", "level"]).set_index("outlet")
    assert report._by_article_note(table, "甲") == (" Articles weighed alike: mean -0.250 (95% interval resampling "
                                                  "articles -0.500 to +0.100).")
    assert "no interval over fewer than three articles" in report._by_article_note(table, "乙")
    assert report._by_article_note(table, "丙") == "" and report._by_article_note(None, "甲") == ""


@pytest.mark.parametrize("n, lines, repairs", [(1, "1 line removed", "1 repair."), (2, "2 lines removed", "2 repairs.")])
def test_the_corpus_counts_read_in_the_singular_for_one(seed_outputs, n, lines, repairs):
    inputs = {folder: seed_outputs / folder for folder in report.STAGE.upstreams}
    data = report.collect(inputs, report.STAGE.params)
    data = {**data, "n_removed": n, "repairs_by_kind": {"mojibake": n}}
    html = report._corpus_section(data)
    text = re.sub(r"<[^>]+>", "", html)
    assert lines in text and repairs in text


def test_the_shared_passages_and_conflicts_shown_are_the_first_and_all_are_counted(seed_outputs, tmp_path, monkeypatch):
    """The report keeps the first rows of reuse.csv and claim_conflicts.csv and counts the rest
    without holding them (they grow with the corpus)."""
    import shutil

    folder = tmp_path / "08_sourcing"
    shutil.copytree(seed_outputs / "08_sourcing", folder)
    header = (folder / "reuse.csv").read_text(encoding=records.CSV_ENCODING).splitlines()[0]
    row = "a{n},b{n},甲,乙,共同的一段话,共同的一段话,1.0,,0,0,6"
    (folder / "reuse.csv").write_text("\n".join([header, *(row.format(n=n) for n in range(7))]) + "\n",
                                      encoding=records.CSV_ENCODING)
    monkeypatch.setitem(report.SOURCING_LIMITS, "passages", 3)
    src = report.collect_sourcing({report.SOURCING: folder}, {})
    assert [r["id_a"] for r in src["passages"]] == ["a0", "a1", "a2"] and src["n_passages"] == 7
    with open(seed_outputs / "08_sourcing" / "claim_conflicts.csv", encoding=records.CSV_ENCODING, newline="") as fh:
        conflicts = list(csv.DictReader(fh))
    assert src["n_conflicts"] == len(conflicts) // 2
