"""Frame emphasis: how often each outlet reaches for the words of each frame.

A frame is a list of terms in ``resources/frames.yaml``. Terms are matched against the
segmented tokens of each sentence (a term may span several tokens; the longest match
wins), and emphasis is counted as hits per 1,000 content tokens, per article and per
outlet (pooled: the outlet's hits over the outlet's content tokens). Every match is kept
with its sentence and character offsets, so each number can be traced back to words.

Map-reduce: the map (:func:`frame_article`, per article, cached and parallel) writes each
article's hits; the reduce (:func:`finish`) sums them per outlet without looking at text.

Outputs in ``07_framing/``:
- ``articles.jsonl``: per article, its content tokens, hits per frame with the terms behind
  them, and every match (sentence index, term, offsets into the normalised text);
- ``frames_by_article.csv``: id, outlet, frame, per_1k, hits, top_terms (every frame, zeros included);
- ``frames_by_outlet.csv``: outlet, frame, per_1k, hits, top_terms, articles, content_tokens;
- ``frame_terms.csv``: outlet, frame, term, hits (the complete counts the top_terms strings abbreviate).
"""
from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections import Counter, defaultdict
from itertools import accumulate, compress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from . import grouping, memo, records
from .config import ARTICLES, RESOURCES
# Articles whose outlet ingest could not tell form one group, honestly labelled; the label and the
# grouping are pipeline.grouping's, so that frames and distinctive terms join on the same groups.
from .keywords import UNKNOWN_OUTLET, by_count, outlet_group  # noqa: F401 - UNKNOWN_OUTLET re-exported for the report
from .runner import ArticleStage, map_ranges, read_range

# The story-neutral default: the generic news frames (a story file names its own).
FRAMES_PATH = RESOURCES / "frames" / "generic.yaml"
UPSTREAM = "04_segment"
BY_ARTICLE = "frames_by_article.csv"
BY_OUTLET = "frames_by_outlet.csv"
TERMS = "frame_terms.csv"


@dataclass(frozen=True)
class Frame:
    id: str
    label: str
    label_en: str
    description: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    frames: tuple[Frame, ...]
    # matching key (see term_key) -> (term as written in the lexicon, ids of the frames it belongs to)
    entries: Mapping[str, tuple[str, tuple[str, ...]]]
    longest: int  # characters in the longest key: how far a match may reach
    prefixes: frozenset[str] = frozenset()  # every prefix of every key: a scan stops as soon as it leaves them
    # token -> what match_tokens needs to know about it alone (see _token_info); filled as tokens are seen
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def frame_ids(self) -> tuple[str, ...]:
        return tuple(frame.id for frame in self.frames)


@dataclass(frozen=True)
class Match:
    term: str                  # as written in the lexicon
    frames: tuple[str, ...]
    first: int                 # index of the first matched token in the sentence's token list
    last: int                  # index of the last matched token (inclusive)


# ---------------------------------------------------------------- lexicon


def term_key(text: str) -> str:
    """What a term and a token are compared by: NFKC, case-folded, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def build_lexicon(frames: Iterable[Frame]) -> Lexicon:
    frames = tuple(frames)
    ids = [frame.id for frame in frames]
    if len(set(ids)) != len(ids):
        raise ValueError(f"frame ids must be unique: {ids}")
    entries: dict[str, tuple[str, list[str]]] = {}
    for frame in frames:
        for term in frame.terms:
            key = term_key(term)
            if not key:
                raise ValueError(f"frame {frame.id!r} has an empty term")
            written, owners = entries.setdefault(key, (term, []))
            if frame.id not in owners:
                owners.append(frame.id)
    frozen = {key: (written, tuple(owners)) for key, (written, owners) in entries.items()}
    prefixes = frozenset(key[:i] for key in frozen for i in range(1, len(key) + 1))
    return Lexicon(frames=frames, entries=frozen, longest=max((len(k) for k in frozen), default=0),
                   prefixes=prefixes)


def load_lexicon(path: Path = FRAMES_PATH) -> Lexicon:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    frames = []
    for item in data["frames"]:
        frames.append(Frame(
            id=str(item["id"]), label=str(item.get("label", item["id"])),
            label_en=str(item.get("label_en", item["id"])), description=str(item.get("description", "")),
            terms=tuple(str(t) for t in item.get("terms") or ()),
        ))
    return build_lexicon(frames)


# ---------------------------------------------------------------- matching


# A model name with a version, as the segmenter keeps it in one token (GLM-4.5, ChatGLM-6B,
# DeepSeek-R1, Qwen2.5): its leading letters are the name the lexicon lists (glm, chatglm ...).
# Three patterns tried one after the other, each once: the single pattern with a look-ahead
# (``^([a-z]{2,})(?=[-.]?[a-z]*\d)[-.a-z0-9]*$``) retried the look-ahead at every length of
# the stem, quadratic in a long run of letters (100,000 took two minutes).
_STEM = re.compile(r"[a-z]{2,}")
_VERSION = re.compile(r"\d|[-.][a-z]*\d")  # after the letters: a digit, or - or . then letters and a digit
_VERSION_REST = re.compile(r"[-.a-z0-9]*")


def model_stem(key: str) -> str | None:
    """``"glm-4.5"`` -> ``"glm"``; None for a key that is not a versioned model name."""
    m = _STEM.match(key)
    if not m or not _VERSION.match(key, m.end()) or not _VERSION_REST.fullmatch(key, m.end()):
        return None
    return m.group()




def _token_info(token: str, lexicon: Lexicon) -> tuple[str, bool, tuple | None]:
    """(key, key starts some term, the entry its model stem matches or None): all that
    :func:`match_tokens` asks of one token, whatever its neighbours."""
    key = term_key(token)
    stem_entry = None
    if key and key[0].isascii() and key[0].isalpha():
        stem = model_stem(key)
        stem_entry = lexicon.entries.get(stem) if stem else None
    return key, bool(key) and key in lexicon.prefixes, stem_entry


def _token_infos(tokens: Sequence[str], lexicon: Lexicon) -> list[tuple[str, bool, tuple | None] | bool]:
    """Per token: its :func:`_token_info` if it can start a match, else False (memoised per lexicon)."""
    return memo.lookup(lexicon._memo, tokens, lambda token: _can_start(_token_info(token, lexicon)))


def _can_start(info: tuple[str, bool, tuple | None]) -> tuple[str, bool, tuple | None] | bool:
    return info if info[1] or info[2] is not None else False


def match_tokens(tokens: Sequence[str], lexicon: Lexicon) -> list[Match]:
    """Lexicon terms in a sentence's tokens, left to right, longest match first, no overlaps.

    Whitespace tokens are skipped, so a phrase matches across the spaces between its words.
    A token that matches nothing but is a versioned model name (GLM-4.5) matches by its
    name (GLM).

    Only tokens that can start a match are visited (a term starts with their key, or their
    model stem is a term): the same matches as a token-by-token scan (the reference in tests/test_framing.py), token by token.
    """
    infos = _token_infos(tokens, lexicon)
    prefixes, entries = lexicon.prefixes, lexicon.entries
    out: list[Match] = []
    n = len(tokens)
    taken = -1  # the last token of the previous match
    for i in compress(range(n), infos):  # the tokens that can start a match
        if i <= taken:
            continue
        key, starts, stem_entry = infos[i]
        best: tuple[int, tuple[str, tuple[str, ...]]] | None = None
        if starts:
            joined = ""
            for j in range(i, n):
                k = infos[j][0] if infos[j] else _token_key(tokens[j])
                if not k:  # whitespace: skipped, the phrase goes on
                    continue
                joined += k
                if joined not in prefixes:
                    break
                entry = entries.get(joined)
                if entry is not None:
                    best = (j, entry)
        if best is None and stem_entry is not None:
            best = (i, stem_entry)
        if best is None:
            continue
        last, (term, frames) = best
        out.append(Match(term=term, frames=frames, first=i, last=last))
        taken = last
    return out


# Tokens repeat across a corpus: their keys are cached (bounded) rather than recomputed.
_token_key = functools.lru_cache(maxsize=1 << 16)(term_key)


def per_1k(hits: int, content_tokens: int) -> float:
    """Hits per 1,000 content tokens, rounded to 6 decimals; 0 for a text without content tokens."""
    if content_tokens <= 0:
        return 0.0
    return round(hits * 1000 / content_tokens, 6)


def ranked_terms(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Most frequent first; ties by term, so the order never depends on input order."""
    return by_count({t: n for t, n in counts.items() if n > 0})


def format_terms(counts: Mapping[str, int], *, limit: int | None = None) -> str:
    """``{"裁员": 12, "离职": 3}`` -> ``"裁员×12, 离职×3"``."""
    ranked = ranked_terms(counts)
    if limit is not None:
        ranked = ranked[:limit]
    return ", ".join(f"{term}×{n}" for term, n in ranked)




def frame_article(record: Mapping, lexicon: Lexicon) -> dict:
    """One 04_segment record -> its frame counts and matches (a 07_framing record)."""
    content_tokens = 0
    terms: dict[str, Counter] = defaultdict(Counter)  # frames with hits only
    matches = []
    for sentence in record.get("sentences", ()):
        words = sentence.get("tokens", ())
        content_tokens += sentence.get("content", "").count("1")
        bounds = None
        for match in match_tokens(words, lexicon):
            for fid in match.frames:
                terms[fid][match.term] += 1
            if bounds is None:  # token offsets, only for sentences with a match
                bounds = list(accumulate(map(len, words), initial=sentence["start"]))
            matches.append({
                "sentence": sentence["index"], "term": match.term, "frames": list(match.frames),
                "start": bounds[match.first], "end": bounds[match.last + 1],
            })
    frames = []
    for fid in lexicon.frame_ids:
        counts = terms.get(fid)
        if counts is None:  # per_1k(0, n) is 0.0 for every n
            frames.append({"frame": fid, "hits": 0, "per_1k": 0.0, "terms": []})
            continue
        hits = sum(counts.values())
        frames.append({"frame": fid, "hits": hits, "per_1k": per_1k(hits, content_tokens),
                       "terms": [[t, n] for t, n in ranked_terms(counts)]})
    return {
        "id": record["id"], "source": record["source"], "outlet": record.get("outlet"),
        "title": record.get("title"), "content_tokens": content_tokens, "frames": frames, "matches": matches,
    }


# ---------------------------------------------------------------- the stage


class _OutletTotals:
    """Running per-outlet sums, so the corpus is read once and never held in memory."""

    def __init__(self, frame_ids: Sequence[str]):
        self.frame_ids = tuple(frame_ids)
        self.articles: Counter = Counter()
        self.content_tokens: Counter = Counter()
        self.terms: dict[str, dict[str, Counter]] = {}  # outlet -> frame -> term counts

    def _frames(self, outlet: str) -> dict[str, Counter]:
        frames = self.terms.get(outlet)
        if frames is None:
            frames = self.terms[outlet] = {f: Counter() for f in self.frame_ids}
        return frames

    def merge(self, other: "_OutletTotals") -> None:
        """Add another range's totals (outlets in the order they were first seen)."""
        self.articles.update(other.articles)
        self.content_tokens.update(other.content_tokens)
        for outlet, frames in other.terms.items():
            mine = self._frames(outlet)
            for fid, counts in frames.items():
                mine[fid].update(counts)

    def add(self, framed: Mapping, outlet: str) -> None:
        self.articles[outlet] += 1
        self.content_tokens[outlet] += framed["content_tokens"]
        frames = self._frames(outlet)
        for frame in framed["frames"]:
            frames[frame["frame"]].update(dict(frame["terms"]))

    def rows(self, *, top_terms: int) -> Iterator[dict]:
        for outlet in sorted(self.articles):
            for fid in self.frame_ids:
                counts = self.terms[outlet][fid]
                hits = sum(counts.values())
                yield {"outlet": outlet, "frame": fid, "per_1k": per_1k(hits, self.content_tokens[outlet]),
                       "hits": hits, "top_terms": format_terms(counts, limit=top_terms),
                       "articles": self.articles[outlet], "content_tokens": self.content_tokens[outlet]}

    def term_rows(self) -> Iterator[dict]:
        for outlet in sorted(self.articles):
            for fid in self.frame_ids:
                for term, n in ranked_terms(self.terms[outlet][fid]):
                    yield {"outlet": outlet, "frame": fid, "term": term, "hits": n}


ARTICLE_COLUMNS = ("id", "outlet", "frame", "per_1k", "hits", "top_terms")
OUTLET_COLUMNS = ("outlet", "frame", "per_1k", "hits", "top_terms", "articles", "content_tokens")
TERM_COLUMNS = ("outlet", "frame", "term", "hits")
TEXT_COLUMNS = ("id", "outlet", "term", "top_terms")  # data: written with records.csv_safe


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping]) -> int:
    n = 0
    with records.atomic_open(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: records.csv_safe(v) if k in TEXT_COLUMNS else v for k, v in row.items()})
            n += 1
    return n


def _reduce_range(path: Path, start: int, end: int, shared: tuple) -> tuple[int, _OutletTotals, str]:
    """One range of per-article records: (articles, their outlet totals, their by-article CSV lines)."""
    frame_ids, top, groups = shared
    totals = _OutletTotals(frame_ids)
    n_articles = 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for result in read_range(path, start, end):
        outlet = groups(result)
        totals.add(result, outlet)
        n_articles += 1
        # ARTICLE_COLUMNS; frame["terms"] is already ranked_terms order, so its first
        # ``top`` are format_terms(..., limit=top)
        id_, outlet = records.csv_safe(result["id"]), records.csv_safe(outlet)
        writer.writerows([id_, outlet, frame["frame"], frame["per_1k"], frame["hits"],
                          records.csv_safe(", ".join(f"{t}×{n}" for t, n in frame["terms"][:top]))]
                         for frame in result["frames"])
    return n_articles, totals, buf.getvalue()


def finish(out_dir: Path, params: Mapping, *, jobs: int = 1) -> dict:
    """The reduce: per-outlet sums and the CSV tables, from the per-article records alone, in
    one pass over ranges of them (in ``jobs`` processes for a large file; merged in file order,
    so the tables are the same bytes whatever ``jobs``)."""
    lexicon = load_lexicon(frames_path(params))
    top = int(params["top_terms"])
    groups = grouping.load(Path(out_dir).parent, params.get("_group_by", "outlet"))
    totals = _OutletTotals(lexicon.frame_ids)
    n_articles = 0
    with records.atomic_open(out_dir / BY_ARTICLE) as by_article:
        csv.writer(by_article, lineterminator="\n").writerow(ARTICLE_COLUMNS)
        for n, range_totals, text in map_ranges(_reduce_range, out_dir / ARTICLES, jobs=jobs,
                                                 shared=(lexicon.frame_ids, top, groups), fine=True):
            n_articles += n
            totals.merge(range_totals)
            by_article.write(text)

    _write_csv(out_dir / BY_OUTLET, OUTLET_COLUMNS, totals.rows(top_terms=top))
    _write_csv(out_dir / TERMS, TERM_COLUMNS, totals.term_rows())
    records.write_json(out_dir / "frames.json", [
        {"id": f.id, "label": f.label, "label_en": f.label_en, "description": f.description, "terms": list(f.terms)}
        for f in lexicon.frames
    ])
    extra: dict = {}
    if params.get("_discover"):
        from . import discover

        extra["discovery"] = discover.write_suggested(Path(out_dir).parent, out_dir, groups,
                                                      topics=int(params.get("_topics") or 0), jobs=jobs)
    return {"totals": {"articles": n_articles, "outlets": len(totals.articles), "frames": len(lexicon.frames),
                       "hits": sum(sum(c.values()) for per in totals.terms.values() for c in per.values())},
            "group_by": groups.group_by, "frames_file": frames_path(params).name,
            "fit": fit_warnings(totals, lexicon), **extra}


def fit_warnings(totals: "_OutletTotals", lexicon: Lexicon) -> list[str]:
    """What says the frames do not fit the corpus: under 1 % of content tokens matched,
    or one frame taking most of the hits."""
    out = []
    tokens = sum(totals.content_tokens.values())
    per_frame = Counter()
    for frames in totals.terms.values():
        for fid, counts in frames.items():
            per_frame[fid] += sum(counts.values())
    hits = sum(per_frame.values())
    if tokens and hits / tokens < 0.01:
        out.append(f"the frames match {hits:,} of {tokens:,} content tokens ({hits / tokens:.2%}, under 1 %): "
                   "they may not fit this story (see 07_framing/suggested_frames.yaml, or write a frames file)")
    if hits >= 20 and len(lexicon.frames) > 1:
        fid, top = per_frame.most_common(1)[0]
        if top / hits > 0.5:
            out.append(f"one frame, {fid!r}, takes {top / hits:.0%} of all frame hits: "
                       "its terms may be too general for this story")
    return out


def frames_path(params: Mapping) -> Path:
    """The frames file a run uses: the story's (``_frames``), else the generic codebook."""
    return Path(params["_frames"]) if params.get("_frames") else FRAMES_PATH


def _load(params: Mapping) -> Lexicon:
    return load_lexicon(frames_path(params))


def _preload(params: Mapping) -> tuple[str, ...]:
    """What the reduce will import: topic discovery's libraries, when it discovers."""
    from .discover import MODULES

    return MODULES if params.get("_discover") else ()


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping) -> dict:
    """Map and reduce in this process, without the runner (its cache, workers and manifest)."""
    lexicon = load_lexicon(frames_path(params))
    records.write_jsonl(Path(out_dir) / ARTICLES, (frame_article(r, lexicon) for r in
                                                   records.read_jsonl(Path(inputs[UPSTREAM]) / ARTICLES)))
    return finish(Path(out_dir), params)


# ---------------------------------------------------------------- tables


def _read_csv(path: Path):
    import pandas as pd

    # Outlet names and terms are data: "NA" or "None" must stay strings, never become NaN.
    return records.csv_texts(pd.read_csv(path, dtype={"id": str, "outlet": str, "frame": str, "term": str,
                                                      "top_terms": str}, keep_default_na=False, na_values=[],
                                         encoding=records.CSV_ENCODING),
                             TEXT_COLUMNS)


def frames_table(stage_dir: Path):
    """outlet, frame, per_1k, hits, top_terms, articles, content_tokens (one row per outlet and frame)."""
    return _read_csv(Path(stage_dir) / BY_OUTLET)


def frames_by_article_table(stage_dir: Path):
    """id, outlet, frame, per_1k, hits, top_terms (one row per article and frame)."""
    return _read_csv(Path(stage_dir) / BY_ARTICLE)


def frame_terms_table(stage_dir: Path):
    """outlet, frame, term, hits: every matched term, the full counts behind top_terms."""
    return _read_csv(Path(stage_dir) / TERMS)


def frame_matches_table(stage_dir: Path):
    """id, outlet, frame, term, sentence, start, end: one row per match and frame (``outlet``
    holds the group: the outlet, or the story's ``group_by`` value)."""
    import pandas as pd

    groups = grouping.load(Path(stage_dir).parent, _group_by(stage_dir))
    rows = []
    for record in records.read_jsonl(Path(stage_dir) / ARTICLES):
        outlet = groups(record)
        for m in record["matches"]:
            for fid in m["frames"]:
                rows.append({"id": record["id"], "outlet": outlet, "frame": fid, "term": m["term"],
                             "sentence": m["sentence"], "start": m["start"], "end": m["end"]})
    columns = ["id", "outlet", "frame", "term", "sentence", "start", "end"]
    return pd.DataFrame(rows, columns=columns)


def topics_table(stage_dir: Path):
    """group, topic, share, articles, top_terms: discovered topics per group (empty without discovery)."""
    from .discover import topics_table as table

    return table(stage_dir)


def _group_by(stage_dir: Path) -> str:
    manifest = Path(stage_dir) / "manifest.json"
    return records.read_json(manifest).get("group_by", "outlet") if manifest.exists() else "outlet"


def frame_labels(stage_dir: Path) -> dict[str, str]:
    """frame id -> English label, as the stage used them (for figures and the report)."""
    return {f["id"]: f["label_en"] for f in records.read_json(Path(stage_dir) / "frames.json")}


STAGE = ArticleStage(
    name="framing", folder="07_framing", upstream=UPSTREAM,
    process=frame_article,
    load_resources=_load,
    finish=finish,
    preload=_preload,
    params={"top_terms": 10},
    resource_files=(FRAMES_PATH,),
    code_files=(Path(__file__), Path(__file__).with_name("keywords.py")),
    libraries=("pyyaml",),
)
TABLES = {
    "frames": frames_table,
    "frames_by_article": frames_by_article_table,
    "frame_terms": frame_terms_table,
    "frame_matches": frame_matches_table,
    "topics": topics_table,
}
