"""Sourcing, claims and reuse: who speaks in each story, which numbers it reports, who copied whom.

Per article (the map, :func:`source_article`, cached and parallel), on the normalised sentences of
``03_normalize``:

- attributions: each cue (表示, 回应称, 据…了解, 网传 …) with its speaker as named, the speaker's
  type, the attributed content with offsets into the normalised text, and whether it is quoted;
- numeric claims: numbers with a unit (money, shares, people, counts, multiples), Chinese numerals
  and approximations normalised (十余人 -> ≥10, 将近一半 -> ≈0.5), the subject they measure, the
  period when stated and the speaker when attributed;
- passages: each long enough sentence with a MinHash signature of its character shingles.

The reduce (:func:`finish`) writes the tables, compares claims across groups (``claim_conflicts``)
and finds shared passages with MinHash LSH over the signatures, each candidate verified by the
exact Jaccard similarity of its shingles. Rules are data: ``resources/sourcing.yaml`` (its header
documents the precedence).

Outputs in ``08_sourcing/``: ``articles.jsonl``, ``attributions.csv``, ``claims.csv``,
``claim_conflicts.csv``, ``reuse.csv``, ``sourcing_profile.csv`` (group, speaker_type, n, share,
direct), ``top_speakers.csv`` (group, speaker, speaker_type, n), ``reuse_by_group.csv``.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import functools
import heapq
import io
import itertools
import math
import pickle
import re
import tempfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from . import grouping, memo, records
from .config import ARTICLES, RESOURCES
from .runner import ArticleStage, executors, map_ranges, ranges, read_range

RULES_PATH = RESOURCES / "sourcing.yaml"
UPSTREAM = "03_normalize"
INGEST = "01_ingest"
TYPES = ("company_official", "anonymous", "media", "social", "expert_analyst", "government_regulator",
         "document", "own_outlet")
ATTRIBUTIONS = "attributions.csv"
CLAIMS = "claims.csv"
CONFLICTS = "claim_conflicts.csv"
REUSE = "reuse.csv"
PROFILE = "sourcing_profile.csv"
SPEAKERS = "top_speakers.csv"
REUSE_BY_GROUP = "reuse_by_group.csv"

MEMO_LIMIT = 1 << 16  # distinct strings each per-string memo of the rules remembers (then emptied)
_BOUNDARY = "，。；：！？,;:!?\n"
_CLAUSE = re.compile(r"[，。；！？,;!?]")
_LAST_CLAUSE = re.compile(r".*[，。；！？,;!?]", re.S)  # up to the last clause mark (_CLAUSE's class)


def _clause_begin(text: str, pos: int) -> int:
    """Where the clause that holds ``pos`` begins: right after the last clause mark before
    ``pos``, else 0 (``max((m.end() for m in _CLAUSE.finditer(text, 0, pos)), default=0)``,
    one C match backwards from ``pos`` instead of a Python step per mark)."""
    m = _LAST_CLAUSE.match(text, 0, pos)
    return m.end() if m else 0


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Verb:
    verb: str
    type: str | None          # the cue's own speaker type (报道称 -> media), or None
    needs_speaker: bool = True
    needs_type: tuple[str, ...] = ()  # the speaker must be of one of these types (显示: a document)
    needs_punct: bool | str = False  # only when punctuation or a quotation follows (说：); a string: one of these
    skip_recipient: bool = False    # 告诉本刊，…… : the content starts after the comma
    named_only: bool = False        # without the punctuation, still a cue when the speaker is a known actor
    skip_object: bool = False       # 发布数据，……: the content starts after the comma when a document was named
    person_types: tuple[str, ...] = ()  # of needs_type, those where the speaker must be a person (丁薛祥要求)
    persons_only: bool = False      # the speaker must be a person or an expert (陈文敏分析：)
    typed_only: bool = False        # the lexicon or the outlet table must know the speaker (国家航天局发布消息)


@dataclass(frozen=True)
class Rules:
    quotes: tuple[tuple[str, str], ...]
    quote_re: re.Pattern         # one quotation, outermost, marks included
    openers: str                 # the opening marks (a quotation may run on into the next sentence)
    frame: re.Pattern            # 据 <speaker> <verb>
    frame_types: Mapping[str, str | None]
    compiled_verbs: frozenset[str]  # the frame verbs that 综合 (a compilation of sources) also opens
    verbs: tuple[Verb, ...]      # longest first
    verb_re: re.Pattern
    by_verb: Mapping[str, Verb]
    any_cue: re.Pattern          # a sentence without a match has no attribution (the reference)
    cue_words: Any               # the same words as an Aho-Corasick automaton: what the map asks
    not_before: Mapping[str, tuple[str, ...]]
    not_after: Mapping[str, tuple[str, ...]]
    speaker_prefix: re.Pattern
    speaker_suffix: re.Pattern
    speaker_reject: re.Pattern
    speaker_inner: re.Pattern
    max_speaker: int
    own_markers: tuple[str, ...]
    own_marker: re.Pattern       # any of own_markers, one C search
    anonymous: re.Pattern
    social: re.Pattern
    type_res: tuple[tuple[str, re.Pattern], ...]
    linking: re.Pattern          # 并, 又: a clause before a cue that is only these has no speaker
    earlier_clause_verbs: frozenset[str]
    setting_verbs: frozenset[str]   # 谈到……时: a setting, not a cue, when what follows ends in 时
    setting: re.Pattern             # what follows a setting verb: ……时 before a comma or a cue
    not_objects: Mapping[str, re.Pattern]  # a clause after the cue that makes it no statement (否认……罪)
    deferring_verbs: frozenset[str]
    next_cue: re.Pattern            # a comma, linking words and an earlier_clause_verbs cue
    objects: re.Pattern             # what a skip_object verb publishes (数据, 报告)
    former: re.Pattern              # 前, 原 before a government title: a former official
    former_type: str
    neutral_roles: re.Pattern    # 负责人, 发言人 at the end of a speaker: the type of what they follow
    pronouns: frozenset[str]
    not_antecedents: frozenset[str]  # types a later pronoun does not refer to (a document is no 他)
    default_type: str
    number: re.Pattern
    number_start: re.Pattern     # a character a number can start with (the scan jumps to the next one)
    qualifier_chars: int         # the longest qualifier written before a number (超过, 不少于)
    fraction: re.Pattern
    fraction_screen: re.Pattern  # a text without a match has no fraction (each holds one of these)
    fraction_words: Any          # the same literal words as an Aho-Corasick automaton: what the map asks
    units: Mapping[str, tuple[str, str]]
    before: Mapping[str, tuple[str, str]]
    before_re: re.Pattern        # a qualifier ending where a fraction starts
    after: Mapping[str, tuple[str, str]]
    fractions: Mapping[str, tuple[str, float, str]]
    vague: Mapping[str, tuple[str, float, str]]
    subject_re: re.Pattern
    subject_of: Mapping[str, str]
    money_subjects: frozenset[str]
    weak_subjects: frozenset[str]
    compare_subjects: frozenset[str]
    period: re.Pattern
    shingle: int
    min_chars: int
    num_perm: int
    threshold: float
    lsh_threshold: float
    bands: int
    rows: int
    # per distinct string, what :func:`clean_speaker`, :func:`lexicon_type` and :func:`_is_title` found (emptied
    # at MEMO_LIMIT entries, so memory stays flat): speakers and the clauses before a cue repeat across a corpus
    _cleaned: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _typed: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _titles: dict = field(default_factory=dict, init=False, repr=False, compare=False)


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _automaton(words: Iterable[str]) -> Any:
    """An Aho-Corasick automaton of ``words``: whether a text holds any of them, in one C pass
    (a regex alternation of 100 words tries them at every character that starts one)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in sorted(set(words)):
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def has_any(automaton: Any, text: str) -> bool:
    """Whether ``text`` holds any word of ``automaton`` (``bool(alternation.search(text))``)."""
    return next(automaton.iter(text), None) is not None


def _any(patterns: Iterable[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿点几"
_TENTH = "[一二两三四五六七八九十半]"  # the tenths of 三成, 两成半


def load_rules(path: Path = RULES_PATH) -> Rules:
    import yaml

    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    frame_types = {v["verb"]: v.get("type") for v in data["frame_verbs"]}
    frame_verbs = sorted(data["frame_verbs"], key=lambda v: (-len(v["verb"]), v["verb"]))
    frame = re.compile(r"(?<![数证占收单票考论字數證])(?P<lead>[据據]|" + _alternation(data["compiled_leads"])
                       + r")(?P<speaker>[^，。；：,;:“”「」]{0,24}?)(?P<verb>" + "|".join(
                           re.escape(v["verb"]) + (f"(?=[{re.escape(v['then'])}])" if v.get("then") else "")
                           + (f"(?!{_alternation(v['not_then'])})" if v.get("not_then") else "")
                           for v in frame_verbs) + ")")
    verbs = tuple(sorted((Verb(v["verb"], v.get("type"), bool(v.get("needs_speaker", True)),
                               tuple([v["needs_type"]] if isinstance(v.get("needs_type"), str) else v.get("needs_type") or ()),
                               v["needs_punct"] if isinstance(v.get("needs_punct"), str) else bool(v.get("needs_punct")),
                               bool(v.get("skip_recipient")), bool(v.get("named_only")), bool(v.get("skip_object")),
                               tuple(v.get("person_types") or ()), bool(v.get("persons_only")),
                               bool(v.get("typed_only")))
                          for v in data["verbs"]),
                         key=lambda v: (-len(v.verb), v.verb)))
    leads = ["据", "據"] + list(data["compiled_leads"])
    units = {k: (v[0], v[1]) for k, v in data["units"].items()}
    before = {k: (v[0], v[1]) for k, v in data["qualifiers_before"].items()}
    after = {k: (v[0], v[1]) for k, v in data["qualifiers_after"].items()}
    num = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|数(?=[十百千万])[" + _CN_DIGITS + r"]+|[" + _CN_DIGITS + r"]+)"
    number = re.compile(
        r"(?<![A-Za-z0-9\-._/第])(?P<pre>" + _alternation(before) + r")?(?P<num>" + num + r")"
        r"(?P<some>余|多|几)? ?(?P<mag>万亿|亿|万|千)?(?P<some2>余|多)?(?P<plus>\+)? ?"
        r"(?P<unit>" + _alternation(units) + r")?(?:[（(][^）)]{1,3}[）)](?=以上|以下|以内|之多|左右|上下))?"  # 400万台（套）以上
        r"(?P<post>以上|以下|以内|之多|左右|上下)?")
    fractions = {k: (v[0], float(v[1]), v[2]) for k, v in data["fractions"].items()}
    fraction = re.compile(r"(?P<frac>" + _alternation(fractions) + r"|(?P<den>[一二三四五六七八九十百\d]+)分之(?P<numr>["
                          + _CN_DIGITS + r"\d.]+)|(?P<tenth>" + _TENTH + ")成(?:(?P<tenth2>[一二三四五六七八九半])(?![个位人名家]))?"
                          + r"(?![为立功本长员交型立果绩熟效就])|(?P<vague>" + _alternation(data["vague"]) + r")"
                          + r"|百分之(?P<pct>[" + _CN_DIGITS + r"\d.]+))")
    # every fraction holds one of these: its word, 分之 (三分之一, 百分之五), a tenth before 成 (三成)
    fraction_screen = re.compile(_alternation(list(fractions) + list(data["vague"]) + ["分之"]) + "|" + _TENTH + "成")
    subject_of = {alias: canon for canon, aliases in data["subjects"].items() for alias in aliases}
    return Rules(
        quotes=tuple((q[0], q[1]) for q in data["quotes"]), openers="".join(q[0] for q in data["quotes"] if q[0] != q[1]),
        quote_re=re.compile("|".join(f"{re.escape(q[0])}[^{re.escape(q[1])}]*{re.escape(q[1])}" for q in data["quotes"])),
        any_cue=re.compile("|".join([_alternation(v["verb"] for v in data["verbs"]), _alternation(leads)]
                                    + [re.escape(q[0]) for q in data["quotes"]])),
        cue_words=_automaton([v["verb"] for v in data["verbs"]] + leads + [q[0] for q in data["quotes"]]),
        frame=frame, frame_types=frame_types, verbs=verbs,
        compiled_verbs=frozenset(v["verb"] for v in data["frame_verbs"] if v.get("compiled")),
        verb_re=re.compile(_alternation(v.verb for v in verbs)), by_verb={v.verb: v for v in verbs},
        not_before={k: tuple(v) for k, v in data["not_before"].items()},
        not_after={k: tuple(v) for k, v in data["not_after"].items()},
        speaker_prefix=re.compile(data["speaker_prefix"]), speaker_suffix=re.compile(data["speaker_suffix"]),
        speaker_reject=re.compile(data["speaker_reject"]), speaker_inner=re.compile(data["speaker_inner"]),
        max_speaker=int(data["max_speaker_chars"]), own_markers=tuple(data["own_outlet_markers"]),
        own_marker=re.compile(_alternation(data["own_outlet_markers"]) or "(?!)"),  # none: matches nothing
        anonymous=_any(data["anonymous"]), social=_any(data["social"]),
        type_res=tuple((t, _any(p)) for t, p in data["speaker_types"].items()),
        linking=re.compile("(?:" + _alternation(data["linking"]) + ")+"),
        earlier_clause_verbs=frozenset(data["earlier_clause_verbs"]),
        setting_verbs=frozenset(data["setting_verbs"]),
        setting=re.compile(r"[^，。；！？,;!?：:“”「」]{0,24}?(?:时|時|之际|之際)(?:[，,]|(?:" + _alternation(v.verb for v in verbs) + "))"),
        deferring_verbs=frozenset(data["deferring_verbs"]),
        not_objects={k: re.compile(v) for k, v in data["not_objects"].items()},
        next_cue=re.compile("[，,](?:" + _alternation(data["linking"]) + ")*(?:" + "|".join(
            re.escape(v) + (f"(?!{_alternation(data['not_after'][v])})" if data["not_after"].get(v) else "")
            for v in sorted(set(data["earlier_clause_verbs"]), key=lambda v: (-len(v), v))) + ")"), objects=re.compile("(?:" + _alternation(data["objects"]) + ")$"),
        former=re.compile(data["former"]["before"]), former_type=str(data["former"]["type"]),
        neutral_roles=re.compile("(?:" + _alternation(data["neutral_roles"]) + ")$"),
        pronouns=frozenset(data["pronouns"]), not_antecedents=frozenset(data["not_antecedents"]), default_type=str(data["default_type"]),
        number=number, number_start=re.compile(r"[\d数" + _CN_DIGITS + "]"), qualifier_chars=max(map(len, before), default=0),
        fraction=fraction, fraction_screen=fraction_screen, units=units, before=before,
        fraction_words=_automaton(list(fractions) + list(data["vague"]) + ["分之"] + [t + "成" for t in _TENTH[1:-1]]),
        vague={k: (v[0], float(v[1]), v[2]) for k, v in data["vague"].items()},
        before_re=re.compile("(?:" + _alternation(before) + ")$"), after=after, fractions=fractions,
        subject_re=re.compile(_alternation(subject_of)), subject_of=subject_of,
        money_subjects=frozenset(data["money_subjects"]), weak_subjects=frozenset(data["weak_subjects"]),
        compare_subjects=frozenset(data["compare_subjects"]),
        period=re.compile(r"(?:(?:19|20)\d{2}|[二〇零一九]{4}) ?年(?:上半年|下半年|前三季度|全年|第?[一二三四1-4]季度|Q[1-4]|"
                          r"\d{1,2}月(?:份)?)?|(?:今年|去年|前年|明年)(?:上半年|下半年|前三季度|全年|第?[一二三四]季度|\d{1,2}月)?|"
                          r"(?:上半年|下半年|前三季度|第[一二三四]季度|Q[1-4])|(?:19|20)\d{2} ?[HQ][1-4]"),
        shingle=int(data["reuse"]["shingle"]), min_chars=int(data["reuse"]["min_chars"]),
        num_perm=int(data["reuse"]["num_perm"]), threshold=float(data["reuse"]["threshold"]),
        lsh_threshold=float(data["reuse"]["lsh_threshold"]),
        bands=int(data["reuse"]["bands"]), rows=int(data["reuse"]["rows"]),
    )


# ---------------------------------------------------------------- attributions


def quote_spans(text: str, rules: Rules) -> list[tuple[int, int]]:
    """(start, end) of each quotation, marks included, outermost only."""
    return [m.span() for m in rules.quote_re.finditer(text)]


def clean_speaker(raw: str, rules: Rules) -> tuple[str, int]:
    """``"对此，该公司方面"`` -> ``("该公司方面", 3)``: the speaker and its offset within ``raw``
    (worked out once per distinct ``raw`` while remembered: the suffix pattern is long)."""
    return memo.remember(rules._cleaned, raw, lambda r: _clean_speaker(r, rules), MEMO_LIMIT)


def _clean_speaker(raw: str, rules: Rules) -> tuple[str, int]:
    text = raw
    lead = 0
    for _ in range(3):
        m = rules.speaker_prefix.match(text)
        stripped = len(text) - len(text.lstrip(" 　"))
        cut = (m.end() if m else 0) or stripped
        if not cut:
            break
        text, lead = text[cut:], lead + cut
    text = rules.speaker_suffix.sub("", text).rstrip(" 　")
    inner = rules.speaker_inner.match(text)
    if inner:
        return inner.group("speaker"), lead + inner.start("speaker")
    return text, lead


def speaker_type(speaker: str, cue_type: str | None, *, outlet: str | None, rules: Rules,
                 previous: str | None = None, context: str | None = None) -> str:
    """The type of a speaker, by the precedence documented in ``resources/sourcing.yaml``."""
    bare = speaker.replace("据", "", 1) if speaker.startswith("据") else speaker
    if not bare and cue_type in (None, "own_outlet"):
        return "own_outlet"
    if outlet and len(outlet) >= 2 and outlet.casefold() in speaker.casefold():
        return "own_outlet"
    if bare and rules.own_marker.search(bare) and not re.search("(?:据|援引).{1,12}记者", bare):
        return "own_outlet"
    if bare in rules.pronouns and previous:
        return previous
    if rules.anonymous.search(bare) or (not bare and cue_type == "anonymous"):
        return "anonymous"
    if rules.social.search(bare):
        return "social"
    if cue_type:
        return cue_type
    if bare and _is_outlet(bare):  # a newsroom the shipped outlet table knows (pipeline/outlets.py)
        return "media"
    found = lexicon_type(bare, rules)
    if found:
        return found
    if context and _NAME.fullmatch(bare):
        found = titled_type(bare, context, rules)
        if found:
            return found
    return rules.default_type


_NAME = re.compile(r"[\u4e00-\u9fff·]{2,8}")
_TITLE_STOP = re.compile(r"[，。；：！？、,;:!?\s“”「」『』（）()《》]")


def lexicon_type(speaker: str, rules: Rules) -> str | None:
    """The type of the lexicon entry (``speaker_types``) that ends last in the speaker: the head of
    a Chinese noun phrase is its end (也门胡塞武装运营的媒体 -> media, 统计局数据 -> document);
    at the same end, the order of ``speaker_types``. A role that any body has (``neutral_roles``:
    负责人, 发言人, 方面) takes the type of what it follows (国家发展改革委有关负责人 ->
    government_regulator), its own only when nothing before it is typed. A government title after
    a ``former`` marker (前议员, 前财政司司长) is a former official, who speaks for themselves
    (``former_type``). None when no entry is in it. Worked out once per distinct speaker while
    remembered."""
    return memo.remember(rules._typed, speaker, lambda s: _lexicon_type(s, rules), MEMO_LIMIT)


def _lexicon_type(speaker: str, rules: Rules) -> str | None:
    role = rules.neutral_roles.search(speaker)
    if role and role.start():
        found = lexicon_type(speaker[:role.start()], rules)
        if found == "government_regulator" and rules.former.search(speaker, 0, role.start()):
            return rules.former_type  # 考评局前秘书长
        if found:
            return found
    best, best_end, best_start = None, -1, 0
    for type_, pattern in rules.type_res:
        for m in pattern.finditer(speaker):
            if m.end() > best_end:
                best, best_end, best_start = type_, m.end(), m.start()
    if best == "government_regulator" and rules.former.search(speaker, 0, best_start):
        return rules.former_type
    return best


def titled_type(name: str, context: str, rules: Rules) -> str | None:
    """The type a bare name (习近平, 诺沃亚) takes from a title written right before it elsewhere in
    the article (国家主席习近平 -> government_regulator): the first mention right after a title the
    lexicon types (an entry ending where the name starts), else None."""
    at = context.find(name)
    while at >= 0:  # str.find, not a regex per name (each distinct pattern is compiled once)
        head = _TITLE_STOP.split(context[max(0, at - 16):at])[-1]
        if head and _is_title(head, rules):
            return lexicon_type(head, rules)  # a title that ends where the name starts (显示 is none)
        at = context.find(name, at + 1)
    return None


def _is_title(head: str, rules: Rules) -> bool:
    """Whether an entry of the type lexicon other than a document ends where ``head`` ends (once
    per distinct head while remembered: the same titles stand before names all over a corpus)."""
    return memo.remember(rules._titles, head, lambda h: any(
        t.end() == len(h) for type_, pattern in rules.type_res if type_ != "document" for t in pattern.finditer(h)),
        MEMO_LIMIT)


@functools.lru_cache(maxsize=4096)
def _is_outlet(name: str) -> bool:
    """Whether the shipped outlet table knows the name (memoised: speakers repeat, and each
    lookup converts the name's script)."""
    from . import outlets

    found = outlets.lookup(name)
    return found is not None and found.kind != "platform"


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    for a, b in spans:  # a loop, not any() over a generator: called per cue and per number
        if a <= pos < b:
            return True
    return False


def _content_span(text: str, start: int, quotes: Sequence[tuple[int, int]],
                  openers: str = "") -> tuple[int, int, bool]:
    """What a cue at ``start`` attributes: a quotation right after it, else the rest of the
    sentence. A quotation that opens right after the cue and does not close in the sentence (it
    runs on into the next) is direct too: its part in this sentence."""
    i = start
    while i < len(text) and text[i] in "：:，, 　":
        i += 1
    for a, b in quotes:
        if a == i:
            return a + 1, b - 1, True
    end = len(text)
    while end > i and text[end - 1] in "。！？!?；; 　":
        end -= 1
    if i < end and text[i] in openers and not _inside(i, quotes):
        return i + 1, end, True
    return i, end, False


_LAST_STOP = re.compile(r".*[" + re.escape(_BOUNDARY + "”」’』\"") + "]", re.S)  # up to the last boundary or closing quote


def _clause_start(text: str, pos: int) -> int:
    """Right after the last boundary mark or closing quotation mark before ``pos``, else 0: one C
    match backwards from ``pos`` (the Python walk back, a step per character, is in the tests)."""
    m = _LAST_STOP.match(text, 0, pos)
    return m.end() if m else 0


def is_person(speaker: str, rules: Rules, *, context: str | None = None) -> bool:
    """Whether a speaker is a person: a pronoun, a name with a title in the article, or a phrase
    that ends in a person's name (rjieba's tags). A ``named_only`` cue without its punctuation
    counts only after one (唐英年说胡……; not 只是说, 公司越发强调……)."""
    if speaker in rules.pronouns:
        return True
    if context and _NAME.fullmatch(speaker) and titled_type(speaker, context, rules):
        return True
    import rjieba

    tags = rjieba.tag(speaker)
    return bool(tags) and tags[-1][1] in ("nr", "nrfg", "nrt")


_NAME_BREAK = re.compile(r"[\s、，,（）()\[\]]")
_SENTENCE_BREAK = re.compile(r"[，。,；;！？!?]")


def _quoted_name(text: str, start: int, cue: int, quotes: Sequence[tuple[int, int]]) -> int | None:
    """Where a speaker starts when its clause start, ``start``, falls right after a short quotation
    that continues a noun phrase (社会团体“环境运动联合”呼吁, 保安“强哥”称): the start of that
    phrase; else None. Nothing but name characters may stand between the quotation and the cue."""
    if not start or text[start - 1] not in "”」’』\"" or _NAME_BREAK.search(text, start, cue):
        return None
    for a, b in quotes:
        if b == start and b - a - 2 <= 12 and a and text[a - 1] not in _BOUNDARY \
                and not _SENTENCE_BREAK.search(text, a, b):
            return _clause_start(text, a)
    return None


_RECIPIENT_END = re.compile(r"[，,：:]")
_CLAUSE_MARK = re.compile(r"[，。]")
_CLAUSE_OR_QUOTE = re.compile(r"[，。“”「」]")


def attributions(text: str, rules: Rules, *, outlet: str | None = None, previous: str | None = None,
                 context: str | None = None, prior: str | None = None) -> list[dict]:
    """Every attribution in one sentence, offsets into ``text``: speaker, speaker_type, cue,
    content, direct, start, end (the content), speaker_start, speaker_end. ``context``: the
    article's text, where a bare name's title is looked up (:func:`titled_type`); ``prior``:
    the sentence before, whose subject a pronoun refers to when no attribution came before it
    (国务院副总理丁薛祥……。他强调，……)."""
    if not has_any(rules.cue_words, text):  # rules.any_cue.search(text), faster
        return []
    quotes = quote_spans(text, rules)
    out: list[dict] = []
    taken: list[tuple[int, int]] = []  # speaker+cue spans and direct quotations already attributed
    said: list[tuple[int, int]] = []   # indirect contents already attributed

    def add(speaker: str, s_start: int, cue: str, cue_start: int, cue_end: int, cue_type: str | None,
            content: tuple[int, int, bool]) -> None:
        nonlocal previous
        c_start, c_end, direct = content
        if c_end <= c_start:
            return
        if previous is None and prior and speaker in rules.pronouns:
            subject = sentence_subject(prior, len(prior), rules)
            if subject and subject[0] not in rules.pronouns:
                previous = speaker_type(subject[0], None, outlet=outlet, rules=rules, context=context)
        type_ = speaker_type(speaker, cue_type, outlet=outlet, rules=rules, previous=previous, context=context)
        if type_ not in rules.not_antecedents:
            previous = type_
        out.append({"speaker": speaker or cue, "speaker_type": type_, "cue": cue, "content": text[c_start:c_end],
                    "direct": direct, "start": c_start, "end": c_end,
                    "speaker_start": s_start, "speaker_end": s_start + len(speaker) if speaker else cue_end})
        taken.append((min(s_start, cue_start), cue_end))
        if direct:
            taken.append((c_start - 1, c_end + 1))
        else:
            said.append((c_start, c_end))

    # 1. 据 <speaker> <verb>
    for m in rules.frame.finditer(text):
        if _inside(m.start(), taken) or _inside(m.start(), quotes):
            continue
        speaker, lead = clean_speaker(m.group("speaker"), rules)
        verb, opener = m.group("verb"), m.group("lead")
        if verb == "悉" and speaker:
            continue
        if opener not in "据據":  # 综合外媒报道, 综合与会者消息: a compilation of sources
            if verb not in rules.compiled_verbs:
                continue
            cue = f"{opener}…{verb}" if speaker else f"{opener}{verb}"
        else:
            cue = f"据…{verb}" if speaker else f"据{verb}"
        add(speaker, m.start("speaker") + lead, cue, m.start(), m.end(), rules.frame_types.get(verb),
            _content_span(text, m.end(), quotes, rules.openers))
    # 2. “……”，<speaker> <verb>
    for a, b in quotes:
        if _inside(a, taken):
            continue
        tail = text[b:]
        if not (text[b - 2:b - 1] in "，。！？,!?" or tail[:1] in "，,"):
            continue  # “法治”环节的……表示: a quoted term, not a quotation
        m = re.match(r"[，,]?(?P<speaker>[^，。；“”「」]{1,%d}?)(?P<verb>说|表示|称|指出|强调|坦言|介绍|回应|说道|直言|透露|說|稱)"
                     r"(?=[。，,；！!]|$)" % rules.max_speaker, tail)
        if m:
            speaker, lead = clean_speaker(m.group("speaker"), rules)
            if speaker and len(speaker) <= rules.max_speaker and not rules.speaker_reject.search(speaker):
                add(speaker, b + m.start("speaker") + lead, m.group("verb"), b + m.start("verb"), b + m.end(),
                    None, (a + 1, b - 1, True))
    # 3./4. <speaker> <verb>, and the cues that name no speaker
    by_verb = rules.by_verb
    for m in rules.verb_re.finditer(text):
        pos, verb = m.start(), m.group()
        if _inside(pos, taken) or _inside(pos, quotes):
            continue
        before, after = text[max(0, pos - 2):pos], text[m.end():m.end() + 2]
        # str.endswith/startswith of the tuple: any word of it, in C (an empty tuple matches none)
        if before.endswith(rules.not_before.get(verb, ())) or after.startswith(rules.not_after.get(verb, ())):
            continue
        rule = by_verb[verb]
        bare = bool(rule.needs_punct) and not (after[:1] and after[0] in (
            rule.needs_punct if isinstance(rule.needs_punct, str) else "：:，,“「‘『\""))
        clause_end = _CLAUSE.search(text, m.end())
        clause = text[m.end():clause_end.start() if clause_end else len(text)]
        published = rule.skip_object and clause_end and len(clause) <= 20 and rules.objects.search(clause)
        if bare and not rule.named_only and not published:
            continue
        if verb in rules.not_objects and rules.not_objects[verb].search(clause):
            continue  # 她否认普通袭击罪: a plea, not a statement
        if verb in rules.setting_verbs and rules.setting.match(text, m.end()):
            continue  # 他谈到成本时表示: the setting of the next cue
        if (verb in rules.deferring_verbs or (bare and rule.named_only)) and clause_end \
                and rules.next_cue.match(text, clause_end.start()):
            continue  # 当局否认村民的讲法，指……: the next cue says what they said
        content_from = m.end()
        if rule.skip_recipient:
            comma = _RECIPIENT_END.search(text, m.end())
            if not comma:
                continue
            content_from = comma.end()
        elif published:
            content_from = clause_end.end()  # 全国少工委发布统计数据，截至……
            bare = False
        content = _content_span(text, content_from, quotes, rules.openers)
        if not rule.needs_speaker:
            add("", pos, verb, pos, m.end(), rule.type, content)
            continue
        start = _clause_start(text, pos)
        named = _quoted_name(text, start, pos, quotes)
        if named is not None:  # 韩国社会团体“环境运动联合”呼吁: a quoted name inside the speaker
            start = named
        start = max([start] + [b for a, b in taken if start <= b <= pos])  # after 引述, an earlier cue
        speaker, lead = clean_speaker(text[start:pos], rules)
        if (not speaker or rules.linking.fullmatch(speaker)) and start and text[start - 1] in "，," \
                and verb in rules.earlier_clause_verbs:  # 韩国政府……公布调查结果，称……
            if any(a <= pos < b for a, b in said):
                continue  # ……指出，A仍未获……，但又指……: the earlier speaker goes on
            subject = sentence_subject(text, start - 1, rules)
            if subject:  # its setting cut as a speaker's is (梁锦松会见传媒时 -> 梁锦松)
                start = subject[1]
                speaker, lead = clean_speaker(subject[0], rules)
        if not speaker or len(speaker) > rules.max_speaker or (_CLAUSE_MARK if named is not None else _CLAUSE_OR_QUOTE).search(
                speaker) or rules.speaker_reject.search(speaker):
            continue
        if bare and (_inside(pos, said) or not is_person(speaker, rules, context=context)):
            continue  # 只是说, 可以说: no one speaks; 据悉，林郑也提及……: what the source said she said
        if rule.persons_only and not (is_person(speaker, rules, context=context)
                                      or lexicon_type(speaker, rules) == "expert_analyst"):
            continue
        if rule.typed_only and not (lexicon_type(speaker, rules) or _is_outlet(speaker)):
            continue
        cue_type = rule.type
        if rule.needs_type:
            type_ = speaker_type(speaker, None, outlet=outlet, rules=rules, context=context)
            if type_ not in rule.needs_type:
                if "document" not in rule.needs_type or lexicon_type(text[start:pos], rules) != "document":
                    continue
                cue_type = None  # 统计局12月31日发布数据显示: the bureau speaks, through its data
            elif type_ in rule.person_types and not is_person(speaker, rules, context=context):
                continue  # 西非两国总统要求……: a demand, not a statement
        s_start = start + lead
        if any(a <= pos < b and not (a <= s_start and s_start + len(speaker) <= b) for a, b in said):
            continue  # 对方表示……，称……: a cue inside what an earlier speaker said, its speaker outside it
        add(speaker, s_start, verb, pos, m.end(), cue_type, content)
    out.sort(key=lambda a: (a["speaker_start"], a["start"]))
    return out


_HEADER = re.compile(r"^[^，。]{0,16}消息(?:（[^）]*）)?$")
_NOUNISH = ("n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "ng", "j")


def sentence_subject(text: str, end: int, rules: Rules) -> tuple[str, int] | None:
    """The subject of a cue that stands after a comma with no speaker of its own
    (国家主席习近平和夫人彭丽媛向……回赠新年贺卡，致以新年祝福，表示……): walking back from ``end``
    clause by clause (a dateline or a 消息 header skipped), the leading nouns (rjieba's
    part-of-speech tags; 和/及/与 between them), or a pronoun, of the nearest clause that starts
    with any. Only a pronoun, a phrase holding a person's name, an organisation's name, or a
    phrase whose last word the type lexicon knows (公司股价 is not one) counts; (subject, offset)
    or None."""
    import rjieba

    for clause in reversed(list(re.finditer(r"[^，,。；;：:！？!?]+", text[:end]))):
        c, at = clause.group(), clause.start()
        pm = rules.speaker_prefix.match(c)
        if pm:
            c, at = c[pm.end():], at + pm.end()
        if not c.strip() or _HEADER.match(c):
            continue
        subject, named, last = "", False, ""
        for word, tag in rjieba.tag(c):
            if not subject and word in rules.pronouns:
                return word, at
            if tag in _NOUNISH or (tag == "x" and word in "《》·") or (subject and tag == "c" and word in "和及与"):
                subject += word
                named = named or tag in ("nr", "nrfg", "nrt")
                last = tag if tag != "x" else last
            else:
                break
        subject = subject.rstrip("和及与")
        if not subject:
            continue
        head = subject.rstrip("》")
        typed = last in ("nt", "nz") or any(m.end() == len(head) for _, p in rules.type_res for m in p.finditer(head))
        if len(subject) >= 2 and (named or typed) and not rules.speaker_reject.search(subject):
            return subject, at  # a name, an organisation, or a noun phrase whose head the lexicon types
        return None
    return None


# ---------------------------------------------------------------- numeric claims


_PLAIN_NUMBER = re.compile(r"[\d,]+(?:\.\d+)?")  # a number in digits: 1,200 or 24.66


@functools.lru_cache(maxsize=8192)
def cn_number(text: str) -> float:
    """``"二十四点六六"`` -> 24.66, ``"1,200"`` -> 1200.0 (cn2an for Chinese numerals). Memoised:
    the same few numerals recur (cn2an validates its input with a dozen regexes per call)."""
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text.replace(",", ""))
    import cn2an

    return float(cn2an.cn2an(text.replace("几", ""), "normal"))


_NUMERAL = re.compile(r"\d|[二两三四五六七八九十百千万亿半]|一[成半]|数以")  # a sentence without one has no number
_DIGIT = re.compile(r"\d")
_NOT_FIGURE = frozenset("点几零〇")  # numerals that alone are no figure
_MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "": 1.0}


def _step(num: str, magnitude: float) -> float:
    """The rounding step of a number as written: 24.66亿 -> 1e6, 20亿 -> 1e8."""
    if _PLAIN_NUMBER.fullmatch(num):
        decimals = len(num.split(".", 1)[1]) if "." in num else 0
        return magnitude * 10 ** -decimals
    return magnitude


def interval(number: float, shape: str, step: float) -> tuple[float, float]:
    """The values a claim allows: 20亿 (exact) -> [19.5亿, 20.5亿]; 将近一半 -> [0.4, 0.5];
    过半 -> (0.5, inf); 十余人 -> [10, 20)."""
    half = step / 2
    if shape == "near":  # 近50, 将近一半: a little under
        return number * 0.8, number
    if shape == "about":
        return min(number * 0.85, number - half), max(number * 1.15, number + half)
    if shape == "over":  # exclusive: 过半 does not overlap 将近一半
        return number + step / 100, math.inf
    if shape == "at_least":
        return number, math.inf
    if shape == "some":
        order = 10 ** math.floor(math.log10(number)) if number > 0 else 1
        return number, number + max(order, step)
    if shape in ("under", "at_most"):
        return 0.0, number
    return number - half, number + half


def _fmt_number(x: float) -> str:
    if x == int(x) and abs(x) < 1e18:
        return str(int(x))
    return f"{x:.6g}" if abs(x) < 1 else f"{round(x, 6):g}" if abs(x) < 1e15 else f"{x:.6g}"


def number_matches(text: str, rules: Rules) -> Iterator[re.Match]:
    """``rules.number.finditer(text)``, the same matches, faster: a match starts at most
    ``qualifier_chars`` before a character that can start a number, so the scan jumps from one
    such character (a C search for a character class) to the next instead of trying the whole
    pattern at every position of the text in between."""
    number, start, back = rules.number, rules.number_start, rules.qualifier_chars
    pos = 0
    while True:
        first = start.search(text, pos)  # no match starts before first - back: no number is nearer
        if first is None:
            return
        m = number.search(text, max(pos, first.start() - back))
        if m is None:
            return
        yield m
        pos = m.end()  # a match is never empty (it holds a number)


def fraction_matches(text: str, rules: Rules) -> Iterator[re.Match]:
    """``rules.fraction.finditer(text)``, the same matches: none without one of the words that
    every fraction holds (``fraction_screen``, asked of its automaton: one C pass), so most
    sentences skip the scan."""
    return rules.fraction.finditer(text) if has_any(rules.fraction_words, text) else iter(())


def numbers(text: str, rules: Rules) -> list[dict]:
    """Numbers with a unit in one sentence: original, number, unit, kind, approx, shape, start, end, step."""
    if not _NUMERAL.search(text):
        return []
    out: list[dict] = []
    used: list[tuple[int, int]] = []
    for m in fraction_matches(text, rules):
        if m.group("den"):
            try:
                value = cn_number(m.group("numr")) / cn_number(m.group("den"))
            except (ValueError, KeyError, ZeroDivisionError, TypeError):
                continue
            approx, shape = "=", "exact"
        elif m.group("pct"):
            try:
                value = cn_number(m.group("pct")) / 100
            except (ValueError, KeyError, TypeError):
                continue
            approx, shape = "=", "exact"
        elif m.group("tenth"):
            # 半成 = 0.05, 两成半 = 0.25, 六成二 = 0.62
            tenths = [(0.5 if k == 0 else 5) if t == "半" else cn_number(t)
                      for k, t in enumerate((m.group("tenth"), m.group("tenth2"))) if t]
            value = tenths[0] / 10 + (tenths[1] / 100 if len(tenths) > 1 else 0)
            approx, shape = "=", "exact"
        elif m.group("vague"):
            approx, number, shape = rules.vague[m.group("vague")]
            out.append({"original": m.group(), "number": number, "unit": "", "kind": "count", "approx": approx,
                        "shape": shape, "start": m.start(), "end": m.end(), "step": number})
            used.append((m.start(), m.end()))
            continue
        else:
            approx, value, shape = rules.fractions[m.group("frac")]
        begin = m.start()
        if shape == "exact":  # 约三分之一, 不到三成: a qualifier written before the fraction
            q = rules.before_re.search(text, max(0, begin - 3), begin)
            if q:
                approx, shape = rules.before[q.group()]
                begin = q.start()
        out.append({"original": text[begin:m.end()], "number": value, "unit": "share", "kind": "share",
                    "approx": approx, "shape": shape, "start": begin, "end": m.end(), "step": 0.01})
        used.append((m.start(), m.end()))
    for m in number_matches(text, rules):
        num, unit_written, mag_text = m.group("num", "unit", "mag")  # one call: most matches stop here
        if not (unit_written or mag_text) or not num or _inside(m.start("num"), used):
            continue
        vague = num.startswith("数")
        if vague:
            num = "一" + num[1:]
        if not _DIGIT.search(num) and (len(num) == 1 and num in "一几点零〇" or set(num) <= _NOT_FIGURE):
            continue  # 一个, 几个: not a figure
        unit_written = unit_written or ""
        try:
            value = cn_number(num)
        except (ValueError, KeyError, TypeError):
            continue
        mag_text = mag_text or ""
        magnitude = _MAGNITUDE[mag_text]
        for prefix, factor in (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)):
            if unit_written.startswith(prefix):
                magnitude *= factor
                break
        if unit_written:
            unit, kind = rules.units[unit_written]
        else:
            unit, kind = "", "amount"
        if kind == "share":
            magnitude /= 100
        approx, shape = "=", "exact"
        some = m.group("some") or m.group("some2") or ("几" if "几" in num or vague else None)
        for qual, table in ((m.group("pre"), rules.before), (some, rules.after), (m.group("plus"), rules.after),
                            (m.group("post"), rules.after)):
            if qual:
                approx, shape = table[qual]
        out.append({"original": m.group(), "number": value * magnitude, "unit": unit, "kind": kind, "approx": approx,
                    "shape": shape, "start": m.start(), "end": m.end(), "step": _step(num, magnitude)})
    if len(out) > 1:
        out.sort(key=lambda c: c["start"])
    return out


def _subject(text: str, start: int, end: int, rules: Rules, kind: str = "", clause_start: int | None = None) -> str:
    """The nearest subject alias before the number in its clause, else after it in the clause
    (a weak subject such as 员工 only when no other is there), else before it in the sentence,
    else after it. ``clause_start``: :func:`_clause_begin` of ``start``, when already known."""
    if clause_start is None:
        clause_start = _clause_begin(text, start)
    m_end = _CLAUSE.search(text, end)
    clause_end = m_end.start() if m_end else len(text)
    before = [rules.subject_of[m.group()] for m in rules.subject_re.finditer(text, clause_start, start)]
    after = [rules.subject_of[m.group()] for m in rules.subject_re.finditer(text, end, clause_end)]
    in_clause = before[::-1] + after
    strong = [x for x in in_clause if x not in rules.weak_subjects]
    if strong or in_clause:
        return (strong or in_clause)[0]
    earlier = [rules.subject_of[m.group()] for m in rules.subject_re.finditer(text, 0, clause_start)]
    if earlier:
        return earlier[-1]
    if kind in ("money", "amount"):  # 243.77 亿元，……确认了它自己的最新估值
        for m in rules.subject_re.finditer(text, clause_end):
            if rules.subject_of[m.group()] in rules.money_subjects:
                return rules.subject_of[m.group()]
    return ""


def _period(text: str, start: int, rules: Rules, clause_start: int | None = None) -> str:
    if clause_start is None:
        clause_start = _clause_begin(text, start)
    found = [m.group() for m in rules.period.finditer(text, clause_start, start)]
    if not found:
        found = [m.group() for m in rules.period.finditer(text, 0, start)]
    return found[-1] if found else ""


_YEAR_RANGE = re.compile(r"((?:19|20)\d{2}) ?年? ?[至到-] ?((?:19|20)\d{2}) ?年")


def respective_periods(head: str, rules: Rules) -> list[str]:
    """The periods listed in the text before a 分别, ranges expanded:
    ``2022 年至 2024 年，以及今年上半年`` -> [2022年, 2023年, 2024年, 今年上半年]."""
    out: list[str] = []
    pos = 0
    for m in _YEAR_RANGE.finditer(head):
        out.extend(p.group() for p in rules.period.finditer(head, pos, m.start()))
        out.extend(f"{y}年" for y in range(int(m.group(1)), int(m.group(2)) + 1))
        pos = m.end()
    out.extend(p.group() for p in rules.period.finditer(head, pos))
    return [p.replace(" ", "") for p in out]


def claims(text: str, rules: Rules, sentence_attributions: Sequence[dict] = ()) -> list[dict]:
    """Numeric claims of one sentence: subject, value (``≈0.5``), number, unit, approx, period,
    speaker (of the attribution whose content holds the number), original, start, end, lo, hi.
    In a 分别 sentence (A、B 分别为 x、y) the numbers after each 分别 take the listed periods in order."""
    found = numbers(text, rules)
    if not found:  # most sentences
        return []
    periods: dict[int, str] = {}
    if "分别" in text:
        marks = [m.start() for m in re.finditer("分别", text)]
        for k, a in enumerate(marks):
            listed = respective_periods(text[marks[k - 1] if k else 0:a], rules)
            b = marks[k + 1] if k + 1 < len(marks) else len(text)
            run = [n for n in found if a < n["start"] < b]
            run = [n for n in run if run and n["kind"] == run[0]["kind"]]
            if listed and len(run) == len(listed):
                periods.update((n["start"], p) for n, p in zip(run, listed))
    out = []
    for n in found:
        clause_start = _clause_begin(text, n["start"])  # for the subject and the period alike
        subject = _subject(text, n["start"], n["end"], rules, n["kind"], clause_start)
        unit = n["unit"]
        if not unit and n["kind"] == "amount":
            if not subject:
                continue  # a bare 3万 with nothing to say what it counts
            if subject in rules.money_subjects:
                unit = "元"
        if not subject and n["kind"] in ("count", "people") and n["number"] < 10 \
                and not _DIGIT.search(n["original"]):
            continue  # 两条, 三个 in words: no figure anyone reports (1个, 8艘 in digits are kept)
        period = periods.get(n["start"]) or _period(text, n["start"], rules, clause_start)
        lo, hi = interval(n["number"], n["shape"], n["step"])
        speaker = ""
        for a in sentence_attributions:
            if a["start"] <= n["start"] < a["end"]:
                speaker = a["speaker"]
        out.append({"subject": subject, "value": f"{n['approx']}{_fmt_number(n['number'])}" if n["approx"] != "="
                    else _fmt_number(n["number"]), "number": round(n["number"], 6), "unit": unit,
                    "approx": n["approx"], "period": period.replace(" ", ""), "speaker": speaker,
                    "original": n["original"], "start": n["start"], "end": n["end"],
                    "lo": round(lo, 6), "hi": None if hi == math.inf else round(hi, 6)})
    return out


# ---------------------------------------------------------------- passages (MinHash)


SCHEME = "affine32"  # datasketch's permutation scheme: 32-bit values, stored as 4 bytes each
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def shingles(text: str, k: int) -> set[str]:
    """Character k-grams of the text without punctuation and spaces."""
    bare = _NOT_TEXT.sub("", text)
    if len(bare) < k:
        return {bare} if bare else set()
    return {bare[i:i + k] for i in range(len(bare) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _unique(values):
    """The sorted distinct values of an integer array (``np.unique`` without an inverse takes a
    hash-table path in numpy 2.4 that is a hundred times slower than sorting)."""
    import numpy as np

    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def jaccards(texts: Sequence[str], pairs: Sequence[tuple[int, int]], k: int) -> list[float]:
    """:func:`jaccard` of the :func:`shingles` of ``texts[i]`` and ``texts[j]`` for every pair,
    the same values, vectorised: each shingle of up to 3 characters is an exact 63-bit key (its
    code points, 21 bits each), each text's distinct keys numbered, and a pair's intersection the
    count of numbers the two texts share (both lists, tagged with the pair, sorted together, in
    chunks). Longer shingles are compared as Python sets."""
    import numpy as np

    if not len(pairs):
        return []
    if k > 3:
        sets = [shingles(t, k) for t in texts]
        return [jaccard(sets[i], sets[j]) for i, j in pairs]

    bares = [_NOT_TEXT.sub("", t) for t in texts]
    lengths = np.fromiter((len(b) for b in bares), dtype=np.int64, count=len(bares))
    points = np.frombuffer("".join(bares).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    full = lengths >= k
    # every window of k points that lies inside one text, for the texts of at least k characters
    n_win = np.where(full, lengths - k + 1, 0)
    owner = np.repeat(np.arange(len(bares)), n_win)
    first = np.repeat(starts, n_win) + (np.arange(n_win.sum()) - np.repeat(np.cumsum(n_win) - n_win, n_win))
    keys = np.zeros(len(first), dtype=np.int64)
    for j in range(k):
        keys = (keys << 21) | points[first + j]
    short = np.flatnonzero(~full & (lengths > 0))  # a text shorter than a shingle is one shingle
    if len(short):
        extra = np.zeros(len(short), dtype=np.int64)
        for n, t in enumerate(short):
            for ch in bares[t]:
                extra[n] = (extra[n] << 21) | ord(ch)
        keys, owner = np.concatenate([keys, extra]), np.concatenate([owner, short])
    kid = np.searchsorted(_unique(keys), keys)
    cells = _unique((owner.astype(np.int64) << 32) | kid)  # (text, shingle), sorted by text
    rows, cols = cells >> 32, cells & 0xFFFFFFFF
    size = np.bincount(rows, minlength=len(bares))
    first_cell = np.concatenate(([0], np.cumsum(size)[:-1]))
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    inter = np.zeros(len(pairs), dtype=np.int64)
    step = 20_000
    for c in range(0, len(pairs), step):
        chunk = pairs[c:c + step]
        tagged = []
        for side in (chunk[:, 0], chunk[:, 1]):  # each pair's shingles, tagged with the pair
            lengths = size[side]
            pair = np.repeat(np.arange(len(side), dtype=np.int64), lengths)
            at = np.repeat(first_cell[side] - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
            tagged.append((pair << 32) | cols[at])
        both = np.sort(np.concatenate(tagged))
        same = both[1:][both[1:] == both[:-1]]  # a shingle of both texts of a pair (each set has it once)
        inter[c:c + step] = np.bincount(same >> 32, minlength=len(chunk))
    union = size[pairs[:, 0]] + size[pairs[:, 1]] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out.tolist()


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int):
    """datasketch's affine32 permutations for ``num_perm`` and seed 1, drawn as its
    ``MinHash._init_permutations`` draws them (numpy's RandomState), once per process. Written
    here so that the map does not import datasketch (its package imports scipy.integrate: 1.3 s
    per worker); the tests check that they equal datasketch's own."""
    import numpy as np

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


def _fmix32(hv):
    """MurmurHash3's 32-bit finaliser on a uint32 array: datasketch's ``_fmix(hv, 32)`` pre-mix."""
    import numpy as np

    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


_POLY = 0x01000193  # odd: the shingle hash is a polynomial in the code points, mod 2**32


def shingle_hash(shingle: bytes) -> int:
    """The hash of one shingle (UTF-8 bytes): a polynomial in its code points mod 2**32.
    datasketch's affine32 scheme mixes it (MurmurHash3's finaliser) before permuting it."""
    h = 0
    for ch in shingle.decode("utf-8"):
        h = (h * _POLY + ord(ch)) & 0xFFFFFFFF
    return h


@functools.lru_cache(maxsize=4)
def _powers(k: int):
    import numpy as np

    return np.asarray([pow(_POLY, k - 1 - j, 1 << 32) for j in range(k)], dtype=np.uint32)


def _shingle_hashes(bares: Sequence[str], k: int) -> tuple:
    """(hashes, starts): :func:`shingle_hash` of every shingle of every text, given without
    punctuation and spaces (``_NOT_TEXT`` removed), vectorised over the texts at once (numpy,
    uint32 wrap-around), and where each text's hashes start."""
    import numpy as np

    points = np.frombuffer("".join(bares).encode("utf-32-le"), dtype=np.uint32)
    if len(points) >= k:  # sum over j of points[i + j] * power[j], k shifted slices (uint32 wraps)
        m = len(points) - k + 1
        powers = _powers(k)
        windows = points[:m] * powers[0]
        for j in range(1, k):
            windows += points[j:j + m] * powers[j]
    else:
        windows = np.zeros(0, dtype=np.uint32)
    pieces, starts, at, n = [], [], 0, 0
    for bare in bares:
        starts.append(n)
        if len(bare) >= k:
            pieces.append(windows[at:at + len(bare) - k + 1])
        else:  # a text shorter than a shingle is one shingle
            pieces.append(np.asarray([shingle_hash(bare.encode("utf-8"))] if bare else [0], dtype=np.uint32))
        n += len(pieces[-1])
        at += len(bare)
    return np.concatenate(pieces), np.asarray(starts)


def signature(text: str, rules: Rules) -> str:
    """A MinHash (datasketch, seed 1, 32-bit affine permutations) of the text's shingles, as
    base64 of uint32 values: the reference that :func:`signatures` computes faster."""
    import numpy as np
    from datasketch import MinHash

    mh = MinHash(num_perm=rules.num_perm, seed=1, scheme=SCHEME, hashfunc=shingle_hash)
    mh.update_batch([s.encode("utf-8") for s in sorted(shingles(text, rules.shingle))])
    return base64.b64encode(np.asarray(mh.hashvalues, dtype="<u4").tobytes()).decode("ascii")


def signatures(texts: Sequence[str], rules: Rules) -> list[str]:
    """:func:`signature` of every text, the same values, in one vectorised pass per article:
    the shingles hashed with numpy, datasketch's mixing and permutations applied to all of them
    at once, the minimum taken per text (a ``MinHash`` per passage costs 0.25 ms)."""
    return _bare_signatures([_NOT_TEXT.sub("", text) for text in texts], rules)


def _bare_signatures(bares: Sequence[str], rules: Rules) -> list[str]:
    """:func:`signatures` of texts already without punctuation and spaces (the map has them:
    it measures each passage's length without them)."""
    import numpy as np

    if not bares:
        return []
    a, b = _permutations(rules.num_perm)
    hashes, starts = _shingle_hashes(bares, rules.shingle)
    # one row per permutation, a column per shingle: the minima are taken along contiguous rows,
    # and the sum is added in place (a quarter less CPU than a row per shingle)
    permuted = np.multiply.outer(a, _fmix32(hashes))
    permuted += b[:, None]
    mins = np.minimum.reduceat(permuted, starts, axis=1).T  # a row per text
    data, width = mins.astype("<u4").tobytes(), 4 * mins.shape[1]  # one buffer, each text's row a slice of it
    return [base64.b64encode(data[i:i + width]).decode("ascii") for i in range(0, len(data), width)]


# ---------------------------------------------------------------- the map


def source_article(record: Mapping, rules: Rules) -> dict:
    """One 03_normalize record -> its attributions, claims and passages (an 08_sourcing record)."""
    outlet = record.get("outlet")
    found, numeric, passages, bares, sentences = [], [], [], [], {}
    previous = None
    prior = None
    context = "".join(s["text"] for s in record.get("sentences", ()))
    for sentence in record.get("sentences", ()):
        text, base, index = sentence["text"], sentence["start"], sentence["index"]
        here = attributions(text, rules, outlet=outlet, previous=previous, context=context, prior=prior)
        prior = text
        if here:
            previous = next((a["speaker_type"] for a in reversed(here) if a["speaker_type"] not in rules.not_antecedents),
                            previous)
        said = claims(text, rules, here)
        for a in here:
            found.append({"sentence": index, **a, "start": base + a["start"], "end": base + a["end"],
                          "speaker_start": base + a["speaker_start"], "speaker_end": base + a["speaker_end"]})
        for c in said:
            numeric.append({"sentence": index, **c, "start": base + c["start"], "end": base + c["end"]})
        if here or said:
            sentences[index] = text
        # removing punctuation only shortens a text: one already too short is no passage
        bare = _NOT_TEXT.sub("", text) if len(text) >= rules.min_chars else ""
        if len(bare) >= rules.min_chars:
            passages.append({"sentence": index})
            bares.append(bare)
    for passage, sig in zip(passages, _bare_signatures(bares, rules)):
        passage["minhash"] = sig  # the text stays in 03_normalize: the reduce reads the candidates' back
    return {"id": record["id"], "source": record["source"], "outlet": outlet, "title": record.get("title"),
            "attributions": found, "claims": numeric,
            "sentences": [{"index": i, "text": t} for i, t in sorted(sentences.items())],
            "passages": passages}


def _load(params: Mapping) -> Rules:
    import cn2an  # noqa: F401 - 0.5 s to import: once here, where forked workers inherit it, not in each

    return load_rules(RULES_PATH)


# ---------------------------------------------------------------- the reduce


ATTRIBUTION_COLUMNS = ("id", "source", "group", "sentence", "speaker", "speaker_type", "cue", "content", "direct",
                       "start", "end", "text")
CLAIM_COLUMNS = ("id", "source", "group", "sentence", "subject", "value", "number", "unit", "approx", "period",
                 "speaker", "original", "lo", "hi", "text")
CONFLICT_COLUMNS = ("subject", "group", "value", "number", "id", "sentence", "unit", "period", "original", "text",
                    "other_group", "other_value")
REUSE_COLUMNS = ("id_a", "id_b", "group_a", "group_b", "text_a", "text_b", "similarity", "origin",
                 "sentences_a", "sentences_b", "chars")
PROFILE_COLUMNS = ("group", "speaker_type", "n", "share", "direct", "indirect")
SPEAKER_COLUMNS = ("group", "speaker", "speaker_type", "n", "direct")
REUSE_GROUP_COLUMNS = ("group_a", "group_b", "pairs", "chars")

def csv_safe(value: object) -> object:
    """A text cell through :func:`records.csv_safe` (a cell that a spreadsheet would run as a
    formula, = + - @ at its start, gets a leading apostrophe); numbers pass unchanged."""
    return records.csv_safe(value) if isinstance(value, str) else value


csv_text = records.csv_text


_FORMULA_FIRST = frozenset(records._FORMULA_STARTS)


def _safe_row(row: Sequence) -> list:
    """:func:`csv_safe` of every cell, inline (a function call per cell was a third of the reduce
    on the 19,589-article CCTV corpus)."""
    return [("'" + v if v[:1] in _FORMULA_FIRST else v) if v.__class__ is str else v for v in row]


def _csv_lines(rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(_safe_row(row) for row in rows)
    return buf.getvalue()


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    n = 0
    with records.atomic_open(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")  # one writer for the table, not one per row
        writer.writerow(_safe_row(columns))
        for row in rows:
            writer.writerow(_safe_row(row))
            n += 1
    return n


def _range_pass(path: Path, start: int, end: int, shared) -> dict:
    """One range of records: their table lines, profile counts and claims to compare, and their
    passages: the signatures decoded into a matrix (a row a passage), with each passage's article
    (an index into ``order``) and sentence."""
    import numpy as np

    groups, shared_rules = shared
    att_lines, claim_lines = [], []
    profile: Counter = Counter()
    speakers: Counter = Counter()
    compare: list[tuple] = []
    order: list[tuple[str, str]] = []
    prefixes: list[bytes] = []
    passage_article: list[int] = []
    passage_sentence: list[int] = []
    minhashes: list[bytes] = []
    for r in read_range(path, start, end):
        group = groups(r)
        order.append((r["id"], group))
        prefixes.append(records.id_prefix(r["id"]))
        text_of = {s["index"]: s["text"] for s in r["sentences"]}
        for a in r["attributions"]:
            att_lines.append([r["id"], r["source"], group, a["sentence"], a["speaker"], a["speaker_type"], a["cue"],
                              a["content"], a["direct"], a["start"], a["end"], text_of.get(a["sentence"], "")])
            profile[(group, a["speaker_type"], a["direct"])] += 1
            speakers[(group, a["speaker"], a["speaker_type"], a["direct"])] += 1
        for c in r["claims"]:
            claim_lines.append([r["id"], r["source"], group, c["sentence"], c["subject"], c["value"], c["number"],
                                c["unit"], c["approx"], c["period"], c["speaker"], c["original"], c["lo"],
                                "inf" if c["hi"] is None else c["hi"], text_of.get(c["sentence"], "")])
            if c["subject"] in shared_rules.compare_subjects:
                compare.append((c["subject"], c["unit"], c["period"], group, c["value"], c["number"], r["id"],
                                c["sentence"], c["original"], c["lo"], c["hi"], text_of.get(c["sentence"], "")))
        for p in r["passages"]:
            passage_article.append(len(order) - 1)
            passage_sentence.append(p["sentence"])
            minhashes.append(binascii.a2b_base64(p["minhash"]))
    matrix = (np.frombuffer(b"".join(minhashes), dtype="<u4").reshape(len(minhashes), -1) if minhashes
              else np.zeros((0, shared_rules.num_perm), dtype="<u4"))
    return {"attributions": _csv_lines(att_lines), "claims": _csv_lines(claim_lines), "profile": profile,
            "n_attributions": len(att_lines), "n_claims": len(claim_lines),
            "speakers": speakers, "compare": compare, "order": order, "prefixes": prefixes, "matrix": matrix,
            "passage_article": np.asarray(passage_article, dtype=np.int64),
            "passage_sentence": np.asarray(passage_sentence, dtype=np.int64)}


@dataclass(frozen=True)
class Passages:
    """Every passage of the corpus, in file order: its signature (a row of ``matrix``), its
    article (``article``: an index into ``ids``, one per distinct article id) and sentence;
    ``prefixes``: each id as its records' lines start (:func:`records.id_prefix`)."""

    matrix: Any
    article: Any
    sentence: Any
    ids: Sequence[str]
    prefixes: Sequence[bytes]

    @classmethod
    def of(cls, sigs: Sequence[tuple]) -> "Passages":
        """From (article id, group, sentence, base64 signature) tuples, in order."""
        import numpy as np

        label: dict[str, int] = {}
        article = np.asarray([label.setdefault(s[0], len(label)) for s in sigs], dtype=np.int64)
        matrix = np.frombuffer(b"".join(binascii.a2b_base64(s[3]) for s in sigs), dtype="<u4").reshape(len(sigs), -1)
        return cls(matrix, article, np.asarray([s[2] for s in sigs], dtype=np.int64), list(label),
                   [records.id_prefix(i) for i in label])

    def keys(self, rows) -> Any:
        """One integer per passage of ``rows`` for (article, sentence): how its text is found."""
        return (self.article[rows] << 32) | self.sentence[rows]


def conflicts(compare: Sequence[tuple]) -> list[dict]:
    """Claims of the same subject, unit and period (or no period on one side) whose intervals do
    not overlap, from different groups: one row per side, each pair once, in a stable order."""
    by_key: dict[tuple, list[tuple]] = defaultdict(list)
    for c in compare:
        by_key[(c[0], c[1])].append(c)
    rows: list[dict] = []
    seen: set = set()
    for (subject, unit), items in sorted(by_key.items()):
        items = sorted(items, key=lambda c: (c[3], c[6], c[7], c[8]))
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if a[3] == b[3] or (a[2] and b[2] and a[2] != b[2]):
                    continue
                a_hi = math.inf if a[10] is None else a[10]
                b_hi = math.inf if b[10] is None else b[10]
                if a[9] <= b_hi and b[9] <= a_hi:
                    continue  # the intervals overlap: rounding, or one bound within the other
                key = (subject, unit, a[6], a[7], a[8], b[6], b[7], b[8])
                if key in seen:
                    continue
                seen.add(key)
                for side, other in ((a, b), (b, a)):
                    rows.append({"subject": subject, "group": side[3], "value": side[4], "number": side[5],
                                 "id": side[6], "sentence": side[7], "unit": unit, "period": side[2],
                                 "original": side[8], "text": side[11], "other_group": other[3],
                                 "other_value": other[4]})
    return rows


def _published(out_root: Path, passages: Passages, articles: Sequence[int], *, jobs: int = 1) -> dict[str, str]:
    """The publication dates of the ``articles`` (indices into ``passages.ids``) in 01_ingest,
    read by ranges."""
    path = Path(out_root) / INGEST / ARTICLES
    out: dict[str, str] = {}
    if not len(articles) or not path.exists():
        return out
    shared = frozenset(passages.ids[a] for a in articles), frozenset(passages.prefixes[a] for a in articles)
    for part in map_ranges(_published_range, path, jobs=jobs, shared=shared, fine=True):
        out.update(part)
    return out


def _published_range(path: Path, start: int, end: int, shared: tuple) -> dict[str, str]:
    ids, prefixes = shared
    return {r["id"]: str(r.get("published") or "")
            for r in records.records_with_ids(ranges.read_lines(path, start, end), ids, prefixes)}


BUCKET_CAP = 64  # a larger LSH bucket (a formula repeated all over a corpus) links each member to its next few only
BUCKET_LINKS = 8
PARALLEL_MIN_PASSAGES = 50_000  # fewer passages: the bands in this process (a pool costs more)
PARALLEL_MIN_PAIRS = 20_000  # fewer pairs to check: in this process
ESTIMATE_MARGIN = 0.2  # candidates whose MinHash estimate is this far under the threshold are dropped
JACCARD_CHUNK = 20_000  # candidate pairs a task of the exact checks takes, about (whole articles)


def candidates(matrix, article, rules: Rules, *, jobs: int = 1):
    """Pairs (i < j, rows of the signature ``matrix``, as an array of two columns, sorted) of
    passages of different articles (``article``: one label per article) that share an LSH bucket
    in some band: no all-pairs comparison. The bands and rows (``sourcing.yaml``) are datasketch
    ``MinHashLSH``'s optimum for the LSH threshold (a test checks); the bucketing is vectorised
    over the whole corpus with numpy (datasketch's insert and query per passage took most of the
    reduce's time on the 19,589-article CCTV corpus). Each band is a task on the executors (in
    up to ``jobs`` processes for many passages) that screens its own pairs; the parent only
    joins them."""
    import numpy as np

    n = len(matrix)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    workers = min(jobs, rules.bands) if n >= PARALLEL_MIN_PASSAGES else 1
    shared = matrix, article, rules.rows, rules.threshold - ESTIMATE_MARGIN
    found = [pairs for pairs in executors.local(workers).map(_band_pairs, shared, range(rules.bands)) if len(pairs)]
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    flat = _unique(np.concatenate(found))
    return np.stack([flat // n, flat % n], axis=1)


def _band_pairs(shared: tuple, band: int):
    """One LSH band's candidate pairs (as ``i * n + j``, sorted, distinct), a task of
    :func:`candidates`. The signatures' own estimate screens them before the exact check: with
    64 permutations its standard error at J = 0.5 is 0.06, so a pair estimated more than
    :data:`ESTIMATE_MARGIN` under the threshold is (3 standard errors) not a near-duplicate."""
    import numpy as np

    matrix, article, rows, floor = shared
    n = len(matrix)
    found = []
    keys = np.ascontiguousarray(matrix[:, band * rows:(band + 1) * rows]).view(f"V{4 * rows}").ravel()
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    repeated = np.flatnonzero(counts[inverse] > 1)
    if not len(repeated):
        return np.zeros(0, dtype=np.int64)
    order = repeated[np.argsort(inverse[repeated], kind="stable")]  # bucket by bucket, file order within
    bucket = inverse[order]
    small = counts[bucket] <= BUCKET_CAP
    for step in range(1, BUCKET_CAP):  # each pair of a bucket lies `step` apart in `order` for one step
        k = np.flatnonzero((bucket[:-step] == bucket[step:]) & (small[:-step] | (step <= BUCKET_LINKS)))
        if not len(k):
            break
        i, j = order[k], order[k + step]
        keep = article[i] != article[j]
        found.append(i[keep].astype(np.int64) * n + j[keep])
    if not found:
        return np.zeros(0, dtype=np.int64)
    flat = _unique(np.concatenate(found))
    estimate = (matrix[flat // n] == matrix[flat % n]).mean(axis=1)
    return flat[estimate >= floor]


def _passage_texts(path: Path, passages: Passages, rows, *, jobs: int = 1) -> dict[int, str]:
    """The texts of the passages ``rows`` (by :meth:`Passages.keys`), from the upstream
    ``03_normalize`` records, read by ranges (a line is parsed only when its id is wanted)."""
    if not len(rows):
        return {}
    articles = _unique(passages.article[rows]).tolist()
    labels = {passages.ids[a]: a for a in articles}
    prefixes = frozenset(passages.prefixes[a] for a in articles)
    texts: dict[int, str] = {}
    for part in map_ranges(_texts_range, path, jobs=jobs, fine=True,
                           shared=(labels, prefixes, frozenset(passages.keys(rows).tolist()))):
        texts.update(part)
    return texts


def _texts_range(path: Path, start: int, end: int, shared: tuple) -> dict[int, str]:
    labels, prefixes, wanted = shared
    out: dict[int, str] = {}
    for r in records.records_with_ids(ranges.read_lines(path, start, end), labels, prefixes):
        base = labels[r["id"]] << 32
        for s in r["sentences"]:
            if base | s["index"] in wanted:
                out[base | s["index"]] = s["text"]
    return out


def _chunks(first, size: int) -> list[tuple[int, int]]:
    """Consecutive ranges ``[start, end)`` of about ``size`` pairs each, cut only where the
    first side's article (``first``, grouped) changes: an article pair's matches stay in one."""
    import numpy as np

    if not len(first):
        return []
    cuts = np.flatnonzero(first[1:] != first[:-1]) + 1
    bounds = [0]
    while (k := int(np.searchsorted(cuts, bounds[-1] + size))) < len(cuts):
        bounds.append(int(cuts[k]))
    bounds.append(len(first))
    return list(zip(bounds, bounds[1:]))


@dataclass(frozen=True)
class _Reuse:
    """What every task of the exact checks needs (reaches forked workers without pickling)."""

    pairs: Any
    passages: Passages
    texts: Mapping[int, str]
    group_of: Mapping[str, str]
    published: Mapping[str, str]
    threshold: float
    shingle: int


def _reuse_chunk(job: _Reuse, bounds: tuple[int, int]) -> tuple[list[tuple[str, str, str]], Counter, Counter]:
    """A task of the exact checks: the candidate pairs ``pairs[start:end]`` (every pair of their
    first article), each pair's exact Jaccard similarity, those that reach the threshold merged
    into runs of consecutive sentences per article pair and checked again as runs; returns, per
    article pair, (id a, id b, its rows of ``reuse.csv``), and the pairs and characters per pair
    of groups. A pair's similarity is a ratio of counts of its own two texts' shingles: where
    the chunks fall changes nothing."""
    import numpy as np

    passages, texts = job.passages, job.texts
    chunk = job.pairs[bounds[0]:bounds[1]]
    involved = _unique(chunk.ravel())
    sims = jaccards([texts[k] for k in passages.keys(involved).tolist()], np.searchsorted(involved, chunk), job.shingle)
    found: dict[tuple[int, int], list[tuple[int, int, float]]] = defaultdict(list)
    arts = passages.article[chunk].tolist()
    sents = passages.sentence[chunk].tolist()
    for (a, b), (sa, sb), sim in zip(arts, sents, sims):
        if sim >= job.threshold:
            found[(a, b)].append((sa, sb, sim))
    runs = [(a, b, run) for (a, b), matches in found.items() for run in _merge_runs(matches)]
    joined = [t for a, b, run in runs for t in ("".join(texts[a << 32 | m[0]] for m in run),
                                                 "".join(texts[b << 32 | m[1]] for m in run))]
    run_sims = jaccards(joined, [(2 * n, 2 * n + 1) for n in range(len(runs))], job.shingle)
    by_pair: dict[tuple[int, int], list[list]] = defaultdict(list)
    shared_chars: Counter = Counter()
    shared_pairs: Counter = Counter()
    for n, (a, b, run) in enumerate(runs):
        id_a, id_b = passages.ids[a], passages.ids[b]
        text_a, text_b = joined[2 * n], joined[2 * n + 1]
        pa, pb = job.published.get(id_a, ""), job.published.get(id_b, "")
        origin = (id_a if pa < pb else id_b) if pa and pb and pa != pb else ""
        ga, gb = job.group_of.get(id_a, ""), job.group_of.get(id_b, "")
        chars = min(len(text_a), len(text_b))
        by_pair[(a, b)].append([id_a, id_b, ga, gb, text_a, text_b, round(run_sims[n], 6), origin,
                                " ".join(str(m[0]) for m in run), " ".join(str(m[1]) for m in run), chars])
        key = tuple(sorted((ga, gb)))
        shared_chars[key] += chars
        shared_pairs[key] += 1
    lines = _Lines()
    writer = csv.writer(lines, lineterminator="\n")
    found = []
    for (a, b), rows in by_pair.items():
        start = len(lines)
        writer.writerows(_safe_row(row) for row in rows)  # csv.writer writes a row at a time
        found.append((passages.ids[a], passages.ids[b], "".join(lines[start:])))
    return found, shared_pairs, shared_chars


class _Lines(list):
    """A file for csv.writer that keeps each row's text apart (as :func:`_csv_lines` writes it)."""

    write = list.append


def reuse(passages: Passages, pairs, texts: Mapping[int, str], group_of: Mapping[str, str],
          published: Mapping[str, str], rules: Rules, *, spill,
          jobs: int = 1) -> tuple[Iterator[tuple[str, str, str]], Counter, Counter]:
    """The candidate ``pairs`` checked exactly, as :func:`_reuse_chunk` returns them for all
    chunks (about :data:`JACCARD_CHUNK` pairs each, in up to ``jobs`` processes for many pairs),
    the article pairs sorted by their ids. Each chunk's rows, sorted, wait in a temporary file of
    ``spill`` (a :class:`contextlib.ExitStack` that closes them) and are merged from there as the
    caller writes them: memory holds a chunk's rows, not the corpus's."""
    import numpy as np

    first = passages.article[pairs[:, 0]]
    if len(first) > 1 and (first[1:] < first[:-1]).any():  # an id repeated apart (not from ingest): group it
        order = np.argsort(first, kind="stable")
        pairs, first = pairs[order], first[order]
    chunks = _chunks(first, JACCARD_CHUNK)
    workers = min(jobs, len(chunks)) if len(pairs) >= PARALLEL_MIN_PAIRS else 1
    job = _Reuse(pairs, passages, texts, group_of, published, rules.threshold, rules.shingle)
    runs = []
    shared_pairs: Counter = Counter()
    shared_chars: Counter = Counter()
    for part, part_pairs, part_chars in executors.local(workers).map(_reuse_chunk, job, chunks):
        if part:
            runs.append(_spilled(sorted(part), spill))
        shared_pairs.update(part_pairs)
        shared_chars.update(part_chars)
    # by (id a, id b): an article pair comes from one chunk only, so merging the sorted chunks is sorting them all
    return heapq.merge(*runs), shared_pairs, shared_chars


def _spilled(rows: list, spill) -> Iterator:
    """``rows`` written to a temporary file (closed with ``spill``), read back one at a time."""
    fh = spill.enter_context(tempfile.TemporaryFile())
    for row in rows:
        pickle.dump(row, fh, protocol=pickle.HIGHEST_PROTOCOL)
    fh.seek(0)

    def read() -> Iterator:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return
    return read()


def _merge_runs(matches: list[tuple[int, int, float]]) -> list[list[tuple[int, int, float]]]:
    runs: list[list[tuple[int, int, float]]] = []
    for m in sorted(matches):
        if runs and m[0] == runs[-1][-1][0] + 1 and m[1] == runs[-1][-1][1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def finish(out_dir: Path, params: Mapping, *, jobs: int = 1) -> dict:
    """The reduce: tables, profiles, claim conflicts and shared passages, from the per-article
    records. The work by ranges of records, by LSH bands and by chunks of candidate pairs is the
    executors' (in ``jobs`` processes when large); the parent joins the parts in file order."""
    import numpy as np

    out_dir = Path(out_dir)
    rules = load_rules(RULES_PATH)
    groups = grouping.load(out_dir.parent, params.get("_group_by", "outlet"))
    profile: Counter = Counter()
    speakers: Counter = Counter()
    compare: list[tuple] = []
    group_of: dict[str, str] = {}
    label: dict[str, int] = {}  # article id -> its number (one per distinct id, in file order)
    prefixes: list[bytes] = []
    matrices, articles, sentences = [], [], []
    n_att = n_claims = 0
    with records.atomic_open(out_dir / ATTRIBUTIONS) as att, records.atomic_open(out_dir / CLAIMS) as cl:
        att.write(_csv_lines([ATTRIBUTION_COLUMNS]))
        cl.write(_csv_lines([CLAIM_COLUMNS]))
        for part in map_ranges(_range_pass, out_dir / ARTICLES, jobs=jobs, shared=(groups, rules)):
            att.write(part["attributions"])
            cl.write(part["claims"])
            n_att += part["n_attributions"]
            n_claims += part["n_claims"]
            profile.update(part["profile"])
            speakers.update(part["speakers"])
            compare.extend(part["compare"])
            group_of.update(part["order"])
            numbers = []
            for (id_, _), prefix in zip(part["order"], part["prefixes"]):
                if id_ not in label:
                    label[id_] = len(label)
                    prefixes.append(prefix)
                numbers.append(label[id_])
            numbers = np.asarray(numbers, dtype=np.int64)
            matrices.append(part["matrix"])
            articles.append(numbers[part["passage_article"]])
            sentences.append(part["passage_sentence"])
    passages = Passages(np.concatenate(matrices) if matrices else np.zeros((0, rules.num_perm), dtype="<u4"),
                        np.concatenate(articles) if articles else np.zeros(0, dtype=np.int64),
                        np.concatenate(sentences) if sentences else np.zeros(0, dtype=np.int64), list(label), prefixes)

    # sourcing profile per group
    totals: Counter = Counter()
    for (group, _, _), n in profile.items():
        totals[group] += n
    by_type: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (group, type_, direct), n in profile.items():
        by_type[(group, type_)][0 if direct else 1] += n
    _write_csv(out_dir / PROFILE, PROFILE_COLUMNS, (
        [g, t, d + i, round((d + i) / totals[g], 6), d, i] for (g, t), (d, i) in sorted(by_type.items())))
    per_speaker: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (group, speaker, type_, direct), n in speakers.items():
        per_speaker[(group, speaker, type_)][0] += n
        per_speaker[(group, speaker, type_)][1] += n if direct else 0
    _write_csv(out_dir / SPEAKERS, SPEAKER_COLUMNS, (
        [g, s, t, n, d] for (g, s, t), (n, d) in sorted(per_speaker.items(), key=lambda kv: (kv[0][0], -kv[1][0],
                                                                                            kv[0][1], kv[0][2]))))
    conflict_rows = conflicts(compare)
    _write_csv(out_dir / CONFLICTS, CONFLICT_COLUMNS, ([r[c] for c in CONFLICT_COLUMNS] for r in conflict_rows))

    # text reuse: the passages' texts are read back only for LSH candidates' verification
    pairs = candidates(passages.matrix, passages.article, rules, jobs=jobs)
    involved = _unique(pairs.ravel())
    texts = _passage_texts(out_dir.parent / UPSTREAM / ARTICLES, passages, involved, jobs=jobs)
    # the dates of every candidate's article: a few more than the verified pairs need
    published = _published(out_dir.parent, passages, _unique(passages.article[involved]).tolist(), jobs=jobs)
    with contextlib.ExitStack() as spill, records.atomic_open(out_dir / REUSE) as fh:
        found, shared_pairs, shared_chars = reuse(passages, pairs, texts, group_of, published, rules,
                                                  spill=spill, jobs=jobs)
        fh.write(_csv_lines([REUSE_COLUMNS]))
        for batch in iter(lambda: list(itertools.islice(found, 5_000)), []):
            fh.write("".join(text for _, _, text in batch))  # one encode a batch, not one a pair
    _write_csv(out_dir / REUSE_BY_GROUP, REUSE_GROUP_COLUMNS,
               ([a, b, shared_pairs[(a, b)], shared_chars[(a, b)]] for a, b in sorted(shared_pairs)))
    return {"totals": {"articles": len(group_of), "attributions": n_att, "claims": n_claims,
                       "claim_conflicts": len(conflict_rows) // 2, "passages": len(passages.matrix),
                       "reuse_candidates": len(pairs), "reuse": sum(shared_pairs.values())},
            "group_by": groups.group_by}


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping) -> dict:
    """Map and reduce in this process, without the runner (its cache, workers and manifest)."""
    rules = load_rules(RULES_PATH)
    records.write_jsonl(Path(out_dir) / ARTICLES, (source_article(r, rules) for r in
                                                   records.read_jsonl(Path(inputs[UPSTREAM]) / ARTICLES)))
    return finish(Path(out_dir), params)


# ---------------------------------------------------------------- tables


def _read_csv(path: Path):
    import pandas as pd

    text_columns = {c: str for c in ("id", "source", "group", "speaker", "speaker_type", "cue", "content", "text",
                                     "subject", "value", "unit", "approx", "period", "original", "id_a", "id_b",
                                     "group_a", "group_b", "text_a", "text_b", "origin", "other_group",
                                     "other_value", "sentences_a", "sentences_b")}
    frame = pd.read_csv(path, dtype=text_columns, keep_default_na=False, na_values=[],
                        encoding=records.CSV_ENCODING)
    return records.csv_texts(frame, text_columns)


def attributions_table(stage_dir: Path):
    """id, source, group, sentence, speaker, speaker_type, cue, content, direct, start, end, text."""
    return _read_csv(Path(stage_dir) / ATTRIBUTIONS)


def claims_table(stage_dir: Path):
    """id, source, group, sentence, subject, value, number, unit, approx, period, speaker, original, lo, hi, text."""
    return _read_csv(Path(stage_dir) / CLAIMS)


def claim_conflicts_table(stage_dir: Path):
    """subject, group, value, number, id, sentence (one row per side), unit, period, original, text, other side."""
    return _read_csv(Path(stage_dir) / CONFLICTS)


def reuse_table(stage_dir: Path):
    """id_a, id_b, group_a, group_b, text_a, text_b, similarity, origin, sentences_a, sentences_b, chars."""
    return _read_csv(Path(stage_dir) / REUSE)


def sourcing_profile_table(stage_dir: Path):
    """group, speaker_type, n, share, direct, indirect."""
    return _read_csv(Path(stage_dir) / PROFILE)


def top_speakers_table(stage_dir: Path):
    """group, speaker, speaker_type, n, direct: every speaker per group, most quoted first."""
    return _read_csv(Path(stage_dir) / SPEAKERS)


def reuse_by_group_table(stage_dir: Path):
    """group_a, group_b, pairs, chars: how much text each pair of groups shares."""
    return _read_csv(Path(stage_dir) / REUSE_BY_GROUP)


STAGE = ArticleStage(
    name="sourcing", folder="08_sourcing", upstream=UPSTREAM,
    process=source_article,
    load_resources=_load,
    finish=finish,
    params={},
    resource_files=(RULES_PATH, RULES_PATH.with_name("outlets.tsv")),  # outlets.tsv: speakers that are media
    code_files=(Path(__file__), Path(__file__).with_name("outlets.py")),
    libraries=("pyyaml", "cn2an", "proces", "datasketch", "numpy", "rjieba", "pyahocorasick"),
)
TABLES = {
    "attributions": attributions_table,
    "claims": claims_table,
    "claim_conflicts": claim_conflicts_table,
    "reuse": reuse_table,
    "sourcing_profile": sourcing_profile_table,
    "top_speakers": top_speakers_table,
    "reuse_by_group": reuse_by_group_table,
}
