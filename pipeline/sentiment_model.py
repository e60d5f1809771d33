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
* whether the sentence evaluates anything (neutral first): ``nw:0`` / ``nw:1`` / ``nw:2+``, how many
  words the lexicon matched toward the target, ``strength``, the largest of their contributions,
  and the cues of a factual report or a question: ``digit``, ``report`` (a reporting verb: 表示,
  称, 据 ...), ``question``;
* ``t:<word>``: each word of the sentence (its segment tokens of two or more characters);
* ``c:<n-gram>``: character 1-3-grams of the clauses that name the target (the target written
  ``T``, other named parties ``O``), or of the whole sentence without a target (the shipped model
  keeps the 2- and 3-grams: their lengths are chosen on dev data);
* the point of view (session 13): toward a target, when the sentence also names another party, the
  whole sentence's score is ``lex_sentence@o`` instead of ``lex_sentence``, ``other`` is set, and the
  words are those of the target's clauses less the parties' names (:func:`clause_words`), so that a
  rival's news in the same sentence can weigh less than the target's own.
"""
from __future__ import annotations

import math
import re
from itertools import repeat
from operator import add, itemgetter, rshift
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

from .config import RESOURCES

MODEL_PATH = RESOURCES / "sentiment_model.tsv"
TARGET_MODEL_PATH = RESOURCES / "sentiment_target_model.tsv"  # the score toward a target (session 14)
CLASSES = ("neg", "neu", "pos")
NGRAMS = (1, 2, 3)
_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)


_moved = itemgetter(5, 4)
_name, _size = itemgetter(4), itemgetter(5)

_DIGIT = re.compile(r"\d")
_REPORTING = frozenset("表示 称 声称 透露 据 据悉 获悉 显示 报道 介绍 宣布 发布 公布 公告 披露".split())
_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?…\n\r]+")  # the clause ends of sentiment._CLAUSE_END


def char_ngrams(text: str) -> set[str]:
    """The character 1-, 2- and 3-grams of ``text`` (pairwise string addition, which runs in C)."""
    pairs = list(map(add, text, text[1:]))
    grams = set(text)
    grams.update(pairs)
    grams.update(map(add, pairs, text[2:]))
    return grams


def marked(text: str, needles: Sequence[str], others: Sequence[str]) -> str:
    """``text`` casefolded, the target's needles written ``T`` and other parties' ``O`` (longest first)."""
    folded = text.casefold()
    for needle in sorted((n for n in needles if n), key=len, reverse=True):
        folded = folded.replace(needle, "Ｔ")
    for other in sorted((o for o in others if o), key=len, reverse=True):
        folded = folded.replace(other, "Ｏ")
    return folded


def target_view(tokens: Sequence[str], needles: Sequence[str], others: Sequence[str], *,
                text: str | None = None, folded: str | None = None) -> str:
    """The text of the clauses that name the target, the target as ``T`` and other parties as ``O``
    (the whole sentence when no clause names it); ``text``: ``"".join(tokens)``, and ``folded``: its
    :func:`marked`, when already worked out."""
    if folded is None:
        folded = marked("".join(tokens) if text is None else text, needles, others)
    if not needles or "Ｔ" not in folded:
        return folded
    return "|".join(c for c in _CLAUSE_SPLIT.split(folded) if "Ｔ" in c)


class Signals(NamedTuple):
    """One sentence's features, as :meth:`Model.predict` takes them: ``named`` (feature -> value), ``view``
    (the text whose character n-grams are features: :func:`target_view`) and ``words`` (the sentence's
    distinct tokens: those of two or more characters are features, value 1)."""

    named: dict[str, float]
    view: str
    words: frozenset[str]


def signals(tokens: Sequence[str], lex, *, needles: Sequence[str] = (), others: Sequence[str] = (),
            rules=None, sentence=None, toward=None) -> Signals:
    """The model's features of one sentence: see the module docstring. ``sentence`` and ``toward``: the
    lexicon's SentenceScore and TargetScore when already computed."""
    if sentence is None or (toward is None and needles):
        from . import sentiment

        if sentence is None:
            sentence = sentiment.score_tokens(tokens, lex)
        if toward is None and needles:
            toward = sentiment.score_toward(tokens, lex, needles, rules, others=others)
    if toward is None:
        toward = sentence
    out: dict[str, float] = {"lex": toward.score, "lex_sentence": sentence.score}
    matched = toward.matched
    pos = sum(v for _, v in matched if v > 0)
    neg = sum(v for _, v in matched if v < 0)
    out["lex+"], out["lex-"] = pos, neg
    for term, value in matched:
        key = "w:" + term
        out[key] = out.get(key, 0.0) + value
    if not lex.negators.keys().isdisjoint(tokens):
        out["negated"] = 1.0
    if not lex.contrast.isdisjoint(tokens):
        out["contrast"] = 1.0
    if getattr(toward, "role", "") == "object":
        out["object"] = 1.0
    n = sum(1 for _, v in matched if v)
    out["nw:0" if n == 0 else "nw:1" if n == 1 else "nw:2+"] = 1.0
    out["strength"] = max((abs(v) for _, v in matched), default=0.0)
    if _DIGIT.search(text := "".join(tokens)):
        out["digit"] = 1.0
    if not _REPORTING.isdisjoint(tokens):
        out["report"] = 1.0
    if text.rstrip().endswith(("？", "?")):
        out["question"] = 1.0
    folded = marked(text, needles, others)
    other = bool(needles) and "Ｏ" in folded
    if other:
        # Another party is named too: the whole sentence's tone is read apart (it may be the other's news), and
        # the words are the target's clauses', less the parties' names (fitted so: the point of view).
        out["lex_sentence@o"] = out.pop("lex_sentence")
        out["other"] = 1.0
    words = frozenset(clause_words(tokens, needles, others) if other else tokens)
    return Signals(out, target_view(tokens, needles, others, folded=folded), words)


def clause_words(tokens: Sequence[str], needles: Sequence[str], others: Sequence[str]) -> list[str]:
    """The tokens of the clauses that name the target (a needle), less those that are part of a party's name
    (a needle or one of ``others``); every token when no clause names it."""
    names = [n for n in (*needles, *others) if n]
    clauses, clause = [], []
    for token in tokens:
        if _CLAUSE_SPLIT.fullmatch(token):
            clauses.append(clause)
            clause = []
        else:
            clause.append(token)
    clauses.append(clause)
    kept = [c for c in clauses if any(n in "".join(c).casefold() for n in needles if n)]
    if not kept:
        return [t for t in tokens if not _CLAUSE_SPLIT.fullmatch(t)]
    return [t for c in kept for t in c if not any(t.casefold() in n for n in names)]


def features(tokens: Sequence[str], lex, **options) -> dict[str, float]:
    """:func:`signals` as one dict, the words as ``t:<word>`` = 1 and the n-grams as ``c:<n-gram>`` = 1
    (what the model is fitted on)."""
    named, view, words = signals(tokens, lex, **options)
    named.update(("t:" + w, 1.0) for w in sorted(words) if len(w) > 1)  # sorted: the same order under any hash seed
    named.update(("c:" + g, 1.0) for g in sorted(char_ngrams(view)))
    return named


# The n-grams' weights summed as integers (see Model): each field of a packed integer holds one class's
# sum; this many bits above the largest weight keep any sum of fewer than 2**24 n-grams inside its field
# (a sentence has at most three per character; longer lists are summed in parts, Model._sums).
_HEADROOM = 24
_EXACT = 1 << 53  # integers below this are floats exactly


def _scaled(values: list[float], names: list[str]) -> tuple[int, list[int]]:
    """(shift, [value x 2**shift, ...]): the least shift >= 0 that makes every value an integer (a binary
    fraction times a power of two), and those integers, exactly (``names``: each value's feature, three
    values a feature, for the message when one is not a finite number)."""
    import numpy as np  # here, not at import: the sentiment stage imports this module whatever its method

    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all():
        bad = names[int(np.flatnonzero(~np.isfinite(v))[0]) // 3]
        raise ValueError(f"sentiment model: a weight of {bad!r} is not a finite number")
    m, e = np.frexp(v)                       # v = m x 2**e, 0.5 <= |m| < 1 (0 for 0)
    mantissa = np.ldexp(m, 53).astype(np.int64)  # exact: v = mantissa x 2**(e - 53)
    _, low = np.frexp((mantissa & -mantissa).astype(np.float64))  # the lowest set bit is 2**(low - 1)
    nonzero = mantissa != 0
    shift = int(max(0, (53 - e - (low - 1))[nonzero].max(initial=0)))  # the largest binary denominator
    return shift, [a << b if b >= 0 else a >> -b   # exact: b < 0 drops only zero bits
                   for a, b in zip(mantissa.tolist(), (e - 53 + shift).tolist())]


def _exact_floats(total: int, shift: int) -> tuple[float, ...]:
    """Floats whose exact sum is ``total / 2**shift``: the correctly rounded value and what rounding left
    out (each a power-of-two scaling of an integer of at most 53 bits, so exact)."""
    f = float(total)
    rest = total - int(f)
    if -_EXACT < rest < _EXACT:
        return math.ldexp(f, -shift), math.ldexp(rest, -shift)
    return math.ldexp(f, -shift), *_exact_floats(rest, shift)


@dataclass(frozen=True)
class Model:
    intercept: tuple[float, float, float]
    weights: Mapping[str, tuple[float, float, float]]   # feature -> weight per class (neg, neu, pos)
    neutral: float = 0.0    # |P(pos) - P(neg)| below this is neu as well (chosen on dev data)
    info: Mapping[str, str] | None = None

    def __post_init__(self):
        # feature -> (w_neg, w_neu, w_pos, w_pos - w_neg, feature, |w_pos - w_neg|): a named feature's row
        table = {n: (*w, w[2] - w[0], n, abs(w[2] - w[0])) for n, w in self.weights.items()}
        object.__setattr__(self, "_table", table)
        # The n-grams and the words (value 1), ranked by how much they move P(pos) - P(neg), as the evidence
        # orders them (ties by name): rank 1 moves it most, so the top k of a sentence's are its k best ranked.
        # One with no weight changes neither the sums nor the evidence: left out.
        rows = [row for n, row in table.items() if n[:2] in ("c:", "t:") and (row[0] or row[1] or row[2])]
        rows.sort(key=_name, reverse=True)  # then by size, stably: the order of _moved (size, then name), in
        rows.sort(key=_size, reverse=True)  # two sorts of plain keys rather than one of tuples
        # One integer per n-gram or word, all that a sentence needs of it in one lookup: its weight for each
        # class times 2**shift (an integer for every weight, a binary fraction), plus a bias that makes it
        # positive, in three fields of ``width`` bits, and its rank above them. One builtin sum adds the three
        # classes exactly (less the biases, n x bias per field; the ranks add up above the fields, unread), and
        # a shift reads a row's rank. The exact sums go to fsum as floats that add up to them exactly, so the
        # logits are the same correctly rounded sums as fsum over every weight.
        shift, flat = _scaled([w for row in rows for w in row[:3]], [row[4] for row in rows])
        bias = 1 << max(map(abs, flat), default=0).bit_length()
        width = bias.bit_length() + _HEADROOM
        it = iter(flat)
        packed = [(row[4], (((rank << width | next(it) + bias) << width | next(it) + bias) << width) | next(it) + bias)
                  for rank, row in enumerate(rows, start=1)]
        # The n-grams in an automaton, which finds those of a text in one C pass; the words (of two or more
        # characters, as signals gives them) in a dict.
        ngrams = [(name[2:], value) for name, value in packed if name[:2] == "c:"]
        grams = None
        if ngrams:
            import ahocorasick

            grams = ahocorasick.Automaton()
            add = grams.add_word
            for key, value in ngrams:
                add(key, value)
            grams.make_automaton()
        object.__setattr__(self, "_grams", grams)
        object.__setattr__(self, "_words", {name[2:]: value for name, value in packed
                                            if name[:2] == "t:" and len(name) > 3})
        object.__setattr__(self, "_rows", (None, *rows))   # by rank
        object.__setattr__(self, "_packing", (shift, width, (1 << width) - 1, bias))
        # The packed integers sort by rank; those below this one are the best ranked eighth, where a
        # sentence's top k usually are (see predict).
        object.__setattr__(self, "_best", (len(rows) // 8 + 1) << 3 * width)

    def predict(self, named: Mapping[str, float], view: str = "", words: Iterable[str] = (), *, k: int = 5):
        """((P(neg), P(neu), P(pos)), evidence) of the features ``named``, the character n-grams of ``view``
        (each distinct one once) and ``words`` (the tokens, each once; those of two or more characters,
        value 1): see :class:`Signals`. The evidence: the ``k`` features that moved ``P(pos) - P(neg)``
        most, [[feature, (weight(pos) - weight(neg)) x value], ...]. Sums are exactly rounded (math.fsum
        over the named features' products, the n-grams' and words' weights added exactly as integers) and
        ties broken by name, so nothing depends on the order of ``named`` or ``words``."""
        table = self._table
        rows = [(w[0] * v, w[1] * v, w[2] * v, w[3] * v, w[4], abs(w[3] * v)) for name, v in named.items()
                if (w := table.get(name)) is not None and v]
        if not isinstance(words, (set, frozenset)):
            words = set(words)  # each word once
        packed = list(filter(None, map(self._words.get, words)))
        if view and self._grams is not None:  # each n-gram's integer is its own: a set keeps each once
            packed.extend(set(map(_second, self._grams.iter(view))))
        shift, width = self._packing[:2]
        sa, sb, sc = self._sums(packed)
        a, b, c = self.intercept
        logits = (math.fsum([a, *map(_first, rows), *_exact_floats(sa, shift)]),
                  math.fsum([b, *map(_second, rows), *_exact_floats(sb, shift)]),
                  math.fsum([c, *map(_third, rows), *_exact_floats(sc, shift)]))
        top = max(logits)
        e = [math.exp(x - top) for x in logits]
        total = e[0] + e[1] + e[2]
        # The top k of every row: among the n-grams and words only the k best ranked can enter it, and when k
        # of them are in the best ranked eighth, those are among them.
        best = list(filter(self._best.__gt__, packed))
        best = sorted(best if len(best) >= k else packed)[:k]
        rows.extend(map(self._rows.__getitem__, map(rshift, best, repeat(3 * width))))
        moved = sorted(rows, key=_moved, reverse=True)[:k]  # by |moved|, ties by name (heapq.nlargest's order)
        return (e[0] / total, e[1] / total, e[2] / total), [[r[4], round(r[3], 4)] for r in moved if r[3]]

    def _sums(self, packed: list[int]) -> tuple[int, int, int]:
        """Each class's exact sum of the packed integers' weights (times 2**shift)."""
        _, width, mask, bias = self._packing
        if len(packed) < 1 << _HEADROOM:  # always, but for a text of millions of characters
            total, biases = sum(packed), len(packed) * bias
            return (total >> 2 * width & mask) - biases, (total >> width & mask) - biases, (total & mask) - biases
        step = (1 << _HEADROOM) - 1
        parts = [self._sums(packed[i:i + step]) for i in range(0, len(packed), step)]
        return sum(map(_first, parts)), sum(map(_second, parts)), sum(map(_third, parts))

    def label(self, probs: tuple[float, float, float]) -> tuple[float, str]:
        """``P(pos) - P(neg)`` in [-1, 1] and the label: neu when neutral is the likeliest class
        or the score is within the neutral band."""
        p_neg, p_neu, p_pos = probs
        score = p_pos - p_neg
        if p_neu >= max(p_neg, p_pos) or abs(score) < self.neutral:
            return score, "neu"
        return score, "pos" if score > 0 else "neg"

    def probabilities(self, feats: Mapping[str, float]) -> tuple[float, float, float]:
        return self.predict(feats)[0]

    def score(self, feats: Mapping[str, float]) -> tuple[float, str]:
        return self.label(self.probabilities(feats))

    def evidence(self, feats: Mapping[str, float], *, k: int = 5) -> list[list]:
        return self.predict(feats, k=k)[1]


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
    intercept, neutral, info = (0.0, 0.0, 0.0), 0.0, {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = 0
    for start, line in enumerate(lines):  # the header: settings as comments, up to the column names
        if line.startswith("#neutral\t"):
            neutral = float(line.split("\t")[1])
        elif line.startswith("# ") and ": " in line:
            key, value = line[2:].split(": ", 1)
            info[key] = value
        elif line.startswith("feature\t") or (line and not line.startswith("#")):
            break
    body = [line for line in lines[start:] if line and line[0] != "#" and not line.startswith("feature\t")]
    fields = "\t".join(body).split("\t")  # one split for the whole table: four fields a line ...
    if len(fields) == 4 * len(body):
        weights = dict(zip(fields[0::4], zip(map(float, fields[1::4]), map(float, fields[2::4]),
                                             map(float, fields[3::4]))))
    else:  # ... unless a feature's name holds a tab: each line split from the right
        weights = {name: (float(a), float(b), float(c)) for name, a, b, c in (line.rsplit("\t", 3) for line in body)}
    if "(intercept)" in weights:
        intercept = weights.pop("(intercept)")
    return Model(intercept, weights, neutral, info)
