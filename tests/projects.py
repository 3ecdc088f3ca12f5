"""Small throwaway Vellum projects for tests: a site.yml, the real assets, and articles."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SITE_YML = """title: Test Journal
description: A journal for tests.
base_url: https://journal.example.org/
license: CC-BY-4.0
"""

BIB = """@article{olah2017feature,
  author  = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title   = {Feature Visualization},
  journal = {Distill},
  year    = {2017},
  doi     = {10.23915/distill.00007}
}

@inproceedings{erhan2009visualizing,
  author    = {Erhan, Dumitru and Bengio, Yoshua and Courville, Aaron and Vincent, Pascal},
  title     = {Visualizing Higher-Layer Features of a Deep Network},
  booktitle = {ICML Workshop on Learning Feature Hierarchies},
  year      = {2009}
}
"""

FRONT = """---
title: A Test Article
description: An article for tests.
authors:
  - name: Ada Example
    affiliations: [Example Lab]
published: 2026-11-20
bibliography: references.bib
status: draft
---
"""


def make_project(root: Path, articles: dict[str, dict[str, str]] | None = None) -> Path:
    """Write a project under `root`. `articles` maps slug -> {file name: text}; text is
    dedented. An article without `index.md` gets FRONT plus a paragraph."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text(SITE_YML)
    for slug, files in (articles or {}).items():
        folder = root / "articles" / slug
        folder.mkdir(parents=True, exist_ok=True)
        files = dict(files)
        files.setdefault("references.bib", BIB)
        files.setdefault("index.md", FRONT + "\nHello.\n")
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text))
    return root


def article(body: str, front: str = FRONT) -> str:
    """index.md text: front matter and a dedented body."""
    return front + textwrap.dedent(body)
