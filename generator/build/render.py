"""Step 5, render: each figure's HTML where its directive stood, its data files and its
reproduction notebook. A figure whose inputs did not change is replayed from the cache
(`render_cache.py`), byte for byte."""

from __future__ import annotations

from ..errors import Problems, SpecError
from ..interpret.errors import InterpretError
from ..pipeline.cache import Cache
from ..site.notebooks import reproduce_disclosure
from ..site.unit_pages import link_unit_references
from ..site.writer import SiteWriter
from . import render_cache
from .parse import ArticlePage
from .plan import figure_error


def render_figures(page: ArticlePage, results: dict, writer: SiteWriter, problems: Problems,
                   cache: Cache | None = None, unit_layers: dict | None = None) -> None:
    """Put each figure's HTML where its directive stood (from `cache` when it holds it; a
    figure the text starts with opens the article, above the contents), and
    link the text's unit references (`blocks.10:9`) to the unit pages of `unit_layers`
    (layer name -> UnitLayer, of the article's model)."""
    odd = []
    body = link_unit_references(page.markdown.html, unit_layers or {}, page.article.slug,
                                page.article.meta["title"], odd)
    for reference, message, fix in odd:
        problems.warn(page.source, _line_of(page.article, reference), message, fix)
    emitter = writer.emitter(page)
    for figure in page.figures:
        figure.ctx.emit = emitter
        try:
            inner = render_cache.render(figure, results, emitter, cache)
        except (SpecError, InterpretError) as err:
            figure_error(problems, figure, err)
            continue
        notebook = render_cache.notebook(page, figure, cache)
        if notebook is not None:
            url = f"notebooks/{figure.directive.id}.ipynb"
            writer.tree.add(f"{page.article.slug}/{url}", notebook)
            inner += "\n" + reproduce_disclosure(page.article.slug, figure.directive.id, url)
        if figure is page.figures[0] and page.markdown.html.lstrip().startswith(figure.directive.placeholder):
            page.opening_html, inner = inner, ""      # the article opens with it: above the contents
        body = body.replace(figure.directive.placeholder, inner, 1)
    page.body_html = body


def _line_of(article, text: str) -> int | None:
    """The line of index.md where `text` first appears in the article's body."""
    at = article.body.find(text)
    return None if at < 0 else article.body_first_line + article.body.count("\n", 0, at)
