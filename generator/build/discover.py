"""Step 1, discover: every `articles/<slug>/index.md`, in slug order (or the one asked for)."""

from __future__ import annotations

from ..article import SLUG_FIX, Article, read_article, valid_slug
from ..errors import Problems, did_you_mean
from .options import BuildOptions


def discover(options: BuildOptions, problems: Problems) -> list[Article]:
    folder = options.root / "articles"
    dirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))) \
        if folder.is_dir() else []
    if options.article:
        dirs = [d for d in dirs if d.name == options.article]
        if not dirs:
            known = [d.name for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []
            problems.error(f"articles/{options.article}", None, "no such article",
                           did_you_mean(options.article, known) if known else "create it with "
                           f"`python -m generator new {options.article}`")
            problems.raise_if_any()
    articles = []
    for d in dirs:
        if not valid_slug(d.name):
            problems.error(f"articles/{d.name}", None, f"article folder '{d.name}' is not a valid name: it becomes "
                           "the article's URL", f"rename the folder; {SLUG_FIX}")
            continue
        article = read_article(d, problems, display=str(d.relative_to(options.root) / "index.md"))
        if article is not None:
            articles.append(article)
    return articles
