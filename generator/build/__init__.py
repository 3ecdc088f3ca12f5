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

import contextlib
import datetime as dt
import os
import sys
import time
from pathlib import Path

from ..article import Article, read_article
from ..errors import BuildError, Problem, Problems
from ..figures.model_cards import ModelCards
from ..pipeline.cache import Cache, ReadOnlyCache
from ..pipeline.freeze import FreezeStore
from ..pipeline.jobs import sha256_bytes
from ..datasets import frozen_datasets, read_datasets
from ..site.config import read_site
from ..site.unit_pages import unit_cards, write_unit_pages
from .keys import remembered
from .units import plan_units, plan_units_more, without_absent_photos
from ..site.writer import SiteWriter
from .discover import discover
from .options import BuildOptions, BuildReport
from .parse import parse_article
from .plan import plan_figures, plan_more
from .precompute import precompute
from .render import render_figures

__all__ = ["BuildOptions", "BuildReport", "build"]


def build(options: BuildOptions) -> BuildReport:
    """Build the site, or raise `BuildError` naming every problem found. One build of a
    project runs at a time: a second waits for the first (and says so)."""
    if options.check:
        return _build(options)
    with one_build_at_a_time(options.cache_dir):
        return _build(options)


@contextlib.contextmanager
def one_build_at_a_time(folder: Path):
    """Hold `folder/build.lock` while a build runs; a second build waits, saying why."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            print(f"another build of this project is running (pid {holder}); waiting for it to finish",
                  file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(options: BuildOptions) -> BuildReport:
    started = time.perf_counter()
    problems = Problems()
    cache = Cache(options.cache_dir)
    kept = None if options.fresh else cache           # plans and renderings kept between builds
    if options.check:
        kept = ReadOnlyCache(cache)

    site = read_site(options.root, problems)
    hashes = None if options.check else options.cache_dir / "datasets"    # check writes nothing
    datasets = read_datasets(options.root, site["datasets"] or {}, problems, hashes=hashes,
                             frozen=frozen_datasets(options.root))
    problems.raise_if_any()                           # what every article reads, first
    articles = discover(options, problems, kept)
    pages = [parse_article(a, site, options, problems, kept) for a in articles]
    # an article's Markdown mistakes do not hide its figures' (one round of fixes, not two)

    cards = ModelCards(options.cache_dir / "models", save=not options.check)
    jobs = plan_figures(pages, options, cards, kept, problems, datasets)
    problems.raise_if_any()
    units = plan_units(pages, site, datasets, cards, problems, kept, options.quality)
    problems.raise_if_any()
    freezes = [FreezeStore(folder) for folder in sorted((options.root / "articles").glob("*/_freeze"))]
    without_absent_photos(units, lambda key: cache.has(key) or any(f.has(key) for f in freezes), problems)
    for unit_layer in units:
        if unit_layer.owner is not None:
            unit_layer.owner.unit_jobs += unit_layer.jobs
    jobs += [job for unit_layer in units for job in unit_layer.jobs]
    if options.check:                                 # specs, files, citations: all checked
        return BuildReport(pages=[p.article.slug for p in pages], warnings=problems.warnings,
                           jobs=len({j.key for j in jobs}), seconds=time.perf_counter() - started,
                           articles=pages)

    results, computed = precompute(jobs, pages, options, cache)
    while any(figure.plan.more for page in pages for figure in page.figures):
        more = plan_more(pages, results, kept, problems)   # jobs that need the results of others
        problems.raise_if_any()
        found, counted = precompute(more, pages, options, cache, results)
        jobs += more
        results.update(found)
        computed += counted
    more = plan_units_more(units, results)            # the crops of each unit's photos
    if more:
        for unit_layer in units:
            if unit_layer.owner is not None and unit_layer.examples is not None:
                unit_layer.owner.unit_jobs.append(unit_layer.examples)
        found, counted = precompute(more, pages, options, cache, results)
        jobs += more
        results.update(found)
        computed += counted
    if options.compute_only:                          # every result is in the cache (or a freeze)
        return BuildReport(pages=[p.article.slug for p in pages], warnings=problems.warnings,
                           jobs=len({j.key for j in jobs}), seconds=time.perf_counter() - started,
                           articles=pages, computed=computed)

    others = built_elsewhere(options)                 # with --article: the articles kept as they are
    writer = SiteWriter(options.root, site, today=_build_date([p.article for p in pages] + others))
    for page in pages:
        linked = {u.layer: u for u in units if u.model == page.model   # with --article: those
                  and (not options.article or (options.output / u.folder / "index.html").is_file())}  # published
        render_figures(page, results, writer, problems, kept, linked)
    problems.raise_if_any()
    with writer.aside() if options.article else contextlib.nullcontext():
        # with --article the unit pages stay as they are: only the cards are worked out
        write_unit_pages(writer, units, results, lambda key, make: remembered(kept, key, make),
                         pages=not options.article)
    for page in pages:                                # the cards of the units the text names
        page.body_html += unit_cards(writer, page.body_html, units)
        writer.article(page, results)
    for article in others:
        writer.list_built(article, options.output / article.slug / "index.html")
    writer.journal(pages, units=bool(units) if not options.article
                   else (options.output / "units" / "index.html").is_file())

    if options.write:
        if options.article:
            writer.tree.keep(options.output, lambda path: path.startswith(f"{options.article}/") or path in JOURNAL)
        published = options.cache_dir / "published" / f"{sha256_bytes(str(options.output.resolve()).encode())}.json"
        try:
            writer.tree.publish(options.output, manifest=published)
        except OSError as err:                        # --out names a file, or a folder no one may write
            shown = str(options.output)
            if options.output.is_absolute() and options.output.is_relative_to(Path.cwd()):
                shown = str(options.output.relative_to(Path.cwd()))
            reason = ("is a file, not a folder" if isinstance(err, NotADirectoryError)
                      else f"cannot be written ({err.strerror or type(err).__name__})")
            raise BuildError([Problem(shown, None, f"the output folder {reason}",
                                      "choose another folder with --out DIR")]) from None
    return BuildReport(pages=[p.article.slug for p in pages], warnings=problems.warnings,
                       jobs=len({j.key for j in jobs}), seconds=time.perf_counter() - started,
                       articles=pages, results=results, computed=computed)


JOURNAL = ("index.html", "feed.xml", "sitemap.xml", "404.html")   # written by every build


def built_elsewhere(options: BuildOptions) -> list[Article]:
    """With `--article SLUG`: every other article whose page the output folder holds, read
    from its front matter, so the index and the feed still list it; none otherwise."""
    folder = options.root / "articles"
    if not options.article or not options.write or not folder.is_dir():
        return []
    out = []
    for directory in sorted(d for d in folder.iterdir() if d.is_dir() and d.name != options.article):
        if (options.output / directory.name / "index.html").is_file():
            article = read_article(directory, Problems(), display=str(directory / "index.md"))
            if article is not None:
                out.append(article)
    return out


def _build_date(articles: list[Article]) -> dt.date:
    """The site's date: the newest article date, so two builds of one input are identical."""
    days = [a.published for a in articles if a.published]
    for a in articles:
        days += [u["date"] for u in a.meta["updated"]]
    return max(days, default=dt.date(2026, 1, 1))
