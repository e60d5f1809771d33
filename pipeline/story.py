"""The story file: what one research project tells the pipeline about its story.

A story file is TOML (read with the standard library's ``tomllib``). It is found as
``story.toml`` in the input folder, or given with ``--story PATH``. It names the targets
whose sentiment is measured, the frames (a shipped codebook or a frames file), the
story's dictionary words and stopwords, extra strip rules and sentiment words, the IDF
mode, how articles are grouped for comparison and how dates are binned.

Everything here is validated before any work: an unknown key, a wrong type, a missing
file, an empty alias or an unknown ``group_by`` is a :class:`StoryError` naming the key,
the file and (where it can be found) the line.

``python -m pipeline init DIR`` writes a commented template (:data:`TEMPLATE`);
``python -m pipeline check --story PATH --input DIR`` prints what a file resolves to.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import records
from .config import RESOURCES

STORY_FILE = "story.toml"
CODEBOOKS = RESOURCES / "frames"
DEFAULT_CODEBOOK = "generic"
TIME_BINS = ("day", "week", "month", "quarter", "year")
IDF_MODES = ("background", "corpus")
DUPLICATE_MODES = ("drop", "keep")  # an article repeating an earlier one of its outlet: left out by strip, or kept
DEFAULT_FIGURE_FORMATS = ("png", "svg", "pdf")  # plots.FORMATS (a test checks)
DEFAULT_FIGURE_DPI = 300                        # plots.DEFAULT_PARAMS["dpi"]
MIN_DPI, MAX_DPI = 50, 1200
# Record fields every article has after ingest (a corpus may add columns of its own).
ARTICLE_FIELDS = ("outlet", "author", "title", "published", "url", "platform", "site", "editor", "source", "format")


class StoryError(ValueError):
    """A story file that cannot be used; the message names the file, key and line."""


@dataclass(frozen=True)
class Target:
    name: str
    aliases: tuple[str, ...]  # simplified (OpenCC t2s), the name first; what sentences are searched for
    # other parties of the story (rivals, partners, regulators), simplified: in a sentence that names one
    # of them too, the target's score reads their news apart from the target's
    others: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        out = {"name": self.name, "aliases": list(self.aliases)}
        if self.others:  # only when given: a story without them keeps its settings (and cache keys) as before
            out["others"] = list(self.others)
        return out


@dataclass(frozen=True)
class Story:
    path: Path | None = None                  # the story file, None for the defaults
    title: str = ""
    group_by: str = "outlet"
    targets: tuple[Target, ...] = ()
    codebook: str | None = DEFAULT_CODEBOOK   # a shipped codebook, or None when frames_file is given
    frames_file: Path | None = None
    discover: str = "auto"                    # frame discovery: "auto" (without a frames file), "on", "off"
    topics: int = 0                           # discovered topics; 0 chooses by the stated criterion
    words: tuple[str, ...] = ()               # dictionary words, in the user dictionary's syntax
    dictionary_file: Path | None = None
    stopwords: tuple[str, ...] = ()
    stopwords_file: Path | None = None
    strip_rules_file: Path | None = None
    duplicates: str = "drop"                  # copies of an earlier article of the same outlet (pipeline.duplicates)
    domain_lexicon: bool = True
    extra_lexicon: Path | None = None
    sentiment_method: str | None = None       # lexicon | model | combined; None: the stage's default
    model_weight: float | None = None         # the model's share of `combined`; None: the stage's default
    idf: str = "background"
    time_bin: str = "month"
    figure_formats: tuple[str, ...] = DEFAULT_FIGURE_FORMATS  # the figures' files; PNG always (the report shows it)
    figure_dpi: int = DEFAULT_FIGURE_DPI      # the PNGs' resolution

    # ------------------------------------------------------------ derived

    @property
    def frames_path(self) -> Path:
        return self.frames_file if self.frames_file is not None else CODEBOOKS / f"{self.codebook}.yaml"

    @property
    def discovers(self) -> bool:
        return self.discover == "on" or (self.discover == "auto" and self.frames_file is None)

    def files(self) -> dict[str, Path]:
        """Every file the story uses, by the key that names it."""
        named = {"frames.file": self.frames_file, "dictionary.file": self.dictionary_file,
                 "dictionary.stopwords_file": self.stopwords_file, "strip.rules_file": self.strip_rules_file,
                 "sentiment.extra_lexicon": self.extra_lexicon}
        return {k: v for k, v in named.items() if v is not None}

    def resolved(self) -> dict:
        """The story as the run uses it, with the sha256 of every file (run.json, manifests)."""
        return {
            "file": str(self.path) if self.path else None,
            "sha256": records.sha256_file(self.path) if self.path else None,
            "title": self.title, "group_by": self.group_by,
            "targets": [t.as_dict() for t in self.targets],
            "frames": {"codebook": self.codebook, "file": _name(self.frames_file), "path": str(self.frames_path),
                       "sha256": records.sha256_file(self.frames_path), "discover": self.discovers,
                       "topics": self.topics},
            "dictionary": {"words": list(self.words), "stopwords": list(self.stopwords)},
            "sentiment": {"domain_lexicon": self.domain_lexicon, "method": self.sentiment_method,
                          "model_weight": self.model_weight},
            "keywords": {"idf": self.idf},
            **({} if self.duplicates == "drop" else {"strip": {"duplicates": self.duplicates}}),
            "time": {"bin": self.time_bin},
            **({} if self._default_figures() else
               {"figures": {"formats": list(self.figure_formats), "dpi": self.figure_dpi}}),
            "files": {key: {"path": str(p), "sha256": records.sha256_file(p)} for key, p in self.files().items()},
        }

    def _default_figures(self) -> bool:
        return (self.figure_formats, self.figure_dpi) == (DEFAULT_FIGURE_FORMATS, DEFAULT_FIGURE_DPI)

    def as_json(self) -> dict:
        """What :func:`from_json` reads back (story.json in the output folder)."""
        left_out = (("figure_formats", "figure_dpi") if self._default_figures() else ()) + (
            ("duplicates",) if self.duplicates == "drop" else ())  # defaults as before they existed
        return {**self.resolved(), "_story": {
            f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in left_out}}


def _name(path: Path | None) -> str | None:
    return path.name if path else None


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Target):
        return value.as_dict()
    return value


def from_json(data: Mapping) -> Story:
    raw = dict(data["_story"])
    for key in ("path", "frames_file", "dictionary_file", "stopwords_file", "strip_rules_file", "extra_lexicon"):
        raw[key] = Path(raw[key]) if raw.get(key) else None
    raw["targets"] = tuple(Target(t["name"], tuple(t["aliases"]), tuple(t.get("others", ())))
                           for t in raw.get("targets", ()))
    for key in ("words", "stopwords", "figure_formats"):
        if key in raw:
            raw[key] = tuple(raw[key])
    return Story(**raw)


DEFAULT = Story()

# ---------------------------------------------------------------- reading and validating

# key -> (type(s), description) per table; "" is the top level.
SCHEMA: dict[str, dict[str, tuple]] = {
    "": {"title": (str,), "group_by": (str,), "targets": (list,), "frames": (dict,), "dictionary": (dict,),
         "strip": (dict,), "sentiment": (dict,), "keywords": (dict,), "time": (dict,), "figures": (dict,)},
    "targets": {"name": (str,), "aliases": (list,), "others": (list,)},
    "frames": {"codebook": (str,), "file": (str,), "discover": (bool, str), "topics": (int,)},
    "dictionary": {"words": (list,), "file": (str,), "stopwords": (list,), "stopwords_file": (str,)},
    "strip": {"rules_file": (str,), "duplicates": (str,)},
    "sentiment": {"domain_lexicon": (bool,), "extra_lexicon": (str,), "method": (str,), "model_weight": (int, float)},
    "keywords": {"idf": (str,)},
    "time": {"bin": (str,)},
    "figures": {"formats": (list,), "dpi": (int,)},
}


def codebooks() -> list[str]:
    """Names of the shipped frame codebooks."""
    return sorted(p.stem for p in CODEBOOKS.glob("*.yaml"))


class _Checker:
    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line(self, key: str) -> int | None:
        """The first line that sets ``key`` (the last part of a dotted key), if one does."""
        leaf = re.escape(key.rsplit(".", 1)[-1].split("[")[0])
        pattern = re.compile(rf"^\s*(\[\[?\s*)?{leaf}\s*(=|\]\]?)")
        for n, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return n
        return None

    def fail(self, key: str, message: str) -> StoryError:
        n = self.line(key) if key else None
        where = f"{self.path}" + (f", line {n}" if n else "")
        return StoryError(f"{where}: {key + ': ' if key else ''}{message}")

    def table(self, data: Mapping, table: str, prefix: str) -> None:
        allowed = SCHEMA[table]
        for key, value in data.items():
            full = f"{prefix}{key}"
            if key not in allowed:
                raise self.fail(full, f"unknown key (allowed here: {', '.join(allowed)})")
            types = allowed[key]
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                raise self.fail(full, f"must be {' or '.join(_type_name(t) for t in types)}, "
                                      f"not {_type_name(type(value))}")

    def strings(self, values: list, key: str) -> tuple[str, ...]:
        out = []
        for value in values:
            if not isinstance(value, str):
                raise self.fail(key, f"every item must be a string, not {_type_name(type(value))} ({value!r})")
            if not value.strip():
                raise self.fail(key, "an item is empty")
            out.append(value.strip())
        return tuple(out)

    def file(self, value: str, key: str) -> Path:
        if not value.strip():
            raise self.fail(key, "the file name is empty")
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        if not path.is_file():
            raise self.fail(key, f"file not found: {path}")
        return path


def _type_name(t: type) -> str:
    return {str: "a string", bool: "true or false", int: "an integer", list: "a list", dict: "a table",
            float: "a number"}.get(t, t.__name__)


def load(path: Path, *, convert=None) -> Story:
    """Read and validate a story file. ``convert`` turns aliases into the text's script
    (default: OpenCC t2s, as the normalize stage does)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoryError(f"{path}: cannot read the story file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StoryError(f"{path}: the story file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StoryError(f"{path}: not valid TOML: {exc}") from None
    check = _Checker(path, text)
    check.table(data, "", "")
    for name in ("frames", "dictionary", "strip", "sentiment", "keywords", "time", "figures"):
        check.table(data.get(name, {}), name, f"{name}.")
    convert = convert or _t2s()

    fields: dict[str, Any] = {"path": path.resolve()}
    if "title" in data:
        fields["title"] = data["title"].strip()
    if "group_by" in data:
        group_by = data["group_by"].strip()
        if not group_by:
            raise check.fail("group_by", "is empty")
        fields["group_by"] = group_by

    targets = []
    for i, target in enumerate(data.get("targets", [])):
        key = f"targets[{i}]"
        if not isinstance(target, dict):
            raise check.fail("targets", "must be an array of tables ([[targets]] with name = ...)")
        check.table(target, "targets", f"{key}.")
        name = target.get("name", "").strip()
        if not name:
            raise check.fail("name", f"{key} needs a non-empty name")
        aliases = check.strings(target.get("aliases", []), "aliases")
        seen = tuple(dict.fromkeys(map(convert, (name, *aliases))))  # converted, each once, the name first
        others = check.strings(target.get("others", []), "others")
        for other in others:
            if convert(other) in seen:
                raise check.fail("others", f"{key}: {other!r} is one of the target's own names")
        targets.append(Target(name, seen, tuple(dict.fromkeys(map(convert, others)))))
    fields["targets"] = tuple(targets)

    frames = data.get("frames", {})
    if "codebook" in frames and "file" in frames:
        raise check.fail("frames.codebook", "give either codebook or file, not both")
    if "file" in frames:
        fields["frames_file"] = check.file(frames["file"], "frames.file")
        fields["codebook"] = None
    elif "codebook" in frames:
        if frames["codebook"] not in codebooks():
            raise check.fail("frames.codebook", f"no shipped codebook {frames['codebook']!r} "
                                                f"(shipped: {', '.join(codebooks())})")
        fields["codebook"] = frames["codebook"]
    if "discover" in frames:
        value = frames["discover"]
        value = {True: "on", False: "off"}.get(value, value)
        if value not in ("auto", "on", "off"):
            raise check.fail("frames.discover", "must be true, false or \"auto\"")
        fields["discover"] = value
    if "topics" in frames:
        if not 0 <= frames["topics"] <= 50:
            raise check.fail("frames.topics", "must be between 0 (chosen from the data) and 50")
        fields["topics"] = frames["topics"]

    dictionary = data.get("dictionary", {})
    fields["words"] = tuple(convert(w) for w in check.strings(dictionary.get("words", []), "dictionary.words"))
    fields["stopwords"] = tuple(convert(w) for w in check.strings(dictionary.get("stopwords", []),
                                                                   "dictionary.stopwords"))
    if "file" in dictionary:
        fields["dictionary_file"] = check.file(dictionary["file"], "dictionary.file")
    if "stopwords_file" in dictionary:
        fields["stopwords_file"] = check.file(dictionary["stopwords_file"], "dictionary.stopwords_file")
    if "rules_file" in data.get("strip", {}):
        fields["strip_rules_file"] = check.file(data["strip"]["rules_file"], "strip.rules_file")
    duplicates = data.get("strip", {}).get("duplicates")
    if duplicates is not None:
        if duplicates not in DUPLICATE_MODES:
            raise check.fail("strip.duplicates", f"must be one of {', '.join(DUPLICATE_MODES)}, not {duplicates!r}")
        fields["duplicates"] = duplicates
    sentiment = data.get("sentiment", {})
    if "domain_lexicon" in sentiment:
        fields["domain_lexicon"] = sentiment["domain_lexicon"]
    if "extra_lexicon" in sentiment:
        fields["extra_lexicon"] = check.file(sentiment["extra_lexicon"], "sentiment.extra_lexicon")
    if "method" in sentiment:
        from .sentiment import METHODS

        if sentiment["method"] not in METHODS:
            raise check.fail("sentiment.method", f"{sentiment['method']!r} is not one of {', '.join(METHODS)}")
        fields["sentiment_method"] = sentiment["method"]
    if "model_weight" in sentiment:
        if not 0 <= sentiment["model_weight"] <= 1:
            raise check.fail("sentiment.model_weight", f"{sentiment['model_weight']} is not between 0 and 1")
        fields["model_weight"] = float(sentiment["model_weight"])
    idf = data.get("keywords", {}).get("idf")
    if idf is not None:
        if idf not in IDF_MODES:
            raise check.fail("keywords.idf", f"must be one of {', '.join(IDF_MODES)}, not {idf!r}")
        fields["idf"] = idf
    time_bin = data.get("time", {}).get("bin")
    if time_bin is not None:
        if time_bin not in TIME_BINS:
            raise check.fail("time.bin", f"must be one of {', '.join(TIME_BINS)}, not {time_bin!r}")
        fields["time_bin"] = time_bin
    figures = data.get("figures", {})
    if "formats" in figures:
        formats = check.strings(figures["formats"], "figures.formats")
        unknown = [f for f in formats if f not in DEFAULT_FIGURE_FORMATS]
        if unknown:
            raise check.fail("figures.formats", f"{unknown[0]!r} is not one of {', '.join(DEFAULT_FIGURE_FORMATS)}")
        if "png" not in formats:
            raise check.fail("figures.formats", "must include \"png\" (the report shows the PNG figures)")
        fields["figure_formats"] = tuple(f for f in DEFAULT_FIGURE_FORMATS if f in formats)  # one order
    if "dpi" in figures:
        if not MIN_DPI <= figures["dpi"] <= MAX_DPI:
            raise check.fail("figures.dpi", f"{figures['dpi']} is not between {MIN_DPI} and {MAX_DPI}")
        fields["figure_dpi"] = figures["dpi"]
    story = Story(**fields)
    _check_files(story, check)
    return story


def _check_files(story: Story, check: _Checker) -> None:
    """The files' contents, read as the stages will read them: a bad file fails now, not mid-run."""
    from .framing import load_lexicon

    try:
        load_lexicon(story.frames_path)
    except Exception as exc:  # noqa: BLE001 - any reason the frames file cannot be used
        raise check.fail("frames.file" if story.frames_file else "frames.codebook",
                         f"{story.frames_path.name} cannot be used as a frames file: {exc}") from None
    if story.strip_rules_file:
        from .strip import load_rules

        try:
            load_rules(story.strip_rules_file)
        except Exception as exc:  # noqa: BLE001
            raise check.fail("strip.rules_file", f"{story.strip_rules_file.name}: {exc}") from None
    if story.extra_lexicon:
        from .sentiment import read_extra_lexicon

        try:
            read_extra_lexicon(story.extra_lexicon)
        except Exception as exc:  # noqa: BLE001
            raise check.fail("sentiment.extra_lexicon", f"{story.extra_lexicon.name}: {exc}") from None


def _t2s():
    import opencc

    converter = opencc.OpenCC("t2s")
    return converter.convert


def group_by_columns(input_path: Path | None) -> set[str] | None:
    """The values ``group_by`` may take for this input (None when they cannot be known yet)."""
    columns = set(ARTICLE_FIELDS) | set(TIME_BINS)
    if input_path is None:
        return None
    from .ingest import corpus_columns, is_corpus, walk_inputs

    path = Path(input_path)
    if path.is_file() and is_corpus(path):
        extra = corpus_columns(path)
        if extra is None:
            return None
        columns |= extra
    elif path.is_dir():
        # ingest's walk: no FIFO opened, no link followed out of the folder, no recursion limit
        for corpus in [p for p in walk_inputs(path)[0] if is_corpus(p)][:20]:
            extra = corpus_columns(corpus)
            if extra:
                columns |= extra
    return columns


def check_group_by(story: Story, input_path: Path | None) -> None:
    columns = group_by_columns(input_path)
    if columns is not None and story.group_by not in columns:
        where = f"{story.path}" if story.path else "the story"
        raise StoryError(f"{where}: group_by: no column {story.group_by!r} in {input_path} "
                         f"(available: {', '.join(sorted(columns))})")


def find(input_path: Path | None, story_path: Path | None) -> Path | None:
    """The story file to use: the one given, else story.toml in the input folder, else None."""
    if story_path is not None:
        return Path(story_path)
    if input_path is not None and Path(input_path).is_dir() and (Path(input_path) / STORY_FILE).is_file():
        return Path(input_path) / STORY_FILE
    return None


def resolve(input_path: Path | None, story_path: Path | None = None) -> Story:
    """The validated story for a run (the defaults when there is no story file)."""
    path = find(input_path, story_path)
    story = load(path) if path is not None else DEFAULT
    check_group_by(story, input_path)
    return story


def input_files(story: Story, input_path: Path) -> set[str]:
    """Files inside the input folder that belong to the story, not to the articles (relative, posix)."""
    root = Path(input_path).resolve()
    out = set()
    for path in ([story.path] if story.path else []) + list(story.files().values()):
        try:
            out.add(Path(path).resolve().relative_to(root).as_posix())
        except ValueError:
            continue
    if (Path(input_path) / STORY_FILE).is_file():
        out.add(STORY_FILE)
    return out


# ---------------------------------------------------------------- the stages' settings


def stage_settings(name: str, story: Story) -> tuple[dict, tuple[Path, ...]]:
    """(params to add, resource files to add) for stage ``name``.

    Params whose name starts with ``_`` are paths or settings of the reduce only: they do
    not enter the per-article cache key (the files they name enter it through their hash).
    """
    if name == "strip":
        return ({"_extra_rules": str(story.strip_rules_file)} if story.strip_rules_file else {},
                tuple(p for p in [story.strip_rules_file] if p))
    if name == "segment":
        params: dict = {}
        if story.words:
            params["user_words"] = list(story.words)
        if story.stopwords:
            params["user_stopwords"] = list(story.stopwords)
        if story.dictionary_file:
            params["_userdict"] = str(story.dictionary_file)
        if story.stopwords_file:
            params["_stopwords"] = str(story.stopwords_file)
        return params, tuple(p for p in [story.dictionary_file, story.stopwords_file] if p)
    if name == "sentiment":
        params = {"targets": [t.as_dict() for t in story.targets], "domain": story.domain_lexicon}
        if story.extra_lexicon:
            params["_extra_lexicon"] = str(story.extra_lexicon)
        if story.sentiment_method:
            params["method"] = params["target_method"] = story.sentiment_method
        if story.model_weight is not None:
            params["model_weight"] = story.model_weight
        return params, tuple(p for p in [story.extra_lexicon] if p)
    if name == "keywords":
        return {"idf": story.idf, "_group_by": story.group_by}, ()
    if name == "framing":
        return ({"_frames": str(story.frames_path), "_group_by": story.group_by, "_discover": story.discovers,
                 "_topics": story.topics}, (story.frames_path,))
    if name == "sourcing":
        return {"_group_by": story.group_by}, ()
    if name in ("plots", "report"):
        params = {"_group_by": story.group_by, "_time_bin": story.time_bin, "_title": story.title,
                  "_targets": [t.as_dict() for t in story.targets]}
        if name == "plots" and story.figure_formats != DEFAULT_FIGURE_FORMATS:  # the default's params as they were
            params["formats"] = list(story.figure_formats)
        if name == "plots" and story.figure_dpi != DEFAULT_FIGURE_DPI:
            params["dpi"] = story.figure_dpi
        return params, ()
    return {}, ()


def configure(stage, story: Story):
    """``stage`` with the story's settings (a new stage object; the module's STAGE is untouched)."""
    params, files = stage_settings(stage.name, story)
    if not params and not files:
        return stage
    resource_files = tuple(stage.resource_files)
    if stage.name == "framing":  # the frames file replaces the shipped one
        resource_files = tuple(p for p in resource_files if Path(p).suffix not in (".yaml", ".yml"))
    return dataclasses.replace(stage, params={**stage.params, **params}, resource_files=resource_files + files)


def save(story: Story, out_root: Path) -> None:
    records.write_json(Path(out_root) / "story.json", story.as_json())


def saved(out_root: Path) -> Story | None:
    path = Path(out_root) / "story.json"
    if not path.is_file():
        return None
    try:
        return from_json(records.read_json(path))
    except (ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------- describing


def describe(story: Story) -> str:
    """What ``check`` prints: the story as resolved."""
    lines = [f"story file: {story.path or '(none: story-neutral defaults)'}"]
    if story.title:
        lines.append(f"title: {story.title}")
    lines.append(f"group_by: {story.group_by}")
    if story.targets:
        for t in story.targets:
            lines.append(f"target: {t.name} (matched as: {', '.join(t.aliases)})"
                         + (f"; other parties: {', '.join(t.others)}" if t.others else ""))
    else:
        lines.append("targets: none (no sentiment toward a target is measured)")
    frames = story.frames_file or f"shipped codebook {story.codebook!r}"
    lines.append(f"frames: {frames} ({_frame_count(story)} frames); frame discovery: "
                 + ("on" if story.discovers else "off"))
    lines.append(f"dictionary: {len(story.words)} word(s)" + (f" + {story.dictionary_file}" if story.dictionary_file else ""))
    lines.append(f"stopwords: {len(story.stopwords)} word(s)" + (f" + {story.stopwords_file}" if story.stopwords_file else ""))
    if story.strip_rules_file:
        lines.append(f"extra strip rules: {story.strip_rules_file}")
    lines.append("copies of an earlier article of the same outlet: "
                 + ("left out by strip" if story.duplicates == "drop" else "kept (each counts again)"))
    lines.append(f"sentiment: domain lexicon {'on' if story.domain_lexicon else 'off'}"
                 + (f", extra lexicon {story.extra_lexicon}" if story.extra_lexicon else "")
                 + (f", method {story.sentiment_method}" if story.sentiment_method else "")
                 + (f", model weight {story.model_weight}" if story.model_weight is not None else ""))
    lines.append(f"keywords: idf = {story.idf}")
    lines.append(f"time bin: {story.time_bin}")
    return "\n".join(lines)


def _frame_count(story: Story) -> int:
    from .framing import load_lexicon

    return len(load_lexicon(story.frames_path).frames)


TEMPLATE = '''\
# story.toml: what the pipeline should know about your story.
# Put it in the input folder (found as story.toml) or pass --story PATH.
# Check it with: python -m pipeline check --story story.toml --input YOUR_FOLDER
# Every key is optional; delete what you do not need. Paths are relative to this file.

title = "My story"

# How articles are grouped for comparison: outlet (default), author, platform, site, editor,
# a column of your corpus file, or a period of the publication date: day, week, month, quarter, year.
group_by = "outlet"

# One [[targets]] block per entity whose sentiment is measured. Aliases in any script:
# they are converted to simplified Chinese (OpenCC t2s) as the text is.
# [[targets]]
# name = "某公司"
# aliases = ["某公司集团", "MouCompany"]
# Other parties of the story (rivals, partners, regulators): in a sentence that names one of them
# too, the score toward the target reads their news apart (a rival's gain is not the target's).
# others = ["某对手", "RivalCo"]

[frames]
# A shipped codebook: "generic" (Semetko & Valkenburg 2000: conflict, human interest,
# economic consequences, morality, responsibility) or "policy" (the 15 dimensions of the
# Policy Frames Codebook, Boydstun et al. 2014) ...
codebook = "generic"
# ... or your own frames file, in the format of pipeline/resources/frames/generic.yaml:
# file = "frames.yaml"
# Suggest frames from the data (NMF topics, written to 07_framing/suggested_frames.yaml):
# "auto" = only when no frames file is given; true or false to force.
discover = "auto"
# topics = 0            # number of topics to discover; 0 = chosen from the data

[dictionary]
# Words the segmenter must keep whole (jieba user-dictionary syntax: word [freq] [tag]).
words = []
# file = "userdict.txt"
# Extra stopwords (any script), and/or a file of them, one a line.
stopwords = []
# stopwords_file = "stopwords.txt"

[strip]
# Extra boilerplate rules, same format as pipeline/resources/strip_rules.yaml.
# rules_file = "my_rules.yaml"
# An article that repeats an earlier one of the same outlet word for word (a page scraped twice)
# is left out ("drop", listed with the skips); "keep" counts every copy.
# duplicates = "drop"

[sentiment]
domain_lexicon = true   # the shipped business-news domain lexicon
# extra_lexicon = "my_lexicon.tsv"   # term<TAB>weight lines, weight in [-2, 2]; 0 silences a word
# method = "model"   # lexicon, model (learned from labelled news) or combined (their weighted mean), for
#                   # sentences and toward the targets (default: combined for sentences, the model toward the targets;
#                   # lexicon is about twice as fast)
# model_weight = 0.75  # combined = model_weight x model + (1 - model_weight) x lexicon, between 0 and 1

[keywords]
idf = "background"      # or "corpus"

[time]
bin = "month"           # for over-time figures: day, week, month, quarter, year

[figures]
formats = ["png", "svg", "pdf"]   # PNG for the report and slides, SVG and PDF (vector) for print;
#                                 # fewer formats draw faster (PNG is always written: the report shows it)
dpi = 300               # the PNGs' resolution (50 to 1200)
'''


def write_template(folder: Path) -> Path:
    """Write :data:`TEMPLATE` as ``folder/story.toml``; never over an existing file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STORY_FILE
    if path.exists():
        raise StoryError(f"{path} already exists: not overwritten (edit it, or remove it first)")
    records.write_text(path, TEMPLATE)
    return path


def iter_aliases(story: Story) -> Iterable[str]:
    for target in story.targets:
        yield from target.aliases
