"""Benchmark: ingest + strip on real portal pages: metadata fields and main text.

    .venv/bin/python benchmarks/portals.py [PORTALS_DIR] [CWCE_DIR] [--details]

PORTALS_DIR (default ../shared/eval/html/portals_dev from the repository root) holds
``gold.jsonl`` and ``pages/``; CWCE_DIR (default ../shared/eval/html/cwce) holds
``original/*.html`` and ``cleaned/*.txt``. Each page goes through the pipeline's own path
(``ingest.ingest_file`` then ``strip.process_record``), as ``python -m pipeline run`` would.

Printed, in one run:

- outlet accuracy: the record's ``outlet`` against ``credited_outlet`` where the gold has
  one, else ``outlet`` (the data README: the newsroom or account that wrote the story).
  Both sides are compared after OpenCC t2s and after mapping through the shipped outlet
  table (``pipeline/resources/outlets.tsv``), so the gold's own variants of one outlet
  (中新网 / 中国新闻网) count as one name;
- author: exactly right (the same set of names; the separator does not matter) on pages
  whose gold has a byline; false-author rate on pages whose gold has none;
- title exactly right, after collapsing whitespace and dropping zero-width characters;
- date right: the gold's date, and its hour and minute where the gold gives a time;
- main text: character-multiset P/R/F1 (non-whitespace, as ``benchmarks/strip_cwce.py``)
  on CWCE's gold and on the portal pages with ``gold_text``, for ingest+strip and for
  trafilatura alone (``trafilatura.extract`` with its defaults) on the same decoded page;
  the portal pages' ``gold_snippets`` found / ``gold_absent_snippets`` absent;
- the cross-document recurring-lines rule (``pipeline.recurring``): all pages as one corpus, as
  a run on a folder of them would see them; main text P/R/F1 on the pages with gold text without
  and with the rule, the lines it removes, and how many of them are in the page's gold text
  (``--details`` lists each removed line).

These are development-set numbers: the rules were tuned on these pages.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from strip_cwce import char_counts, decode_page, prf, scores  # noqa: E402

DEFAULT_PORTALS = ROOT.parent / "shared" / "eval" / "html" / "portals_dev"
DEFAULT_CWCE = ROOT.parent / "shared" / "eval" / "html" / "cwce"

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_NAME_SEP = re.compile(r"[\s、,，;；/／]+")


def _t2s(text: str) -> str:
    import opencc

    global _CONVERTER
    try:
        conv = _CONVERTER
    except NameError:
        conv = _CONVERTER = opencc.OpenCC("t2s")
    return conv.convert(text)


def same_title(pred: str, gold: str) -> bool:
    def norm(t):
        return " ".join(_ZERO_WIDTH.sub("", t or "").split())
    return norm(pred) == norm(gold)


def outlet_key(name: str) -> str:
    """An outlet name as compared: canonical through the shipped table when it knows it, in simplified script."""
    name = (name or "").strip()
    try:
        from pipeline import outlets
        name = outlets.canonical(name) or name
    except ImportError:  # the code before the outlet table
        pass
    return _t2s(" ".join(name.split())).lower()


def author_names(value: str) -> frozenset[str]:
    return frozenset(n for n in _NAME_SEP.split(value or "") if n)


def local_time(pred: str) -> str:
    """An ISO date-time with a zone as China Standard Time (UTC+8), the gold's local time on every page."""
    from datetime import datetime, timedelta, timezone

    try:
        moment = datetime.fromisoformat(pred.replace("Z", "+00:00"))
    except ValueError:
        return pred
    if moment.tzinfo is None:
        return pred
    return moment.astimezone(timezone(timedelta(hours=8))).isoformat()


def same_date(pred: str, gold: str) -> bool:
    pred = local_time(pred or "")
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?", pred or "")
    if not m:
        return False
    y, mo, d, h, mi = m.groups()
    g = re.match(r"(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?", gold)
    gy, gmo, gd, gh, gmi = g.groups()
    if (int(y), int(mo), int(d)) != (int(gy), int(gmo), int(gd)):
        return False
    return gh is None or (h is not None and (int(h), int(mi)) == (int(gh), int(gmi)))


def pipeline_page(name: str, data: bytes, rules, corpus: dict | None = None) -> tuple[dict, str]:
    """The ingest record and the stripped text of one page, by the stages' own code; the record
    is also kept in ``corpus`` (name -> record) for the corpus pass."""
    from pipeline import ingest
    from pipeline.runner import Skip

    item = {"id": Path(name).stem, "source": name, "meta": {}, "notes": []}
    try:
        record = ingest.ingest_file(item, data)
    except Skip:
        return {}, ""
    if corpus is not None:
        corpus[name] = record
    return record, strip_text(record, rules)


def strip_text(record: dict, rules) -> str:
    from pipeline import strip
    from pipeline.runner import Skip

    try:
        return strip.process_record(record, rules)["text"]
    except Skip:
        return ""


def run_portals(data_dir: Path, rules, *, details: bool, corpus: dict) -> dict:
    import trafilatura

    gold_rows = [json.loads(line) for line in (data_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    tally = Counter()
    text = {"ingest+strip": [], "trafilatura": []}
    snippets = Counter()
    for g in gold_rows:
        data = (data_dir / "pages" / g["file"]).read_bytes()
        record, body = pipeline_page(g["file"], data, rules, corpus)
        gold_outlet = g.get("credited_outlet") or g["outlet"]
        ok = {"outlet": outlet_key(record.get("outlet", "")) == outlet_key(gold_outlet),
              "title": same_title(record.get("title", ""), g["title"])}
        tally["pages"] += 1
        tally["outlet"] += ok["outlet"]
        tally["title"] += ok["title"]
        if g["author"]:
            tally["with_byline"] += 1
            got = record.get("author", "")
            ok["author"] = (author_names(got) == author_names(g["author"])
                            or "".join(got.split()) == "".join(g["author"].split()))  # 林 薏茹: one name, spaced
            tally["author"] += ok["author"]
        else:
            tally["without_byline"] += 1
            ok["author"] = not record.get("author")
            tally["false_author"] += not ok["author"]
        if g.get("published"):
            tally["with_date"] += 1
            ok["date"] = same_date(record.get("published", ""), g["published"])
            tally["date"] += ok["date"]
        if g.get("gold_text") or g.get("gold_snippets"):
            html, _ = decode_page(data)
            alone = trafilatura.extract(html) or ""
            if g.get("gold_text"):
                gold = char_counts(g["gold_text"])
                text["ingest+strip"].append(prf(char_counts(body), gold))
                text["trafilatura"].append(prf(char_counts(alone), gold))
            for s in g.get("gold_snippets") or ():
                snippets["present_total"] += 1
                snippets["present_ours"] += "".join(s.split()) in "".join(body.split())
                snippets["present_traf"] += "".join(s.split()) in "".join(alone.split())
            for s in g.get("gold_absent_snippets") or ():
                snippets["absent_total"] += 1
                snippets["absent_ours"] += "".join(s.split()) not in "".join(body.split())
                snippets["absent_traf"] += "".join(s.split()) not in "".join(alone.split())
        if details and not all(ok.values()):
            wrong = ", ".join(k for k, v in ok.items() if not v)
            print(f"  {g['file']}: wrong {wrong}")
            for k, gv in (("outlet", gold_outlet), ("author", g["author"]), ("title", g["title"]),
                          ("date", g.get("published"))):
                if not ok.get(k, True):
                    pv = record.get("published" if k == "date" else k, "")
                    src = (record.get("provenance") or {}).get("published" if k == "date" else k, "")
                    print(f"      {k}: got {pv!r} ({src}), gold {gv!r}")
    return {"tally": tally, "text": text, "snippets": snippets}


def cwce_field(data_dir: Path, kind: str, stem: str) -> str | None:
    """CWCE's gold author or date of a page: "" where the dataset says UNKNOWN, None where it has no file."""
    path = data_dir / kind / f"{stem}.txt"
    if not path.is_file():
        return None
    value = path.read_text(encoding="utf-8", errors="replace").strip()
    return "" if value.upper() == "UNKNOWN" else value


def same_cwce_date(pred: str, gold: str) -> bool:
    """As far as CWCE's gold goes: a year alone, a day, or a day with its hour and minute (seconds aside)."""
    g = re.match(r"(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?(?:\s+(\d{1,2}):(\d{2}))?)?)?", gold)
    m = re.match(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?)?)?", local_time(pred or ""))
    if not g or not m:
        return False
    return all(gv is None or (pv is not None and int(pv) == int(gv)) for gv, pv in zip(g.groups(), m.groups()))


def run_cwce(data_dir: Path, rules, *, details: bool, corpus: dict) -> dict:
    """Main text against CWCE's gold, beside trafilatura alone; and the author and date ingest gives
    against CWCE's gold ones (read since session 16, so development figures too)."""
    import trafilatura

    per = {"ingest+strip": [], "trafilatura": [], "meta": Counter()}
    meta = per["meta"]
    for page in sorted((data_dir / "original").glob("*.html")):
        gold = char_counts((data_dir / "cleaned" / f"{page.stem}.txt").read_text(encoding="utf-8", errors="replace"))
        data = page.read_bytes()
        record, body = pipeline_page(page.name, data, rules, corpus)
        author, date = cwce_field(data_dir, "author", page.stem), cwce_field(data_dir, "date", page.stem)
        got = record.get("author", "")
        wrong = []
        if author:
            meta["with_byline"] += 1
            right = author_names(got) == author_names(author) or "".join(got.split()) == "".join(author.split())
            meta["author"] += right
            either = right or author_names(record.get("editor", "")) == author_names(author)
            meta["author_or_editor"] += either  # CWCE's gold names an editor (责任编辑) where no one signs
            wrong += [] if right else [f"author: got {got!r}, gold {author!r}"]
        elif author == "":
            meta["without_byline"] += 1
            meta["false_author"] += bool(got)
            wrong += [f"author: got {got!r}, gold none"] if got else []
        if date:
            meta["with_date"] += 1
            right = same_cwce_date(record.get("published", ""), date)
            meta["date"] += right
            wrong += [] if right else [f"date: got {record.get('published', '')!r}, gold {date!r}"]
        if details and wrong:
            print(f"  cwce {page.stem}: " + "; ".join(wrong))
        html, _ = decode_page(data)
        per["ingest+strip"].append(prf(char_counts(body), gold))
        per["trafilatura"].append(prf(char_counts(trafilatura.extract(html) or ""), gold))
        if details:
            f_ours, f_traf = scores(*per["ingest+strip"][-1])[2], scores(*per["trafilatura"][-1])[2]
            p, r, _ = scores(*per["ingest+strip"][-1])
            if f_ours < 0.95:
                print(f"  cwce {page.stem}: F1 {f_ours:.3f} (P {p:.3f} R {r:.3f}), trafilatura {f_traf:.3f}")
    return per


def run_corpus(corpus: dict, golds: dict, rules, *, details: bool) -> dict:
    """The development pages as one corpus, as ``python -m pipeline run`` on a folder of them:
    ingest's reduce finds the lines that recur across a site's articles (``pipeline.recurring``),
    and strip runs without and with them. Per pass: main text P/R/F1 on the pages with gold text,
    lines removed as ``recurring``, and those of them found in the page's gold text (body lines
    lost to the rule)."""
    import dataclasses

    from pipeline import recurring, strip
    from pipeline.runner import Skip

    found = recurring.recurring(corpus.values())
    with_rule = dataclasses.replace(rules, recurring={site: frozenset(lines) for site, lines in found.items()})
    out = {"sites": {site: len(lines) for site, lines in found.items()}, "without": [], "with": [],
           "removed": 0, "pages": 0, "lost": 0}
    for name, record in corpus.items():
        gold = golds.get(name)
        plain = strip_text(record, rules)
        if gold is not None:
            out["without"].append(prf(char_counts(plain), char_counts(gold)))
        if not found.get(recurring.site_key(record)):
            if gold is not None:
                out["with"].append(out["without"][-1])
            continue
        try:
            stripped = strip.process_record(record, with_rule)
        except Skip:  # nothing left: an empty text, as strip_text gives
            stripped = {"text": "", "removed": []}
        if gold is not None:
            out["with"].append(prf(char_counts(stripped["text"]), char_counts(gold)))
        mine = [r for r in stripped["removed"] if r["reason"] == "recurring"]
        out["removed"] += len(mine)
        out["pages"] += bool(mine)
        squeezed = "".join((gold or "").split())
        for r in mine:
            key = "".join(r["text"].replace("|", " ").split())
            in_gold = gold is not None and len(key) >= 2 and key in squeezed
            out["lost"] += in_gold
            if details:
                print(f"  recurring {name}: {'BODY ' if in_gold else ''}{r['text'][:80]!r}")
    return out


def _micro(rows) -> tuple[float, float, float]:
    return scores(*(sum(col) for col in zip(*rows))) if rows else (0.0, 0.0, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portals_dir", nargs="?", type=Path, default=DEFAULT_PORTALS)
    parser.add_argument("cwce_dir", nargs="?", type=Path, default=DEFAULT_CWCE)
    parser.add_argument("--details", action="store_true", help="print each wrong field and each weak page")
    args = parser.parse_args(argv)
    if not (args.portals_dir / "gold.jsonl").is_file():
        parser.error(f"{args.portals_dir}/gold.jsonl not found")
    if not (args.cwce_dir / "original").is_dir():
        parser.error(f"{args.cwce_dir}/original not found")
    from pipeline import strip

    rules = strip.load_rules()
    corpus: dict = {}
    portals = run_portals(args.portals_dir, rules, details=args.details, corpus=corpus)
    cwce = run_cwce(args.cwce_dir, rules, details=args.details, corpus=corpus)
    golds = {g["file"]: g["gold_text"] for g in (json.loads(line) for line in (
        args.portals_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()) if g.get("gold_text")}
    golds.update({page.name: (args.cwce_dir / "cleaned" / f"{page.stem}.txt").read_text(encoding="utf-8", errors="replace")
                  for page in (args.cwce_dir / "original").glob("*.html")})
    both = run_corpus(corpus, golds, rules, details=args.details)
    t = portals["tally"]

    def pct(a, b):
        return f"{100 * a / b:5.1f} % ({a}/{b})" if b else "  n/a"

    print(f"portal pages: {args.portals_dir} ({t['pages']} pages) — development numbers")
    print(f"  outlet right               {pct(t['outlet'], t['pages'])}   goal >= 95 %")
    print(f"  author exact (with byline) {pct(t['author'], t['with_byline'])}   goal >= 90 %")
    print(f"  false author (no byline)   {pct(t['false_author'], t['without_byline'])}   goal <= 3 %")
    print(f"  title exact                {pct(t['title'], t['pages'])}   goal >= 95 %")
    print(f"  date right                 {pct(t['date'], t['with_date'])}   goal >= 97 %")
    print("main text, character multiset P/R/F1 (micro, non-whitespace)   goal F1 >= 0.96, R >= 0.98")
    for label, rows in (("CWCE", cwce), ("portals gold_text", portals["text"])):
        for method in ("ingest+strip", "trafilatura"):
            p, r, f = _micro(rows[method])
            print(f"  {label:<18} {method:<13} P {p:.3f}  R {r:.3f}  F1 {f:.3f}  ({len(rows[method])} pages)")
    m = cwce["meta"]
    print(f"CWCE pages: {args.cwce_dir} — author and date (development since session 16: its sign-off, reporter-line "
          "and year-alone rules came from these pages' errors; before them 26.0 % / 0.0 % / 75.9 %)")
    print(f"  author exact (with byline) {pct(m['author'], m['with_byline'])}")
    print(f"  the gold's name is ours as author or as editor {pct(m['author_or_editor'], m['with_byline'])}")
    print(f"  false author (no byline)   {pct(m['false_author'], m['without_byline'])}")
    print(f"  date right (as far as the gold goes) {pct(m['date'], m['with_date'])}")
    s = portals["snippets"]
    print(f"  portals snippets present: ingest+strip {s['present_ours']}/{s['present_total']}, "
          f"trafilatura {s['present_traf']}/{s['present_total']}; absent as they should be: "
          f"ingest+strip {s['absent_ours']}/{s['absent_total']}, trafilatura {s['absent_traf']}/{s['absent_total']}")
    print(f"the {len(corpus)} pages as one corpus (cross-document recurring lines, pipeline.recurring): "
          f"sites with recurring lines {both['sites'] or 'none'}")
    for label, rows in (("without the rule", both["without"]), ("with the rule", both["with"])):
        p, r, f = _micro(rows)
        print(f"  main text {label:<17} P {p:.3f}  R {r:.3f}  F1 {f:.3f}  ({len(rows)} pages with gold text)")
    print(f"  lines removed as recurring: {both['removed']} on {both['pages']} pages; "
          f"of them in the page's gold text (body lines lost): {both['lost']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
