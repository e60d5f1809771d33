"""Keywords in context: each occurrence of a term with the words around it, within its sentence.

- :func:`sentence_lines` is the core (one segmented sentence, a lexicon -> one line a match);
  :func:`pipeline.explore.kwic` (``pipeline.kwic``) and the report use it;
- :func:`occurrences` finds many terms in segmented records; :func:`sample` keeps, per term,
  every occurrence's count and a deterministic random sample of lines (reservoir sampling,
  seeded per term; :func:`sampled` on what was found); :func:`collect` runs the first by
  ranges of 04_segment, the second on their results in file order;
- :func:`render` is the report's appendix: one table per term, the sample and its total,
  everything escaped, anchors from counters (``kwic1`` ...), never from the text.

Terms are matched as the frames are (:func:`pipeline.framing.match_tokens`): whole tokens, a
term may span tokens, Latin letters case-insensitive, longest match first.
"""
from __future__ import annotations

import itertools
import random
import zlib
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from . import records

WINDOW = 20  # characters of context either side, within the sentence


def sentence_lines(sentence: Mapping, lexicon, *, window: int = WINDOW) -> list[dict]:
    """The lexicon's matches in one segmented sentence (``index``, ``text``, ``start``,
    ``tokens``): term (as the lexicon writes it), left, match, right, start, end (in the article)."""
    return [{"term": term, "left": left, "match": match, "right": right, "start": start, "end": end}
            for term, left, match, right, start, end in _sentence_matches(sentence, lexicon, window)]


def _sentence_matches(sentence: Mapping, lexicon, window: int) -> list[tuple]:
    """:func:`sentence_lines` as tuples (term, left, match, right, start, end)."""
    from .framing import match_tokens

    tokens = sentence["tokens"]
    matches = match_tokens(tokens, lexicon)
    if not matches:
        return []
    text, base = sentence["text"], sentence["start"]
    offsets = [0, *itertools.accumulate(map(len, tokens))]
    out = []
    for m in matches:
        a, b = offsets[m.first], offsets[m.last + 1]
        out.append((m.term, text[max(0, a - window):a], text[a:b], text[b:b + window], base + a, base + b))
    return out


def lexicon_of(terms: Iterable[str]):
    """One lexicon of ``terms`` (each its own entry; blanks and repeats dropped)."""
    from .framing import Frame, build_lexicon

    unique = tuple(dict.fromkeys(t for t in terms if t and t.strip()))
    return build_lexicon([Frame(id="kwic", label="kwic", label_en="kwic", description="", terms=unique)])


def occurrences(segment_records: Iterable[Mapping], lexicons: Sequence, group: Callable[[Mapping], str], *,
                window: int = WINDOW) -> Iterator[tuple[str, dict]]:
    """Every match of the ``lexicons`` in the records, in text order: (term, line), the line
    with the article's ``id``, ``group`` and ``sentence`` before :func:`sentence_lines`' fields."""
    for record in segment_records:
        label = None
        for sentence in record.get("sentences", ()):
            for lexicon in lexicons:
                for term, left, match, right, start, end in _sentence_matches(sentence, lexicon, window):
                    if label is None:
                        label = group(record)
                    yield term, {"id": record["id"], "group": label, "sentence": sentence["index"], "left": left,
                                 "match": match, "right": right, "start": start, "end": end}


def sample(segment_records: Iterable[Mapping], lexicons: Sequence, group: Callable[[Mapping], str], *,
           per_term: int, seed: int, window: int = WINDOW) -> dict[str, dict]:
    """term -> {"total", "articles", "lines"}: every occurrence counted, ``per_term`` lines kept
    (a random sample seeded by ``seed`` and the term: the same on every run), in text order.

    ``lexicons`` are matched separately (the frames' lexicon as framing matched it, the
    distinctive terms' own), so a term of one never hides a term of the other."""
    return sampled(occurrences(segment_records, lexicons, group, window=window), per_term=per_term, seed=seed)


def sampled(found_in_order: Iterable[tuple[str, dict]], *, per_term: int, seed: int) -> dict[str, dict]:
    """:func:`sample` of the :func:`occurrences` found (in text order)."""
    found: dict[str, dict] = {}
    rngs: dict[str, random.Random] = {}
    for order, (term, line) in enumerate(found_in_order):
        entry = found.setdefault(term, {"total": 0, "articles": set(), "lines": []})
        entry["total"] += 1
        entry["articles"].add(line["id"])
        if len(entry["lines"]) < per_term:
            j = len(entry["lines"])
            entry["lines"].append(None)
        else:
            rng = rngs.get(term)
            if rng is None:
                rng = rngs[term] = random.Random(seed ^ zlib.crc32(term.encode("utf-8", "surrogatepass")))
            j = rng.randrange(entry["total"])
            if j >= per_term:
                continue  # not kept: its line is never built
        entry["lines"][j] = {"id": line["id"], "group": line["group"], "sentence": line["sentence"], "order": order,
                             **line}
    for entry in found.values():
        entry["lines"].sort(key=lambda item: item["order"])
        entry["articles"] = len(entry["articles"])
    return found


def _range_occurrences(path: Path, start: int, end: int, shared: tuple) -> list[tuple[str, dict]]:
    """:func:`occurrences` in one range of 04_segment (a task of :func:`collect`)."""
    from .runner import read_range

    lexicons, group, window = shared
    return list(occurrences(read_range(path, start, end), lexicons, group, window=window))


def lexicons(frame_terms: Sequence[str], other_terms: Sequence[str]) -> tuple[list, list[str]]:
    """(the lexicons :func:`collect` matches, the other terms it keeps): the frame terms' lexicon
    and the other terms' (those not among the frame terms: a term is matched, and counted,
    once), each left out when empty."""
    from .framing import term_key

    frame_keys = {term_key(t) for t in frame_terms}
    other_terms = [t for t in other_terms if term_key(t) not in frame_keys]
    return [lex for lex in (lexicon_of(frame_terms), lexicon_of(other_terms)) if lex.entries], other_terms


def summary(found_in_order: Iterable[tuple[str, dict]], frame_terms: Sequence[str], other_terms: Sequence[str], *,
            per_term: int, seed: int) -> dict:
    """:func:`collect`'s result from the :func:`occurrences` found in file order (``other_terms``
    as :func:`lexicons` keeps them)."""
    found = sampled(found_in_order, per_term=per_term, seed=seed)
    terms = [t for t in dict.fromkeys([*frame_terms, *other_terms]) if t in found]
    return {"terms": [{"term": t, **found[t]} for t in terms],
            "anchors": {t: f"kwic{i}" for i, t in enumerate(terms, 1)}}


def collect(segment_dir: Path, frame_terms: Sequence[str], other_terms: Sequence[str],
            group: Callable[[Mapping], str], *, per_term: int, seed: int, window: int = WINDOW,
            jobs: int = 1) -> dict:
    """The report's concordance: the terms in the order given (frame terms, then the others),
    an anchor for each, and its :func:`sample` (terms never found are left out).

    The matching runs by ranges
    of 04_segment (:func:`pipeline.runner.map_ranges`, in ``jobs`` processes for a large
    file; ``group`` must then be picklable where workers are spawned); here the ranges'
    matches, in file order, are only counted and sampled."""
    from .runner import map_ranges

    matched, other_terms = lexicons(frame_terms, other_terms)
    if not matched:
        return {"terms": [], "anchors": {}}
    parts = map_ranges(_range_occurrences, Path(segment_dir) / "articles.jsonl", jobs=jobs,
                       shared=(matched, group, window), fine=True)
    return summary(itertools.chain.from_iterable(parts), frame_terms, other_terms, per_term=per_term, seed=seed)


def render(concordance: Mapping, *, esc: Callable[[object], str], article_ref: Callable[[str, int], str],
           heading: str = "Concordance") -> str:
    """The appendix: per term its total and the sampled lines, left context right-aligned."""
    parts = [f'<h2 id="concordance">{esc(heading)}</h2>',
             '<p class="note">Each term in its sentences: the matched words in bold, up to '
             f"{esc(WINDOW)} characters either side, never across a sentence end. Where a term has more "
             "occurrences than are shown, the lines are a random sample (fixed seed: the same on every run). "
             "Every occurrence: <code>pipeline.kwic(term, output_dir=...)</code>.</p>"]
    if not concordance.get("terms"):
        parts.append('<p class="note">No frame or distinctive term occurs in the corpus.</p>')
    for entry in concordance.get("terms", ()):
        anchor = concordance["anchors"][entry["term"]]
        lines = entry["lines"]
        parts.append(f'<h4 id="{anchor}">{esc(entry["term"])}: {esc(entry["total"])} occurrences in '
                     f'{esc(entry["articles"])} articles</h4>')
        rows = "".join(f'<tr><td class="kl">{esc(line["left"])}</td><td class="km"><b>{esc(line["match"])}</b></td>'
                       f'<td class="kr">{esc(line["right"])}</td><td class="note">{esc(line["group"])}; '
                       f'{article_ref(line["id"], line["sentence"])}</td></tr>' for line in lines)
        parts.append(f'<table class="kwic"><tbody>{rows}</tbody></table>')
        if len(lines) < entry["total"]:
            parts.append(f'<p class="note">A random sample of {esc(len(lines))} of the {esc(entry["total"])} '
                         "occurrences.</p>")
    return "\n".join(parts)


def links(terms: Iterable[str], anchors: Mapping[str, str], *, esc: Callable[[object], str]) -> str:
    """``term · term`` linking each term that has a concordance entry (the others as text)."""
    out = []
    for term in dict.fromkeys(terms):
        anchor = anchors.get(term)
        out.append(f'<a href="#{anchor}">{esc(term)}</a>' if anchor else esc(term))
    return " · ".join(out)
