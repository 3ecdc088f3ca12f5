"""`python -m generator new SLUG`: a ready-to-edit article, a trimmed copy of the author's
guide with one example of each feature."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ..article import SLUG_FIX, valid_slug
from ..errors import BuildError, Problem

TEMPLATE = Path(__file__).parent / "template"
JOURNAL = Path(__file__).parent / "journal"


def create_article(root: Path, slug: str, today: dt.date | None = None) -> Path:
    """Create `articles/<slug>/` from the template; refuse a bad slug or an existing folder."""
    if not valid_slug(slug):
        raise BuildError([Problem(f"articles/{slug}", None, f"'{slug}' is not a valid article name", SLUG_FIX)])
    target = root / "articles" / slug
    if target.exists():
        raise BuildError([Problem(f"articles/{slug}", None, "an article with this name already exists",
                                  "pick another name or edit the existing article")])
    shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__"))
    index = target / "index.md"
    title = slug.replace("-", " ").capitalize()
    text = index.read_text(encoding="utf-8")
    text = text.replace("{{title}}", title).replace("{{date}}", (today or dt.date.today()).isoformat())
    index.write_text(text, encoding="utf-8")
    return index


def create_journal(folder: Path, today: dt.date | None = None) -> Path:
    """Start a journal in `folder` (new or empty): a commented `site.yml`, `articles/` with a
    starter article, a `.gitignore` and a README of the commands that matter there."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BuildError([Problem(str(folder), None, "this folder is not empty",
                                  "give `vellum init` a new folder, or run it in an empty one")])
    folder.mkdir(parents=True, exist_ok=True)
    words = folder.resolve().name.replace("-", " ").replace("_", " ").split()
    title = " ".join(w[:1].upper() + w[1:] for w in words) or "My Journal"   # first letters raised, the rest as typed
    for name, target in (("site.yml", "site.yml"), ("README.md", "README.md"), ("gitignore", ".gitignore")):
        text = (JOURNAL / name).read_text(encoding="utf-8").replace("{{title}}", title)
        (folder / target).write_text(text, encoding="utf-8")
    create_article(folder, "first-article", today)
    return folder
