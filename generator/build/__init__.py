"""The build, as a list of steps, one module each:

    discover -> parse -> plan -> precompute -> render -> publish

(a figure whose jobs depend on the results of others, as icons on the forward pass that
picks their channels, plans again after precompute, and its new jobs are precomputed).

Every step collects all the problems it can find before the build stops, and nothing is
written to the output folder until every page has rendered: a failed build leaves the
previous `build/` as it was. What the build needs from outside (where it computes, where it
caches, whether it shows progress) comes in `BuildOptions`.
"""

from __future__ import annotations

import datetime as dt
import time

from ..errors import Problems
from ..figures.model_cards import ModelCards
from ..pipeline.cache import Cache
from ..site.config import read_site
from ..site.writer import SiteWriter
from .discover import discover
from .options import BuildOptions, BuildReport
from .parse import ArticlePage, parse_article
from .plan import plan_figures, plan_more
from .precompute import precompute
from .render import render_figures

__all__ = ["BuildOptions", "BuildReport", "build"]


def build(options: BuildOptions) -> BuildReport:
    """Build the site, or raise `BuildError` naming every problem found."""
    started = time.perf_counter()
    problems = Problems()
    cache = Cache(options.cache_dir)
    kept = None if options.fresh else cache           # plans and renderings kept between builds

    site = read_site(options.root, problems)
    articles = discover(options, problems)
    pages = [parse_article(a, site, options, problems) for a in articles]
    problems.raise_if_any()

    cards = ModelCards(options.cache_dir / "models")
    jobs = plan_figures(pages, options, cards, kept, problems)
    problems.raise_if_any()

    results, computed = precompute(jobs, pages, options, cache)
    while any(figure.plan.more for page in pages for figure in page.figures):
        more = plan_more(pages, results, kept, problems)   # jobs that need the results of others
        problems.raise_if_any()
        found, counted = precompute(more, pages, options, cache, results)
        jobs += more
        results.update(found)
        computed += counted

    writer = SiteWriter(options.root, site, today=_build_date(pages))
    for page in pages:
        render_figures(page, results, writer, problems, kept)
    problems.raise_if_any()
    for page in pages:
        writer.article(page, results)
    writer.journal(pages)

    if options.write:
        writer.tree.publish(options.output)
    return BuildReport(pages=[p.article.slug for p in pages], warnings=problems.warnings,
                       jobs=len({j.key for j in jobs}), seconds=time.perf_counter() - started,
                       articles=pages, results=results, computed=computed)


def _build_date(pages: list[ArticlePage]) -> dt.date:
    """The site's date: the newest article date, so two builds of one input are identical."""
    days = [p.article.published for p in pages if p.article.published]
    for p in pages:
        days += [u["date"] for u in p.article.meta["updated"]]
    return max(days, default=dt.date(2026, 1, 1))
