"""The runner: every stage plugs into it.

A *per-article* stage declares ``process(record, resources) -> record`` (raise :class:`Skip`
to drop an article with a reason) and a loader for its resources; the runner reads its input
in ranges, runs them through an executor (:mod:`.executors`: serial, a process pool, Dask),
keeps a content-keyed cache (:mod:`.cache`), writes ``articles.jsonl`` atomically in input
order and the ``manifest.json`` last (:mod:`.article` tells how an article flows). Its reduce
(``finish``) hands per-range work to :func:`map_ranges` and merges the results in file order.

Several per-article stages in a row run as one fused pass (:mod:`.chain`): each article is
read once and handed from stage to stage in memory, each stage writing its own folder.

A *corpus* stage reads whole upstream folders and writes its own files (:mod:`.corpus`).
"""
from .article import map_ranges, run_article_stage
from .cache import Cache
from .chain import chains, run_chain
from .contract import ArticleStage, CorpusStage, Skip, Skipped, StageError
from .corpus import prepare_corpus_stage, run_corpus_stage
from .executors import default_jobs, die_with_parent
from .fingerprint import fingerprint, library_versions
from .folders import OWNED, owns, stale, upstream_input
from .ranges import byte_ranges, read_range
from .results import Result

__all__ = ["ArticleStage", "Cache", "CorpusStage", "OWNED", "Result", "Skip", "Skipped", "StageError", "byte_ranges", "chains",
           "default_jobs", "die_with_parent", "fingerprint", "library_versions", "map_ranges", "owns",
           "prepare_corpus_stage", "read_range", "run_article_stage", "run_chain", "run_corpus_stage", "stale", "upstream_input"]
