"""Keywords in context: the shared core, the sampled concordance and its place in the report."""
from __future__ import annotations

import re

import pytest

import pipeline
from pipeline import concordance, report
from pipeline.report import esc


def _sentence(index, tokens, start=0):
    return {"index": index, "text": "".join(tokens), "start": start, "tokens": tokens}


def test_sentence_lines_stay_in_the_sentence():
    s = _sentence(3, ["公司", "宣布", "裁员", "，", "员工", "不满", "。"], start=100)
    lines = concordance.sentence_lines(s, concordance.lexicon_of(["裁员"]), window=3)
    assert lines == [{"term": "裁员", "left": "司宣布", "match": "裁员", "right": "，员工",
                      "start": 104, "end": 106}]
    assert concordance.sentence_lines(s, concordance.lexicon_of(["裁"]), window=3) == []  # whole tokens only


def _records(n_articles=12):
    for i in range(n_articles):
        yield {"id": f"a{i:02d}", "outlet": "甲报" if i % 2 else "乙报",
               "sentences": [_sentence(0, ["公司", "裁员", "了", "。"]), _sentence(1, [f"第{i}", "次", "裁员", "。"])]}


def test_sample_counts_everything_and_keeps_a_fixed_random_sample():
    args = ([concordance.lexicon_of(["裁员"])], lambda r: r["outlet"])
    first = concordance.sample(_records(), *args, per_term=5, seed=1)
    again = concordance.sample(_records(), *args, per_term=5, seed=1)
    other = concordance.sample(_records(), *args, per_term=5, seed=2)
    entry = first["裁员"]
    assert entry["total"] == 24 and entry["articles"] == 12 and len(entry["lines"]) == 5
    assert first == again                                    # the same sample on every run
    assert other["裁员"]["lines"] != entry["lines"]            # a sample, not the first five
    assert [line["order"] for line in entry["lines"]] == sorted(line["order"] for line in entry["lines"])
    assert {line["group"] for line in entry["lines"]} <= {"甲报", "乙报"}


def test_a_term_in_both_lists_is_counted_once(tmp_path):
    from pipeline import records

    (tmp_path / "seg").mkdir()
    records.write_jsonl(tmp_path / "seg" / "articles.jsonl", _records(3))
    found = concordance.collect(tmp_path / "seg", ["裁员"], ["裁员", "公司"], lambda r: r["outlet"],
                                per_term=10, seed=1)
    assert [(e["term"], e["total"]) for e in found["terms"]] == [("裁员", 6), ("公司", 3)]
    assert found["anchors"] == {"裁员": "kwic1", "公司": "kwic2"}


def _outlet(record):  # module-level: it reaches the workers whatever their start method
    return record["outlet"]


def test_matched_by_ranges_in_workers_is_the_sample_of_one_pass(tmp_path, monkeypatch):
    """collect matching 04_segment in small ranges in two processes gives what one pass over the
    records gives: the counts and the same random sample."""
    from pipeline import records
    from pipeline.runner import ranges

    (tmp_path / "seg").mkdir()
    records.write_jsonl(tmp_path / "seg" / "articles.jsonl", _records(40))
    one_pass = concordance.sample(_records(40), [concordance.lexicon_of(["裁员", "公司"])], _outlet, per_term=5, seed=3)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 1000)
    assert len(ranges.byte_ranges(tmp_path / "seg" / "articles.jsonl", 1000)) > 4
    found = concordance.collect(tmp_path / "seg", ["裁员", "公司"], [], _outlet, per_term=5, seed=3, jobs=2)
    assert {e["term"]: {k: v for k, v in e.items() if k != "term"} for e in found["terms"]} == one_pass
    assert found["terms"][0]["total"] == 80 and len(found["terms"][0]["lines"]) == 5


def test_render_escapes_and_says_when_it_samples():
    entry = {"term": "<b>", "total": 9, "articles": 2,
             "lines": [{"id": "x", "group": "<i>", "sentence": 0, "left": "<script>", "match": "<b>", "right": "&"}]}
    page = concordance.render({"terms": [entry], "anchors": {"<b>": "kwic1"}}, esc=esc,
                              article_ref=lambda id_, i: esc(f"{id_} {i}"))
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;i&gt;" in page
    assert 'id="kwic1"' in page and "A random sample of 1 of the 9 occurrences" in page


def test_the_report_has_the_concordance_linked_from_the_terms(seed_outputs):
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    appendix = page[page.index('id="concordance"'):]
    headings = re.findall(r'<h4 id="(kwic\d+)">(.*?): (\d+) occurrences in (\d+) articles</h4>', appendix)
    assert len(headings) >= 20
    for anchor, _, _, _ in headings:  # every entry is linked from the evidence or the terms appendix
        assert f'href="#{anchor}"' in page[:page.index('id="concordance"')], anchor
    evidence = page[page.index('id="evidence"'):page.index('id="terms"')]
    terms = page[page.index('id="terms"'):page.index('id="methods"')]
    assert 'href="#kwic' in evidence and 'href="#kwic' in terms
    # the totals are pipeline.kwic's: every occurrence, the same matching
    for _, term, total, articles in headings[:5] + headings[-3:]:
        hits = pipeline.kwic(term.replace("&amp;", "&"), seed_outputs)
        assert (len(hits), hits["id"].nunique()) == (int(total), int(articles)), term
    per_term = report.DEFAULT_PARAMS["kwic_per_term"]
    for block in appendix.split("<h4")[1:]:
        assert block.count("<tr>") == min(per_term, int(re.search(r": (\d+) occurrences", block).group(1)))
    assert f"A random sample of {per_term} of the" in appendix
    omitted = page[page.index('<section class="print-omit">'):]
    assert 'id="concordance"' in omitted  # on screen; printed copies leave it out


@pytest.mark.parametrize("params", [{"kwic_per_term": 2, "kwic_terms_per_frame": 1, "kwic_distinctive_terms": 3}])
def test_the_concordance_keeps_to_its_caps(seed_outputs, params):
    inputs = {folder: seed_outputs / folder for folder in report.STAGE.upstreams}
    data = report.collect(inputs, {**report.STAGE.params, **params})
    kwic = data["kwic"]
    assert all(len(terms) <= 1 for terms in kwic["by_frame"].values())
    frame_terms = {t for terms in kwic["by_frame"].values() for t in terms}
    assert len([e for e in kwic["terms"] if e["term"] not in frame_terms]) <= 3
    assert all(len(e["lines"]) <= 2 for e in kwic["terms"])
