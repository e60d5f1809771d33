"""Stage ``normalize``: one script, one width, one set of punctuation, and sentences.

The text passes through a chain of steps; each returns the new text and the edits it
made (``(in_start, in_end, out_start, out_end)`` for every change of length), so any
position in the result maps back to the strip stage's text (:class:`OffsetMap`). Steps:

1. ``repair_mojibake``: GBK bytes read one byte off (``榇罅砍杀净ㄙM`` → ``大量成本花費``);
   spans that cannot be repaired are flagged and cut out;
2. ``remove_pinyin``: tone-marked pinyin in parentheses right after a character;
3. OpenCC traditional → simplified, with the regional configuration, and leftovers (著 → 着);
4. full-width letters and digits to ASCII; ASCII ``, : ; ? !`` beside Chinese to ``，：；？！``;
   quotation marks; whitespace.

Then ``split_sentences``. ``normalize(normalize(x)) == normalize(x)`` and nothing raises.
"""
from __future__ import annotations

import bisect
import importlib.util
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .config import RESOURCES
from .runner import ArticleStage, Skip

RULES_PATH = RESOURCES / "normalize_rules.yaml"
COMMON_CHARS_PATH = RESOURCES / "common_chars.txt"

Edit = tuple[int, int, int, int]  # in_start, in_end, out_start, out_end

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_CJK_CHAR = re.compile(f"[{CJK}]")


def _jieba_dict() -> Path:
    # Located without importing jieba: its __init__ builds a global tokenizer and logger.
    return Path(importlib.util.find_spec("jieba").origin).parent / "dict.txt"


# ------------------------------------------------------------------ edits and the offset map


def sub_with_edits(pattern: re.Pattern, repl: Callable[[re.Match], str], text: str) -> tuple[str, list[Edit]]:
    """``pattern.sub(repl, text)`` that also returns the edits that changed the length."""
    spans = []
    for m in pattern.finditer(text):
        new = repl(m)
        if new != m.group(0):
            spans.append((*m.span(), new))
    if not spans:
        return text, []
    return replace_spans(text, spans)


def replace_spans(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[str, list[Edit]]:
    """Replace sorted, non-overlapping ``(start, end, new)`` spans."""
    out: list[str] = []
    edits: list[Edit] = []
    pos = shift = 0
    for a, b, new in spans:
        out.append(text[pos:a])
        out.append(new)
        pos = b
        if len(new) != b - a:
            edits.append((a, b, a + shift, a + shift + len(new)))
        shift += len(new) - (b - a)
    out.append(text[pos:])
    return "".join(out), edits


@dataclass
class OffsetMap:
    """Maps positions in the normalised text back to the input text, through every step."""

    steps: list[tuple[list[Edit], list[int]]] = field(default_factory=list)

    def add(self, edits: list[Edit]) -> None:
        if edits:
            self.steps.append((edits, [e[2] for e in edits]))

    @staticmethod
    def _back(p: int, step: tuple[list[Edit], list[int]], *, end: bool) -> int:
        edits, out_starts = step
        if end:
            if p <= 0:
                return 0
            q = p - 1
            k = bisect.bisect_right(out_starts, q) - 1
            if k >= 0 and edits[k][2] <= q < edits[k][3]:
                return edits[k][1]
            return q + (edits[k][1] - edits[k][3] if k >= 0 else 0) + 1
        k = bisect.bisect_right(out_starts, p) - 1
        if k >= 0 and edits[k][2] <= p < edits[k][3]:
            return edits[k][0]
        return p + (edits[k][1] - edits[k][3] if k >= 0 else 0)

    def start(self, p: int) -> int:
        for step in reversed(self.steps):
            p = self._back(p, step, end=False)
        return p

    def end(self, p: int) -> int:
        for step in reversed(self.steps):
            p = self._back(p, step, end=True)
        return p


# ------------------------------------------------------------------ resources


@dataclass
class Resources:
    """Compiled rules, the common-character set and OpenCC converters: built once per process."""

    rules: dict
    common: frozenset
    suspect: re.Pattern
    region_cues: dict
    leftovers: tuple
    quote_table: dict
    quote_keys: re.Pattern  # any character quote_table changes
    converters: dict = field(default_factory=dict)

    def converter(self, config: str):
        if config not in self.converters:
            import opencc

            self.converters[config] = opencc.OpenCC(config)
        return self.converters[config]

    @cached_property
    def trad_only(self) -> re.Pattern:
        """Characters that t2s changes on their own: none may survive normalisation."""
        return re.compile("[" + "".join(_changed_chars(self.converter("t2s"))) + "]")

    @cached_property
    def simp_only(self) -> re.Pattern:
        return re.compile("[" + "".join(_changed_chars(self.converter("s2t"))) + "]")

    @cached_property
    def words(self) -> frozenset:
        """2-4 character words of jieba's dictionary, for judging a mojibake repair."""
        words = set()
        with open(_jieba_dict(), encoding="utf-8") as fh:
            for line in fh:
                word = line.split(" ", 1)[0]
                if 2 <= len(word) <= 4:
                    words.add(word)
        return frozenset(words)


def warm(res: Resources) -> None:
    """Build every lazy part of ``res`` now (before a pool forks: see ``ArticleStage.warm``)."""
    for config in {"t2s", "s2t", res.rules["region"]["default"], *res.rules["region"]["configs"].values()}:
        res.converter(config)
    res.trad_only, res.simp_only, res.words  # noqa: B018  (cached properties)


def _all_cjk() -> list[str]:
    return [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00))]


def _changed_chars(converter) -> list[str]:
    chars = _all_cjk()
    converted = converter.convert("\n".join(chars)).split("\n")
    return [re.escape(c) for c, o in zip(chars, converted) if o != c]


def load_rules(path: Path = RULES_PATH, common_path: Path = COMMON_CHARS_PATH) -> Resources:
    import yaml

    rules = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    common = frozenset(ch for line in Path(common_path).read_text(encoding="utf-8").splitlines()
                       if not line.startswith("#") for ch in line)
    # Suspicious: anything but ASCII, common CJK characters, whitespace, and the punctuation,
    # symbols and Latin letters ordinary Chinese text uses.
    allowed = "".join(sorted(common))
    suspect = re.compile(
        "[^\\x00-\\x7f\\s" + re.escape(allowed)
        + "\u00a0-\u024f\u2000-\u206f\u2100-\u218f\u2190-\u21ff\u2200-\u22ff\u2460-\u24ff\u2500-\u257f"
        "\u25a0-\u25ff\u2600-\u27bf\u3000-\u303f\uff00-\uffef\u0300-\u036f\u2e80-\u2fdf\U0001f000-\U0001faff]")
    cues = {region: [(re.compile(c["pattern"]), float(c["weight"])) for c in items]
            for region, items in rules["region"]["cues"].items()}
    leftovers = tuple((re.compile(r["pattern"]), r["replacement"], r["reason"]) for r in rules["leftovers"])
    return Resources(rules=rules, common=common, suspect=suspect, region_cues=cues, leftovers=leftovers,
                     quote_table=(table := str.maketrans(rules["quotes"])), quote_keys=keys_pattern(table))


# ------------------------------------------------------------------ mojibake

_HARD = re.compile("[\u0400-\u04ff\u3100-\u312f\ufffd]")
_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]{3,}")  # Russian words are text, not garbled Chinese
# "?guī)": a lost byte and the tail of a pinyin annotation whose "(" went with it.
_ORPHAN_PINYIN = re.compile(rf"[?？][a-zü{TONE}]*[{TONE}][a-zü{TONE}]*\)")
_JUNK_BEFORE = re.compile(r"[?？][;!:,.]?$")
_SPAN_CHAR = re.compile(r"[^\x00-\x7f\s，。！？；：、“”‘’（）《》【】「」『』…—]")
_SPAN_RUN = re.compile(rf"{_SPAN_CHAR.pattern}*")
# A lone ASCII letter between Chinese characters, at most three characters after a span.
_STRAY_AFTER = re.compile(rf"[{CJK}]{{1,3}}[@-Z\[\]^_`a-z{{|}}~](?=[{CJK}])")
_PINYIN_SKIP = re.compile(rf"[(（][a-zü{TONE} ]{{1,30}}[)）]")


def _cp936_pua(ch: str) -> bytes | None:
    """Bytes of a private-use character as Windows code page 936 decodes its user-defined areas."""
    c = ord(ch)
    if 0xE000 <= c < 0xE234:
        lead, trail = divmod(c - 0xE000, 94)
        return bytes((0xAA + lead, 0xA1 + trail))
    if 0xE234 <= c < 0xE4C6:
        lead, trail = divmod(c - 0xE234, 94)
        return bytes((0xF8 + lead, 0xA1 + trail))
    if 0xE4C6 <= c < 0xE766:
        lead, trail = divmod(c - 0xE4C6, 96)
        return bytes((0xA1 + lead, 0x40 + trail + (trail >= 63)))
    return None


def _gbk(text: str) -> bytes | None:
    """The bytes a Windows (cp936) decoder read as ``text``: GBK, 0x80 as €, user areas as
    private-use characters. None when ``text`` cannot have come from GBK bytes."""
    try:
        return text.encode("gbk")
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        if ch == "€":
            out.append(b"\x80")
        elif (pua := _cp936_pua(ch)) is not None:
            out.append(pua)
        else:
            try:
                out.append(ch.encode("gbk"))
            except UnicodeEncodeError:
                return None
    return b"".join(out)


def _shifted(span: str) -> list[str]:
    data = _gbk(span)
    if not data or len(data) < 3:
        return []
    out = []
    for chunk in (data[1:], data[1:-1]):
        try:
            out.append(chunk.decode("gbk"))
        except UnicodeDecodeError:
            continue
    return out


def _coverage(candidate: str, context: str, res: Resources) -> float:
    """Share of ``candidate``'s characters inside dictionary words (context may complete one)."""
    t2s = res.converter("t2s")
    s = t2s.convert(candidate + context)
    n, words = len(candidate), res.words
    best = [0] * (len(s) + 1)  # best[i]: covered candidate characters in s[:i]
    for i in range(1, len(s) + 1):
        best[i] = best[i - 1]
        for w in range(2, 5):
            if i - w >= 0 and s[i - w:i] in words:
                best[i] = max(best[i], best[i - w] + max(0, min(i, n) - (i - w)))
    return best[len(s)] / n if n else 0.0


def _context_after(text: str, pos: int) -> str:
    rest = _PINYIN_SKIP.sub("", text[pos:pos + 40])
    m = re.match(f"[{CJK}]{{1,3}}", rest)
    return m.group(0) if m else ""


def find_mojibake(text: str, res: Resources) -> list[dict]:
    """Garbled spans: ``{start, end, original, action, replacement}``, sorted, non-overlapping.

    Suspicious characters (rare ones, Cyrillic, bopomofo, U+FFFD) close together form a
    candidate. Its GBK bytes, first byte dropped, are decoded; the result is a repair when
    every character is common and most sit inside dictionary words. A candidate that does
    not repair is flagged when it holds a character ordinary Chinese never does (Cyrillic,
    bopomofo, U+FFFD). A lone rare character (a name) is left alone.
    """
    cfg = res.rules["mojibake"]
    hits = [m.span() for m in res.suspect.finditer(text)]
    spans: list[dict] = []
    for m in _ORPHAN_PINYIN.finditer(text):
        spans.append({"start": m.start(), "end": m.end(), "original": m.group(0), "action": "flagged",
                      "replacement": ""})
    clusters: list[list[int]] = []
    for a, b in hits:
        if clusters and a - clusters[-1][1] <= cfg["max_gap"] and _SPAN_RUN.fullmatch(text[clusters[-1][1]:a]):
            clusters[-1][1] = b
            clusters[-1][2] += 1
        else:
            clusters.append([a, b, 1])
    for a, b, n_suspect in clusters:
        core = text[a:b]
        hard = bool(_HARD.search(core)) and not _CYRILLIC_WORD.search(text, max(0, a - 2), b + 2)
        lead = 0  # characters before the span that may hold its first byte
        while lead < cfg["max_left"] and a - lead > 0 and _SPAN_CHAR.match(text[a - lead - 1]):
            lead += 1
        end = b
        if end < len(text) and "@" <= text[end] <= "~" and not (end + 1 < len(text) and text[end + 1].isascii()
                                                                and text[end + 1].isalpha()):
            end += 1  # a single ASCII letter can be the last trail byte
        elif stray := _STRAY_AFTER.match(text, b):
            end = stray.end()  # ... or one a few characters on: "е迦A計"
        junk = _JUNK_BEFORE.search(text[max(0, a - lead - 2):a - lead]) or _JUNK_BEFORE.search(text[max(0, a - 2):a])
        evidence = hard or n_suspect >= 2 or junk is not None
        # Text that already reads as dictionary words (憔悴, 嬲嬲) is not garbled, however rare its characters.
        if evidence and not hard and _coverage(core, "", res) >= 0.5:
            evidence = False
        repair = None
        if evidence:
            context = _context_after(text, end)
            for left in range(lead, -1, -1):
                for stop in sorted({end, b}, reverse=True):
                    for cand in _shifted(text[a - left:stop]):
                        if cand and (len(cand) > 1 or junk) and all(ch in res.common for ch in cand) and \
                                _coverage(cand, context, res) >= cfg["min_word_coverage"]:
                            repair = (a - left, stop, cand)
                            break
                    if repair:
                        break
                if repair:
                    break
        if repair:
            s, e, cand = repair
            spans.append({"start": s, "end": e, "original": text[s:e], "action": "repaired", "replacement": cand})
        elif hard:
            spans.append({"start": a, "end": end, "original": text[a:end], "action": "flagged", "replacement": ""})
        else:
            continue
        junk_m = _JUNK_BEFORE.search(text[max(0, spans[-1]["start"] - 2):spans[-1]["start"]])
        if junk_m:
            j0 = spans[-1]["start"] - (len(junk_m.group(0)))
            spans.append({"start": j0, "end": spans[-1]["start"], "original": junk_m.group(0), "action": "flagged",
                          "replacement": ""})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    merged: list[dict] = []
    for s in spans:
        if merged and s["start"] < merged[-1]["end"]:
            continue  # overlapping: the earlier span wins
        merged.append(s)
    return merged


def repair_mojibake(text: str, res: Resources) -> tuple[str, list[Edit], list[dict]]:
    spans = find_mojibake(text, res)
    if not spans:
        return text, [], []
    new, edits = replace_spans(text, ((s["start"], s["end"], s["replacement"]) for s in spans))
    return new, edits, spans


# ------------------------------------------------------------------ pinyin

PINYIN = re.compile(rf"(?<=[{CJK}])[(（](?=[^)）\n]{{0,40}}?[{TONE}])[a-zü{TONE}]{{1,8}}(?:[^\S\n]+[a-zü{TONE}]{{1,8}}){{0,3}}[)）]")


def remove_pinyin(text: str) -> tuple[str, list[Edit], int]:
    """``計算機(jī)`` → ``計算機``: tone-marked pinyin in parentheses right after a character."""
    count = 0

    def drop(m: re.Match) -> str:
        nonlocal count
        count += 1
        return ""

    new, edits = sub_with_edits(PINYIN, drop, text)
    return new, edits, count


# ------------------------------------------------------------------ script and region


def detect_script(text: str, res: Resources) -> tuple[str, int, int]:
    """``(script, n_traditional_only, n_simplified_only)``; script is traditional, simplified, mixed or none."""
    n_trad = len(res.trad_only.findall(text))
    n_simp = len(res.simp_only.findall(text))
    if n_trad + n_simp == 0:
        return ("simplified" if _CJK_CHAR.search(text) else "none"), 0, 0
    share = n_trad / (n_trad + n_simp)
    script = "traditional" if share >= 0.8 else "simplified" if share <= 0.2 else "mixed"
    return script, n_trad, n_simp


def detect_region(text: str, res: Resources) -> str:
    """``tw``, ``hk`` or ``unknown``, from vocabulary and character variants."""
    cfg = res.rules["region"]
    scores = {region: sum(w * min(len(p.findall(text)), cfg["cap"]) for p, w in cues)
              for region, cues in res.region_cues.items()}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= cfg["threshold"] and top >= 2 * second:
        return best
    return "unknown"


def convert_script(text: str, config: str, res: Resources) -> tuple[str, list[Edit]]:
    """OpenCC phrase-level conversion; lines whose length changes become one edit each."""
    converted = res.converter(config).convert(text)
    if len(converted) == len(text):
        return converted, []
    src, dst = text.split("\n"), converted.split("\n")
    if len(src) != len(dst):  # pragma: no cover - OpenCC keeps line ends
        return converted, [(0, len(text), 0, len(converted))]
    edits: list[Edit] = []
    a = c = 0
    for s, d in zip(src, dst):
        if len(s) != len(d):
            edits.append((a, a + len(s), c, c + len(d)))
        a += len(s) + 1
        c += len(d) + 1
    return converted, edits


def fix_leftovers(text: str, res: Resources) -> tuple[str, list[Edit]]:
    edits_all: list[Edit] = []
    for pattern, replacement, _reason in res.leftovers:
        text, edits = sub_with_edits(pattern, lambda m, r=replacement: m.expand(r), text)
        if edits:  # pragma: no cover - the shipped leftovers keep the length
            edits_all.extend(edits)
    return text, edits_all


# ------------------------------------------------------------------ width, punctuation, quotes, whitespace

WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                                          *range(0xFF41, 0xFF5B))})


def keys_pattern(table: Mapping[int, object]) -> re.Pattern:
    """A pattern that finds any character a ``str.translate`` table changes.

    ``str.translate`` looks every character of a Chinese text up in the table (slow);
    a regular expression finds in a fraction of that time that there is nothing to change.
    """
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")


_WIDTH_KEYS = keys_pattern(WIDTH)
_FULL_PUNCT = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_CLOSE = "”’」』）》】"
_NL = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
PUNCT = re.compile(rf"(?<=[{CJK}{_CLOSE}])[,:;?!](?=[{CJK}“‘「『（《【]|[{_CLOSE}]|[^\S{_NL}]*(?:[{_NL}]|$))")
_STRAIGHT_QUOTES = re.compile(r'"')
_SURROGATE = re.compile("[\ud800-\udfff]")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
WHITESPACE = re.compile(rf"(?P<nl>[^\S{_NL}]*[{_NL}]\s*)|(?P<sp>[^\S{_NL}]+)")
_WS_WORK = re.compile(r"[^\S \n]|\s\s")  # whitespace WHITESPACE would change (but at the text's ends)


def full_width_to_half(text: str) -> str:
    """``ＡＢＣ１２３`` → ``ABC123`` (letters and digits only)."""
    return text.translate(WIDTH) if _WIDTH_KEYS.search(text) else text


def chinese_punctuation(text: str) -> str:
    """ASCII ``, : ; ? !`` after a Chinese character, before Chinese or a line end → ``，：；？！``."""
    return PUNCT.sub(lambda m: _FULL_PUNCT[m.group(0)], text)


def quotes(text: str, res: Resources) -> str:
    """Corner brackets → curly quotes; straight double quotes paired per line in Chinese lines."""
    if res.quote_keys.search(text):
        text = text.translate(res.quote_table)
    if '"' not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if '"' in line and line.count('"') % 2 == 0 and _CJK_CHAR.search(line):
            parts = line.split('"')
            lines[i] = "".join(p + ("“" if j % 2 == 0 else "”") if j < len(parts) - 1 else p
                               for j, p in enumerate(parts))
    return "\n".join(lines)


def whitespace(text: str) -> tuple[str, list[Edit]]:
    """Runs of spaces → one space, blank lines and line-edge spaces dropped, zero-width removed."""
    text, e1 = sub_with_edits(_ZERO_WIDTH, lambda m: "", text)
    if not (_WS_WORK.search(text) or text[:1].isspace() or text[-1:].isspace()):
        return text, [e1] if e1 else []  # single spaces and single line ends only: nothing to do
    text, e2 = sub_with_edits(WHITESPACE, lambda m: "\n" if m.group("nl") is not None else " ", text)
    edits = [e for e in (e1, e2) if e]
    lead = len(text) - len(text.lstrip())
    trail = len(text.rstrip())
    if lead or trail < len(text):
        spans = [(0, lead, "")] if lead else []
        if trail < len(text) and trail >= lead:
            spans.append((trail, len(text), ""))
        text, e3 = replace_spans(text, spans)
        edits.append(e3)
    return text, edits


# ------------------------------------------------------------------ sentences

_BOUNDARY = re.compile(rf"(?:[。！？；]+|…+|[!?]+(?=\s|$)|\.{{3,}})[{_CLOSE}\"'）)]*|\n")


def split_sentences(text: str) -> list[dict]:
    """Sentences ``{index, text, start, end}`` with ``text[start:end] == sentence``.

    Ends at 。！？；… (closing quotes stay with their sentence) and at line ends.
    """
    out: list[dict] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() if m.group(0) == "\n" else m.end()
        _add_sentence(out, text, pos, end)
        pos = m.end()
    _add_sentence(out, text, pos, len(text))
    return out


def _add_sentence(out: list[dict], text: str, a: int, b: int) -> None:
    chunk = text[a:b]
    stripped = chunk.strip()
    if not stripped:
        return
    start = a + (len(chunk) - len(chunk.lstrip()))
    out.append({"index": len(out), "text": stripped, "start": start, "end": start + len(stripped)})


# ------------------------------------------------------------------ the whole chain


@dataclass(frozen=True)
class Normalized:
    text: str
    script: str
    region: str
    config: str
    repairs: list
    pinyin_removed: int
    offsets: OffsetMap


def normalize_text(text: str, res: Resources) -> Normalized:
    """Every step in order; ``.text`` is the normalised text, ``.offsets`` the way back.

    A garbled span can hide from the repair until a later step changes a character in it
    (a full-width digit, a control character beside it): so when the result still holds a
    span to repair, the steps run again on it (at most twice more). Script and region are
    those found in the first round, on the text as it came.
    """
    offsets = OffsetMap()
    source = text
    text = _SURROGATE.sub("\ufffd", text)  # lone surrogates (from JSON escapes) cannot be encoded
    text, edits = sub_with_edits(_ZERO_WIDTH, lambda m: "", text)
    offsets.add(edits)
    repairs: list[dict] = []
    n_pinyin = 0
    script = region = config = None
    for _ in range(3):
        for round_ in range(4):
            # A removal can make a new neighbour ("X?guī)(yè)" → "X(yè)"): repeat until nothing changes.
            text, edits, spans = repair_mojibake(text, res)
            for s in spans:  # offsets into the input text
                start, end = offsets.start(s["start"]), offsets.end(s["end"])
                repairs.append({"start": start, "end": end, "original": source[start:end], "action": s["action"],
                                "replacement": s["replacement"]})
            offsets.add(edits)
            text, pinyin_edits, n = remove_pinyin(text)
            offsets.add(pinyin_edits)
            n_pinyin += n
            if not spans and not n:
                break
        found, n_trad, _ = detect_script(text, res)
        if script is None:
            script, region, config = found, "unknown", ""
            if script in ("traditional", "mixed"):
                region = detect_region(text, res)
        if n_trad:
            config = config or res.rules["region"]["configs"].get(region, res.rules["region"]["default"])
            for _again in range(3):
                # OpenCC's tables chain (薴 → 苧 → 苎): convert again while a character that
                # t2s changes survives and the text still changes, so that one pass is final
                before = text
                text, edits = convert_script(text, config, res)
                offsets.add(edits)
                if text == before or not res.trad_only.search(text):
                    break
        text, edits = fix_leftovers(text, res)
        offsets.add(edits)
        # quotes first: a comma after a closing quote is only known to be Chinese once the quote is
        text = chinese_punctuation(quotes(full_width_to_half(text), res))
        text, edits_list = whitespace(text)
        for edits in edits_list:
            offsets.add(edits)
        if not find_mojibake(text, res):
            break
    return Normalized(text=text, script=script, region=region, config=config, repairs=repairs,
                      pinyin_removed=n_pinyin, offsets=offsets)


def normalize(text: str, res: Resources) -> str:
    """The normalised text alone (idempotent)."""
    return normalize_text(text, res).text


def sentences_with_origin(result: Normalized) -> list[dict]:
    """Sentences of the normalised text, each with ``orig_start``/``orig_end`` in the input text."""
    sentences = split_sentences(result.text)
    for s in sentences:
        s["orig_start"] = result.offsets.start(s["start"])
        s["orig_end"] = result.offsets.end(s["end"])
    return sentences


# ------------------------------------------------------------------ the stage


def load_resources(params: Mapping) -> Resources:
    return load_rules(RULES_PATH, COMMON_CHARS_PATH)


def normalize_label(label: str, res: Resources) -> str:
    """A metadata value (outlet, title) in the article's normalised form, on one line."""
    return " ".join(normalize_text(label, res).text.split()) if label else ""


def process_record(record: dict, res: Resources) -> dict:
    result = normalize_text(record.get("text") or "", res)
    if not result.text.strip():
        # e.g. a row of U+FFFD or a file of bopomofo: all of it cut out as garbled; later stages
        # would have nothing to count, and nothing to score
        raise Skip("no text left after normalize (all of it garbled or unprintable characters)")
    flagged = [r for r in result.repairs if r["action"] == "flagged"]
    # Outlet and title go through the same conversion, so that one outlet written in
    # both scripts (光錐智能, 光锥智能) forms one group downstream.
    out = {"id": record["id"], "source": record["source"], "outlet": normalize_label(record.get("outlet", ""), res),
           "title": normalize_label(record.get("title", ""), res), "text": result.text, "script": result.script, "region": result.region,
           "config": result.config, "repairs": result.repairs, "pinyin_removed": result.pinyin_removed,
           "sentences": sentences_with_origin(result)}
    # this stage's own warnings: earlier stages' are in their manifests already
    warnings = [f"garbled text removed at {r['start']}: {r['original']!r}" for r in flagged]
    if warnings:
        out["warnings"] = warnings
    return out


def to_frame(stage_dir: Path):
    """One row per article: id, source, outlet, text, script, region, config, n_repaired, n_flagged,
    pinyin_removed, n_sentences."""
    import pandas as pd

    from . import records

    rows = []
    for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl"):
        rows.append({"id": r["id"], "source": r["source"], "outlet": r["outlet"], "title": r["title"],
                     "text": r["text"], "script": r["script"], "region": r["region"], "config": r["config"],
                     "n_repaired": sum(x["action"] == "repaired" for x in r["repairs"]),
                     "n_flagged": sum(x["action"] == "flagged" for x in r["repairs"]),
                     "pinyin_removed": r["pinyin_removed"], "n_sentences": len(r["sentences"])})
    return pd.DataFrame(rows, columns=["id", "source", "outlet", "title", "text", "script", "region", "config",
                                       "n_repaired", "n_flagged", "pinyin_removed", "n_sentences"])


def sentences_frame(stage_dir: Path):
    """One row per sentence: id, source, index, text, start, end, orig_start, orig_end."""
    import pandas as pd

    from . import records

    rows = [{"id": r["id"], "source": r["source"], **s}
            for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl") for s in r["sentences"]]
    return pd.DataFrame(rows, columns=["id", "source", "index", "text", "start", "end", "orig_start", "orig_end"])


STAGE = ArticleStage(
    name="normalize", folder="03_normalize", upstream="02_strip",
    process=process_record,
    load_resources=load_resources,
    warm=warm,
    params={},
    resource_files=(RULES_PATH, COMMON_CHARS_PATH),
    code_files=(Path(__file__),),
    libraries=("opencc", "jieba"),
)
TABLES = {"normalize": to_frame, "normalized_sentences": sentences_frame}
