"""Step 1, discover: every `articles/<slug>/index.md`, in slug order (or the one asked for)."""

from __future__ import annotations

from pathlib import Path

from ..article import SLUG_FIX, Article, article_of, read_article, read_front, valid_slug
from ..errors import Problems, did_you_mean
from ..pipeline.jobs import key_of, sha256_bytes
from .keys import code_digest, remembered
from .options import BuildOptions


def discover(options: BuildOptions, problems: Problems, cache=None) -> list[Article]:
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
        article = _read(d, str(d.relative_to(options.root) / "index.md"), problems, cache)
        if article is not None:
            articles.append(article)
    return articles


FRONT_FORMAT = 2     # bump when what a kept front matter holds changes


def _read(directory: Path, shown: str, problems: Problems, cache) -> Article | None:
    """`read_article`, with the checked front matter kept in `cache` (None: read it) by the
    hash of index.md: YAML is slow to read, and a journal holds hundreds of articles."""
    try:
        raw = (directory / "index.md").read_bytes()
        source = raw.decode("utf-8-sig")         # an editor's byte-order mark is no text
    except (OSError, UnicodeDecodeError):
        return read_article(directory, problems, display=shown)      # it says what is wrong
    key = key_of({"front": FRONT_FORMAT, "code": code_digest("."), "shown": shown,
                  "text": sha256_bytes(raw)}) if cache is not None else None
    parts, found = remembered(cache, key, lambda: _front(source, shown))
    problems.extend(found)
    return article_of(directory, parts) if parts is not None else None


def _front(source: str, shown: str) -> tuple:
    """(what `read_front` read, the problems it found)."""
    found = Problems()
    return read_front(source, shown, found), found
