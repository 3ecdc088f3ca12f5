"""An article from Markdown to a page: parse (bibliography, Markdown), plan its figures'
jobs, and render the figures into the body once their artifacts exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .article import Article
from .errors import BuildError, Problems, SpecError
from .figures import KINDS, FigureContext, FigureKind, spec_schema
from .interpret.errors import InterpretError
from .notebooks import reproduce_disclosure
from .yamlload import LineDict
from .writer import SiteWriter  # noqa: F401  (re-exported for build.py)


@dataclass
class FigurePlan:
    """One figure of an article: its kind, checked spec, context and jobs."""

    directive: Any
    kind: FigureKind
    spec: dict
    ctx: FigureContext | None
    source: str
    jobs: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.directive.id or f"#{self.directive.number} ({self.directive.kind})"

    @property
    def fix_hint(self) -> str:
        if self.directive.kind == "bokeh":
            return "fix the function in figures.py; its error is shown above"
        return "check the figure's spec"


@dataclass
class ArticlePage:
    """An article on its way to a page."""

    article: Article
    source: str
    markdown: Any                      # generator.markdown.RenderedMarkdown
    references: dict
    figures: list[FigurePlan] = field(default_factory=list)
    body_html: str = ""
    scripts: list[str] = field(default_factory=list)


def parse_article(article: Article, site: dict, options, problems: Problems) -> ArticlePage | None:
    """Read the bibliography and render the Markdown; problems are collected, not raised."""
    from .bib import parse_bibliography, report_unused
    from .markdown import render_markdown

    source = str(article.path.relative_to(options.root))
    references: dict = {}
    bib_name = article.meta["bibliography"]
    if bib_name:
        bib_path = article.directory / bib_name
        if not bib_path.is_file():
            line = _key_line(article, "bibliography")
            problems.error(source, line, f"bibliography '{bib_name}' not found",
                           f"put the BibTeX file at {bib_path.relative_to(options.root)} or fix `bibliography:`")
        else:
            try:
                references = parse_bibliography(bib_path.read_text(encoding="utf-8"),
                                                path=str(bib_path.relative_to(options.root)))
            except BuildError as err:
                problems.errors.extend(err.problems)
    rendered = render_markdown(article.body, path=source, first_line=article.body_first_line,
                               references=references, directive_kinds=set(KINDS.names()))
    problems.extend(rendered.problems)
    if references:
        report_unused(references, rendered.citations, problems)
    return ArticlePage(article=article, source=source, markdown=rendered, references=references)


def plan_figures(pages: list[ArticlePage], options, problems: Problems) -> list:
    """Check every figure's spec and list the jobs that compute them."""
    from . import plan_cache
    from .figures import model_cards
    from .pipeline.cache import Cache

    model_cards.configure(options.root / ".cache" / "models")
    cache = None if options.fresh else Cache(options.root / ".cache")
    jobs = []
    for page in pages:
        meta = page.article.meta
        quality = options.quality or meta["quality"]
        for directive in page.markdown.figures:
            kind = KINDS[directive.kind]
            before = len(problems.errors)
            spec = spec_schema(kind).validate(_with_lines(directive), page.source, problems,
                                              line=directive.line)
            figure = FigurePlan(directive, kind, spec, None, page.source)
            page.figures.append(figure)
            if len(problems.errors) > before:
                continue
            _check_alt(figure, meta["status"], problems)
            figure.ctx = FigureContext(
                article_dir=page.article.directory, source=page.source, line=directive.line,
                number=directive.number, caption_html=directive.caption_html,
                model=spec.get("model") or meta["model"], quality=quality,
                status=meta["status"], emit=None,
            )
            try:
                figure.jobs = plan_cache.plan(kind, spec, figure.ctx, cache)
            except (SpecError, InterpretError) as err:
                _figure_error(problems, figure, err)
            jobs.extend(figure.jobs)
    return jobs


def render_figures(page: ArticlePage, results: dict, writer: "SiteWriter", problems: Problems,
                   cache=None) -> None:
    """Put each figure's HTML where its directive stood (from `cache` when it holds it)."""
    from . import render_cache

    body = page.markdown.html
    emitter = writer.emitter(page)
    for figure in page.figures:
        figure.ctx.emit = emitter
        try:
            inner = render_cache.render(figure, results, emitter, cache)
        except (SpecError, InterpretError) as err:
            _figure_error(problems, figure, err)
            continue
        notebook = render_cache.notebook(page, figure, cache)
        if notebook is not None:
            url = f"notebooks/{figure.directive.id}.ipynb"
            writer.tree.add(f"{page.article.slug}/{url}", notebook)
            inner += "\n" + reproduce_disclosure(page.article.slug, figure.directive.id, url)
        body = body.replace(figure.directive.placeholder, inner, 1)
    page.body_html = body


def _figure_error(problems: Problems, figure: FigurePlan, err: Exception) -> None:
    field_name = getattr(err, "field", None)
    where = f" '{field_name}'" if field_name else ""
    message = getattr(err, "message", None) or str(err)
    fix = getattr(err, "fix", "")
    if not fix and " — " in message:
        message, fix = message.split(" — ", 1)
    line = getattr(err, "line", None) or _spec_line(figure, field_name) or figure.directive.line
    problems.error(figure.source, line, f"figure {figure.name}{where}: {message}", fix)


def _spec_line(figure: FigurePlan, field_name: str | None) -> int | None:
    return figure.directive.key_lines.get(field_name) if field_name else None


def _with_lines(directive) -> LineDict:
    """The directive's spec as a LineDict, so schema errors name the line of each key."""
    spec = LineDict(directive.spec)
    spec.line = directive.line
    spec.lines = dict(directive.key_lines)
    return spec


def _check_alt(figure: FigurePlan, status: str, problems: Problems) -> None:
    if figure.spec.get("alt"):
        return
    message = f"figure {figure.name} has no alt text"
    fix = "add `alt:` describing what the figure shows, for readers who cannot see it"
    if status == "published":
        problems.error(figure.source, figure.directive.line, message, fix)
    else:
        problems.warn(figure.source, figure.directive.line, message, fix)


def _key_line(article: Article, key: str) -> int | None:
    for number, line in enumerate(article.path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None

