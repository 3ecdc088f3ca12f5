"""What a build is asked to do, and what it reports.

The options are also the build's effects, passed in rather than read from the environment:
where it computes (`device`, `workers`, `scheduler`, or a ready `executor`), where it keeps
results (`cache`), and whether it shows progress. Tests build with their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem


@dataclass
class BuildOptions:
    """What `python -m generator build` was asked to do."""

    root: Path = field(default_factory=Path.cwd)    # the project: site.yml, articles/, assets/
    out: Path | None = None                          # default: root / "build"
    article: str | None = None                       # build only this slug
    quality: str | None = None                       # overrides each article's `quality:`
    fresh: bool = False                              # ignore freeze and cache
    review: bool = False                             # build review copies
    scheduler: str | None = None                     # a Dask scheduler address
    workers: int | None = None                       # local processes (default: one per core)
    device: str = "cpu"                              # where feature visualizations render
    executor: Any = None                             # a ready executor (default: from the three above)
    cache: Path | None = None                        # default: root / ".cache"
    write: bool = True                               # False: build, but publish nothing
    check: bool = False                              # True: validate only; compute and write nothing
    compute_only: bool = False                       # True: compute every result into the cache; write nothing
    freezing: bool = False                           # True: put each result into its article's freeze as it comes
    progress: bool = True

    @property
    def output(self) -> Path:
        return self.out or self.root / "build"

    @property
    def cache_dir(self) -> Path:
        return self.cache or self.root / ".cache"

    def quality_of(self, meta: dict) -> str:
        """The quality an article computes at: `--quality`, else its front matter's."""
        return self.quality or meta["quality"]


@dataclass
class BuildReport:
    pages: list[str]
    warnings: list[Problem]
    jobs: int
    seconds: float
    articles: list = field(default_factory=list)     # the ArticlePages built
    results: dict = field(default_factory=dict)      # job key -> artifacts
    computed: int = 0                                # jobs not found in a freeze or the cache
