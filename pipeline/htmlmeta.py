"""Metadata of a news page: outlet, site, platform, author, editor, title and date, each with its origin.

Sources, in this order (the first that gives a usable value wins, per field):

1. the page's structured data: JSON-LD, Open Graph and the ``<meta>`` names Chinese sites use
   (``publishdate``, ``source``, ``author`` ...);
2. the visible header: the headline element and the lines under it (date, 来源, 作者 / 记者, 责任编辑);
3. 来源 / 原标题 / 责任编辑 lines and datelines in the story (``（中央社記者X台北12日電）``,
   ``本文来源：X 作者：Y``);
4. self-media account names (the WeChat account element, the account line under the headline);
5. the URL (host → outlet table).

Values are cleaned to what the field means: ``author`` holds personal names only (labels, desks,
editors and organisations dropped), ``title`` the headline without site or channel suffixes,
``published`` an ISO 8601 date-time. Nothing here is specific to one site except the outlet table
(``resources/outlets.tsv``, through :mod:`pipeline.outlets`).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Sequence
from urllib.parse import urlsplit

from . import outlets

SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "svg", "select", "option", "button", "textarea",
             "head"}
BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th",
              "section", "article", "header", "footer", "aside", "nav", "dd", "dt", "dl", "blockquote", "pre",
              "form", "title", "hr", "main", "figure", "figcaption", "center"}

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"


@dataclass
class PageMeta:
    """Each field's value and where it came from (``origin``)."""
    values: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)

    def offer(self, name: str, value: str, origin: str) -> None:
        value = " ".join(_ZERO_WIDTH.sub("", value or "").split())
        if value and not self.values.get(name):
            self.values[name] = value
            self.origin[name] = origin


# ------------------------------------------------------------------ the page as a tree and as lines


def parse(html: str):
    """An lxml tree of ``html``, or None when lxml cannot read it."""
    from lxml import etree, html as lxml_html

    try:
        return lxml_html.document_fromstring(html.encode("utf-8", errors="replace"),
                                             parser=lxml_html.HTMLParser(encoding="utf-8", remove_comments=True))
    except (etree.ParserError, ValueError):
        return None


def visible_lines(root) -> list[str]:
    """The page's visible text, one block element a line, whitespace collapsed."""
    from lxml import etree

    out: list[str] = []
    skip = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        hidden = tag is None or tag in SKIP_TAGS
        if event == "start":
            if hidden:
                skip += 1
                continue
            if skip:
                continue
            if tag in BLOCK_TAGS:
                out.append("\n")
            if el.text:
                out.append(el.text)
        else:
            if hidden:
                skip -= 1
            elif not skip and tag in BLOCK_TAGS:
                out.append("\n")
            if not skip and el.tail:
                out.append(el.tail)
    return [ln for ln in (" ".join(_ZERO_WIDTH.sub("", part).split()) for part in "".join(out).split("\n")) if ln]


def squeeze(text: str) -> str:
    """Text without whitespace and zero-width characters, for comparing lines."""
    return "".join(_ZERO_WIDTH.sub("", text or "").split())


def unspace_cjk(text: str) -> str:
    """"一 名 休 班 警" → "一名休班警": a headline printed one character at a time."""
    tokens = text.split()
    if len(tokens) >= 4 and sum(len(t) == 1 for t in tokens) >= 0.8 * len(tokens):
        return re.sub(rf"(?<=[{_CJK}\w])\s(?=[{_CJK}])|(?<=[{_CJK}])\s(?=[{_CJK}\w])", "", text)
    return text


# ------------------------------------------------------------------ structured data


_META_DATE = ("article:published_time", "datepublished", "pubdate", "publishdate", "publish_date", "publish-date",
              "publishtime", "publish_time", "og:release_date", "og:time", "article:published", "ptime",
              "sailthru.date", "dc.date.issued", "dc.date", "date", "datecreated", "releasedate")
_META_AUTHOR = ("author", "article:author", "og:article:author", "dc.creator", "byl", "byline")
_META_SITE = ("og:site_name", "application-name", "publisher", "site_name", "sitename", "apple-mobile-web-app-title")
_META_SOURCE = ("source", "mediaid", "media", "contentsource", "og:source")
_META_URL = ("og:url", "url", "al:web:url")


def meta_tags(root) -> dict[str, list[str]]:
    """``<meta>`` values by lower-cased name / property / itemprop, in page order."""
    found: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if name and content:
            found.setdefault(name, []).append(content)
    return found


def json_ld(root) -> list[dict]:
    """The JSON-LD objects of the page (``@graph`` flattened); malformed blocks are skipped."""
    objects: list[dict] = []
    for el in root.iter("script"):
        if (el.get("type") or "").lower() != "application/ld+json" or not el.text:
            continue
        try:
            data = json.loads(el.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return objects


def _ld_text(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _ld_text(value.get("name"))
    if isinstance(value, list):
        return [t for v in value for t in _ld_text(v)]
    return []


# ------------------------------------------------------------------ dates


_DATE_TIME = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:[T ]|&nbsp;|[(（]|HKT|CST|GMT\+8)?\s*(?:(?P<ampm>上午|下午|AM|PM)\s*)?(?P<H>\d{1,2})\s*[:：時时]\s*(?P<M>\d{2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{2}))?(?:\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2})?(?:\s*(?P<ampm2>am|pm|AM|PM)\b)?)?")
_DATE_MDY = re.compile(r"(?<!\d)(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>(?:19|20)\d{2})(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?")
_DATE_YY = re.compile(r"(?:[发發]布[时時][间間]|[发發]表于|[时時][间間])\s*[:：]?\s*(?P<y>\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\s*"
                      r"(?P<H>\d{2}):(?P<M>\d{2})")
_EPOCH = re.compile(r"""\b(?:ct|publish_time|create_time|pubtime)\s*[=:]\s*["']?(?P<t>1\d{9})\b""")


def iso_date(text: str, *, allow_mdy: bool = False) -> str:
    """The first date (and time) in ``text`` as ISO 8601: ``2014-12-12T12:13`` (``:SS``, zone when given)."""
    text = text or ""
    for pattern in (_DATE_TIME, _DATE_YY) + ((_DATE_MDY,) if allow_mdy else ()):
        m = pattern.search(text)
        if not m:
            continue
        g = m.groupdict()
        y = int(g["y"]) + (2000 if len(g["y"]) == 2 else 0)
        mo, d = int(g["m"]), int(g["d"])
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            continue
        out = f"{y:04d}-{mo:02d}-{d:02d}"
        if g.get("H") is not None:
            h, mi = int(g["H"]), int(g["M"])
            if (g.get("ampm") in ("下午", "PM") or (g.get("ampm2") or "").lower() == "pm") and h < 12:
                h += 12
            if h > 23 or mi > 59:
                return out
            out += f"T{h:02d}:{mi:02d}"
            if g.get("S"):
                out += f":{int(g['S']):02d}"
            if tz := g.get("tz"):
                out += "Z" if tz == "Z" else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
        return out
    return ""


def epoch_date(seconds: int) -> str:
    """A Unix time as the page's local time, read as China Standard Time (UTC+8) as Chinese platforms show it."""
    from datetime import datetime, timedelta, timezone

    return datetime.fromtimestamp(seconds, timezone(timedelta(hours=8))).isoformat(timespec="seconds")


def better_date(first: str, later: str) -> str:
    """``first``, or ``later`` when it is the same day with a time that ``first`` lacks."""
    if first and later and "T" not in first and "T" in later and later[:10] == first[:10]:
        return later
    return first or later


# ------------------------------------------------------------------ names


_LABEL = (r"(?:[评評][论論]员|[评評][论論]員|[实實]习生|[实實]習生|特[约約][记記]者|本[报報台][记記]者|[记記]者|通[讯訊]员|通[訊讯]員|撰文|作者|文字|文|"
          r"[编編]者|口述|整理|原创|原創|[图圖]文|出品|主持人?)")
_EDITOR_LABEL = r"(?:[责責]任[编編][辑輯]|[责責][编編]|[编編][辑輯]|[值]班[编編][辑輯]|主[编編]|[审審][核校])"
_SOURCE_LABEL = r"(?:[稿][件][来來]源|信息[来來]源|新[闻聞][来來]源|本文[来來]源|文章[来來]源|[来來]源|出[处處]|[转轉][载載]自)"
_DATE_LABEL = r"(?:[发發]布[时時][间間]|[发發][稿表][时時][间間]|[发發]表于|[发發]表於|出版|[时時][间間]|日期|[发發]布日期|更新[时時][间間])"
_ANY_LABEL = re.compile(rf"(?P<label>{_SOURCE_LABEL}|{_EDITOR_LABEL}|{_DATE_LABEL}|{_LABEL})\s*(?:[:：/／╱丨|]\s*|(?=\s?[{_CJK}A-Za-z]))")
# desks and organisations in an author slot: never a person
_NOT_PERSON = re.compile(rf"(?:[综綜]合|[编編][译譯]|中心|[编編][辑輯]部|[编編][辑輯]|[报報][导導道]|新[闻聞]|[网網]|[报報]|社|[台臺]$|"
                         rf"[电電][视視]|公司|集[团團]|[频頻]道|[记記]者|本[报報台刊]|通[讯訊]|[来來]源|官方|小[编編]|部$|"
                         rf"[组組]$|工作室|研究院|大学|大學|[学學]院|[协協]会|[协協]會|平[台臺]|客[户戶]端|[杂雜]志|[杂雜]誌|"
                         rf"日[报報]|周刊|週刊|[评評][论論]|[观觀]察|[资資][讯訊]|[财財][经經]|科技|[发發]布|[时時][间間]|"
                         rf"[华華][尔爾]街|[读讀]者|[网網]友|[专專][栏欄]|[联聯][合])")
_PERSON_CJK = re.compile(rf"^[{_CJK}][{_CJK}·•]{{1,5}}$")
_PERSON_LATIN = re.compile(r"^[A-Za-z][A-Za-z.'\-]{1,24}(?: [A-Za-z][A-Za-z.'\-]{1,24}){0,2}$")
_PLACE_REPORT = re.compile(rf"[/／]?\s*[{_CJK}]{{0,6}}(?:[报報][导導道]|[电電]|[专專][电電]|[综綜]合[报報][导導])$")


PLACE_REPORT_ONLY = re.compile(rf"[{_CJK}]{{0,6}}(?:[报報][导導道]|[电電])")  # 台北報導, 北京报道: no one's name
_CELL_EDGES = " |｜\xa0\u3000\t"  # a table-laid page's cells end its lines in pipes


def person_names(value: str, *, blocked: set[str] = frozenset()) -> list[str]:
    """The personal names in a byline value: labels, place-and-report suffixes, desks and organisations dropped."""
    value = _ZERO_WIDTH.sub("", value or "")
    value = re.sub(r"[(（〔【\[][^)）〕】\]]*[)）〕】\]]", " ", value)     # (实习生), 〔台北〕
    value = re.sub(rf"^(?:{_LABEL})\s*[:：/／丨|]?\s*", "", value.strip())
    value = re.sub(rf"\s*[/／╱]\s*[{_CJK}]{{0,8}}(?:[报報][导導道]|[电電])$", "", value)     # ／台北報導
    value = re.sub(rf"^([{_CJK}])\s([{_CJK}]{{2}})(?=$|\s*[|｜丨])", r"\1\2", value.strip())   # 林 薏茹
    names: list[str] = []
    for part in re.split(r"[\s、,，;；]+|\s*[/／|｜丨]\s*", value):
        part = part.strip("：:·•.。 ")
        part = re.sub(rf"^(?:{_LABEL})(?=[{_CJK}]{{2,}})", "", part)
        part = _PLACE_REPORT.sub("", part) if len(part) > 4 else part
        if not part or part in blocked or outlets.lookup(part) or PLACE_REPORT_ONLY.fullmatch(part):
            continue
        if _PERSON_CJK.match(part) and len(part) <= 4 and not _NOT_PERSON.search(part):
            names.append(part)
        elif _PERSON_LATIN.match(part) and part.lower() not in ("admin", "editor", "news", "staff", "by"):
            names.append(part)
        else:
            return []       # one part is not a name: the slot holds something else (widget text, a sentence)
    return list(dict.fromkeys(names))


def surnamed(value: str) -> list[str]:
    """:func:`person_names` of ``value`` when each begins with a surname (resources/surnames.txt): a
    byline without a label (a sign-off, a name after an outlet's 记者) must read as people's names."""
    names = person_names(value)
    known = _surnames()
    return names if names and all(len(n) <= 4 and (n[0] in known or n[:2] in known) for n in names) else []


@functools.lru_cache(maxsize=1)
def _surnames() -> frozenset[str]:
    from .config import RESOURCES

    lines = (RESOURCES / "surnames.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def clean_source(value: str) -> str:
    """A 来源 value as an outlet name: no trailing city in brackets, no link words."""
    value = re.sub(r"[(（][^)）]{1,8}[)）]$", "", value.strip())
    value = re.split(r"\s{2,}|\s*[|｜丨]\s*|\s+(?=(?:举报|舉報|分享|字[号號]|[评評][论論]|[阅閱][读讀]|人[气氣]))", value)[0]
    value = value.strip(" ：:，,。.")
    if len(value.split()) > 1 and not outlets.lookup(value):
        value = value.split()[0]
    return value if 1 < len(value) <= 40 else ""


# ------------------------------------------------------------------ the headline


_TITLE_SEP = re.compile(r"\s*(?:[_|｜│]|--+|\s[-–—－]\s|(?<=[^\s\d])[-–—－](?=\s)|(?<=\s)[-–—－](?=[^\s\d])|(?<=[\u3400-\u9fff！？%）」])[-－](?=[\u3400-\u9fffA-Za-z]))\s*")


def title_segments(doc_title: str) -> list[str]:
    return [s for s in _TITLE_SEP.split(doc_title or "") if s.strip()]


def headline(root, lines: list[str], doc_titles: list[str], *, brands: set[str] = frozenset()) -> tuple[str, str, int]:
    """(headline, origin, index of its line in ``lines``, -1 when not found).

    Candidates, best first: a heading (h1-h3) the document title starts with; the document
    title's segments that are not a site or channel name; the other headings. A candidate
    whose line is followed by a date line (the story's header) wins; failing that, the line
    just above the page's first date line."""
    squeezed = [squeeze(unspace_cjk(ln)) for ln in lines]
    doc_keys = [squeeze(t) for t in doc_titles if t]

    def is_brand(text: str) -> bool:
        return squeeze(text) in brands or outlets.lookup(text) is not None

    heads = []
    for tag in ("h1", "h2", "h3"):
        for el in root.iter(tag):
            text = unspace_cjk(" ".join(el.text_content().split()))
            if 4 <= len(squeeze(text)) <= 120 and not is_brand(text):
                heads.append((tag, text))
    # elements a template names as the title: class="rumor-title", id="article_title"
    for el in root.xpath('//body//*[self::div or self::span or self::p or self::td or self::strong]'
                         '[contains(@class, "title") or contains(@id, "title") or contains(@class, "headline")]'):
        text = unspace_cjk(" ".join(el.text_content().split()))
        if 6 <= len(squeeze(text)) <= 80 and not is_brand(text) and len(el) <= 2:
            heads.append(("title-class", text))
    titled = [(text, f"html:{tag}") for tag, text in heads
              if any(k.startswith(squeeze(text)) or (len(squeeze(text)) >= 8 and squeeze(text) in k) for k in doc_keys)]
    for t in doc_titles:
        titled += [(seg, "html:title") for seg in title_segments(t) if len(squeeze(seg)) >= 4 and not is_brand(seg)]
    others = [(text, f"html:{tag}") for tag, text in heads]

    def anchored(cands, exact: bool, prose: bool = False):
        for text, origin in cands:
            idx = _line_of(squeezed, squeeze(text), exact=exact)
            if idx >= 0 and any(_has_date(ln) or _ANY_LABEL.match(ln) for ln in lines[idx + 1:idx + 6]) and (
                    not prose or any(len(ln) >= 40 and re.search(r"[。，！？]", ln) for ln in lines[idx + 1:idx + 15])):
                return text, origin, idx
        return None

    for found in (anchored(titled, True), anchored(titled, False)):
        if found:
            return found
    for exact in (True, False):
        for text, origin in titled:
            shortest = 4 if origin != "html:title" else 8     # a heading the title repeats is the headline
            if len(squeeze(text)) >= shortest and (idx := _line_of(squeezed, squeeze(text), exact=exact)) >= 0:
                return text, origin, idx
    # the line above the page's first date line, when it reads as a headline
    for idx in range(1, min(len(lines), 400)):
        if _has_date(lines[idx]) and len(lines[idx]) <= 60:
            above = lines[idx - 1]
            if 8 <= len(squeeze(above)) <= 80 and not _ANY_LABEL.match(above) and not is_brand(above) \
                    and not re.search(r"[。，>»|｜]|\s[-–]\s", above):
                return above, "html:above-date", idx - 1
            break
    if found := anchored(others, True, prose=True):
        return found
    for text, origin in others:
        idx = _line_of(squeezed, squeeze(text), exact=True)
        if idx >= 0 and any(len(ln) >= 40 and re.search(r"[。，！？]", ln) for ln in lines[idx + 1:idx + 4]):
            return text, origin, idx
    for text, origin in titled:
        if len(squeeze(text)) >= 8:
            return text, origin, _line_of(squeezed, squeeze(text))
    return "", "", -1


def _has_date(line: str) -> bool:
    return bool(iso_date(line, allow_mdy=True))


def _as_shown(candidate: str, line: str) -> str:
    """The headline as its line shows it: a candidate cut short by a broken attribute is completed from the
    line, while a channel in brackets or a date after the headline stays off."""
    line = unspace_cjk(line)
    if squeeze(line) == squeeze(candidate) or not squeeze(line).startswith(squeeze(candidate)):
        return candidate
    rest = line[len(candidate):] if line.startswith(candidate) else ""
    if not rest or re.fullmatch(r"\s*(?:[(（【\[][^)）】\]]{1,8}[)）】\]]|\S*\d{4}[-/.年]\d.*)\s*", rest):
        return candidate
    return line


def _line_of(squeezed: list[str], key: str, *, exact: bool = False) -> int:
    """The index of the line that is ``key`` (or, unless ``exact``, starts with it)."""
    if not key:
        return -1
    hits = [i for i, s in enumerate(squeezed) if s == key]
    if not hits and not exact:
        hits = [i for i, s in enumerate(squeezed) if s.startswith(key) and len(s) <= len(key) + 20]
    if not hits:
        return -1
    # a headline repeated in a share bar or breadcrumb: take the occurrence followed by a date soonest
    for i in hits:
        if any(iso_date(ln) for ln in squeezed[i + 1:i + 6]):
            return i
    return hits[0]


# ------------------------------------------------------------------ reading the page


_PLATFORM_MARK = re.compile(r"自媒[体體]平[台臺]\s*[“\"「『]?(?P<value>[^”\"」』\s]{2,12})[”\"」』]")
_ACCOUNT_FOOTER = re.compile(r"本文(?:来自|來自|转载自|轉載自)(?:微信)?(?:公众号|公眾號)[:：]?\s*[“\"「『]?(?P<value>[^”\"」』,，。\s]{2,30})")
_SLASH_BYLINE = re.compile(rf"(?:^|\s)(?P<names>[{_CJK}]{{2,4}}(?:[、,，][{_CJK}]{{2,4}})*)\s*[/／]\s*[{_CJK}]{{0,6}}[报報][导導]")
_WHOLE_BYLINE = re.compile(rf"^[(（〔【\[]?\s*(?:[记記]者|文|撰文)\s*(?P<names>[{_CJK}·]{{2,4}}(?:[、,，\s]+[{_CJK}·]{{2,4}}){{0,3}})"
                           rf"\s*[/／╱\s]\s*[{_CJK}]{{0,6}}[报報][导導道][)）〕】\]]?$")
_LABEL_BYLINE = re.compile(rf"^(?:[记記]者|撰文|作者)\s*[:：/／]?\s*(?P<names>[{_CJK}·]{{2,4}}(?:[、,，\s]+[{_CJK}·]{{2,4}}){{0,3}})$")
_TRAILING_BYLINE = re.compile(rf"[(（〔【]\s*(?:{_LABEL})\s*[:：]?\s*(?P<names>[{_CJK}·]{{2,4}}(?:[、,，\s]+[{_CJK}·]{{2,4}}){{0,3}})\s*[)）〕】]$")
_NAME = rf"[{_CJK}·]{{2,4}}"
# a reporter line under the headline, an outlet before 记者 and nothing after the names but /文, 发自 or 报道:
# 光明日报记者 王建宏 张文攀; 顶端新闻·河南商报记者马俊峰/文; 本报记者罗科苏盈发自北京
_OUTLET_REPORTER = re.compile(
    rf"^(?:(?:整合|撰文|统筹|統籌)\s+)?(?:[{_CJK}A-Za-z·]{{2,14}}?)?[记記]者\s*(?P<names>{_NAME}(?:[、,，\s]+{_NAME}){{0,3}})"
    rf"(?:\s*[/／]\s*[文摄攝]|\s*[发發]自[{_CJK}]{{2,6}}?(?=$|\s|\d|[，,。])|\s+[{_CJK}]{{2,6}}[报報][导導道]|(?=$|\s))")
# a sign-off closing the story: （袁源）, （常书香 马丹阳）, （姚峰 上海报道）, （总台记者 张倩）
_SIGNOFF = re.compile(
    rf"[(（]\s*(?:[{_CJK}·]{{0,10}}?(?:[记記]者|通[讯訊][员員]|[实實][习習]生)\s*)?(?P<names>{_NAME}(?:[、,，\s]+{_NAME}){{0,4}}?)"
    rf"\s*(?:[{_CJK}]{{2,6}}[报報][导導道]|[发發]自[{_CJK}]{{2,6}}|[/／]\s*[文摄攝])?\s*[)）]$")
# a name in brackets before the 来源 of a header line (搜狐: 2004年7月16日08:19 [ 黄宇 ] 来源：[ 国际金融报 ])
_BRACKET_NAME_SOURCE = re.compile(rf"[\[【]\s*(?P<names>{_NAME}(?:[、,，\s]+{_NAME}){{0,3}})\s*[\]】]\s*(?:[来來]源|出[处處])")
_AGENCY_CREDIT = re.compile(rf"^(?P<outlet>[{_CJK}A-Za-z0-9]{{2,10}}?)[讯訊]\s*[(（](?:[记記]者|通[讯訊]员|通[訊讯]員)\s*(?P<names>[^)）]{{2,20}})[)）]")
_WIRE = re.compile(rf"^(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\s*\d{{1,2}}:\d{{2}}\s*)?[(（〔【\[]?\s*(?P<outlet>[{_CJK}A-Za-z]{{2,8}}?)"
                   rf"(?:(?:[记記]者|特[约約][记記]者)(?P<names>[{_CJK}、，,·\s]{{2,24}}?))?\s*"
                   rf"(?P<place>[{_CJK}]{{2,6}})(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})日(?:[专專]?[电電])")
_BRACKET_FIELDS = re.compile(r"^[【〔\[(（](?P<body>[^】〕\])）]{4,40}[╱/／][^】〕\])）]{2,40})[】〕\])）]")


def story_byline(line: str) -> dict[str, str]:
    """Outlet and author from a story's opening line: a wire dateline (``（中央社記者盧太城台東縣12日電）``,
    ``中央社 澎湖縣28日電``), an agency credit (``香港文匯報訊（記者 鄭治祖）``), a bracketed byline
    (``【聯合晚報╱記者楊正海╱即時報導】``, ``（記者王憶紅／台北報導）``)."""
    found: dict[str, str] = {}
    if m := _BRACKET_FIELDS.match(line):
        for part in re.split(r"\s*[╱/／]\s*", m.group("body")):
            if (o := outlets.lookup(part)) and o.kind != "platform":
                found.setdefault("outlet", o.name)
            elif re.match(rf"^(?:{_LABEL})", part) and (names := person_names(part)):
                found.setdefault("author", "、".join(names))
        return found
    if m := _AGENCY_CREDIT.match(line):
        if outlets.lookup(m.group("outlet")):
            found["outlet"] = outlets.canonical(m.group("outlet"))
        if names := person_names(m.group("names")):
            found["author"] = "、".join(names)
        return found
    if m := _WIRE.match(line):
        outlet = m.group("outlet")
        if outlets.lookup(outlet) or outlet.endswith(("社", "報", "报")):
            found["outlet"] = outlets.canonical(outlet) or outlet
            if m.group("names"):
                # names run into the place: 盧太城台東縣 - a name is two to three characters, the rest is the place
                raw = (m.group("names") + m.group("place")).strip()
                parts = re.split(r"[、，,\s]+", raw)
                last = parts[-1]
                parts[-1] = last[:3] if len(last) >= 5 else last[:2] if len(last) >= 4 else last
                if names := person_names("、".join(parts)):
                    found["author"] = "、".join(names)
        return found
    return found


_CREDIT_LICENCE = re.compile(r"本文(?:由|为|為)\s*(?P<value>[^\s，,。]{2,20}?)\s*(?:授[权權]|提供)")

def _year_only(date: str, lines: Sequence[str]) -> bool:
    """trafilatura's date (htmldate's) of a page that gives only a year somewhere (a copyright line
    "© 1998", a year in the address) is 1 January of that year: a day on no line of the page is
    not its date."""
    return first_of_january(date) and not any(iso_date(ln).startswith(date[:10]) for ln in lines)


def first_of_january(date: str) -> bool:
    """An ISO date that is 1 January with no time: what htmldate makes of a year alone."""
    return date[4:10] == "-01-01" and "T" not in date


def read(html: str, *, main_text: str = "", url: str = "", fallback_date: str = "", root=None) -> PageMeta:
    """Every metadata field this page states, with its origin. ``main_text`` is the extracted story;
    ``fallback_date`` another extractor's date, used (its time completed from the page) when the
    page states none of its own."""
    meta = PageMeta()
    root = parse(html) if root is None else root
    if root is None:
        return meta
    tags = meta_tags(root)
    ld = json_ld(root)
    lines = visible_lines(root)

    def tag(*names: str) -> tuple[str, str]:
        for n in names:
            for v in tags.get(n, ()):
                if v.strip():
                    return v.strip(), f"meta:{n}"
        return "", ""

    # ---- URL and host
    page_url = url
    if not page_url:
        canon = next((el.get("href") for el in root.iter("link") if (el.get("rel") or "").lower() == "canonical"
                      and (el.get("href") or "").startswith("http")), "")
        page_url = canon or next((v for n in _META_URL for v in tags.get(n, ()) if v.startswith("http")), "")
    if page_url:
        meta.offer("url", page_url, "html:meta" if not url else "given")
    host, path = "", ""
    if page_url:
        parts = urlsplit(page_url)
        host, path = parts.hostname or "", parts.path

    # ---- title
    doc_titles = []
    for name in ("og:title", "title", "headline"):
        doc_titles += tags.get(name, [])
    title_el = root.find(".//title")
    if title_el is not None and title_el.text_content().strip():
        doc_titles.append(" ".join(title_el.text_content().split()))
    doc_titles += [t for o in ld for t in _ld_text(o.get("headline"))]
    brands = {squeeze(v) for n in _META_SITE for v in tags.get(n, ())}
    title, title_origin, title_line = headline(root, lines, doc_titles, brands=brands)
    meta.offer("title", unspace_cjk(title), title_origin)

    # the header: the lines under the headline, where date, 来源 and byline sit
    header = lines[title_line + 1:title_line + 9] if title_line >= 0 else []
    header = _join_labels(header)

    # ---- date
    date, date_origin = "", ""
    for o in ld:
        for v in _ld_text(o.get("datePublished")) + _ld_text(o.get("dateCreated")):
            if d := iso_date(v):
                date, date_origin = date or d, date_origin or "html:json-ld"
    for name in _META_DATE:
        for v in tags.get(name, ()):
            if (d := iso_date(v)) and not date:
                date, date_origin = d, f"meta:{name}"
    dated = ([lines[title_line]] if title_line >= 0 else []) + header
    visible = ""
    for n, ln in enumerate(dated):
        if d := iso_date(ln, allow_mdy=True):
            if "T" not in d and n + 1 < len(dated) and (t := re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", dated[n + 1])):
                d += f"T{int(t.group(1)):02d}:{t.group(2)}" + (f":{t.group(3)}" if t.group(3) else "")
            visible = d
            break
    if (better := better_date(date, visible)) != date:
        date, date_origin = better, (date_origin + "+header") if date else "html:header"
    if not date and (m := _EPOCH.search(html)):
        date, date_origin = epoch_date(int(m.group("t"))), "html:script"
    if not date and (d := iso_date(fallback_date)) and not _year_only(d, lines):
        date, date_origin = d, "trafilatura"
    if date and "T" not in date:
        # the day is known, its time is printed elsewhere on the page (a list entry, a footer)
        same_day = next((d for ln in lines if date[:10] in (d := iso_date(ln)) and "T" in d), "")
        if same_day:
            date, date_origin = same_day, f"{date_origin}+page-time"
    meta.offer("published", date, date_origin)

    # ---- header fields: 来源, 作者, 责任编辑
    credited, credited_origin = "", ""
    authors: list[str] = []
    author_origin = ""
    editor = ""
    site_names = {squeeze(v) for n in _META_SITE for v in tags.get(n, ())}
    for pos, line in enumerate(header):
        for label, value in _fields(line):
            if re.fullmatch(_SOURCE_LABEL, label):
                if not credited and (v := clean_source(value)):
                    credited, credited_origin = v, "html:header:来源"
            elif re.fullmatch(_EDITOR_LABEL, label):
                editor = editor or "、".join(person_names(value))
            elif re.fullmatch(_LABEL, label) and not authors:
                if label in ("原创", "原創"):
                    continue
                authors = person_names(value)
                author_origin = "html:header:byline" if authors else ""
    # print-edition credit alone on a line under the headline (中國時報), distinct from the site
    site_outlet = _site_outlet(tags, ld, host, path, lines, doc_titles, root)
    if not credited:
        for line in header[:4]:
            found = outlets.lookup(line) if len(line) <= 16 else None
            if found and found.kind != "platform" and site_outlet and found.name != site_outlet[0]:
                credited, credited_origin = found.name, "html:header:credit"
                break

    # ---- self-media platform and account
    platform, platform_origin = _platform(host, path, tags, html, site_outlet[0])
    account, account_origin = "", ""
    if platform:
        account, account_origin = _account(root, html, header, title_line, lines, platform)

    # ---- story: datelines, 本文来源 lines, licence credits
    story = [ln.strip() for ln in (main_text or "").split("\n") if ln.strip()]
    after_title = lines[title_line + 1:] if title_line >= 0 else lines
    header_author_is_editor = bool(authors) and "、".join(authors) == editor
    for ln in story[:4] + header:
        found = story_byline(ln)
        if found.get("outlet") and not credited:
            credited, credited_origin = found["outlet"], "text:dateline"
        if found.get("author") and not authors:
            authors, author_origin = found["author"].split("、"), "text:byline"
    for ln in header + story[:3]:
        if not authors and len(ln) < 60 and (m := _SLASH_BYLINE.search(ln)):
            authors = person_names(m.group("names"))
            author_origin = "text:byline" if authors else ""
    for n, ln in enumerate(after_title[:80]):
        # a byline line of its own: 記者潘照文、張逸民／台北報導; 记者王敬照 near the headline
        if not authors and len(ln) <= 40 and ((m := _WHOLE_BYLINE.match(ln)) or (n < 20 and (m := _LABEL_BYLINE.match(ln)))):
            authors = person_names(m.group("names"))
            author_origin = "text:byline" if authors else ""
    for ln in (after_title[:20] + story[:4] + story[-3:]) if not authors else ():
        ln = ln.strip(_CELL_EDGES)
        if (m := _OUTLET_REPORTER.match(ln) or _BRACKET_NAME_SOURCE.search(ln[:120])) and (
                names := surnamed(m.group("names"))):
            authors, author_origin = names, "text:reporter"
            break
    for ln in story[-6:] + lines:
        if len(ln) > 80:
            continue
        for label, value in _fields(ln):
            if re.fullmatch(_EDITOR_LABEL, label) and not editor and label not in ("主编", "主編"):
                editor = "、".join(person_names(value))
    # the story's foot: 本文来源：X 作者：Y / 作者：Y / （评论员 X Y）
    foot = story[-6:] + [ln for ln in lines if len(ln) <= 80 and re.search(_SOURCE_LABEL, ln) and "作者" in ln]
    for ln in foot:
        fields = _fields(ln[-80:])
        has_source = any(re.fullmatch(_SOURCE_LABEL, lab) for lab, _ in fields)
        for label, value in fields:
            if re.fullmatch(_SOURCE_LABEL, label) and not credited and (v := clean_source(value)):
                credited, credited_origin = v, "text:来源"
            elif re.fullmatch(_LABEL, label) and (not authors or header_author_is_editor) and (
                    has_source or ln.startswith(("(", "（", label)) or len(ln) <= 30):
                if names := person_names(value):
                    authors, author_origin, header_author_is_editor = names, "text:byline", False
        if (not authors or header_author_is_editor) and (m := _TRAILING_BYLINE.search(ln)):
            if names := person_names(m.group("names")):
                authors, author_origin, header_author_is_editor = names, "text:byline", False
        if not credited and (m := _CREDIT_LICENCE.search(ln)):
            value = re.sub(r"(?:独家|獨家)$", "", m.group("value"))
            if not person_names(value):     # an author licensing his own column credits no outlet
                credited, credited_origin = value, "text:credit"
    for ln in story[-3:] if not authors else ():
        ln = ln.rstrip(_CELL_EDGES)
        if len(ln) <= 400 and (m := _SIGNOFF.search(ln)) and (names := surnamed(m.group("names"))):
            authors, author_origin = names, "text:sign-off"
    if not credited:
        value, origin = tag(*_META_SOURCE)
        value = re.sub(rf"^{_SOURCE_LABEL}\s*[:：]\s*", "", value)
        if value and not value.isdigit() and (v := clean_source(value)):
            credited, credited_origin = v, origin

    # ---- structured authors: used when the visible header names nobody
    if not authors:
        candidates = [(t, "html:json-ld") for o in ld for t in _ld_text(o.get("author"))]
        candidates += [(v, f"meta:{n}") for n in _META_AUTHOR for v in tags.get(n, ())]
        page_text = squeeze(" ".join(lines))
        for value, origin in candidates:
            if value.startswith("http") or squeeze(value) in site_names:
                continue
            names = person_names(value)
            # a name the page never shows is a tag or an id, not a byline
            if names and all(squeeze(n) in page_text for n in names):
                authors, author_origin = names, origin
                break
    if not authors and title_line >= 0:
        # a lone name under the headline, before the date line (明敏 / 2025-02-23) or glued to it (谢若含2017-03-01 14:27)
        for n in range(title_line + 1, min(title_line + 3, len(lines))):
            ln, nxt = lines[n], lines[n + 1] if n + 1 < len(lines) else ""
            rest = _DATE_TIME.sub("", ln).strip() if iso_date(ln) else ln
            lone = re.fullmatch(rf"[{_CJK}·]{{2,4}}|[A-Za-z][A-Za-z .'-]{{1,24}}", rest)
            names = person_names(rest) if lone else []
            if len(names) == 1 and (rest != ln or iso_date(nxt)) and names[0] != account and not outlets.lookup(rest):
                authors, author_origin = names, "html:header:name"
                break
            if iso_date(ln):
                break

    # ---- decide outlet, site, platform
    if site_outlet[0]:
        meta.offer("site", site_outlet[0], site_outlet[1])
    if platform:
        meta.offer("platform", platform, platform_origin)
    if credited and (outlets.is_platform(credited) or squeeze(credited) in site_names):
        credited = ""
    if account and not outlets.is_platform(account):
        meta.offer("outlet", outlets.canonical(account) or account, account_origin)
    if credited:
        meta.offer("outlet", outlets.canonical(credited) or credited, credited_origin)
    if site_outlet[0] and not (platform and outlets.is_platform(site_outlet[0])):
        meta.offer("outlet", site_outlet[0], site_outlet[1])
    meta.offer("author", "、".join(authors), author_origin)
    meta.offer("editor", editor, "html:editor")
    return meta


def _join_labels(lines: list[str]) -> list[str]:
    """A label alone at a line's end ("来源:", "作者 :") joined with the next line, where its value is."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if i + 1 < len(lines) and re.search(rf"(?:{_SOURCE_LABEL}|{_LABEL}|{_EDITOR_LABEL})\s*[:：]?\s*$", ln) and len(lines[i + 1]) <= 30:
            out.append(f"{ln} {lines[i + 1]}")
            i += 2
            continue
        out.append(ln)
        i += 1
    return out


def _fields(line: str) -> list[tuple[str, str]]:
    """(label, value) pairs of a header line such as ``2020-11-23 10:22 出处：快科技 作者：宪瑞 编辑：宪瑞``."""
    found = list(_ANY_LABEL.finditer(line))
    out = []
    for n, m in enumerate(found):
        # a label glued to prose is a word of a sentence, not a field ("作者认为")
        start = m.start()
        if start > 0 and line[start - 1] not in " \u3000|｜丨:：(（[【〔·•" and not line[start - 1].isdigit():
            before = line[:start].split()[-1] if line[:start].split() else ""
            if not (outlets.lookup(before) or re.search(r"[报報社网網台臺刊谈談讯訊]$", before)):
                continue
        end = found[n + 1].start() if n + 1 < len(found) else len(line)
        value = line[m.end():end].strip(" |｜丨")
        value = re.split(r"\s*[|｜丨]\s*|\s{2,}|\s+(?=[^\s:：]{1,6}\s*[:：])", value)[0]
        out.append((m.group("label"), value))
    return out


def _site_outlet(tags, ld, host, path, lines, doc_titles, root) -> tuple[str, str]:
    """The publishing site's brand: by host, by the page's own site name, by its title's suffix, by its copyright."""
    if host and (found := outlets.by_host(host, path)) and found.kind != "platform":
        return found.name, "url:host"
    for n in _META_SITE:
        for v in tags.get(n, ()):
            if found := outlets.lookup(v):
                return found.name, f"meta:{n}"
    for o in ld:
        for v in _ld_text(o.get("publisher")):
            if found := outlets.lookup(v):
                return found.name, "html:json-ld"
    for t in doc_titles:
        for seg in reversed(title_segments(t)):
            if found := outlets.lookup(seg):
                return found.name, "html:title-suffix"
    for n in ("copyright", "author"):
        for v in tags.get(n, ()):
            if found := outlets.lookup(v):
                return found.name, f"meta:{n}"
    # the hosts the page links to most: its own
    hosts: dict[str, int] = {}
    for el in root.iter("a"):
        h = urlsplit(el.get("href") or "").hostname
        if h:
            hosts[h] = hosts.get(h, 0) + 1
    for h, _ in sorted(hosts.items(), key=lambda kv: -kv[1])[:3]:
        if (found := outlets.by_host(h)) and found.kind != "platform":
            return found.name, "html:links"
    for line in lines[-15:]:
        if re.search(r"(?i)copyright|©|版[权權]所有", line) and (found := outlets.lookup(line)):
            return found.name, "html:copyright"
    for n in _META_SITE:
        for v in tags.get(n, ()):
            if (b := outlets.clean_brand(v)) and not outlets.is_platform(b):
                return b, f"meta:{n}"
    for t in doc_titles:
        segs = title_segments(t)
        if len(segs) > 1 and (b := outlets.clean_brand(segs[-1])) and len(b) <= 12:
            return b, "html:title-suffix"
    return "", ""


_PLATFORM_HOSTS = (("mp.weixin.qq.com", "微信公众号"), ("baijiahao.baidu.com", "百家号"), ("toutiao.com", "头条号"),
                   ("dy.163.com", "网易号"), ("163.com/dy/", "网易号"), ("mp.sohu.com", "搜狐号"),
                   ("sohu.com/a/", "搜狐号"), ("om.qq.com", "企鹅号"), ("new.qq.com/omn/", "企鹅号"),
                   ("ishare.ifeng.com", "大风号"), ("fhh.ifeng.com", "大风号"))


_AGGREGATOR_PLATFORM = {"今日头条": "头条号", "百度": "百家号"}


def _platform(host: str, path: str, tags, html: str, site: str = "") -> tuple[str, str]:
    where = f"{host}{path}"
    if site in _AGGREGATOR_PLATFORM:        # an aggregator's article pages are its self-media accounts'
        return _AGGREGATOR_PLATFORM[site], "site"
    for mark, name in _PLATFORM_HOSTS:
        if mark in where:
            return name, "url:host"
    if any(outlets.is_platform(v) for n in _META_SITE for v in tags.get(n, ())):
        return outlets.canonical(next(v for n in _META_SITE for v in tags.get(n, ()) if outlets.is_platform(v))), "meta:site"
    if m := _PLATFORM_MARK.search(html):
        return outlets.canonical(m.group("value")) or m.group("value"), "html:disclaimer"
    # links of the page's own scripts and styles name the platform that serves it
    for mark, name in (("mp.weixin.qq.com/s", "微信公众号"), ("baijiahao.baidu.com/s", "百家号"),
                       ("www.toutiao.com/a", "头条号"), ("toutiao.com/group", "头条号"), ("163.com/dy/article", "网易号")):
        if html.count(mark) >= 2:
            return name, "html:links"
    return "", ""


_WECHAT_ACCOUNT = re.compile(r"""var\s+nickname\s*=\s*(?:htmlDecode\()?["'](?P<v>[^"']{1,40})["']""")


def _account(root, html: str, header: list[str], title_line: int, lines: list[str], platform: str) -> tuple[str, str]:
    """The self-media account a platform page belongs to."""
    for xpath in ('.//*[@id="js_name"]', './/*[contains(concat(" ", @class, " "), " profile_nickname ")]',
                  './/*[contains(concat(" ", @class, " "), " account_nickname_inner ")]'):
        for el in root.xpath(xpath):
            if name := " ".join(el.text_content().split()):
                return name, "html:account"
    if m := _WECHAT_ACCOUNT.search(html):
        return m.group("v").strip(), "html:account"
    for line in header[:4]:
        for label, value in _fields(line):
            if re.fullmatch(_SOURCE_LABEL, label) and (v := clean_source(value)) and not outlets.is_platform(v):
                return v, "html:header:来源"
        # "原创 GameForce 2019-09-04 22:18" / "体育教科书" then the date line
        text = re.sub(r"^(?:原创|原創)\s*", "", line)
        text = _DATE_TIME.sub("", text).strip()
        if text and len(text) <= 20 and not _ANY_LABEL.match(text) and (iso_date(line) or any(iso_date(x) for x in header[header.index(line) + 1:header.index(line) + 2])):
            if not re.search(r"[。，！？]", text):
                return text, "html:header:account"
    if m := _ACCOUNT_FOOTER.search(" ".join(lines[-80:])):
        return m.group("value"), "html:account-footer"
    return "", ""
