"""Sentiment: lexicon-based scores per sentence and per article, with a target entity.

Method (see README, "sentiment" and "Sentiment validation", for the validation and the choices):

* Words are matched on the segment tokens, longest first, also across up to
  :data:`MAX_NGRAM` adjacent tokens (so 创新高 matches when the tokenizer gives 创 新高).
* A sentiment word contributes its lexicon weight (general lexicon, overridden by the
  domain lexicon; weight 0 in the domain lexicon silences a general word).
* Negators (不, 没有, 并非 ...) flip the next sentiment word of their clause: the scope ends
  at punctuation, a contrast word or the sentiment word it flips. Two negators cancel.
* Degree adverbs (极 2.0, 很 1.5, 更 1.25, 稍 0.6 ...) multiply the next sentiment word. A
  negator before a degree word ("不很好") flips at half strength.
* Contrast (但, 然而, 不过, 却 ...): what follows the last contrast word counts 1.5 times,
  what precedes it 0.5 times; a concessive clause (虽然, 尽管 ...) counts 0.5 times more.
* A sentence's raw sum ``s`` becomes ``s / sqrt(s^2 + alpha)`` in (-1, 1); the label is
  neu when ``|score| < neutral`` and otherwise pos or neg.

An article's score is the mean of its sentence scores; the shares count sentence labels;
``target_*`` repeats that on the sentences that mention the target entity.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from . import memo, records
from .config import RESOURCES

LEXICON_PATH = RESOURCES / "sentiment_lexicon.tsv"
DOMAIN_PATH = RESOURCES / "sentiment_domain.tsv"
MODIFIERS_PATH = RESOURCES / "sentiment_modifiers.tsv"

MAX_NGRAM = 4
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
CONCESSION = 0.5
NEGATED_DEGREE = 0.5

DEFAULT_PARAMS = {
    "alpha": 4.0,          # s / sqrt(s^2 + alpha)
    "neutral": 0.1,        # |score| below this is neu
    "domain": True,        # use the domain lexicon
    "targets": [],         # the story's targets: [{"name": ..., "aliases": [...]}] (simplified script)
}

# Clause ends: the scope of a negator or degree word, and of a concessive clause.
_CLAUSE_END = re.compile(r"^[，,；;：:。！？!?…\n\r]+$")
_MODIFIER_KINDS = ("negation", "degree", "contrast", "concession")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")


# ---------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Lexicon:
    words: Mapping[str, float]             # sentiment word -> weight (signed)
    negators: Mapping[str, float]          # negator -> strength
    degree: Mapping[str, float]            # degree adverb -> multiplier
    contrast: frozenset[str]
    concession: frozenset[str]
    max_len: int = field(default=0)        # longest entry, in characters
    # The per-token tables of :func:`_relevant_units`, built on first use (see _Tables).
    _tables: "_Tables | None" = field(default=None, init=False, repr=False, compare=False)

    def tables(self) -> "_Tables":
        if self._tables is None:
            object.__setattr__(self, "_tables", _Tables(self))
        return self._tables

    def kind(self, term: str) -> str | None:
        if term in self.negators:
            return "negation"
        if term in self.degree:
            return "degree"
        if term in self.contrast:
            return "contrast"
        if term in self.concession:
            return "concession"
        if self.words.get(term):
            return "word"
        return None


def _tsv_rows(path: Path) -> Iterable[list[str]]:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("term\t"):
            continue
        yield line.split("\t")


def read_extra_lexicon(path: Path) -> dict[str, float]:
    """A story's sentiment words: ``term<TAB>weight`` lines (weight in [-2, 2]; 0 silences a word)."""
    words = {}
    for n, row in enumerate(_tsv_rows(path), start=1):
        if len(row) < 2 or not row[0].strip():
            raise ValueError(f"row {n}: expected term<TAB>weight, got {chr(9).join(row)!r}")
        try:
            weight = float(row[1])
        except ValueError:
            raise ValueError(f"row {n}: weight {row[1]!r} of {row[0]!r} is not a number") from None
        if not -2 <= weight <= 2:
            raise ValueError(f"row {n}: weight {weight} of {row[0]!r} is outside [-2, 2]")
        words[row[0].strip()] = weight
    return words


def load_lexicon(*, domain: bool = True, general: bool = True, extra: Path | None = None) -> Lexicon:
    """The lexicon from pipeline/resources: general (+ domain overrides, + a story's extra
    words over both) and modifiers."""
    words: dict[str, float] = {}
    if general:
        words.update((row[0], float(row[1])) for row in _tsv_rows(LEXICON_PATH))
    if domain:
        words.update((row[0], float(row[1])) for row in _tsv_rows(DOMAIN_PATH))
    if extra is not None:
        words.update(read_extra_lexicon(extra))
    negators, degree, contrast, concession = {}, {}, set(), set()
    for term, kind, weight in _tsv_rows(MODIFIERS_PATH):
        if kind == "negation":
            negators[term] = float(weight)
        elif kind == "degree":
            degree[term] = float(weight)
        elif kind == "contrast":
            contrast.add(term)
        elif kind == "concession":
            concession.add(term)
        else:
            raise ValueError(f"{MODIFIERS_PATH.name}: unknown kind {kind!r} for {term!r}")
    for term in (*negators, *degree, *contrast, *concession):
        words.pop(term, None)
    words = {w: v for w, v in words.items() if v}
    max_len = max(map(len, (*words, *negators, *degree, *contrast, *concession)), default=1)
    return Lexicon(words, negators, degree, frozenset(contrast), frozenset(concession), max_len)


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class SentenceScore:
    raw: float
    score: float
    label: str
    matched: list[list]   # [[term, contribution], ...] in text order


def _split_modified(token: str, lex: Lexicon) -> list[tuple[str, str]] | None:
    """A token the lexicon lacks that is a negator or degree word + a sentiment word (不差, 更好), split."""
    for k in (2, 1):
        head, rest = token[:k], token[k:]
        kind = lex.kind(head)
        if rest and kind in ("negation", "degree") and lex.kind(rest) == "word":
            return [(head, kind), (rest, "word")]
    return None


# What one token means on its own, whatever its neighbours: see _Tables.classify.
_SKIP = 0  # a token that matters in no way (most of them): not a lexicon entry, no clause end,
#            cannot start a multi-token entry, cannot be split into modifier + word (falsy, not None)
_END_UNIT = ("end", False, None)


class _Tables:
    """Per-lexicon lookups that make :func:`_relevant_units` one dict lookup per ordinary token.

    ``prefixes`` holds every prefix (the empty one and whole entries included) of the entries
    whose kind is ``"word"``: a run of tokens can only grow into a sentiment word while its
    concatenation stays in it. ``memo`` caches :meth:`classify` per distinct token.
    """

    def __init__(self, lex: Lexicon):
        self.lex = lex
        # lex.kind of every term that has one; every other string's kind is None
        self.kinds = {t: k for t in (*lex.negators, *lex.degree, *lex.contrast, *lex.concession, *lex.words)
                      if (k := lex.kind(t)) is not None}
        self.word_terms = frozenset(t for t, k in self.kinds.items() if k == "word")
        self.prefixes = frozenset(t[:k] for t in self.word_terms for k in range(len(t) + 1))
        self.modifier_heads = frozenset(t for t, k in self.kinds.items() if k in ("negation", "degree"))
        self.memo: dict[str, tuple | int] = {}

    def classify(self, token: str) -> tuple | int:
        """(kind, may start a multi-token word, split into modifier + word) or _SKIP (see :meth:`codes`)."""
        if _CLAUSE_END.match(token):
            out = _END_UNIT
        else:
            kind = self.kinds.get(token)
            start = kind not in _MODIFIER_KINDS and token in self.prefixes
            split = None
            if kind is None and (token[:2] in self.modifier_heads or token[:1] in self.modifier_heads):
                split = _split_modified(token, self.lex)  # 不差 -> 不 + 差
            out = _SKIP if kind is None and not start and split is None else (kind, start, split)
        return out

    def codes(self, tokens: Sequence[str]) -> list[tuple | int]:
        """:meth:`classify` of each token, in order."""
        return memo.lookup(self.memo, tokens, self.classify)


def _relevant_units(tokens: Sequence[str], lex: Lexicon) -> list[tuple[str, str]]:
    """Tokens grouped into (term, kind) units, leaving out those of kind ``None`` (they change no score).

    The grouping: a clause end first; otherwise, unless the token is a modifier, the longest
    run of 2..MAX_NGRAM tokens (at most ``max_len`` characters) that is a sentiment word; else
    a split 不差 -> 不 + 差 for a token the lexicon lacks; else the token with its own kind.
    tests/test_sentiment.py holds the token-by-token reference it is checked against.
    """
    tables = lex.tables()
    prefixes, word_terms = tables.prefixes, tables.word_terms
    codes = tables.codes(tokens)
    max_len = lex.max_len
    out: list[tuple[str, str]] = []
    n = len(tokens)
    i = 0  # the first token not yet consumed
    for k in compress(range(n), codes):  # only the tokens that may matter (_SKIP is falsy)
        if k < i:  # inside a multi-token word already taken
            continue
        i = k
        token = tokens[i]
        kind, start, split = codes[i]
        # The longest run tokens[i:j], 2 <= j - i <= MAX_NGRAM, that is a sentiment word: grown
        # one token at a time while the run is still the beginning of some word.
        if start and i + 1 < n and (joined := token + tokens[i + 1]) in prefixes and len(joined) <= max_len:
            best, found = (i + 2, joined) if joined in word_terms else (0, "")
            for j in range(i + 2, min(n, i + MAX_NGRAM)):
                joined += tokens[j]
                if len(joined) > max_len or joined not in prefixes:
                    break
                if joined in word_terms:
                    best, found = j + 1, joined
            if best:
                out.append((found, "word"))
                i = best
                continue
        if split is not None:
            out.extend(split)
        elif kind is not None:
            out.append((token, kind))
        i += 1
    return out


def label_for(score: float, *, neutral: float) -> str:
    return "neu" if abs(score) < neutral else ("pos" if score > 0 else "neg")


def normalise(raw: float, *, alpha: float) -> float:
    return raw / math.sqrt(raw * raw + alpha) if raw else 0.0


def score_tokens(tokens: Sequence[str], lex: Lexicon, *, alpha: float = 4.0, neutral: float = 0.1) -> SentenceScore:
    """Score one sentence given its tokens (all of them, punctuation included)."""
    parts: list[list[tuple[str, float]]] = [[]]  # contributions between contrast words
    negation = 0.0      # strength of pending negators (0 = none); sign flips per negator
    flips = 0
    degree = 1.0
    negated_degree = False
    conceded = False
    for term, kind in _relevant_units(tokens, lex):
        if kind == "end":
            flips, negation, degree, negated_degree, conceded = 0, 0.0, 1.0, False, False
        elif kind == "contrast":
            parts.append([])
            flips, negation, degree, negated_degree, conceded = 0, 0.0, 1.0, False, False
        elif kind == "concession":
            conceded = True
        elif kind == "negation":
            flips += 1
            negation = lex.negators[term] if negation == 0 else min(negation, lex.negators[term])
        elif kind == "degree":
            degree *= lex.degree[term]
            negated_degree = negated_degree or flips > 0
        elif kind == "word":
            value = lex.words[term]
            if flips % 2:
                value = -value * negation * (NEGATED_DEGREE if negated_degree else degree)
            else:
                value *= degree
            if conceded:
                value *= CONCESSION
            parts[-1].append((term, value))
            flips, negation, degree, negated_degree = 0, 0.0, 1.0, False
    matched: list[list] = []
    raw = 0.0
    last = len(parts) - 1
    for k, part in enumerate(parts):
        weight = 1.0 if last == 0 else (CONTRAST_AFTER if k == last else CONTRAST_BEFORE)
        for term, value in part:
            matched.append([term, round(value * weight, 4)])
            raw += value * weight
    score = normalise(raw, alpha=alpha)
    return SentenceScore(raw, score, label_for(score, neutral=neutral), matched)


def mentions(text: str, aliases: Iterable[str]) -> bool:
    folded = text.casefold()
    return any(alias.casefold() in folded for alias in aliases)


def needles(aliases: Iterable[str]) -> tuple[str, ...]:
    """The case-folded aliases that :func:`mentions` must look for: an alias that contains
    another (智谱AI contains 智谱) is found whenever the shorter one is, so it is dropped."""
    folded = sorted(set(alias.casefold() for alias in aliases), key=lambda a: (len(a), a))
    kept: list[str] = []
    for alias in folded:
        if not any(k in alias for k in kept):
            kept.append(alias)
    return tuple(kept)


def _mean(values: Sequence[float]) -> float | None:
    return round(math.fsum(values) / len(values), 6) if values else None


# ---------------------------------------------------------------- the stage


@dataclass(frozen=True)
class Resources:
    lexicon: Lexicon
    alpha: float
    neutral: float
    aliases: tuple[str, ...]                     # every target's aliases
    targets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, needles) per target, in story order
    needles: tuple[str, ...] = field(default=(), init=False)  # needles(aliases): what mentions() looks for

    def __post_init__(self):
        object.__setattr__(self, "needles", needles(self.aliases))


def _targets(p: Mapping) -> list[dict]:
    """The targets of ``params``: ``targets`` (the story's list), or one ``target`` dict."""
    targets = list(p.get("targets") or [])
    if not targets and p.get("target"):
        targets = [p["target"]]
    out = []
    for t in targets:
        aliases = list(t.get("aliases") or [])
        if t.get("name") and t["name"] not in aliases:
            aliases.insert(0, t["name"])
        out.append({"name": t.get("name") or (aliases[0] if aliases else ""), "aliases": aliases})
    return [t for t in out if t["aliases"]]


def load_resources(params: Mapping) -> Resources:
    p = {**DEFAULT_PARAMS, **params}
    targets = _targets(p)
    aliases = tuple(a for t in targets for a in t["aliases"])
    extra = p.get("_extra_lexicon")
    return Resources(load_lexicon(domain=p["domain"], extra=Path(extra) if extra else None), float(p["alpha"]),
                     float(p["neutral"]), aliases,
                     tuple((t["name"], needles(t["aliases"])) for t in targets))


def process_record(record: dict, resources: Resources) -> dict:
    """Scores per sentence and article. ``target_*`` is about the sentences that mention any
    target; with several targets, ``targets`` has each one's own mean and count, and each
    sentence lists the targets it mentions."""
    sentences = []
    scores, labels, target_scores = [], [], []
    several = len(resources.targets) > 1
    per_target: dict[str, list[float]] = {name: [] for name, _ in resources.targets}
    for sentence in record.get("sentences") or ():
        tokens = sentence["tokens"]
        s = score_tokens(tokens, resources.lexicon, alpha=resources.alpha, neutral=resources.neutral)
        folded = sentence["text"].casefold()
        hit = any(needle in folded for needle in resources.needles)  # mentions(text, aliases), faster
        score = round(s.score, 6)
        scores.append(score)
        labels.append(s.label)
        row = {"index": sentence["index"], "text": sentence["text"], "score": score,
               "label": s.label, "mentions_target": hit, "matched": s.matched}
        if hit:
            target_scores.append(score)
            if several:
                named = [name for name, found in resources.targets if any(n in folded for n in found)]
                for name in named:
                    per_target[name].append(score)
                row["targets"] = named
        sentences.append(row)
    n = len(sentences)
    if not n:  # no score is not a score of 0: the article is left out with the reason
        raise Skip("no sentences to score")
    share = (lambda lab: round(labels.count(lab) / n, 6)) if n else (lambda lab: None)
    out = {"id": record["id"], "source": record["source"], "outlet": record.get("outlet"), "title": record.get("title"),
           "score": _mean(scores), "pos_share": share("pos"), "neu_share": share("neu"),
           "neg_share": share("neg"), "n_sentences": n,
           "target_score": _mean(target_scores), "target_n_sentences": len(target_scores),
           "sentences": sentences}
    if several:
        out["targets"] = [{"name": name, "score": _mean(per_target[name]), "n_sentences": len(per_target[name])}
                          for name, _ in resources.targets]
    return out


# ---------------------------------------------------------------- scoring any text


class TextScorer:
    """Scores raw text with the stage's method: OpenCC t2s, the segment stage's tokenizer."""

    def __init__(self, params: Mapping | None = None):
        import opencc

        self.params = {**DEFAULT_PARAMS, **(params or {})}
        self.resources = load_resources(self.params)
        self._t2s = opencc.OpenCC("t2s")
        self._tokenize = _segment_tokenizer()

    def tokens(self, text: str) -> list[str]:
        return self._tokenize(self._t2s.convert(text))

    def sentence(self, text: str) -> SentenceScore:
        r = self.resources
        return score_tokens(self.tokens(text), r.lexicon, alpha=r.alpha, neutral=r.neutral)

    def document(self, text: str) -> float:
        """Mean sentence score of a longer text (split on 。！？ and line breaks); 0 when empty."""
        parts = [p.strip() for p in _SENTENCE_END.split(self._t2s.convert(text)) if p and p.strip()]
        scores = [self.sentence(p).score for p in parts]
        return math.fsum(scores) / len(scores) if scores else 0.0


def _segment_tokenizer():
    """``text -> tokens`` with the segment stage's own tokenizer (same dictionary, same passes)."""
    from . import segment

    tok = segment.load_resources(segment.STAGE.params)
    return lambda text: tok.cut(text) if text else []


def main_sentiment_score(argv: list[str]) -> int:
    """``python -m pipeline sentiment-score [--file PATH]``: score<TAB>label per input line."""
    ap = argparse.ArgumentParser(prog="python -m pipeline sentiment-score",
                                 description="Score each line of text (stdin or --file): prints score<TAB>label.")
    ap.add_argument("--file", type=Path, help="read lines from this file instead of standard input")
    ap.add_argument("--no-domain", action="store_true", help="general lexicons only, without the domain lexicon")
    args = ap.parse_args(argv)
    scorer = TextScorer({"domain": not args.no_domain})
    stream = open(args.file, encoding="utf-8") if args.file else sys.stdin
    try:
        for line in stream:
            text = line.rstrip("\r\n")
            s = scorer.sentence(text) if text.strip() else SentenceScore(0.0, 0.0, "neu", [])
            sys.stdout.write(f"{s.score:.4f}\t{s.label}\n")
    finally:
        if args.file:
            stream.close()
    return 0


# ---------------------------------------------------------------- tables


def sentiment_frame(stage_dir: Path):
    import pandas as pd

    cols = ("id", "source", "outlet", "score", "pos_share", "neu_share", "neg_share", "n_sentences",
            "target_score", "target_n_sentences")
    rows = [[r[c] for c in cols] for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl")]
    return pd.DataFrame(rows, columns=list(cols)).astype({"score": "float64", "target_score": "float64",
                                                         "pos_share": "float64", "neu_share": "float64",
                                                         "neg_share": "float64"})


def sentences_frame(stage_dir: Path):
    import pandas as pd

    cols = ("id", "source", "outlet", "index", "text", "score", "label", "mentions_target", "position")
    rows = []
    for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl"):
        n = len(r["sentences"])
        for k, s in enumerate(r["sentences"]):
            rows.append([r["id"], r["source"], r["outlet"], s["index"], s["text"], s["score"], s["label"],
                         s["mentions_target"], k / (n - 1) if n > 1 else 0.0])
    return pd.DataFrame(rows, columns=list(cols))


from .stage import ArticleStage, Skip  # noqa: E402

STAGE = ArticleStage(
    name="sentiment",
    folder="06_sentiment",
    upstream="04_segment",
    process=process_record,
    load_resources=load_resources,
    params=dict(DEFAULT_PARAMS),
    resource_files=(LEXICON_PATH, DOMAIN_PATH, MODIFIERS_PATH),
    code_files=(Path(__file__),),
    libraries=("opencc",),
)
TABLES = {"sentiment": sentiment_frame, "sentences": sentences_frame}
