"""Whether a story's settings fit its corpus: the warnings a run prints, lists in run.json and
shows at the top of the report.

- a target mentioned in no sentence, or in under 1 % of the articles (its aliases may be
  wrong, or in another script than the text after normalisation); a target's other parties
  (``others``) named in no sentence that names it;
- frames that match under 1 % of content tokens, or one frame taking most of the hits
  (from the framing stage's manifest);
- a group with a single article (its numbers are one article's, not an outlet's), and a
  corpus where most articles have no value for ``group_by``;
- articles that repeat an earlier article of their outlet word for word (:mod:`pipeline.duplicates`):
  how many strip left out, or kept when the story says so.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping, Sequence

from . import duplicates, grouping, records
from .config import ARTICLES, MANIFEST

MIN_TARGET_SHARE = 0.01


def target_warnings(sentiment_dir: Path, targets: Sequence[Mapping]) -> list[str]:
    path = Path(sentiment_dir) / ARTICLES
    if not targets or not path.exists():
        return []
    names = [t["name"] for t in targets]
    articles = 0
    with_target: dict[str, int] = {name: 0 for name in names}
    # each target's other parties (folded as the stage looks for them) not yet seen beside it
    unseen = {t["name"]: {o: o.casefold() for o in t.get("others") or ()} for t in targets}
    for record in records.read_jsonl(path):
        articles += 1
        if len(names) == 1:
            if record.get("target_n_sentences"):
                with_target[names[0]] += 1
        else:
            for t in record.get("targets") or ():
                if t.get("n_sentences"):
                    with_target[t["name"]] = with_target.get(t["name"], 0) + 1
        if any(unseen.values()):
            for sentence in (s for s in record.get("sentences") or () if s.get("mentions_target")):
                folded = sentence["text"].casefold()
                for name in sentence.get("targets") or names[:1]:
                    unseen[name] = {o: n for o, n in unseen.get(name, {}).items() if n not in folded}
    out = []
    for target in targets:
        n = with_target.get(target["name"], 0)
        aliases = ", ".join(target.get("aliases") or [target["name"]])
        if n == 0:
            out.append(f"target {target['name']!r} is mentioned in no sentence of the {articles:,} articles "
                       f"(looked for: {aliases}): check its name and aliases in the story file")
        elif articles and n / articles < MIN_TARGET_SHARE:
            out.append(f"target {target['name']!r} is mentioned in only {n:,} of {articles:,} articles "
                       f"({n / articles:.1%}): its sentiment rests on few articles")
        if n and unseen.get(target["name"]):
            missing = list(unseen[target["name"]])
            several = len(missing) > 1
            out.append(f"other {'parties' if several else 'party'} of target {target['name']!r} named in no sentence "
                       f"that names the target ({', '.join(missing)}): {'they change' if several else 'it changes'} no "
                       f"score; check {'their' if several else 'its'} spelling in the story file")
    return out


def group_sizes(framing_dir: Path) -> dict[str, int]:
    """group -> articles, from the framing stage's per-group table."""
    path = Path(framing_dir) / "frames_by_outlet.csv"
    sizes: dict[str, int] = {}
    if not path.exists():
        return sizes
    with open(path, encoding=records.CSV_ENCODING, newline="") as fh:
        for row in csv.DictReader(fh):
            sizes[records.csv_text(row["outlet"])] = int(row["articles"])  # written with records.csv_safe
    return sizes


def group_warnings(framing_dir: Path, group_by: str) -> list[str]:
    sizes = group_sizes(framing_dir)
    total = sum(sizes.values())
    if not total:
        return []
    out = []
    missing = grouping.missing_label(group_by)
    if sizes.get(missing, 0) > total / 2:
        out.append(f"{sizes[missing]:,} of {total:,} articles have no {group_by}: most of the corpus is one "
                   f"group, {missing!r}; group by another column (group_by in the story file)")
    singles = sorted(g for g, n in sizes.items() if n == 1)
    if singles:
        shown = ", ".join(singles[:5]) + (f" and {len(singles) - 5} more" if len(singles) > 5 else "")
        out.append(f"{len(singles)} group(s) have a single article ({shown}): their figures are one article's, "
                   "and no interval across articles can be given for them")
    return out


def frame_warnings(framing_dir: Path) -> list[str]:
    manifest = Path(framing_dir) / MANIFEST
    if not manifest.exists():
        return []
    return list(records.read_json(manifest).get("fit") or [])


def duplicate_warnings(out_root: Path) -> list[str]:
    copies = duplicates.load(Path(out_root) / "01_ingest" / duplicates.FILE)
    if not copies:
        return []
    manifest = Path(out_root) / "02_strip" / MANIFEST
    skipped = records.read_json(manifest).get("skipped", []) if manifest.exists() else []
    left_out = sum(1 for s in skipped if s.get("id") in copies and str(s.get("reason", "")).startswith("duplicate of"))
    if left_out == len(copies):
        return [f"{left_out:,} article(s) repeat an earlier article of their outlet word for word (a page collected "
                "twice?): strip left them out, each listed with its skips (02_strip/manifest.json); "
                '[strip] duplicates = "keep" in the story file counts them']
    return [f"{len(copies):,} article(s) repeat an earlier article of their outlet word for word "
            f"(01_ingest/duplicates.json) and {len(copies) - left_out:,} were kept: each counts again in its "
            "outlet's figures and narrows the intervals that resample articles"]


def warnings(out_root: Path, story) -> list[str]:
    """Every fit warning for a finished run of ``story`` in ``out_root``."""
    return check(out_root, group_by=story.group_by, targets=[t.as_dict() for t in story.targets])


def check(out_root: Path, *, group_by: str, targets: Sequence[Mapping]) -> list[str]:
    out_root = Path(out_root)
    return [*duplicate_warnings(out_root),
            *target_warnings(out_root / "06_sentiment", targets),
            *frame_warnings(out_root / "07_framing"),
            *group_warnings(out_root / "07_framing", group_by)]
