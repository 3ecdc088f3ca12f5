"""The Jinja2 environment that renders Vellum's pages.

`environment()` loads the templates of this folder with HTML/XML autoescaping and strict
undefined values: a field missing from the context is an error at render time, never an
empty string on a published page. The context each template reads is written down in
`README.md` next to this file.

    env = environment()
    html = env.get_template("article.html").render(site=site, root="../", asset=asset,
                                                   page_url=url, build_date=day, article=a)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urljoin

import jinja2

TEMPLATE_DIR = Path(__file__).parent

__all__ = ["TEMPLATE_DIR", "environment", "last_modified", "long_date", "scholar_date",
           "atom_date", "absolute_url"]


def _field(obj: Any, name: str) -> Any:
    """Read `name` from a mapping or an object, as Jinja's attribute lookup does."""
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def long_date(day: dt.date) -> str:
    """`2026-11-26` -> `November 26, 2026`, the byline's form."""
    return f"{day:%B} {day.day}, {day.year}"


def scholar_date(day: dt.date) -> str:
    """The `YYYY/MM/DD` form Google Scholar's `citation_publication_date` asks for."""
    return f"{day:%Y/%m/%d}"


def atom_date(day: dt.date) -> str:
    """An RFC 3339 timestamp at midnight UTC, for Atom's `published` and `updated`."""
    if isinstance(day, dt.datetime):
        return day.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{day:%Y-%m-%d}T00:00:00Z"


def absolute_url(relative: str, base: str) -> str:
    """Resolve a site-relative URL against the journal's `base_url`."""
    return urljoin(base if base.endswith("/") else base + "/", relative)


def last_modified(article: Any) -> dt.date:
    """The latest of an article's published date and its update dates."""
    dates = [_field(u, "date") for u in _field(article, "updated") or ()]
    return max([_field(article, "published"), *dates])


def newest(articles: Iterable[Any]) -> dt.date | None:
    """The latest `last_modified` of a list of articles (the feed's `updated`)."""
    return max((last_modified(a) for a in articles), default=None)


def environment(journal: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment over this folder's templates, with Vellum's filters. A journal's
    own `templates/` folder (under `journal`) comes first: a template there replaces the
    package's one of the same name."""
    folders = [journal / "templates"] if journal is not None and (journal / "templates").is_dir() else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, TEMPLATE_DIR]),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(long_date=long_date, scholar_date=scholar_date, atom_date=atom_date,
                       absolute=absolute_url)
    env.globals.update(last_modified=last_modified, newest=newest)
    return env
