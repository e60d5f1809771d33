"""A learned sentiment scorer beside the lexicon: a linear model over the lexicon scorer's own
signals, character n-grams and target-relative features.

The model is fitted by ``benchmarks/train_sentiment.py`` and shipped as a readable TSV
(``pipeline/resources/sentiment_model.tsv``: one row per feature with its weight for each
class, the intercept first); scoring is a dictionary lookup per feature, no scikit-learn at run
time. Features of one sentence (toward a target when one is given):

* ``lex`` / ``lex_sentence``: the lexicon's score toward the target and of the whole sentence;
  ``lex+`` / ``lex-``: the summed positive and negative contributions toward the target;
* ``w:<word>``: each matched sentiment word, with its signed contribution (so a negated or
  contrasted word carries its flipped, weighted value: the direction of change included);
* ``negated``, ``contrast``, ``object``: a negator or contrast word in the sentence; the target
  is the object of a comparison;
* ``c:<n-gram>``: character 1-3-grams of the clauses that name the target (the target written
  ``T``, other named parties ``O``), or of the whole sentence without a target.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .config import RESOURCES

MODEL_PATH = RESOURCES / "sentiment_model.tsv"
CLASSES = ("neg", "neu", "pos")
NGRAMS = (1, 2, 3)


def char_ngrams(text: str, *, sizes: Sequence[int] = NGRAMS) -> set[str]:
    return {text[i:i + n] for n in sizes for i in range(len(text) - n + 1)}


def target_view(tokens: Sequence[str], needles: Sequence[str], others: Sequence[str], clause_end) -> str:
    """The text of the clauses that name the target, the target as ``T`` and other parties as ``O``
    (the whole sentence when no clause names it)."""
    text = "".join(tokens)
    folded = text.casefold()
    for needle in sorted((n for n in needles if n), key=len, reverse=True):
        folded = folded.replace(needle, "Ｔ")
    for other in sorted((o for o in others if o), key=len, reverse=True):
        folded = folded.replace(other, "Ｏ")
    if not needles or "Ｔ" not in folded:
        return folded
    clauses, current = [], []
    for ch in folded:
        if clause_end.match(ch):
            clauses.append("".join(current))
            current = []
        else:
            current.append(ch)
    clauses.append("".join(current))
    return "|".join(c for c in clauses if "Ｔ" in c)


def features(tokens: Sequence[str], lex, *, needles: Sequence[str] = (), others: Sequence[str] = (),
             rules=None, sentence=None, toward=None) -> dict[str, float]:
    """The model's features of one sentence (see the module docstring). ``sentence`` and
    ``toward``: the lexicon's SentenceScore and TargetScore when already computed."""
    from . import sentiment

    if sentence is None:
        sentence = sentiment.score_tokens(tokens, lex)
    if toward is None:
        toward = (sentiment.score_toward(tokens, lex, needles, rules, others=others) if needles
                  else sentence)
    out: dict[str, float] = {"lex": toward.score, "lex_sentence": sentence.score}
    pos = sum(v for _, v in toward.matched if v > 0)
    neg = sum(v for _, v in toward.matched if v < 0)
    out["lex+"], out["lex-"] = pos, neg
    for term, value in toward.matched:
        key = "w:" + term
        out[key] = out.get(key, 0.0) + value
    if any(t in lex.negators for t in tokens):
        out["negated"] = 1.0
    if any(t in lex.contrast for t in tokens):
        out["contrast"] = 1.0
    if getattr(toward, "role", "") == "object":
        out["object"] = 1.0
    view = target_view(tokens, needles, others, sentiment._CLAUSE_END)
    for gram in char_ngrams(view):
        out["c:" + gram] = 1.0
    return out


@dataclass(frozen=True)
class Model:
    intercept: tuple[float, float, float]
    weights: Mapping[str, tuple[float, float, float]]   # feature -> weight per class (neg, neu, pos)
    neutral: float = 0.0    # |P(pos) - P(neg)| below this is neu as well (chosen on dev data)
    info: Mapping[str, str] | None = None

    def probabilities(self, feats: Mapping[str, float]) -> tuple[float, float, float]:
        a, b, c = self.intercept
        weights = self.weights
        for name, value in feats.items():
            w = weights.get(name)
            if w is not None:
                a += w[0] * value
                b += w[1] * value
                c += w[2] * value
        top = max(a, b, c)
        ea, eb, ec = math.exp(a - top), math.exp(b - top), math.exp(c - top)
        total = ea + eb + ec
        return ea / total, eb / total, ec / total

    def score(self, feats: Mapping[str, float]) -> tuple[float, str]:
        """``P(pos) - P(neg)`` in [-1, 1] and the label: neu when neutral is the likeliest class
        or the score is within the neutral band."""
        p_neg, p_neu, p_pos = self.probabilities(feats)
        score = p_pos - p_neg
        if p_neu >= max(p_neg, p_pos) or abs(score) < self.neutral:
            return score, "neu"
        return score, "pos" if score > 0 else "neg"

    def evidence(self, feats: Mapping[str, float], *, k: int = 5) -> list[list]:
        """The ``k`` features that moved the score most: [[feature, weight(pos) - weight(neg) x value], ...]."""
        moved = []
        for name, value in feats.items():
            w = self.weights.get(name)
            if w is not None and (d := (w[2] - w[0]) * value):
                moved.append((abs(d), name, d))
        moved.sort(key=lambda m: (-m[0], m[1]))
        return [[name, round(d, 4)] for _, name, d in moved[:k]]


def write_model(path: Path, model: Model) -> None:
    lines = ["# Sentiment model for pipeline/sentiment_model.py, written by benchmarks/train_sentiment.py.",
             "# A linear model: per class, intercept + sum of weight x feature value; softmax over neg, neu, pos.",
             "# See pipeline/resources/README.md for the training data and its sources."]
    for key, value in (model.info or {}).items():
        lines.append(f"# {key}: {value}")
    lines.append(f"#neutral\t{model.neutral}")
    lines.append("feature\tneg\tneu\tpos")
    lines.append("(intercept)\t" + "\t".join(f"{w:.4f}" for w in model.intercept))
    for name in sorted(model.weights):
        lines.append(name + "\t" + "\t".join(f"{w:.4f}" for w in model.weights[name]))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_model(path: Path = MODEL_PATH) -> Model:
    intercept, weights, neutral, info = (0.0, 0.0, 0.0), {}, 0.0, {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#neutral\t"):
            neutral = float(line.split("\t")[1])
        elif line.startswith("# ") and ": " in line:
            key, value = line[2:].split(": ", 1)
            info[key] = value
        elif not line or line.startswith("#") or line.startswith("feature\t"):
            continue
        else:
            name, a, b, c = line.rsplit("\t", 3)
            w = (float(a), float(b), float(c))
            if name == "(intercept)":
                intercept = w
            else:
                weights[name] = w
    return Model(intercept, weights, neutral, info)
