"""The learned sentiment scorer's arithmetic: Model.predict gives the same probabilities and evidence,
bit for bit, as the plain reading of the model (math.fsum over every feature's weight x value, the
evidence by heapq.nlargest over every feature), on the seed sentences and on random models; and the
stage's output with method = "model" is pinned on a model defined by a formula (so that a refit of
pipeline/resources/sentiment_model.tsv does not move the pins)."""
from __future__ import annotations

import csv
import hashlib
import heapq
import importlib
import json
import math
import random
from operator import itemgetter
from pathlib import Path

import pytest

from pipeline import sentiment, sentiment_model

DEV = Path(__file__).parent / "fixtures" / "sentiment_dev.tsv"
ZHIPU = {"name": "智谱", "aliases": ["智谱", "智谱AI", "智谱清言", "Zhipu"]}


class Reference:
    """Model.predict as first written (main at fa24961): a row per feature, math.fsum of each class's
    weight x value over every row, the evidence by heapq.nlargest over every row."""

    def __init__(self, model: sentiment_model.Model):
        self.model = model
        self.table = {n: (*w, w[2] - w[0], n, abs(w[2] - w[0])) for n, w in model.weights.items()}

    def predict(self, named, view="", words=(), *, k: int = 5):
        table = self.table
        rows = [(w[0] * v, w[1] * v, w[2] * v, w[3] * v, w[4], abs(w[3] * v))
                for name, v in named.items() if (w := table.get(name)) is not None and v]
        ones = {"c:" + g for g in sentiment_model.char_ngrams(view)} | {"t:" + w for w in words if len(w) > 1}
        rows.extend(filter(None, map(table.get, sorted(ones))))
        a, b, c = self.model.intercept
        logits = (math.fsum([a, *(r[0] for r in rows)]), math.fsum([b, *(r[1] for r in rows)]),
                  math.fsum([c, *(r[2] for r in rows)]))
        top = max(logits)
        e = [math.exp(x - top) for x in logits]
        total = e[0] + e[1] + e[2]
        moved = heapq.nlargest(k, rows, key=itemgetter(5, 4))
        return (e[0] / total, e[1] / total, e[2] / total), [[r[4], round(r[3], 4)] for r in moved if r[3]]


def seed_texts() -> list[str]:
    with open(DEV, encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f, delimiter="\t")]


@pytest.fixture(scope="module")
def seed_tokens() -> list[list[str]]:
    scorer = sentiment.TextScorer({"method": "lexicon", "target_method": "lexicon"})
    return [scorer.tokens(text) for text in seed_texts()]


def _weights(name: str) -> tuple[float, float, float]:
    """A feature's weights in the formula model: three numbers in [-2, 2] with 4 decimals, from its SHA-1."""
    h = hashlib.sha1(name.encode("utf-8")).digest()
    return tuple(round((int.from_bytes(h[i:i + 4], "big") % 40001 - 20000) / 10000, 4) for i in (0, 4, 8))


def formula_model(stage, tokens: list[list[str]]):
    """A model that knows every named feature and about half of the features the seed sentences have (alone
    and toward 智谱), each weighted by :func:`_weights` (``stage``: a sentiment module, and its model's)."""
    mod = importlib.import_module(stage.__package__ + ".sentiment_model")
    lex = stage.load_lexicon()
    rules = stage.load_target_rules()
    found = stage.needles(ZHIPU["aliases"])
    names = {"lex", "lex_sentence", "lex+", "lex-", "negated", "contrast", "object", "nw:0", "nw:1", "nw:2+",
             "strength", "digit", "report", "question"}
    for toks in tokens:
        names.update(mod.features(toks, lex))
        names.update(mod.features(toks, lex, needles=found, rules=rules))
    # the word features (t:<word>, session 11) are left out: the pins below were worked out before they existed
    kept = sorted(n for n in names if (hashlib.sha1(n.encode("utf-8")).digest()[0] % 2 == 0 or ":" not in n)
                  and not n.startswith("t:"))
    return mod.Model((-0.2854, 0.5607, -0.2753), {n: _weights(n) for n in kept}, 0.05)


def stage_rows(mod, model, tokens: list[list[str]], params: dict) -> list[dict]:
    """The stage's sentence rows (``mod``: a sentiment module) on the seed sentences, target 智谱, with ``model``."""
    from dataclasses import replace

    res = replace(mod.load_resources({"targets": [ZHIPU], **params}), model=model)
    if hasattr(res, "target_model"):  # since session 14 the score toward a target has a model of its own
        res = replace(res, target_model=model)
    record = {"id": "x", "source": "x", "sentences": [{"index": i, "text": "".join(t), "tokens": t}
                                                      for i, t in enumerate(tokens)]}
    return mod.process_record(record, res)["sentences"]


def digest(rows) -> str:
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the same as the plain reading


def test_predict_is_the_plain_reading_on_the_seed_sentences(seed_tokens):
    """The shipped model (whichever fit), each seed sentence alone and toward 智谱 with another party."""
    model = sentiment_model.read_model()
    reference = Reference(model)
    lex = sentiment.load_lexicon()
    rules = sentiment.load_target_rules()
    found = sentiment.needles(ZHIPU["aliases"])
    for toks in seed_tokens:
        for options in ({}, {"needles": found, "rules": rules}, {"needles": found, "rules": rules,
                                                                 "others": ("月之暗面", "公司")}):
            named, view, words = sentiment_model.signals(toks, lex, **options)
            for k in (5, 1, 40):
                assert model.predict(named, view, words, k=k) == reference.predict(named, view, words, k=k)


def random_case(rng: random.Random, n: int):
    """A random model over the n-grams and words of a random text of ``n`` characters (weights with 4
    decimals as in the file: tiny, large, zero, and tied in how much they move the score, so that ties are
    broken by name), with the text, its words and named values."""
    text = "".join(chr(0x4E00 + rng.randrange(60)) for _ in range(n))
    words = [text[i:i + rng.choice((1, 2, 3))] for i in rng.sample(range(n), min(n, 12))] + ["未知词"]
    weights = {}
    for name in sorted({"c:" + g for g in sentiment_model.char_ngrams(text)} | {"t:" + w for w in words}):
        if rng.random() < 0.3:
            continue  # unknown to the model
        w = [round(rng.choice((rng.uniform(-3, 3), rng.uniform(-0.001, 0.001), 0.0, 0.25, -0.25)), 4)
             for _ in range(3)]
        weights[name] = tuple([0.0, 0.0, 0.0] if rng.random() < 0.1 else w)
    weights.update({"lex": (0.5, 0.0, -0.5), "w:好": (-1.2345, 0.1, 1.0001), "nw:0": (0.0001, 0.0, -0.0001)})
    named = {"lex": rng.uniform(-1, 1), "w:好": rng.choice((0.0, 1.0, -0.75)), "nw:0": 1.0, "unknown": 2.0}
    return sentiment_model.Model((-0.2854, 0.5607, -0.2753), weights), text, words, named


def test_predict_is_the_plain_reading_on_random_models():
    """Any named values, the n-grams of a text and its words (repeated words counted once, one-character
    words never), unknown features; exact to the last bit of every probability."""
    rng = random.Random(19)
    inexact = 0  # cases where a plain float sum of the weights differs from the exactly rounded one
    for case in range(300):
        model, text, words, named = random_case(rng, rng.choice((1, 3, 40, 400)))
        reference = Reference(model)
        for given in (words, words + words[:3]):
            for k in (5, 2):
                assert model.predict(named, text, given, k=k) == reference.predict(named, text, given, k=k)
        as_features = {**named, **{"c:" + g: 1.0 for g in sentiment_model.char_ngrams(text)}}  # features()
        assert model.predict(as_features) == reference.predict(as_features)
        ws = [model.weights[n][2] for n in as_features if n.startswith("c:") and n in model.weights]
        inexact += sum(ws) != math.fsum(ws)
    assert inexact > 50  # the cases test the exact sum, not one that any summation would get right


def test_a_long_text_is_summed_in_parts_with_the_same_bits(monkeypatch):
    """More n-grams than a packed field has room for (here 2**3 - 1, by a smaller headroom) are summed
    in parts: the same probabilities and evidence as the plain reading."""
    monkeypatch.setattr(sentiment_model, "_HEADROOM", 3)
    rng = random.Random(22)
    for case in range(40):
        model, text, words, named = random_case(rng, rng.choice((30, 200)))
        assert model.predict(named, text, words) == Reference(model).predict(named, text, words)


def test_a_written_model_reads_back_the_same(tmp_path):
    """write_model then read_model: the same weights in the same order, the header's settings, and a name
    that holds a tab (an n-gram of text with one) read back whole."""
    weights = {"c:好": (0.25, -0.5, 1.0), "c:a\tb": (-0.125, 0.0, 0.75), "lex": (1.5, 0.0, -2.0), "t:公司": (0.0, 0.0, 0.0)}
    for names in (weights, {k: v for k, v in weights.items() if "\t" not in k}):
        model = sentiment_model.Model((0.5, -0.25, 0.0), names, 0.1, {"data": "x", "chosen": "C=1"})
        path = tmp_path / "model.tsv"
        sentiment_model.write_model(path, model)
        back = sentiment_model.read_model(path)
        assert list(back.weights.items()) == sorted(names.items()) and back.intercept == model.intercept
        assert back.neutral == 0.1 and {"data": "x", "chosen": "C=1"}.items() <= back.info.items()


def test_model_with_a_weight_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="c:好"):
        sentiment_model.Model((0.0, 0.0, 0.0), {"c:好": (float("nan"), 0.0, 1.0)})


# ---------------------------------------------------------------- pinned: the stage with method = "model"

# Worked out with the code before the n-grams were summed as integers (main at fa24961), on the formula
# model: float.hex of the probabilities of the first seed sentences (alone, and toward 智谱 for those that
# name it) with their evidence, and the SHA-256 of the stage's sentence rows.
PINNED_SENTENCES = {
    0: ("0x1.a2307e8da185ep-40", "0x1.ffffffffd87d8p-1", "0x1.21f178bfd71b2p-36",
        [["lex-", 5.2583], ["c:时间", -3.4203], ["c:公司", 3.384], ["c:会采", -2.9695], ["c:留出", -2.9159]]),
    1: ("0x1.7563d6258366cp-11", "0x1.ff5c8407f5c84p-1", "0x1.188c0a035b22fp-11",
        [["c:行业,", -3.1664], ["c:同", -3.0091], ["c:的", -2.8226], ["c:流", 2.7315], ["c:同时", 2.648]]),
    2: ("0x1.e2ba2f87f1122p-3", "0x1.a4e76a23e0ee2p-2", "0x1.69bb7e182688ep-2",
        [["c:好卡", 3.6061], ["c:度财", 3.1171], ["c:第", 3.1132], ["c:节点", 2.8454], ["c:的", -2.8226]]),
}
PINNED_TARGETS = {
    0: ("0x1.e441ecf656d3ap-7", "0x1.f05a0005781a1p-1", "0x1.029f08d5d1535p-6",
        [["c:时间", -3.4203], ["c:留出", -2.9159], ["c:工留", -2.8453], ["c:的", -2.8226], ["c:没", 2.5603]]),
    2: ("0x1.ff743cf403ab1p-1", "0x1.56fb883679a55p-11", "0x1.b0214f75b4426p-12",
        [["c:的", -2.8226], ["c:时期", -2.8125], ["c:正", 2.4429], ["c:市的", 2.3401], ["c:前", 2.1047]]),
    3: ("0x1.f6244a37ce392p-2", "0x1.7abf9f399be3cp-25", "0x1.04edd96959443p-1",
        [["c:Ｔ风险", 3.3869], ["c:一位", 3.223], ["c:第", 3.1132], ["c:的", -2.8226], ["lex_sentence", -2.165]]),
}
PINNED_STAGE = {"model": "cfb979ec3d2ce7ad67a923b807fdf29aa789a48a6a6af505bfc6bccc1d14c468",
                "default": "f50082d69403d4785b678abf4ed5bbf320252f16539d2bc19d6f4f089daa60bb"}


def test_predict_pinned_on_the_formula_model(seed_tokens):
    model = formula_model(sentiment, seed_tokens)
    lex = sentiment.load_lexicon()
    rules = sentiment.load_target_rules()
    found = sentiment.needles(ZHIPU["aliases"])
    for i, (*probs, evidence) in PINNED_SENTENCES.items():
        got = model.predict(*sentiment_model.signals(seed_tokens[i], lex))
        assert [p.hex() for p in got[0]] == probs and got[1] == evidence
    for i, (*probs, evidence) in PINNED_TARGETS.items():
        got = model.predict(*sentiment_model.signals(seed_tokens[i], lex, needles=found, rules=rules))
        assert [p.hex() for p in got[0]] == probs and got[1] == evidence


@pytest.mark.parametrize("setting, params", [("model", {"method": "model", "target_method": "model"}),
                                             ("default", {"method": "lexicon", "target_method": "model"})])
def test_stage_output_pinned_on_the_formula_model(seed_tokens, setting, params):
    """method = "model" (the sentence tone and toward the target) and the defaults when pinned (the lexicon's
    tone, the model toward the target): the stage's sentence rows, byte for byte, as before."""
    rows = stage_rows(sentiment, formula_model(sentiment, seed_tokens), seed_tokens, params)
    assert sum("target_features" in r for r in rows) > 20 and all(("features" in r) == (setting == "model")
                                                                   for r in rows)
    assert digest(rows) == PINNED_STAGE[setting]


def test_word_features_are_the_sentences_words_of_two_or_more_characters():
    """``t:<word>`` (session 11): every segment token of two or more characters, once, value 1; the
    one-character tokens and punctuation stay with the character n-grams."""
    lex = sentiment.load_lexicon()
    tokens = ["公司", "今年", "裁员", "了", "，", "公司", "回应", "。"]
    named = sentiment_model.features(tokens, lex)
    words = sorted(n for n in named if n.startswith("t:"))
    assert words == ["t:今年", "t:公司", "t:回应", "t:裁员"] and all(named[w] == 1.0 for w in words)
    assert "c:公司" in named and "c:了" in named and "t:了" not in named
    model = sentiment_model.Model((0.0, 0.0, 0.0), {"t:公司": (-1.0, 0.0, 1.0), "t:了": (-5.0, 0.0, 5.0)})
    assert model.predict(*sentiment_model.signals(tokens, lex))[1] == [["t:公司", 2.0]]


def test_another_party_in_the_sentence_splits_the_point_of_view():
    """Toward a target, when another party is named in the sentence (session 13): the whole sentence's tone
    is its own feature (``lex_sentence@o``), ``other`` is set, and the words are those of the target's
    clauses less the parties' names. Without another party in the sentence, or without a target, the
    features are as before."""
    lex, rules = sentiment.load_lexicon(), sentiment.load_target_rules()
    tokens = ["恒丰", "银行", "股价", "大涨", "，", "小资", "钱包", "涉嫌", "诈骗", "被", "立案"]
    split = sentiment_model.features(tokens, lex, needles=("恒丰银行",), others=("小资钱包",), rules=rules)
    assert split["other"] == 1.0 and "lex_sentence" not in split and split["lex_sentence@o"] < 0
    assert sorted(n for n in split if n.startswith("t:")) == ["t:大涨", "t:股价"]
    assert not any(n.startswith("c:") and ("诈" in n or "Ｏ" in n) for n in split)  # the target's clause alone
    alone = sentiment_model.features(tokens, lex, needles=("恒丰银行",), others=("五粮液",), rules=rules)
    assert alone == sentiment_model.features(tokens, lex, needles=("恒丰银行",), rules=rules)
    assert "other" not in alone and "lex_sentence" in alone and "t:诈骗" in alone and "t:恒丰" in alone
    untargeted = sentiment_model.features(tokens, lex, others=("小资钱包",))
    assert "other" not in untargeted and "lex_sentence" in untargeted
    assert sentiment_model.clause_words(["甲方", "说", "：", "乙方", "亏损"], ("丙",), ()) == ["甲方", "说", "乙方", "亏损"]
