"""Boilerplate signals that only the HTML shows, for the strip stage to act on.

Ingest keeps every line the main extractor (trafilatura, recall-oriented settings) returns and
marks the lines these general signals call boilerplate; strip removes them and lists each with
its reason, beside its own text rules. No site lists:

- ``link_list``: a run of two or more short lines that are mostly link text in the page (a
  related-stories or navigation list, whatever its length);
- ``layout_table``: a table row that is layout: no cell with text, or mostly link text and no
  paragraph (navigation bars built from tables);
- ``comments``: a line found inside a comment section of the markup (class or id comment,
  reply, pinglun, gentie ...);
- ``repeated_line``: a short line printed three times or more in one page (``← 返回``, ``[打印]``);
- ``other_entries``: on a page that lists entries (the same dated footer line, digits aside,
  three times or more; or a board thread's posts as ``| name | text |`` rows, three or more and
  never adjacent as a data table's rows are), everything after the first entry;
- ``outside_main_text``: a line a second, precision-oriented extraction of the same page leaves
  out and that is neither a paragraph of prose nor a sentence (teasers, widget text, list links)
  — the two extractions are compared line by line; prose lines and lines that end as a sentence
  does are always kept, so no body paragraph is lost to the stricter extractor.

None of the line-level signals (link lists, layout rows, repeated lines, the second extraction)
applies to the rows of a data table: a table with a head row and three or more full rows, whose
cells may well be links (:func:`data_table_rows`).

Measured on the development pages (benchmarks/portals.py): each signal raised main-text F1
without lowering recall below the goal; see README "Portal pages".
"""
from __future__ import annotations

import re
from typing import Iterable

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPTY_ROW = re.compile(r"[|\-:\s]*")
_DATE_TIME = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*\d{1,2}:\d{2}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[。！？!?]")

LINK_SHARE = 0.7        # a line this much link text ...
LINK_LINE_MAX = 50      # ... and at most this many characters, next to another such line, is a list item


def squeeze(text: str) -> str:
    return "".join(text.split())


def anchor_texts(root) -> set[str]:
    """The texts of the page's links (two characters or more), whitespace removed."""
    if root is None:
        return set()
    return {t for a in root.iter("a") if len(t := squeeze(a.text_content())) >= 2}


def link_share(line: str, anchors: Iterable[str]) -> float:
    """The share of a line's characters that are the text of some link of the page."""
    text = squeeze(_MD_LINK.sub(r"\1", line).replace("|", ""))
    if not text:
        return 0.0
    covered = sum(len(a) * text.count(a) for a in anchors if a in text)
    return min(1.0, covered / len(text))


def is_prose(line: str, *, min_chars: int = 80, min_sentences: int = 2, min_chars_sentences: int = 40) -> bool:
    """A paragraph: enough Chinese characters, or several sentences (as strip.looks_like_body)."""
    text = _MD_LINK.sub(r"\1", line).replace("|", " ")
    n = len(_CJK.findall(text))
    return n >= min_chars or (n >= min_chars_sentences and len(_SENTENCE_END.findall(text)) >= min_sentences)


_SENTENCE_CLOSE = re.compile(r"[。！？!?][”’」』）)\]】]*$")
SENTENCE_MIN_CJK = 4


def is_sentence(line: str, anchors: Iterable[str]) -> bool:
    """A sentence of the story, however short: it ends as a sentence does (。！？, closing quotes
    aside), has :data:`SENTENCE_MIN_CJK` Chinese characters or more, is not a table row and is
    mostly not link text. Teasers, headlines, widget text and list links do not end so; the
    closing lines of a notice (``特此通告。``) and the items of a numbered list in the story do."""
    text = _MD_LINK.sub(r"\1", line).strip()
    return (not text.startswith("|") and _SENTENCE_CLOSE.search(text) is not None
            and len(_CJK.findall(text)) >= SENTENCE_MIN_CJK and link_share(line, anchors) < 0.5)


def table_cells(line: str) -> list[str]:
    """The non-empty cells of a table row as trafilatura writes it (``| a | b |``)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line) if c.strip() and not re.fullmatch(r"[-:\s]+", c)]


def _is_layout_row(line: str, anchors: set[str]) -> bool:
    """A table row that is layout, not content: no cell with text, or, with no paragraph in it,
    mostly link text (a navigation bar built from a table; a key-value pair is kept)."""
    cells = table_cells(line)
    if not cells:
        return True
    if is_prose(line):
        return False
    # a data table's cells are text, a navigation bar's are links; two cells: a key and its value (an infobox)
    return len(cells) != 2 and link_share(line, anchors) >= 0.5


_COMMENT_MARK = re.compile(r"(?i)comment|reply|replies|pinglun|gentie|discuss|feedback")


def comment_texts(root) -> list[str]:
    """The texts of the page's comment sections: elements whose class or id says so (comment,
    reply, pinglun, gentie ...), holding no headline and less than half the page's text."""
    if root is None:
        return []
    body = root.find("body")
    total = len(squeeze(body.text_content())) if body is not None else 0
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "body", "html"):
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not _COMMENT_MARK.search(marks) or el.find(".//h1") is not None:
            continue
        text = squeeze(el.text_content())
        if 10 <= len(text) and (not total or len(text) < total / 2):
            found.append(text)
    return found


def _is_post_row(line: str) -> bool:
    cells = table_cells(line)
    return (len(cells) == 2 and len(squeeze(cells[0])) <= 20 and len(_CJK.findall(cells[1])) >= 20
            and _SENTENCE_END.search(cells[1]) is not None)


_HEAD_RULE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")


def _width(line: str) -> int:
    """The number of cells of a table row as trafilatura writes it, empty ones included."""
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|")))


DATA_TABLE_ROWS = 3


def data_table_rows(lines: list[str]) -> set[int]:
    """The line numbers of the data tables' rows: a table (consecutive ``|`` lines) with a head
    rule (``|---|---|``, which trafilatura writes under a row of ``<th>`` cells) and at least
    :data:`DATA_TABLE_ROWS` rows below it as wide as the head with two or more cells filled and
    some word in them. A table the page uses for layout has one cell filled a row (a nested table
    flattened), a single navigation row, or digits only (a calendar widget); a data table's links
    (a programme, a place) do not make it a list."""
    out: set[int] = set()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("|"):
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            j += 1
        rules = [k for k in range(i, j) if _HEAD_RULE.fullmatch(lines[k].strip())]
        if rules:
            width = _width(lines[rules[0]])
            full = [k for k in range(rules[0] + 1, j)
                    if k not in rules and _width(lines[k]) == width and len(cells := table_cells(lines[k])) >= 2
                    and any(ch.isalpha() for c in cells for ch in c)]
            if len(full) >= DATA_TABLE_ROWS:
                out.update(range(i, j))
        i = j
    return out


def hints(text: str, *, anchors: set[str], precise: str | None, comments: list[str] = ()) -> dict[int, str]:
    """``{line number: reason}`` for the lines of ``text`` the HTML signals call boilerplate.

    ``anchors``: the page's link texts (:func:`anchor_texts`); ``precise``: the same page extracted
    for precision, or None to skip that comparison (an empty precise extraction is ignored)."""
    lines = text.split("\n")
    found: dict[int, str] = {}
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    data = data_table_rows(lines)   # content, whatever its links: no line-level signal applies
    linky = {i for i in nonblank if i not in data
             if len(squeeze(lines[i])) <= LINK_LINE_MAX and link_share(lines[i], anchors) >= LINK_SHARE}
    for k, i in enumerate(nonblank):
        neighbours = [nonblank[j] for j in (k - 1, k + 1) if 0 <= j < len(nonblank)]
        if i in linky and any(j in linky for j in neighbours):
            found[i] = "link_list"
    for i in nonblank:
        if i not in found and i not in data and lines[i].lstrip().startswith("|") and _is_layout_row(lines[i], anchors):
            found[i] = "layout_table"
    for i in nonblank:
        key = squeeze(lines[i])
        if i not in found and len(key) >= 4 and any(key in block for block in comments):
            found[i] = "comments"
    # a short line printed three times or more in one page is a widget (← 返回, [打印])
    counts: dict[str, int] = {}
    for i in nonblank:
        counts[squeeze(lines[i])] = counts.get(squeeze(lines[i]), 0) + 1
    for i in nonblank:
        key = squeeze(lines[i])
        if i not in found and i not in data and counts[key] >= 3 and len(key.replace("|", "")) <= 20:
            found[i] = "repeated_line"
    # a page that lists entries (a blog's front page, a board): the same dated footer line, digits aside,
    # three times or more; the story is the first entry, the rest are other entries
    shapes: dict[str, list[int]] = {}
    for i in nonblank:
        if _DATE_TIME.search(lines[i]) and not is_prose(lines[i]):
            shapes.setdefault(re.sub(r"\d+", "#", squeeze(lines[i])), []).append(i)
    firsts = [rows[0] for rows in shapes.values() if len(rows) >= 3]
    # a board's thread: posts as table rows "| name | text |", each apart from the next (reply titles,
    # "back" links between them); a data table's rows follow one another
    posts = [i for i in nonblank if lines[i].lstrip().startswith("|") and _is_post_row(lines[i])]
    positions = {i: k for k, i in enumerate(nonblank)}
    if len(posts) >= 3 and all(positions[b] - positions[a] > 1 for a, b in zip(posts, posts[1:])):
        firsts.append(posts[0])
    if firsts:
        for i in nonblank:
            if i > min(firsts) and i not in found:
                found[i] = "other_entries"
    kept = squeeze(precise or "")
    if kept:
        for i in nonblank:
            if i not in found and i not in data and squeeze(lines[i]) not in kept and not is_prose(lines[i]) \
                    and not is_sentence(lines[i], anchors):
                found[i] = "outside_main_text"
    return found
