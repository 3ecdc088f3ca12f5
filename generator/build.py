"""The build, as a list of steps: discover -> parse -> plan -> precompute -> render -> publish.

Every step collects all the problems it can find before the build stops, and nothing is
written to the output folder until every page has rendered: a failed build leaves the
previous `build/` as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from .article import Article, read_article
from .errors import BuildError, Problem, Problems
from .pages import ArticlePage, SiteWriter, parse_article, plan_figures, render_figures
from .pipeline.cache import Cache
from .pipeline.executors import DaskExecutor, JobFailed, LocalPoolExecutor, run_jobs
from .pipeline.freeze import FreezeStore
from .pipeline.progress import NullProgress, TqdmProgress
from .reviews import attach_reviews
from .site import read_site

log = logging.getLogger(__name__)

@dataclass
class BuildOptions:
    """What `python -m generator build` was asked to do."""

    root: Path = field(default_factory=Path.cwd)    # the project: site.yml, articles/, assets/
    out: Path | None = None                          # default: root / "build"
    article: str | None = None                       # build only this slug
    quality: str | None = None                       # overrides each article's `quality:`
    fresh: bool = False                              # ignore freeze and cache
    review: bool = False                             # build review copies
    scheduler: str | None = None                     # a Dask scheduler address
    workers: int | None = None                       # local processes (default: one per core)
    write: bool = True                               # False: check only
    progress: bool = True

    @property
    def output(self) -> Path:
        return self.out or self.root / "build"


@dataclass
class BuildReport:
    pages: list[str]
    warnings: list[Problem]
    jobs: int
    seconds: float
    articles: list[ArticlePage] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    computed: int = 0


def build(options: BuildOptions) -> BuildReport:
    """Build the site, or raise `BuildError` naming every problem found."""
    started = time.perf_counter()
    problems = Problems()
    site = read_site(options.root, problems)
    articles = discover(options, problems)
    pages = [parse_article(a, site, options, problems) for a in articles]
    pages = [p for p in pages if p is not None]
    for page in pages:
        attach_reviews(page, options, problems)
    problems.raise_if_any()

    jobs = plan_figures(pages, options, problems)
    problems.raise_if_any()
    results, computed = precompute(jobs, pages, options)

    writer = SiteWriter(options.root, site, today=_build_date(pages))
    render_cache = None if options.fresh else Cache(options.root / ".cache")
    for page in pages:
        render_figures(page, results, writer, problems, render_cache)
    problems.raise_if_any()
    for page in pages:
        writer.article(page, results)
    writer.journal(pages)
    if options.write:
        writer.tree.publish(options.output)
    return BuildReport(pages=[p.article.slug for p in pages], warnings=problems.warnings,
                       jobs=len({j.key for j in jobs}), seconds=time.perf_counter() - started,
                       articles=pages, results=results, computed=computed)


def discover(options: BuildOptions, problems: Problems) -> list[Article]:
    """Every `articles/<slug>/index.md`, in slug order (or the one asked for)."""
    folder = options.root / "articles"
    dirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))) \
        if folder.is_dir() else []
    if options.article:
        dirs = [d for d in dirs if d.name == options.article]
        if not dirs:
            from .errors import did_you_mean
            known = [d.name for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []
            problems.error(f"articles/{options.article}", None, "no such article",
                           did_you_mean(options.article, known) if known else "create it with "
                           f"`python -m generator new {options.article}`")
            problems.raise_if_any()
    articles = []
    for d in dirs:
        article = read_article(d, problems, display=str(d.relative_to(options.root) / "index.md"))
        if article is not None:
            articles.append(article)
    return articles


def precompute(jobs, pages: list[ArticlePage], options: BuildOptions) -> tuple[dict, int]:
    """Run every job not in a freeze or the cache; figures share identical jobs. Returns the
    results by key and how many jobs were computed (not found in a freeze or the cache)."""
    if not jobs:
        return {}, 0
    cache = Cache(options.root / ".cache")
    executor = DaskExecutor(options.scheduler) if options.scheduler else LocalPoolExecutor(options.workers)
    counter = _Counting(TqdmProgress() if options.progress else NullProgress())
    progress = counter
    results: dict = {}
    try:
        for page in pages:
            # A job another article already ran in this build is not run again, even when
            # `fresh` ignores what the cache held before the build.
            page_jobs = [j for f in page.figures for j in f.jobs if j.key not in results]
            if not page_jobs:
                continue
            freeze = FreezeStore(page.article.directory / "_freeze")
            results.update(run_jobs(page_jobs, cache, executor=executor, freeze=freeze,
                                    progress=progress, fresh=options.fresh))
    except JobFailed as failed:
        raise BuildError([_job_problem(failed, pages)]) from None
    finally:
        if isinstance(executor, DaskExecutor):
            executor.close()
    return results, counter.computed


class _Counting:
    """Passes progress on, counting the jobs that were computed rather than found."""

    def __init__(self, inner):
        self.inner = inner
        self.computed = 0

    def start(self, total: int) -> None:
        self.inner.start(total)

    def advance(self, job, cached: bool, seconds: float) -> None:
        self.computed += not cached
        self.inner.advance(job, cached, seconds)

    def finish(self) -> None:
        self.inner.finish()


def _job_problem(failed: JobFailed, pages: list[ArticlePage]) -> Problem:
    for page in pages:
        for figure in page.figures:
            if any(j.key == failed.job.key for j in figure.jobs):
                original = failed.original
                expected = type(original).__name__ in ("FigureFunctionError", "InterpretError") or \
                    isinstance(original, ValueError) and " — " in str(original)
                message = str(original) if expected else f"{type(original).__name__}: {original}"
                return Problem(figure.source, figure.directive.line, f"figure {figure.name}: {message}",
                               figure.fix_hint)
    return Problem("build", None, f"job {failed.job.label or failed.job.fn} failed: {failed.original}")


def _build_date(pages: list[ArticlePage]) -> dt.date:
    """The site's date: the newest article date, so two builds of one input are identical."""
    days = [p.article.published for p in pages if p.article.published]
    for p in pages:
        days += [u["date"] for u in p.article.meta["updated"]]
    return max(days, default=dt.date(2026, 1, 1))
