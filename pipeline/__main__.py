"""Command line: ``python -m pipeline run --input PATH --output DIR`` and friends."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import stages
from .config import DEFAULT_INPUT, MAX_FILE_BYTES, OUTPUTS
from .runner import StageError, default_jobs


def _output(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (it would mean the current folder): name a folder")
    return Path(text)


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"{jobs} workers: give 1 or more, or 0 for all cores")
    return jobs or default_jobs()


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", type=_output, default=OUTPUTS, help="output folder (default: outputs/)")
    p.add_argument("--jobs", type=_jobs, default=default_jobs(),
                   help="worker processes (default, or 0: all cores)")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder the pipeline did not make (its files are left alone)")
    p.add_argument("--no-cache", action="store_true", help="recompute every article instead of reusing cached results")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars (default: only on a terminal)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m pipeline",
                                  description="Chinese news framing analysis: "
                                              + " -> ".join(stages.ORDER))
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run every stage on a folder of articles or a corpus file")
    run.add_argument("--input", type=Path, default=DEFAULT_INPUT,
                     help="a folder of article files (with optional metadata.csv) or a .jsonl/.jsonl.gz/.csv corpus")
    _common(run)
    run.add_argument("--strict", action="store_true", help="exit non-zero when any input is skipped")
    run.add_argument("--max-bytes", type=int, default=MAX_FILE_BYTES, help="skip files larger than this (default 20 MB)")
    run.add_argument("--dask", action="store_true", help="run per-article stages on a local Dask cluster (--jobs workers)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run per-article stages on the Dask cluster at ADDRESS")
    run.add_argument("--story", type=Path, help="the story file (default: story.toml in the input folder, "
                                                "else story-neutral defaults)")
    for name in stages.ORDER:
        one = sub.add_parser(name, help=f"run only the {name} stage (earlier stages must have run)")
        if name == "ingest":
            one.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="as for run")
            one.add_argument("--max-bytes", type=int, default=MAX_FILE_BYTES)
        one.add_argument("--story", type=Path, help="the story file (default: the one the output folder's run used)")
        _common(one)
    init = sub.add_parser("init", help="write a commented story.toml template into a folder")
    init.add_argument("folder", type=Path, help="where to write story.toml (never over an existing one)")
    check = sub.add_parser("check", help="validate a story file and print what it resolves to; runs nothing")
    check.add_argument("--story", type=Path, help="the story file (default: story.toml in --input)")
    check.add_argument("--input", type=Path, help="the input folder or corpus file (checks group_by against it)")
    score = sub.add_parser("sentiment-score", help="score lines of text: prints score<TAB>label per line",
                           add_help=False)
    score.add_argument("args", nargs=argparse.REMAINDER)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "sentiment-score":
        from .sentiment import main_sentiment_score

        return main_sentiment_score(argv[1:])
    args = parser().parse_args(argv)
    from . import story as stories

    if args.command in ("init", "check"):
        return _story_command(args)
    from .run import NothingIngested, run_pipeline

    use_cache = not args.no_cache
    try:
        if args.command == "run":
            run_pipeline(args.input, args.output, jobs=args.jobs, strict=args.strict, max_bytes=args.max_bytes,
                         use_cache=use_cache, progress=args.progress, dask=args.dask, scheduler=args.scheduler,
                         story=args.story, force=args.force)
            print(f"report: {Path(args.output) / 'report.html'}  (open it in a browser; tables: "
                  f"pipeline.load(name, output_dir={str(args.output)!r}))", file=sys.stderr)
        else:
            _one_stage(args, use_cache)
    except stories.StoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (NothingIngested, StageError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, read-only, no permission: the machine's, said in one line
        from .outdir import describe

        print(f"error: {describe(exc, args.output)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted: stages that had not finished are left without a manifest (never looking "
              "done); run the same command again to finish", file=sys.stderr)
        return 130
    except RecursionError as exc:
        print(f"error: {exc}: the input is nested too deeply", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of the pipeline's: one line, the traceback on request
        if os.environ.get("PIPELINE_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug: run again with PIPELINE_DEBUG=1 for "
              "the traceback, and report it)", file=sys.stderr)
        return 1
    return 0


def _story_command(args) -> int:
    from . import story as stories

    try:
        if args.command == "init":
            path = stories.write_template(args.folder)
            print(f"wrote {path}: edit it, then `python -m pipeline check --story {path}`")
            return 0
        if args.story is None and args.input is None:
            raise stories.StoryError("check needs --story PATH or --input DIR (with a story.toml in it)")
        path = stories.find(args.input, args.story)
        if path is None:
            raise stories.StoryError(f"no story.toml in {args.input}: give --story PATH")
        story = stories.load(path)
        if args.input is not None:
            stories.check_group_by(story, args.input)
        print(stories.describe(story))
        print("ok: the story file is valid" + ("" if args.input else " (give --input to check group_by too)"))
        return 0
    except stories.StoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _one_stage(args: argparse.Namespace, use_cache: bool) -> None:
    """One stage alone: the later stages built on its old output are then stale, and said to be."""
    from . import outdir
    from . import story as stories
    from .run import run_ingest, run_stage, summary
    from .runner import stale

    outdir.check(args.output, input_path=getattr(args, "input", None), force=args.force)
    if args.command == "ingest" and not args.input.exists():
        raise FileNotFoundError(f"input {args.input} does not exist")
    if args.command == "ingest":
        story = stories.resolve(args.input, args.story)
    else:
        story = stories.load(args.story) if args.story else None
    outdir.claim(args.output)
    with outdir.locked(args.output):
        if args.command == "ingest":
            manifest = run_ingest(args.input, args.output, jobs=args.jobs, max_bytes=args.max_bytes,
                                  use_cache=use_cache, progress=args.progress, story=story)
        else:
            manifest = run_stage(args.command, args.output, jobs=args.jobs, use_cache=use_cache,
                                 progress=args.progress, story=story)
        (args.output / "run.json").unlink(missing_ok=True)  # it no longer describes the folder
    print(summary(manifest), file=sys.stderr)
    later = stages.ORDER[stages.ORDER.index(args.command) + 1:]
    folders = [stages.module(n).STAGE.folder for n in later if n in stages.available()]
    if now_stale := [f for f in folders if (args.output / f / "manifest.json").exists() and stale(args.output, f)]:
        print(f"warning: now stale (built from the earlier output): {', '.join(now_stale)}; run them again in "
              "order, or `python -m pipeline run`; pipeline.load refuses them until then", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
