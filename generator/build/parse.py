"""Step 2, parse: an article's bibliography and Markdown, and its review files.

Problems are collected, not raised, so one build reports every article's mistakes at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..article import IMAGE_TYPES, Article, article_file, citation_style
from .. import __version__
from ..errors import BuildError, Problems, SpecError, read_user_text
from ..figures import KINDS
from ..pipeline.jobs import key_of, sha256_bytes, sha256_file
from .keys import code_digest, remembered
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
    opening_html: str = ""             # a figure the article opens with, shown above the contents
    scripts: list[str] = field(default_factory=list)    # URLs of the figures' components
    styles: list[str] = field(default_factory=list)     # URLs of their stylesheets
    first_picture: str | None = None   # the first image a figure published (a default thumbnail)
    unit_jobs: list = field(default_factory=list)       # unit pages' jobs this article's freeze keeps
    model: str | None = None           # the front matter's model as the engine loads it (plan)


def parse_article(article: Article, site: dict, options: BuildOptions, problems: Problems,
                  cache=None) -> ArticlePage:
    """Read the bibliography, render the Markdown, and attach the review files. The first
    two are kept in `cache` (None: always parsed) by the hash of what they read, so a journal
    of hundreds of articles reparses only the ones that changed."""
    from ..reviews import attach_reviews

    source = str(article.path.relative_to(options.root))
    check_thumbnail(article, source, problems, cache)
    bib_path = _named_file(article, "bibliography", source, problems) if article.meta["bibliography"] else None
    style = citation_style(article, site)
    key = key_of({"parse": PARSE_FORMAT, "engine": __version__, "code": code_digest(".", "markdown"),
                  "source": source, "first_line": article.body_first_line,
                  "body": sha256_bytes(article.body.encode("utf-8")), "style": style,
                  "bib": sha256_file(bib_path) if bib_path else None,
                  "bib_path": str(bib_path.relative_to(options.root)) if bib_path else None,
                  "kinds": KINDS.names()}) if cache is not None else None
    references, rendered, found = remembered(cache, key, lambda: _parse(article, source, bib_path, style, options))
    problems.extend(found)
    page = ArticlePage(article=article, source=source, markdown=rendered, references=references)
    page.reviews = attach_reviews(page, options, problems)
    return page


PARSE_FORMAT = 2      # bump when what a kept parse holds changes


def _parse(article: Article, source: str, bib_path, style: str, options: BuildOptions):
    """(references, rendered Markdown, the problems found) of an article."""
    from ..bib import parse_bibliography, report_unused
    from ..markdown import render_markdown

    problems = Problems()
    references: dict = {}
    unread = bool(article.meta["bibliography"]) and bib_path is None    # named, but not there (said above)
    if bib_path is not None:
        try:
            shown = str(bib_path.relative_to(options.root))
            references = parse_bibliography(read_user_text(bib_path, shown), path=shown, problems=problems)
        except BuildError as err:                   # unread: its keys are not unknown, only unread
            problems.errors.extend(err.problems)
            unread = True
    rendered = render_markdown(article.body, path=source, first_line=article.body_first_line,
                               references=references, directive_kinds=set(KINDS.names()), citation_style=style,
                               bibliography_read=not unread)
    problems.extend(rendered.problems)
    if references:
        report_unused(references, rendered.citations, problems)
    return references, rendered, problems


def check_thumbnail(article: Article, source: str, problems: Problems, cache=None) -> None:
    """`thumbnail:` names a whole picture inside the article's folder (PNG, JPEG, WebP or
    GIF); reading it whole is kept in `cache` by its bytes' hash, not done at every build."""
    path = _named_file(article, "thumbnail", source, problems) if article.meta["thumbnail"] else None
    if path is None:
        return
    if path.suffix.lower() not in IMAGE_TYPES:
        problems.error(source, key_line(article, "thumbnail"), f"front matter 'thumbnail': '{path.name}' is not "
                       "an image file", "name a .png, .jpg, .webp or .gif file beside index.md")
        return
    key = key_of({"picture-check": 1, "code": code_digest("figures"), "shown": article.meta["thumbnail"],
                  "bytes": sha256_file(path)}) if cache is not None else None
    wrong = remembered(cache, key, lambda: _picture_problem(path, article.meta["thumbnail"]))
    if wrong:
        problems.error(source, key_line(article, "thumbnail"), f"front matter 'thumbnail': {wrong[0]}", wrong[1])


def _picture_problem(path, shown: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) with the picture at `path`, or None."""
    from ..figures.inputs import check_picture

    try:
        check_picture(path, shown, "thumbnail")
    except SpecError as err:
        return err.message, err.fix
    return None


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
