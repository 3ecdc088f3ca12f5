"""An article: `articles/<slug>/index.md`, YAML front matter between `---` lines, then Markdown.

The front matter is checked against a typed schema; every error names the file and the line
of the key, and unknown keys suggest the closest valid one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from . import schema as s
from .errors import BuildError, Problems, SpecError, read_user_text
from .yamlload import read_front_matter

LICENSES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": ("Creative Commons Attribution-NonCommercial 4.0 International",
                     "https://creativecommons.org/licenses/by-nc/4.0/"),
    "CC0-1.0": ("CC0 1.0 Universal (public domain dedication)", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "MIT": ("MIT License", "https://opensource.org/license/mit"),
}


def _affiliation(value):
    if isinstance(value, str):
        return {"name": s.text(value), "url": None}
    return s.record(AFFILIATION)(value)


AFFILIATION = s.Schema("affiliation", {
    "name": s.Option(s.text, required=True, doc="the institution's name"),
    "url": s.Option(s.optional(s.url)),
})

AUTHOR = s.Schema("author", {
    "name": s.Option(s.text, required=True, doc="the author's full name"),
    "url": s.Option(s.optional(s.url), doc="a personal page"),
    "affiliations": s.Option(s.list_of(_affiliation, single_ok=True), default=[]),
    "orcid": s.Option(s.optional(s.pattern(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", "0000-0002-1825-0097")),
                      doc="ORCID iD"),
})

UPDATE = s.Schema("update", {
    "date": s.Option(s.date, required=True, doc="when, as YYYY-MM-DD"),
    "note": s.Option(s.text, required=True, doc="what changed"),
})

FRONT_MATTER = s.Schema("front matter", {
    "title": s.Option(s.text, required=True, doc="the article's title"),
    "description": s.Option(s.text, default="", doc="one sentence for the index page and social cards"),
    "authors": s.Option(s.list_of(s.record(AUTHOR)), default=[], doc="who wrote it"),
    "published": s.Option(s.optional(s.date), doc="publication date, YYYY-MM-DD"),
    "updated": s.Option(s.list_of(s.record(UPDATE)), default=[], doc="updates and corrections"),
    "doi": s.Option(s.optional(s.pattern(r"10\.\d{4,9}/\S+", "10.23915/distill.00010")), doc="the DOI"),
    "bibliography": s.Option(s.optional(s.text), doc="a BibTeX file beside index.md"),
    "license": s.Option(s.one_of(*LICENSES), default=None, doc="the license of text and figures"),
    "model": s.Option(s.text, default="efficientnet_lite0", doc="default model of the figures"),
    "quality": s.Option(s.one_of("draft", "final"), default="draft", doc="quality profile of figures"),
    "status": s.Option(s.one_of("draft", "review", "published"), default="draft", doc="editorial status"),
    "thumbnail": s.Option(s.optional(s.text), doc="an image beside index.md for the index page"),
    "citations": s.Option(s.optional(s.one_of("numbered", "author-year")),
                          doc="numbered (the default) or author-year; overrides site.yml"),
})

@dataclass
class Article:
    """One article, parsed but not yet rendered."""

    slug: str
    directory: Path
    path: Path            # index.md
    meta: dict            # checked front matter
    body: str             # Markdown after the front matter
    body_first_line: int  # line of `body`'s first line in index.md

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def published(self) -> dt.date | None:
        return self.meta["published"]


def read_article(directory: Path, problems: Problems, display: str | None = None) -> Article | None:
    """Read and check `directory/index.md`. Problems are added to `problems`; returns None when
    the front matter cannot be read at all."""
    path = directory / "index.md"
    shown = display or str(path)
    try:
        source = read_user_text(path, shown)
    except (FileNotFoundError, IsADirectoryError):
        problems.error(shown, None, "article has no index.md", f"create {shown}")
        return None
    except BuildError as err:
        problems.errors.extend(err.problems)
        return None
    parts = read_front(source, shown, problems)
    if parts is None:
        return None
    return article_of(directory, parts)


def read_front(source: str, shown: str, problems: Problems) -> tuple[dict, str, int] | None:
    """(checked front matter, body, the body's first line) of an index.md's text, or None."""
    front = read_front_matter(source, shown, problems, keys="at least `title:`")
    if front is None:
        return None
    data = front.data
    meta = FRONT_MATTER.validate(data, shown, problems, line=1)
    if meta["status"] == "published" and meta["published"] is None and isinstance(data, dict):
        problems.error(shown, 1, "a published article needs a `published:` date",
                       "add `published: YYYY-MM-DD` or set `status: draft`")
    return meta, front.body, front.body_first_line


def article_of(directory: Path, parts: tuple[dict, str, int]) -> Article:
    """The article of `directory` from what `read_front` read."""
    meta, body, first_line = parts
    return Article(slug=directory.name, directory=directory, path=directory / "index.md", meta=meta,
                   body=body, body_first_line=first_line)


IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


def article_file(folder: Path, value: str, source: str, key: str) -> Path:
    """A file an article names, relative to its folder, which must exist inside that folder:
    a journal builds articles it did not write, and publishes nothing from outside them."""
    path = (folder / value).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise SpecError(f"file '{value}' is outside the article folder",
                        "keep an article's inputs inside its folder", field=key)
    if not path.is_file():
        shown = (Path(source).parent / value).as_posix()
        raise SpecError(f"file '{value}' not found", f"put it at {shown} or fix `{key}:`", field=key)
    return path


def is_scratch(name: str) -> bool:
    """Whether a file name is an editor's temporary or a hidden file, which a build neither
    reads nor watches: vim's `4913` and `*.swp`, `*~`, Emacs' `.#*` and `#*#`, dotfiles."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913")


def citation_style(article: Article, site: dict) -> str:
    """numbered or author-year: the article's `citations:`, else the journal's."""
    return article.meta["citations"] or site["citations"]


SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
SLUG_FIX = "use lowercase letters, digits and hyphens, e.g. what-the-network-sees"


def valid_slug(name: str) -> bool:
    """Whether a folder name can be an article's slug: it goes into URLs, the feed and the
    sitemap as it is, so no spaces, no capitals, nothing outside ASCII."""
    return bool(SLUG.fullmatch(name))
