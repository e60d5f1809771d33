"""Sentiment: the lexicon scorer's rules, the stage record, the CLI, and the seeds' snapshot."""
from __future__ import annotations

import io

import pytest

from pipeline import sentiment
from pipeline.records import read_jsonl


@pytest.fixture(scope="module")
def scorer() -> sentiment.TextScorer:
    return sentiment.TextScorer()


@pytest.fixture(scope="module")
def lexicon() -> sentiment.Lexicon:
    return sentiment.load_lexicon()


def score(scorer, text: str) -> float:
    return scorer.sentence(text).score


def test_negation_flips(scorer):
    assert score(scorer, "不好") < 0 < score(scorer, "不差")


def test_degree_scales(scorer):
    assert score(scorer, "很好") > score(scorer, "好") > 0
    assert score(scorer, "非常好") > score(scorer, "很好")
    assert 0 < score(scorer, "有点好") < score(scorer, "好")


def test_negated_degree_is_weaker_than_degree_negated(scorer):
    assert score(scorer, "很不好") < score(scorer, "不是很好") < 0


def test_contrast_the_clause_after_wins(scorer):
    assert score(scorer, "虽然增长了但是亏损扩大") < 0
    assert score(scorer, "虽然亏损扩大，但是收入增长强劲") > 0


@pytest.mark.parametrize("tokens, expected", [
    (["好"], "pos"),
    (["不", "好"], "neg"),          # negator as its own token
    (["不", "是", "好"], "neg"),    # scope runs to the next sentiment word
    (["不", "，", "好"], "pos"),    # ... but not past punctuation
    (["没", "没", "好"], "pos"),    # two negators cancel
    (["增长", "但", "亏损"], "neg"),
    (["亏损", "但", "增长"], "pos"),
    (["今天", "开会"], "neu"),
    ([], "neu"),
])
def test_rules_on_tokens(lexicon, tokens, expected):
    assert sentiment.score_tokens(tokens, lexicon).label == expected


def test_multi_token_terms_match(lexicon):
    # 亏损收窄 is one domain entry, matched across two tokens; the match is traceable.
    s = sentiment.score_tokens(["亏损", "收窄"], lexicon)
    assert s.score > 0 and s.matched == [["亏损收窄", 0.5]]


def test_domain_lexicon_matters(scorer):
    general = sentiment.TextScorer({"domain": False})
    assert score(scorer, "公司宣布裁员") < 0
    assert score(scorer, "股东拟减持股份") < 0 and score(general, "股东拟减持股份") == 0


@pytest.mark.parametrize("text", ["", "好", "不好", "非常非常非常好极了太棒了完美卓越出色", "亏损亏损亏损下滑暴跌裁员危机困境"])
def test_scores_in_range(scorer, text):
    assert -1 <= score(scorer, text) <= 1


def test_empty_line_scores_zero_neutral(scorer):
    s = scorer.sentence("")
    assert (s.score, s.label) == (0.0, "neu")


def test_cli(tmp_path, capsys):
    path = tmp_path / "lines.txt"
    path.write_text("業績很好\n\n公司宣布裁員，虧損擴大\n", encoding="utf-8")  # traditional: converted first
    assert sentiment.main_sentiment_score(["--file", str(path)]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [r[1] for r in rows] == ["pos", "neu", "neg"]
    assert rows[1][0] == "0.0000"
    assert all(-1 <= float(r[0]) <= 1 and len(r[0].split(".")[1]) == 4 for r in rows)


def test_cli_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("不差\n"))
    assert sentiment.main_sentiment_score([]) == 0
    assert capsys.readouterr().out.endswith("\tpos\n")


def _record(sentences: list[list[str]]) -> dict:
    out, start = [], 0
    for i, toks in enumerate(sentences):
        text = "".join(toks)
        out.append({"index": i, "text": text, "start": start, "tokens": list(toks),
                    "pos": " ".join("x" for _ in toks), "content": "1" * len(toks)})
        start += len(text)
    return {"id": "a", "source": "a.txt", "outlet": "o", "title": "t", "sentences": out}


ZHIPU = {"name": "智谱", "aliases": ["智谱", "智谱AI", "智谱清言", "Zhipu"]}


def test_process_record_aggregates():
    res = sentiment.load_resources({**sentiment.DEFAULT_PARAMS, "targets": [ZHIPU]})
    rec = sentiment.process_record(_record([["智谱", "裁员"], ["市场", "增长"], ["今天", "开会"], ["Zhipu", "很", "好"]]), res)
    assert list(rec)[:4] == ["id", "source", "outlet", "title"]
    assert rec["n_sentences"] == 4 and rec["target_n_sentences"] == 2
    assert (rec["pos_share"], rec["neu_share"], rec["neg_share"]) == (0.5, 0.25, 0.25)
    scores = [s["score"] for s in rec["sentences"]]
    assert rec["score"] == pytest.approx(sum(scores) / 4, abs=1e-6)
    assert rec["target_score"] == pytest.approx((scores[0] + scores[3]) / 2, abs=1e-6)
    assert [s["mentions_target"] for s in rec["sentences"]] == [True, False, False, True]
    assert rec["sentences"][0]["matched"] == [["裁员", -1.0]]


def test_target_is_configurable():
    res = sentiment.load_resources({"target": {"name": "月之暗面", "aliases": ["月之暗面", "Kimi"]}})
    rec = sentiment.process_record(_record([["智谱", "裁员"], ["Kimi", "增长"]]), res)
    assert rec["target_n_sentences"] == 1 and rec["target_score"] > 0


def test_no_target_by_default():
    """The package knows no story: without a story's targets nothing counts as a target."""
    rec = sentiment.process_record(_record([["智谱", "裁员"]]), sentiment.load_resources(sentiment.DEFAULT_PARAMS))
    assert rec["target_n_sentences"] == 0 and rec["target_score"] is None and "targets" not in rec


def test_several_targets_each_scored():
    res = sentiment.load_resources({"targets": [ZHIPU, {"name": "月之暗面", "aliases": ["Kimi"]}]})
    rec = sentiment.process_record(_record([["智谱", "裁员"], ["Kimi", "增长"], ["今天", "开会"]]), res)
    by_name = {t["name"]: t for t in rec["targets"]}
    assert by_name["智谱"]["n_sentences"] == 1 and by_name["智谱"]["score"] < 0
    assert by_name["月之暗面"]["n_sentences"] == 1 and by_name["月之暗面"]["score"] > 0
    assert rec["target_n_sentences"] == 2
    assert [s.get("targets") for s in rec["sentences"]] == [["智谱"], ["月之暗面"], None]


def test_extra_lexicon_overrides(tmp_path):
    extra = tmp_path / "mine.tsv"
    extra.write_text("term\tweight\n开会\t-1\n裁员\t0\n", encoding="utf-8")
    res = sentiment.load_resources({"_extra_lexicon": str(extra)})
    rec = sentiment.process_record(_record([["今天", "开会"], ["裁员"]]), res)
    assert rec["sentences"][0]["score"] < 0 and rec["sentences"][1]["score"] == 0


def test_no_sentences_is_a_skip_not_a_null_score():
    """No score is not a score: the article is skipped with the reason (issue 18, item 3)."""
    from pipeline.stage import Skip

    with pytest.raises(Skip, match="no sentences to score"):
        sentiment.process_record(_record([]), sentiment.load_resources({}))


SIGN = {"neg": "-", "neu": "0", "pos": "+"}  # one character per sentence label


def test_seeds_snapshot(seed_outputs, snapshot):
    stage_dir = seed_outputs / sentiment.STAGE.folder
    summary = []
    for r in read_jsonl(stage_dir / "articles.jsonl"):
        summary.append({k: v for k, v in r.items() if k != "sentences"}
                       | {"labels": "".join(SIGN[s["label"]] for s in r["sentences"])})
    snapshot("sentiment/seeds", summary)
    frame = sentiment.sentiment_frame(stage_dir)
    assert list(frame.columns) == ["id", "source", "outlet", "score", "pos_share", "neu_share", "neg_share",
                                   "n_sentences", "target_score", "target_n_sentences"]
    sentences = sentiment.sentences_frame(stage_dir)
    assert sentences["score"].between(-1, 1).all()
    assert sentences.groupby("id")["position"].agg(["min", "max"]).eq([0.0, 1.0]).all().all()
    assert len(sentences) == frame["n_sentences"].sum()


# ---------------------------------------------------------------- the fast path agrees with the reference


def reference_units(tokens, lex) -> list[tuple[str, str | None]]:
    """Tokens grouped into (term, kind): the longest run of <= MAX_NGRAM tokens that is a lexicon entry.

    The reference definition, token by token, kept here as the oracle: the stage's
    ``_relevant_units`` must give the same units without the ``None`` ones.
    """
    out = []
    i, n = 0, len(tokens)
    while i < n:
        if sentiment._CLAUSE_END.match(tokens[i]):
            out.append((tokens[i], "end"))
            i += 1
            continue
        first = lex.kind(tokens[i])
        found = None
        if first not in sentiment._MODIFIER_KINDS:  # a modifier token never starts a longer match (很 好 is degree + word)
            for j in range(min(n, i + sentiment.MAX_NGRAM), i + 1, -1):
                term = "".join(tokens[i:j])
                if len(term) <= lex.max_len and lex.kind(term) == "word":
                    found = (term, "word", j)
                    break
        if found is not None:
            out.append(found[:2])
            i = found[2]
        elif first is None and (split := sentiment._split_modified(tokens[i], lex)):
            out.extend(split)  # 不差 -> 不 + 差, 更好 -> 更 + 好
            i += 1
        else:
            out.append((tokens[i], first))
            i += 1
    return out


def _awkward_pieces(lexicon, rng, n_words=400):
    """Tokens that exercise every rule: modifiers, clause ends, pieces of sentiment words, blanks."""
    pieces = [*lexicon.negators, *lexicon.degree, *lexicon.contrast, *lexicon.concession,
              "，", "。\n", "……", "", " ", "!", "x", "的", "发展", "Zhipu"]
    for word in rng.sample(sorted(lexicon.words), n_words):
        cut = rng.randrange(len(word) + 1)
        pieces += [word[:cut], word[cut:], word, "不" + word, "更" + word]
    return pieces


def test_relevant_units_agree_with_units(lexicon):
    """score_tokens uses _relevant_units: the units of the token-by-token _units, less the None ones."""
    import random

    rng = random.Random(7)
    pieces = _awkward_pieces(lexicon, rng)
    for _ in range(4000):
        tokens = [rng.choice(pieces) for _ in range(rng.randrange(14))]
        expected = [unit for unit in reference_units(tokens, lexicon) if unit[1] is not None]
        assert sentiment._relevant_units(tokens, lexicon) == expected, tokens


def test_relevant_units_respect_max_len():
    """A lexicon built by hand keeps its own max_len: with 0, no run of tokens ever matches."""
    lex = sentiment.Lexicon({"好的": 1.0, "好": 0.5}, {"不": 1.0}, {"很": 1.5}, frozenset(), frozenset())
    for tokens in (["好", "的"], ["不", "好", "的"], ["很", "好的"], ["不好的"]):
        expected = [unit for unit in reference_units(tokens, lex) if unit[1] is not None]
        assert sentiment._relevant_units(tokens, lex) == expected
    assert sentiment._relevant_units(["好", "的"], lex) == [("好", "word")]


@pytest.mark.parametrize("aliases, needles", [
    (["智谱", "智谱AI", "智谱清言", "Zhipu"], ("智谱", "zhipu")),
    (["Kimi", "kimi", "月之暗面"], ("kimi", "月之暗面")),
    (["", "x"], ("",)),
    ([], ()),
])
def test_needles_find_what_mentions_finds(aliases, needles):
    assert sentiment.needles(aliases) == needles
    for text in ("智谱AI发布", "ZHIPU", "月之暗面的Kimi", "没有", "", "智"):
        assert any(n in text.casefold() for n in needles) == sentiment.mentions(text, aliases)


def test_means_are_exactly_rounded_so_every_python_gives_the_same_bytes():
    """Python 3.12 changed sum() of floats (compensated); math.fsum is exactly rounded on every
    version, so the scores written do not depend on which Python runs the pipeline."""
    cancelling = [1e16, 1.0, -1e16]  # plain left-to-right addition loses the 1.0
    assert sentiment._mean(cancelling) == round(1 / 3, 6)
    assert sentiment._mean([]) is None
