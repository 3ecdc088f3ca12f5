"""Build times of a journal of many text-only articles: does a rebuild cost what changed, or
what the journal holds?

    python -m benchmarks journal          # 400 articles: no-change rebuild and one-article edit
    python -m benchmarks journal --full   # also 200 and 800 articles

Each article has a title, authors, sections, math, footnotes and a ten-entry bibliography it
cites. Builds run as `python -m generator build` in a fresh project, timed from process
start to exit. Targets on a 2-core laptop CPU: under 1 s with nothing changed and under
1.5 s after editing one article, at 400 articles (measured here: 0.8 s and 1.0-1.2 s; 6.3 s
and 7.6 s before parses were kept and unchanged files linked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BIB_ENTRY = """@article{{ref{n},
  author = {{Example, Ada and Person, Bea}},
  title = {{Reference number {n}}},
  journal = {{Distill}},
  year = {{20{n:02d}}},
  doi = {{10.1234/ref.{n}}}
}}
"""

ARTICLE = """---
title: Article {i}
description: Text-only article number {i}.
authors:
  - name: Ada Example
    affiliations: [Example Lab]
published: 2026-01-{day:02d}
bibliography: references.bib
status: published
---

## Introduction {{#sec-intro}}

Paragraph one of article {i} cites [@ref1; @ref2] and a footnote.[^a] Math $x^2 + y^2$.

$$ E = \\sum_i x_i $$ {{#eq-e}}

## More {{#sec-more}}

As @sec-intro and @eq-e show, {cites}.

[^a]: A footnote of article {i}.
"""


def make_journal(root: Path, count: int) -> Path:
    root.mkdir(parents=True)
    shutil.copy(ROOT / "site.yml", root / "site.yml")
    bib = "".join(BIB_ENTRY.format(n=n) for n in range(1, 11))
    cites = ", ".join(f"[@ref{n}]" for n in range(3, 11))
    for i in range(count):
        folder = root / "articles" / f"article-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "index.md").write_text(ARTICLE.format(i=i, day=i % 28 + 1, cites=cites))
        (folder / "references.bib").write_text(bib)
    return root


def timed_build(project: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet"], cwd=project, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"build failed:\n{done.stderr}")
    return time.perf_counter() - start


def run(full: bool = False) -> dict[str, object]:
    results: dict[str, object] = {}
    for count in ((200, 400, 800) if full else (400,)):
        with tempfile.TemporaryDirectory() as tmp:
            project = make_journal(Path(tmp) / "journal", count)
            results[f"{count} articles: first build (s)"] = timed_build(project)
            results[f"{count} articles: no-change rebuild (s)"] = min(timed_build(project) for _ in range(3))
            edited = project / "articles" / "article-0007" / "index.md"
            timings = []
            for n in range(3):
                edited.write_text(edited.read_text().replace("Paragraph one", f"Paragraph {n} one", 1))
                timings.append(timed_build(project))
            results[f"{count} articles: one article edited (s)"] = min(timings)
    return results


if __name__ == "__main__":
    for key, value in run("--full" in sys.argv).items():
        print(f"{key}: {value:.3g}" if isinstance(value, float) else f"{key}: {value}")
