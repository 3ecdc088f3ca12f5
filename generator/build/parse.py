"""Step 2, parse: an article's bibliography and Markdown, and its review files.

Problems are collected, not raised, so one build reports every article's mistakes at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..article import IMAGE_TYPES, Article, article_file, citation_style
from ..errors import BuildError, Problems, SpecError
from ..figures import KINDS
from .options import BuildOptions


@dataclass
class ArticlePage:
    """An article on its way to a page."""

    article: Article
    source: str                        # index.md as shown in messages
    markdown: Any                      # generator.markdown.RenderedMarkdown
    references: dict
    figures: list = field(default_factory=list)          # FigurePlan, one per figure directive
    reviews: Any = None                # generator.reviews.ArticleReviews, when it has any
    body_html: str = ""
    scripts: list[str] = field(default_factory=list)    # URLs of the figures' components
    styles: list[str] = field(default_factory=list)     # URLs of their stylesheets


def parse_article(article: Article, site: dict, options: BuildOptions, problems: Problems) -> ArticlePage:
    """Read the bibliography, render the Markdown, and attach the review files."""
    from ..bib import parse_bibliography, report_unused
    from ..markdown import render_markdown
    from ..reviews import attach_reviews

    source = str(article.path.relative_to(options.root))
    references: dict = {}
    bib_name = article.meta["bibliography"]
    check_thumbnail(article, source, problems)
    if bib_name:
        bib_path = _named_file(article, "bibliography", source, problems)
        if bib_path is not None:
            try:
                references = parse_bibliography(bib_path.read_text(encoding="utf-8"),
                                                path=str(bib_path.relative_to(options.root)), problems=problems)
            except BuildError as err:
                problems.errors.extend(err.problems)
    rendered = render_markdown(article.body, path=source, first_line=article.body_first_line,
                               references=references, directive_kinds=set(KINDS.names()),
                               citation_style=citation_style(article, site))
    problems.extend(rendered.problems)
    if references:
        report_unused(references, rendered.citations, problems)
    page = ArticlePage(article=article, source=source, markdown=rendered, references=references)
    page.reviews = attach_reviews(page, options, problems)
    return page


def check_thumbnail(article: Article, source: str, problems: Problems) -> None:
    """`thumbnail:` names an image inside the article's folder (PNG, JPEG, WebP or GIF)."""
    path = _named_file(article, "thumbnail", source, problems) if article.meta["thumbnail"] else None
    if path is not None and path.suffix.lower() not in IMAGE_TYPES:
        problems.error(source, key_line(article, "thumbnail"), f"front matter 'thumbnail': '{path.name}' is not "
                       "an image file", "name a .png, .jpg, .webp or .gif file beside index.md")


def _named_file(article: Article, key: str, source: str, problems: Problems):
    """The file front matter `key` names, inside the article's folder; None (and a problem at
    the key's line) when it is outside it or missing."""
    try:
        return article_file(article.directory, article.meta[key], source, key)
    except SpecError as err:
        problems.error(source, key_line(article, key), f"front matter '{key}': {err.message}", err.fix)
        return None


def key_line(article: Article, key: str) -> int | None:
    """The line of a top-level front matter key in index.md (None when it is not there)."""
    for number, line in enumerate(article.path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None
