"""Stage ``strip``: drop boilerplate lines, and say which and why.

Rules are data (``resources/strip_rules.yaml``): regular expressions, each with a
reason, matched against whole lines. A *tail* rule (``相關推薦``, ``熱點推薦``...)
removes its line and the list after it: to the end, or to the next paragraph of prose
(:func:`looks_like_body`). Every removed line is recorded as
``{line, text, reason}`` with its 0-based line number in the input text, so a reader
can audit exactly what went. Blank lines carry no content and are dropped silently.
"""
from __future__ import annotations

import re
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .config import RESOURCES
from .runner import ArticleStage, Skip

RULES_PATH = RESOURCES / "strip_rules.yaml"
WARN_SHARE = 0.5

# Tone-marked pinyin that some portals put after each character: 網(wǎng). Rules match
# the line without it; the text kept is untouched (normalize removes it).
_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
PINYIN_PAREN = re.compile(rf"(?<=[\u3400-\u9fff\uf900-\ufaff])\((?=[a-zü{_TONE}]*[{_TONE}])[a-zü{_TONE}]{{1,8}}\)")


@dataclass(frozen=True)
class Rule:
    reason: str
    pattern: re.Pattern
    scope: str = "line"               # line | head | tail
    max_len: int | None = None
    followed_by: re.Pattern | None = None
    first_line_only: bool = False
    min_share: float | None = None    # tail rules: the share of the text that must come before (else tail_min_share)
    to_end: bool = False              # tail rules: remove to the end, prose or not (comment sections)


@dataclass(frozen=True)
class Rules:
    line: tuple[Rule, ...]
    tail: tuple[Rule, ...]
    any_line: re.Pattern              # prefilter: a line no rule can match is body ...
    any_start: re.Pattern             # ... split for speed: the rules anchored at ^, tried at the start only
    any_inside: re.Pattern            # ... and the others, searched for along the line
    head_lines: int
    tail_min_share: float
    # site -> lines that recur across its articles (ingest's recurring_lines.json; pipeline.recurring)
    recurring: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # a copy's id -> the earlier article of its outlet it repeats (ingest's duplicates.json; pipeline.duplicates)
    duplicates: Mapping[str, str] = field(default_factory=dict)


def load_rules(path: Path = RULES_PATH, extra: Path | None = None) -> Rules:
    """The rules of ``path``, then those of ``extra`` (a story's rules file, same format)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    raws = list(data["rules"])
    if extra is not None:
        more = yaml.safe_load(Path(extra).read_text(encoding="utf-8"))
        if not isinstance(more, dict) or not isinstance(more.get("rules"), list):
            raise ValueError("a rules file needs a top-level `rules:` list")
        raws += more["rules"]
    rules = []
    for raw in raws:
        rules.append(Rule(
            reason=raw["reason"],
            pattern=re.compile(raw["pattern"]),
            scope=raw.get("scope", "line"),
            max_len=raw.get("max_len"),
            followed_by=re.compile(raw["followed_by"]) if raw.get("followed_by") else None,
            first_line_only=bool(raw.get("first_line_only", False)),
            min_share=float(raw["min_share"]) if raw.get("min_share") is not None else None,
            to_end=bool(raw.get("to_end", False)),
        ))
    line = tuple(r for r in rules if r.scope in ("line", "head"))
    tail = tuple(r for r in rules if r.scope == "tail")
    any_line = re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules))
    start = [r.pattern.pattern for r in rules if _anchored(r.pattern.pattern)]
    inside = [r.pattern.pattern for r in rules if not _anchored(r.pattern.pattern)]
    return Rules(line=line, tail=tail, any_line=any_line,
                 any_start=re.compile("|".join(f"(?:{p})" for p in start) or "(?!)"),
                 any_inside=re.compile("|".join(f"(?:{p})" for p in inside) or "(?!)"),
                 head_lines=int(data.get("head_lines", 6)), tail_min_share=float(data.get("tail_min_share", 0.3)))


def _anchored(pattern: str) -> bool:
    """Whether the whole pattern starts with ``^``: it does, and no ``|`` splits it at the top
    level (outside groups and character classes), so no branch can match elsewhere."""
    if not pattern.startswith("^"):
        return False
    depth, in_class, i = 0, False, 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]" or pattern[i + 1:i + 3] == "^]":  # []...] and [^]...]: ] is literal
                i += 2 if pattern[i + 1] == "]" else 3
                continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
        i += 1
    return True


def could_match(key: str, rules: Rules) -> bool:
    """``rules.any_line.search(key)``, faster: anchored rules are tried at the start only."""
    return rules.any_start.match(key) is not None or rules.any_inside.search(key) is not None


def line_key(line: str) -> str:
    """What the rules see: the line trimmed, without inserted pinyin."""
    return PINYIN_PAREN.sub("", line).strip()


def _matches(rule: Rule, key: str, next_key: str, head_pos: int | None) -> bool:
    if rule.scope == "head" and (head_pos is None or (rule.first_line_only and head_pos != 0)):
        return False
    if rule.max_len is not None and len(key) > rule.max_len:
        return False
    if not rule.pattern.search(key):
        return False
    return rule.followed_by is None or bool(rule.followed_by.search(next_key))


_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # a markdown link: its text counts, its target does not
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[。！？!?]")


def looks_like_body(key: str, *, min_chars: int = 80, min_sentences: int = 2, min_chars_sentences: int = 40) -> bool:
    """A paragraph of prose, not an item of a related-articles list: at least ``min_chars``
    Chinese characters, or ``min_sentences`` sentence ends and ``min_chars_sentences``
    characters (link targets left out). Headlines are shorter, and end once at most."""
    text = _LINK.sub(r"\1", key)
    n = len(_CJK_CHAR.findall(text))
    return n >= min_chars or (n >= min_chars_sentences and len(_SENTENCE_END.findall(text)) >= min_sentences)


def strip_lines(text: str, rules: Rules, *, title: str = "",
                hints: Mapping[int, str] | None = None) -> tuple[list[tuple[int, str]], list[dict]]:
    """Split ``text`` into kept lines and removed lines.

    Returns ``(kept, removed)``: kept is ``[(line_no, line)]`` (trimmed, non-blank), removed
    is ``[{"line", "text", "reason"}]`` in line order. ``hints`` (line number → reason) are the
    lines ingest found to be boilerplate in the page's HTML (link lists, layout tables, text
    outside the main block): removed with that reason.
    """
    hints = hints or {}
    lines = text.split("\n")
    keys = PINYIN_PAREN.sub("", text).split("\n")
    if len(keys) != len(lines):  # pragma: no cover - the pattern never spans a line end
        keys = [line_key(ln) for ln in lines]
    else:
        keys = [k.strip() for k in keys]
    nonblank = [i for i, k in enumerate(keys) if k]
    next_of = {a: b for a, b in zip(nonblank, nonblank[1:])}
    head = {i: pos for pos, i in enumerate(nonblank[: rules.head_lines])}
    total = sum(len(keys[i]) for i in nonblank) or 1

    kept: list[tuple[int, str]] = []
    removed: list[dict] = []
    seen = 0
    resume = -1  # lines before this one went with a related-articles block
    title_key = line_key(title) if title else ""
    for i in nonblank:
        if i < resume:
            continue
        key, line = keys[i], lines[i].strip()
        reason = None
        if title_key and not kept and key == title_key:  # the title is a field, not body
            reason = "title"
        elif i in hints:
            reason = hints[i]
        elif could_match(key, rules):
            tail = next((r for r in rules.tail if r.pattern.search(key) and seen / total >= (
                rules.tail_min_share if r.min_share is None else r.min_share)), None)
            if tail is not None:
                # The block runs to the end, or to the first paragraph of prose: some portals
                # put 相關報道 and its links in the middle of the article, and the text goes on.
                # A comment section runs to the end: comments are prose too.
                resume = len(lines) if tail.to_end else next(
                    (j for j in nonblank if j > i and looks_like_body(keys[j])), len(lines))
                for j in nonblank:
                    if i <= j < resume:
                        removed.append({"line": j, "text": lines[j].strip(), "reason": tail.reason})
                        seen += len(keys[j])
                continue
            next_key = keys[next_of[i]] if i in next_of else ""
            for rule in rules.line:
                if _matches(rule, key, next_key, head.get(i)):
                    reason = rule.reason
                    break
        seen += len(key)
        if reason is None:
            kept.append((i, line))
        else:
            removed.append({"line": i, "text": line, "reason": reason})
    return kept, removed


def strip(text: str, rules: Rules, *, title: str = "") -> str:
    """The body of ``text`` without boilerplate lines, one paragraph a line."""
    kept, _ = strip_lines(text, rules, title=title)
    return "\n".join(line for _, line in kept)


# ------------------------------------------------------------------ the stage


def load_resources(params: Mapping) -> Rules:
    from . import duplicates, recurring

    extra = params.get("_extra_rules")
    rules = load_rules(RULES_PATH, Path(extra) if extra else None)
    found = recurring.load(Path(params["_recurring"]) if params.get("_recurring") else None)
    copies = duplicates.load(Path(params["_duplicates"]) if params.get("_duplicates") else None)
    return dataclasses.replace(rules, recurring=found, duplicates=copies) if found or copies else rules


def _recurring_hints(record: Mapping, text: str, rules: Rules, hints: Mapping[int, str]) -> dict[int, str]:
    """Lines of ``text`` that recur across the articles of the record's site (not prose)."""
    from .recurring import line_key, site_key

    lines = rules.recurring.get(site_key(record))
    if not lines:
        return {}
    out = {}
    for i, line in enumerate(text.split("\n")):
        if i not in hints and line_key(line) in lines and not looks_like_body(line.strip()):
            out[i] = "recurring"
    return out


def process_record(record: dict, rules: Rules) -> dict:
    if rules.duplicates and (first := rules.duplicates.get(record["id"])) is not None:
        raise Skip(f"duplicate of {first[:60]!r}: the same text as that earlier article of the same outlet")
    text = record.get("text") or ""
    hints = {int(h["line"]): str(h["reason"]) for h in record.get("boilerplate") or () if isinstance(h, Mapping)}
    if rules.recurring:
        hints.update(_recurring_hints(record, text, rules, hints))
    kept, removed = strip_lines(text, rules, title=record.get("title") or "", hints=hints)
    body = "\n".join(line for _, line in kept)
    total = sum(len(ln.strip()) for ln in text.split("\n"))
    removed_chars = sum(len(r["text"]) for r in removed)
    share = round(removed_chars / total, 6) if total else 0.0
    out = {"id": record["id"], "source": record["source"], "outlet": record.get("outlet", ""),
           "title": record.get("title", ""), "text": body, "removed": removed, "removed_share": share}
    warnings = []  # this stage's own: earlier stages' warnings are in their manifests already
    if not body.strip():
        raise Skip("no body left after strip")
    if share > WARN_SHARE:
        warnings.append(f"strip removed {share:.0%} of the text ({len(removed)} lines)")
    if warnings:
        out["warnings"] = warnings
    return out


def to_frame(stage_dir: Path):
    """One row per article: id, source, outlet, text, removed_share, n_removed, removed."""
    import pandas as pd

    from . import records

    rows = [{"id": r["id"], "source": r["source"], "outlet": r["outlet"], "title": r["title"], "text": r["text"],
             "removed_share": r["removed_share"], "n_removed": len(r["removed"]), "removed": r["removed"]}
            for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl")]
    return pd.DataFrame(rows, columns=["id", "source", "outlet", "title", "text", "removed_share", "n_removed",
                                       "removed"])


def removed_frame(stage_dir: Path):
    """One row per removed line: id, source, line, text, reason."""
    import pandas as pd

    from . import records

    rows = [{"id": r["id"], "source": r["source"], **item}
            for r in records.read_jsonl(Path(stage_dir) / "articles.jsonl") for item in r["removed"]]
    return pd.DataFrame(rows, columns=["id", "source", "line", "text", "reason"])


STAGE = ArticleStage(
    name="strip", folder="02_strip", upstream="01_ingest",
    process=process_record,
    load_resources=load_resources,
    params={"warn_share": WARN_SHARE},
    resource_files=(RULES_PATH,),
    code_files=(Path(__file__),),
    libraries=("pyyaml",),
)
TABLES = {"strip": to_frame, "removed": removed_frame}
