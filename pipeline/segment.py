"""Segment: split each normalised sentence into part-of-speech tagged tokens with offsets.

The tokenizer is jieba's algorithm (prefix dictionary, max-probability route, HMM for
unknown words) behind one interface with two backends: ``rjieba`` (jieba-rs through PyO3,
the default: same F1, about 30 times faster with tags) and ``jieba`` (the Python original,
for comparison). Both get the same project user dictionary and the same *protect* pass:
model names with versions (``GLM-4.5``, ``GLM-4.1V-9B-Base``) and numbers with units
(``243.77亿元``, ``50%``) are cut out with one regex before the backend sees the text,
so each stays one token.

Every character of a sentence lands in exactly one token (whitespace included), so the
tokens of a sentence joined give back the sentence and offsets are cumulative lengths.
A token is a *content* word when its tag is in :data:`CONTENT_TAGS` and it is not in the
stopword list; keywords and framing count those (see README, "segment").
"""
from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from itertools import accumulate, compress, filterfalse, islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from . import records
from .config import RESOURCES
from .runner import ArticleStage

USERDICT_PATH = RESOURCES / "userdict.txt"
STOPWORDS_PATH = RESOURCES / "stopwords.txt"
WARM_WORDS_PATH = RESOURCES / "warm_words.txt"
BACKENDS = ("rjieba", "jieba")

# Model names: ASCII letters, then at least one '-' or '.' part holding a digit
# (GLM-4.5, GLM-4.1V-9B-Base, ChatGPT-3.5, Qwen2.5, DeepSeek-R1). Numbers with units:
# a number followed (after at most one space) by %, a magnitude (万, 亿 ...) and/or a currency
# (243.77亿元, 243.77 亿元, 50%, 3亿美元).
# \d covers full-width digits too. The pattern opens with one character class and checks
# the character before it with a lookbehind *after* that class: re then skips ahead with a
# fast class scan instead of trying both branches at every character (3-4 times faster on
# news text). The lookbehinds keep a match from starting inside a word or a number.
PROTECT = re.compile(
    r"[A-Za-z\d](?:"
    r"(?<=[A-Za-z])(?<![A-Za-z0-9][A-Za-z])"
    r"(?P<model>[A-Za-z0-9]*[-.][A-Za-z0-9]*\d[A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)"
    r"|(?<=\d)(?<![\dA-Za-z.．]\d)"
    r"(?P<quantity>\d*(?:[.,．]\d+)* ?"
    r"(?:[%％]|(?:万亿|千亿|百亿|十亿|千万|百万|十万|亿|万)(?:美元|港元|港币|欧元|日元|人民币|元)?"
    r"|(?:美元|港元|港币|欧元|日元|元))))"
)
PROTECT_TAGS = {"model": "nz", "quantity": "mq"}

# Content classes (jieba / ICTCLAS tags): nouns n*, verbs v*, adjectives a*, English words,
# plus b (distinguishing words: 国有, 民营), i (idioms), j (abbreviations: 央企, 人大),
# l (fixed expressions: 对外开放) and z (state words). Not content: x (punctuation,
# whitespace), m/mq (numbers), u, p, c, d, r, f, q, t, s, y, e, o, zg ...
CONTENT_TAGS = frozenset(
    "n nr nr1 nr2 nrj nrf nrfg nrt ns nsf nt nz nl ng "
    "v vd vn vshi vyou vf vx vi vl vg vq "
    "a ad an ag al eng b i j l z".split()
)
# rjieba tags words found by the HMM (absent from the dictionary) "x", like punctuation;
# jieba.posseg would guess a tag. We tag such multi-character CJK tokens "nz": in news
# they are mostly names (朱赟德, 窦文雪).
OOV_TAG = "nz"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")  # jieba's own user-dict syntax


@dataclass(frozen=True)
class Entry:
    word: str
    freq: int | None
    tag: str | None


def read_userdict(path: Path = USERDICT_PATH) -> list[Entry]:
    """jieba user-dictionary lines ``word [freq] [tag]``; ``#`` starts a comment line."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, freq, tag = USERDICT_LINE.match(line).groups()
        entries.append(Entry(word, int(freq) if freq else None, tag.strip() if tag else None))
    return entries


def read_words(path: Path) -> list[str]:
    """One word a line; blank lines and ``#`` comment lines skipped."""
    lines = (line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_stopwords(path: Path = STOPWORDS_PATH) -> frozenset[str]:
    """Stopwords; English ones also match Capitalised and UPPER forms."""
    words = set()
    for word in read_words(path):
        words.update(_cased(word))
    return frozenset(words)


def _cased(word: str) -> tuple[str, ...]:
    return (word, word.capitalize(), word.upper()) if word.isascii() else (word,)


def _entry(line: str) -> Entry:
    """One user-dictionary line ``word [freq] [tag]`` (a story's ``dictionary.words`` item)."""
    word, freq, tag = USERDICT_LINE.match(line.strip()).groups()
    return Entry(word, int(freq) if freq else None, tag.strip() if tag else None)


# ---------------------------------------------------------------- backends
#
# A backend turns a piece of text into ``(words, info)``: the words, whose concatenation
# is the piece, and for each word ``(tag, is_content)`` from ``describe(word, tag)``.


class _Rjieba:
    """jieba-rs. Its tags are those of the words ``cut`` returns, each looked up on its own:
    a word's tag does not depend on its context (checked on 33,000 distinct words of the
    CCTV corpus and the seeds; tests/test_segment.py checks the seeds). So we ``cut`` (no
    tag strings to cross over from Rust) and look each word up in a memo of
    (tag, is_content); a word not in the memo yet is tagged alone, once. Should a word
    ever come back in pieces when alone, the whole piece is tagged instead. User-dictionary
    tags go straight into the memo, as jieba's ``add_word`` does for its tags."""

    def __init__(self, hmm: bool, describe: Callable[[str, str], tuple[str, int]]):
        import rjieba

        self.hmm, self.describe = hmm, describe
        self.jieba = rjieba.Jieba()  # its own instance, not rjieba's module-level default
        self.memo: dict[str, tuple[str, int]] = {}

    def add_word(self, entry: Entry) -> None:
        self.jieba.add_word(entry.word, entry.freq, entry.tag)
        if entry.tag:  # jieba-rs keeps the old tag of a word already in its dictionary (国资 vn)
            self.memo[entry.word] = self.describe(entry.word, entry.tag)

    def cut(self, text: str) -> list[str]:
        return self.jieba.cut(text, self.hmm)

    def tagged(self, text: str) -> tuple[list[str], list[tuple[str, int]]]:
        words = self.jieba.cut(text, self.hmm)
        try:  # every word described before: one C pass (no scan of the list for a None marker)
            return words, list(map(self.memo.__getitem__, words))
        except KeyError:
            words = self._learn(text, words)
            return words, list(map(self.memo.__getitem__, words))

    def warm(self, words: Iterable[str]) -> None:
        """Describe common words up front (speed only: the memo would learn them anyway)."""
        self._learn("", list(words))

    def _learn(self, text: str, words: list[str]) -> list[str]:
        memo, describe, jieba = self.memo, self.describe, self.jieba
        for word in filterfalse(memo.__contains__, set(words)):
            alone = jieba.tag(word, self.hmm)
            if len(alone) == 1:
                memo[word] = describe(word, alone[0][1])
            elif text:  # cut differently alone: take the tags from the piece itself
                pairs = jieba.tag(text, self.hmm)
                tag_of = dict(pairs)
                for new in filterfalse(memo.__contains__, tag_of):
                    memo[new] = describe(new, tag_of[new])
                return [w for w, _ in pairs]
        return words


class _PairMemo(dict):
    """(word, tag) -> (tag, is_content), computed once per distinct pair."""

    def __init__(self, describe: Callable[[str, str], tuple[str, int]]):
        super().__init__()
        self.describe = describe

    def __missing__(self, pair: tuple[str, str]) -> tuple[str, int]:
        value = self[pair] = self.describe(*pair)
        return value


class _Jieba:
    """The Python original; ``jieba.posseg`` tags unknown words with its own HMM, so its
    tags depend on context and the memo is keyed by (word, tag)."""

    def __init__(self, hmm: bool, describe: Callable[[str, str], tuple[str, int]]):
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)  # jieba logs "Building prefix dict ..." at DEBUG
        self.hmm = hmm
        self.tokenizer = jieba.Tokenizer(dictionary=str(Path(jieba.__file__).parent / "dict.txt"))
        # jieba pickles its prefix dictionary into a cache file, by default in the system
        # temp dir; build it in a private temp dir that is removed right after.
        with tempfile.TemporaryDirectory(prefix="jieba-") as tmp:
            self.tokenizer.tmp_dir = tmp
            self.tokenizer.initialize()
        self.tokenizer.tmp_dir = None
        self.pos = jieba.posseg.POSTokenizer(self.tokenizer)
        self.memo = _PairMemo(describe)

    def add_word(self, entry: Entry) -> None:
        self.tokenizer.add_word(entry.word, entry.freq, entry.tag)

    def cut(self, text: str) -> list[str]:
        return self.tokenizer.lcut(text, HMM=self.hmm)

    def warm(self, words: Iterable[str]) -> None:
        """Nothing to warm: tags depend on context here."""

    def tagged(self, text: str) -> tuple[list[str], list[tuple[str, int]]]:
        pairs = [(p.word, p.flag) for p in self.pos.cut(text, HMM=self.hmm)]
        return [word for word, _ in pairs], list(map(self.memo.__getitem__, pairs))


# ---------------------------------------------------------------- the tokenizer


class Tokenizer:
    """One segmenter: a backend instance, the user dictionary, the protect pass and the
    content-word rule. Make one per process: ``Tokenizer(backend="rjieba").load()``.

    ``__init__`` stores parameters only; what ``load`` builds ends in ``_``.
    """

    def __init__(self, *, backend: str = "rjieba", userdict: Path | None = USERDICT_PATH,
                 stopwords: Path | None = STOPWORDS_PATH, warm_words: Path | None = WARM_WORDS_PATH,
                 protect: bool = True, hmm: bool = True, extra_userdict: Path | None = None,
                 extra_words: Sequence[str] = (), extra_stopwords_file: Path | None = None,
                 extra_stopwords: Sequence[str] = ()):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        self.backend, self.userdict, self.stopwords = backend, userdict, stopwords
        self.warm_words = warm_words
        self.protect, self.hmm = protect, hmm
        # a story's dictionary: added after the project's, in this order (file, then words)
        self.extra_userdict, self.extra_words = extra_userdict, tuple(extra_words)
        self.extra_stopwords_file, self.extra_stopwords = extra_stopwords_file, tuple(extra_stopwords)

    def load(self) -> "Tokenizer":
        stopwords = set(read_stopwords(self.stopwords)) if self.stopwords else set()
        if self.extra_stopwords_file:
            stopwords |= read_stopwords(self.extra_stopwords_file)
        stopwords |= {v for w in self.extra_stopwords for v in _cased(w)}
        self.stopwords_ = frozenset(stopwords)
        self.entries_ = read_userdict(self.userdict) if self.userdict else []
        if self.extra_userdict:
            self.entries_ += read_userdict(self.extra_userdict)
        self.entries_ += [_entry(line) for line in self.extra_words]
        self.backend_ = (_Rjieba if self.backend == "rjieba" else _Jieba)(self.hmm, self.describe)
        for entry in self.entries_:
            self.backend_.add_word(entry)
        if self.warm_words:
            self.backend_.warm([*read_words(self.warm_words), *(e.word for e in self.entries_)])
        return self

    def describe(self, word: str, tag: str) -> tuple[str, int]:
        """(tag, is_content) of a tagged word: the rule, applied once per distinct word."""
        if tag == "x" and len(word) > 1 and _CJK.match(word):
            tag = OOV_TAG
        return tag, 1 if tag in CONTENT_TAGS and word not in self.stopwords_ else 0

    def cut(self, text: str) -> list[str]:
        """Words whose concatenation is ``text``."""
        if not self.protect or not PROTECT.search(text):
            return self.backend_.cut(text)
        out: list[str] = []
        for piece, kind in _protected_pieces(text):
            if kind:
                out.append(piece)
            else:
                out += self.backend_.cut(piece)
        return out

    def tagged(self, text: str) -> tuple[list[str], list[tuple[str, int]]]:
        """Words of ``text`` and their (tag, is_content)."""
        if not self.protect or not PROTECT.search(text):
            return self.backend_.tagged(text)
        words: list[str] = []
        info: list[tuple[str, int]] = []
        for piece, kind in _protected_pieces(text):
            if kind:
                words.append(piece)
                info.append(self.describe(piece, PROTECT_TAGS[kind]))
            else:
                more_words, more_info = self.backend_.tagged(piece)
                words += more_words
                info += more_info
        return words, info

    def tagged_all(self, texts: Sequence[str]) -> list[tuple[list[str], list[tuple[str, int]]]]:
        """:meth:`tagged` of each text, in one backend call where that gives the same words.

        jieba cuts the runs of CJK letters and digits between other characters each on its
        own, and a newline, outside those runs, is always a token by itself: so cutting the
        texts joined by newlines and splitting at those tokens gives each text's words, with
        a tenth of the calls. The protect pass never matches across a newline either. Should
        a token hold a newline with something else (``"\\r\\n"``), or a text hold a newline,
        each text is cut on its own.
        """
        if len(texts) < 2 or any(_SEP in text for text in texts):
            return [self.tagged(text) for text in texts]
        words, info = self.tagged(_SEP.join(texts))
        if words.count(_SEP) != len(texts) - 1:  # a newline inside a longer token
            return [self.tagged(text) for text in texts]
        bounds = [-1]
        for _ in range(len(texts) - 1):
            bounds.append(words.index(_SEP, bounds[-1] + 1))
        bounds.append(len(words))
        return [(words[a + 1:b], info[a + 1:b]) for a, b in zip(bounds, bounds[1:])]

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, tag) pairs whose words concatenate to ``text``."""
        words, info = self.tagged(text)
        return [(word, tag) for word, (tag, _) in zip(words, info)]

    def tokens(self, text: str, *, start: int = 0) -> list[tuple[str, str, int, int, int]]:
        """``[(token, pos, start, end, is_content), ...]`` for ``text``; offsets begin at ``start``.

        The hot path: per token only C-level ``map``/``zip``/``accumulate`` run; Python code
        runs per *new* word (the memo). Tokens are tuples, JSON arrays once written.
        """
        words, info = self.tagged(text)
        if not words:
            return []
        tags, flags = zip(*info)
        bounds = list(accumulate(map(len, words), initial=start))
        if bounds[-1] - start != len(text):  # a backend that dropped or added characters
            raise ValueError(f"tokens do not cover the sentence: {text[:40]!r}")
        return list(zip(words, tags, bounds, islice(bounds, 1, None), flags))


_SEP = "\n"  # joins the texts of one tagged_all call


def _protected_pieces(text: str) -> Iterator[tuple[str, str | None]]:
    """``text`` split into (piece, kind): kind is "model"/"quantity" for a protected match, else None."""
    pos = 0
    for match in PROTECT.finditer(text):
        if match.start() > pos:
            yield text[pos:match.start()], None
        yield match.group(), match.lastgroup
        pos = match.end()
    if pos < len(text):
        yield text[pos:], None


# ---------------------------------------------------------------- the stage


# Markup debris that scraped text carries into sentences: web addresses, e-mail addresses and
# runs of percent-encoded bytes (%E5%9B%BD). Their tokens stay in the record, are not counted
# as content, and each span is listed in the sentence's ``debris`` (start, end, kind). The
# patterns are linear: no nested quantifiers over the same characters.
DEBRIS = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff01-\uff0c\uff1a-\uff1f<>\"'“”]+)"
    r"|(?P<email>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
    r"|(?P<encoded>(?:%[0-9A-Fa-f]{2}){2,})"
)
_DEBRIS_HINT = re.compile(r"https?:|www\.|@|%[0-9A-Fa-f]{2}")


def debris_spans(text: str) -> list[list]:
    """``[[start, end, kind], ...]`` of the markup debris in ``text`` (kind: url, email, encoded)."""
    if not _DEBRIS_HINT.search(text):
        return []
    return [[m.start(), m.end(), m.lastgroup] for m in DEBRIS.finditer(text)]


def _without_debris(words: Sequence[str], content: str, spans: list[list]) -> str:
    """The content flags with every token that overlaps a debris span set to 0."""
    flags = list(content)
    pos = 0
    for i, word in enumerate(words):
        end = pos + len(word)
        if any(start < end and pos < stop for start, stop, _ in spans):
            flags[i] = "0"
        pos = end
    return "".join(flags)


def process_record(record: dict, tokenizer: Tokenizer) -> dict:
    """A 03_normalize record -> its 04_segment record.

    Each sentence stores its tokens compactly, column by column: ``tokens`` (the
    words), ``pos`` (their tags joined by spaces) and ``content`` (a "0"/"1" per
    token). Offsets follow from the sentence's ``start`` and the token lengths:
    :func:`sentence_tokens` gives the full tuples. Parsing this is 6 times faster than
    one JSON array per token, and every later stage parses it.
    """
    sentences = []
    n_tokens = n_content = 0
    tagged = tokenizer.tagged_all([sentence["text"] for sentence in record["sentences"]])
    for sentence, (words, info) in zip(record["sentences"], tagged):
        if sum(map(len, words)) != len(sentence["text"]):  # a backend that dropped or added characters
            raise ValueError(f"tokens do not cover the sentence: {sentence['text'][:40]!r}")
        tags, flags = zip(*info) if words else ((), ())
        content = "".join(map(_FLAG, flags))
        debris = debris_spans(sentence["text"])
        if debris:
            content = _without_debris(words, content, debris)
        n_tokens += len(words)
        n_content += content.count("1")
        row = {"index": sentence["index"], "text": sentence["text"], "start": sentence["start"],
               "tokens": words, "pos": " ".join(tags), "content": content}
        if debris:
            row["debris"] = debris
        sentences.append(row)
    return {"id": record["id"], "source": record["source"], "outlet": record["outlet"],
            "title": record["title"], "n_tokens": n_tokens, "n_content": n_content,
            "sentences": sentences}


_FLAG = "01".__getitem__


def sentence_tokens(sentence: Mapping) -> list[tuple[str, str, int, int, int]]:
    """``[(token, pos, start, end, is_content), ...]`` of one 04_segment sentence."""
    words = sentence["tokens"]
    if not words:
        return []
    bounds = list(accumulate(map(len, words), initial=sentence["start"]))
    flags = [c == "1" and 1 or 0 for c in sentence["content"]]
    return list(zip(words, sentence["pos"].split(" "), bounds, islice(bounds, 1, None), flags))


def content_words(sentence: Mapping) -> list[str]:
    """The content tokens of one 04_segment sentence, in order."""
    return list(compress(sentence["tokens"], map("1".__eq__, sentence["content"])))


def load_resources(params: Mapping) -> Tokenizer:
    userdict, stopwords = params.get("_userdict"), params.get("_stopwords")
    return Tokenizer(backend=params["backend"], protect=params["protect"], hmm=params["hmm"],
                     extra_userdict=Path(userdict) if userdict else None, extra_words=params.get("user_words", ()),
                     extra_stopwords_file=Path(stopwords) if stopwords else None,
                     extra_stopwords=params.get("user_stopwords", ())).load()


# ---------------------------------------------------------------- tables

COLUMNS = ("id", "source", "outlet", "sentence", "token", "pos", "start", "end", "is_content")


def to_frame(stage_dir: Path):
    """One row per token: id, source, outlet, sentence (index), token, pos, start, end, is_content."""
    import pandas as pd

    cols: dict[str, list] = {name: [] for name in COLUMNS}
    for record in records.read_jsonl(Path(stage_dir) / "articles.jsonl"):
        for sentence in record["sentences"]:
            tokens = sentence_tokens(sentence)
            n = len(tokens)
            if not n:
                continue
            for name in ("id", "source", "outlet"):
                cols[name] += [record[name]] * n
            cols["sentence"] += [sentence["index"]] * n
            words, tags, starts, ends, flags = zip(*tokens)
            cols["token"] += words
            cols["pos"] += tags
            cols["start"] += starts
            cols["end"] += ends
            cols["is_content"] += flags
    frame = pd.DataFrame(cols, columns=list(COLUMNS))
    frame = frame.astype({"sentence": "int64", "start": "int64", "end": "int64", "is_content": "bool"})
    for name in ("source", "outlet", "pos"):
        frame[name] = frame[name].astype("category")
    return frame


PARAMS = {"backend": "rjieba", "protect": True, "hmm": True}

STAGE = ArticleStage(
    name="segment",
    folder="04_segment",
    upstream="03_normalize",
    process=process_record,
    load_resources=load_resources,
    params=PARAMS,
    resource_files=(USERDICT_PATH, STOPWORDS_PATH, WARM_WORDS_PATH),
    code_files=(Path(__file__),),
    libraries=("rjieba", "jieba"),
)
TABLES = {"segment": to_frame}
