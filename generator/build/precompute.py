"""Step 4, precompute: run every job that no article's freeze nor the cache holds.
Figures share identical jobs, within an article and across articles."""

from __future__ import annotations

from contextlib import contextmanager

from ..errors import BuildError, Problem, UserError
from ..interpret.errors import InterpretError
from ..pipeline.cache import Cache
from ..pipeline.executors import DaskExecutor, JobFailed, LocalPoolExecutor, StackingExecutor, run_jobs
from ..pipeline.freeze import FreezeStore
from ..pipeline.progress import NullProgress, TqdmProgress
from ..pipeline.runtime import Runtime
from .options import BuildOptions
from .parse import ArticlePage


def precompute(jobs, pages: list[ArticlePage], options: BuildOptions, cache: Cache,
               known: dict | None = None) -> tuple[dict, int]:
    """The results of `jobs` by key, and how many jobs were computed (not found in a freeze
    or the cache). Jobs whose results are `known` (from an earlier stage) are not run again."""
    wanted = {job.key for job in jobs} - set(known or {})
    if not wanted:
        return {}, 0
    counter = _Counting(TqdmProgress() if options.progress else NullProgress())
    results: dict = {}
    freezes = {folder: FreezeStore(folder) for folder in sorted((options.root / "articles").glob("*/_freeze"))}
    with computing(options, pages) as executor:
        for page in pages:
            # A job another article already ran in this build is not run again, even when
            # `fresh` ignores what the cache held before the build.
            page_jobs = [j for j in [*(j for f in page.figures for j in f.jobs), *page.unit_jobs]
                         if j.key in wanted and j.key not in results]
            if not page_jobs:
                continue
            own = page.article.directory / "_freeze"
            quality = options.quality_of(page.article.meta)
            results.update(run_jobs(page_jobs, cache, executor=executor,
                                    freeze=freezes.get(own) or FreezeStore(own),
                                    other_freezes=[store for folder, store in freezes.items() if folder != own],
                                    add_to_freeze=quality if options.freezing else None,
                                    progress=counter, fresh=options.fresh))
    return results, counter.computed


@contextmanager
def computing(options: BuildOptions, pages: list[ArticlePage]):
    """The executor `options` computes on (theirs, a Dask cluster, or local worker processes,
    on a GPU with the renders stacked into large batches); a job that fails within ends it as
    a `BuildError` naming the first figure of `pages` that needs the job, and a Dask client
    opened here is closed."""
    runtime = Runtime(options.device)
    if options.executor is not None:
        executor = options.executor
    elif options.scheduler:
        executor = DaskExecutor(options.scheduler, runtime=runtime)
    else:
        pool = LocalPoolExecutor(options.workers, runtime=runtime)
        executor = StackingExecutor(pool, runtime) if runtime.device == "cuda" else pool
    try:
        yield executor
    except JobFailed as failed:
        raise BuildError([_job_problem(failed, pages)]) from None
    finally:
        if options.executor is None and isinstance(executor, DaskExecutor):
            executor.close()


class _Counting:
    """Passes progress on, counting the jobs that were computed rather than found."""

    def __init__(self, inner):
        self.inner = inner
        self.computed = 0

    def start(self, total: int, side_by_side: int = 1, waiting=()) -> None:
        self.inner.start(total, side_by_side, waiting)

    def advance(self, job, cached: bool, seconds: float) -> None:
        self.computed += not cached
        self.inner.advance(job, cached, seconds)

    def finish(self) -> None:
        self.inner.finish()


def _job_problem(failed: JobFailed, pages: list[ArticlePage]) -> Problem:
    """The failed job as a problem of the first figure that needs it. An error the user can
    fix (a spec, a model, an author's chart function) is shown as it is; anything else names
    its exception's type."""
    original = failed.original
    for page in pages:
        for figure in page.figures:
            if any(j.key == failed.job.key for j in figure.jobs):
                expected = isinstance(original, (UserError, InterpretError))
                message = str(original) if expected else f"{type(original).__name__}: {original}"
                fix = figure.fix_hint
                if isinstance(original, RuntimeError) and "cannot be multiplied" in str(original):
                    fix = ("a model with a fixed-size head (a Flatten before a Linear) sees only its own input "
                           "size: add `crop: center` to the figure")
                return Problem(figure.source, figure.directive.line, f"figure {figure.name}: {message}", fix)
    return Problem("build", None, f"job {failed.job.label or failed.job.fn} failed: {original}")
