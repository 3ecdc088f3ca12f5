"""`freeze`, `verify` and `reproduce`: committed results, checked against a recomputation.

- `freeze SLUG` stores the results of an article's figures in `articles/SLUG/_freeze/` for
  commit; builds use them when their keys match, so the article rebuilds identically anywhere.
- `verify SLUG` recomputes every frozen result and reports, per artifact, the largest
  difference and pass or fail against the tolerances stated in `generator/compare.py`.
- `reproduce articles/SLUG/index.md#fig-id` recomputes one figure, writes its artifacts to
  `reproduce/SLUG/fig-id/` and compares them with the build's.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import platform
from pathlib import Path

from . import __version__
from .build import BuildOptions, build
from .build.discover import discover
from .compare import Difference, compare_artifacts
from .errors import BuildError, Problem, Problems, did_you_mean
from .build.precompute import computing
from .pipeline.cache import Cache
from .pipeline.executors import JobFailed, unique
from .pipeline.freeze import FreezeStore
from .pipeline.jobs import Job
from .pipeline.progress import NullProgress, TqdmProgress

log = logging.getLogger(__name__)


def _plan(options: BuildOptions, slug: str):
    """Build one article without publishing; returns the report (pages, results)."""
    return build(dataclasses.replace(options, article=slug, write=False))


def recompute(jobs: list[Job], options: BuildOptions, pages, what: str = "recompute"):
    """Yield (job, artifacts) for every job computed afresh, as each ends: neither freeze nor
    cache is read or written. They run side by side as a build's do (`--jobs`, `--scheduler`,
    `--device`), with a progress bar unless `options.progress` is off: a final-quality
    article is hours of CPU. The first job that fails ends it with a `BuildError` naming the
    figure of `pages` that needs it."""
    progress = TqdmProgress(desc=what) if options.progress else NullProgress()
    with computing(options, pages) as executor:
        progress.start(len(jobs), side_by_side=executor.side_by_side if jobs else 1, waiting=jobs)
        outcomes = executor.run(jobs)
        try:
            for outcome in outcomes:
                progress.advance(outcome.job, False, outcome.seconds)
                if outcome.error is not None:
                    raise JobFailed(outcome.job, outcome.error, [(outcome.job, outcome.error)]) from outcome.error
                yield outcome.job, outcome.artifacts
        finally:
            outcomes.close()                 # a pool still running stops its workers
            progress.finish()


def freeze_article(options: BuildOptions, slug: str) -> tuple[Path, int, str]:
    """Compute (or find) every result of the article and freeze it. Returns the freeze
    folder, the number of entries and the quality frozen.

    Each result goes into the freeze as soon as it is computed or found, beside the entries
    the freeze held: a freeze of hours that is stopped keeps its work (and can be committed,
    to go on elsewhere), while the article still builds from the entries it had. The last
    step rewrites the folder with exactly the article's results."""
    report = _plan(dataclasses.replace(options, freezing=True), slug)
    page = report.articles[0]
    jobs = [job for figure in page.figures for job in figure.jobs] + page.unit_jobs
    quality = options.quality_of(page.article.meta)
    devices = sorted({_device(report.results.get(j.key, {})) for j in jobs} - {None})
    provenance = {
        "article": slug,
        "quality": quality,
        "devices": devices,
        "engine_version": __version__,
        "python": platform.python_version(),
        "note": ("final quality computed on a GPU" if quality == "final" and any("cuda" in d for d in devices)
                 else f"{quality} quality computed on {', '.join(devices) or 'this machine'}"),
    }
    used = {f.spec["dataset"]: f.ctx.datasets[f.spec["dataset"]] for f in page.figures
            if f.ctx is not None and f.spec.get("dataset") in f.ctx.datasets}
    if used:   # the manifests, so the article builds from its freeze without the photos
        provenance["datasets"] = {name: json.loads(d.to_json()) for name, d in sorted(used.items())}
    cache = Cache(options.root / ".cache")
    for job in jobs:  # what the build used (an older freeze first) is frozen again as it is
        if cache.get(job.key) != report.results[job.key]:
            cache.put(job.key, report.results[job.key])
    store = FreezeStore(page.article.directory / "_freeze")
    keys = store.freeze(jobs, cache, provenance=provenance)
    if quality == "tiny":                     # the test profile: no article says it
        log.warning("%s is frozen at tiny quality: build and verify it with `--quality tiny`, or a build "
                    "computes its %s results again instead of taking these", f"articles/{slug}/index.md",
                    page.article.meta["quality"])
    elif quality != page.article.meta["quality"]:
        log.warning("%s says `quality: %s`: set `quality: %s` in its front matter, or a build computes "
                    "its %s results again instead of taking these", f"articles/{slug}/index.md",
                    page.article.meta["quality"], quality, page.article.meta["quality"])
    return store.root, len(keys), quality


def _device(artifacts: dict) -> str | None:
    import json

    raw = artifacts.get("run-record.json")
    return json.loads(raw).get("device") if raw else None


@dataclasses.dataclass
class Verification:
    label: str
    key: str
    differences: list[Difference]

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.differences)


def dataset_differences(options: BuildOptions, slug: str) -> tuple[list[str], bool]:
    """How the datasets on disk differ from those the article was frozen with: (one line per
    difference, whether a dataset is missing altogether, so nothing that needs it can be
    recomputed)."""
    from .datasets import read_datasets
    from .site.config import read_site

    index = FreezeStore(options.root / "articles" / slug / "_freeze").index
    frozen = index.get("provenance", {}).get("datasets", {})
    if not frozen:
        return [], False
    problems = Problems()
    declared = read_site(options.root, problems)["datasets"] or {}
    current = read_datasets(options.root, declared, Problems(), hashes=options.cache_dir / "datasets")
    lines, missing = [], False
    for name, manifest in sorted(frozen.items()):
        then = {path: sha for path, sha, _ in manifest["images"]}
        if not hasattr(current.get(name), "images"):
            missing = True
            where = declared.get(name, {}).get("path", "?")
            fix = " (`python -m generator datasets fetch` gets it)" if name == "example-photos" else ""
            lines.append(f"dataset '{name}' is not on disk ({where}): the article was frozen with "
                         f"{len(then)} images; put them back to verify what needs them{fix}")
            continue
        now = {image.path: image.sha256 for image in current[name].images}
        if now == then:
            continue
        added, removed = sorted(set(now) - set(then)), sorted(set(then) - set(now))
        changed = sorted(p for p in set(now) & set(then) if now[p] != then[p])
        parts = [f"{len(x)} {word} (e.g. {x[0]})" for x, word in ((added, "added"), (removed, "removed"),
                                                               (changed, "changed")) if x]
        lines.append(f"dataset '{name}' on disk is not the one the article was frozen with: "
                     + ", ".join(parts) + "; its figures' frozen results will not be used")
    return lines, missing


def verify_article(options: BuildOptions, slug: str) -> tuple[list[Verification], list[str], dict[str, int]]:
    """Recompute every frozen entry that the article still plans. Returns the verifications,
    the labels of frozen entries the article no longer uses (stale), and how many unused
    entries a freeze that has not finished put there, by the quality it was at (pending)."""
    folder = options.root / "articles" / slug / "_freeze"
    if not folder.parent.is_dir():                   # no such article: the build's own message says so
        discover(dataclasses.replace(options, article=slug), Problems())
    store = FreezeStore(folder)
    if not store.keys():
        raise BuildError([Problem(f"articles/{slug}/_freeze", None, "nothing is frozen for this article",
                                  f"run `python -m generator freeze {slug}` first")])
    report = _plan(options, slug)
    page = report.articles[0]
    planned = {job.key: job for job in [*(j for f in page.figures for j in f.jobs), *page.unit_jobs]}
    unused = {key: store.index["entries"].get(key, {}) for key in store.keys() if key not in planned}
    stale = [record.get("label") or key[:12] for key, record in unused.items() if not record.get("pending")]
    pending = collections.Counter(str(record["pending"]) for record in unused.values() if record.get("pending"))
    checks = [Verification(job.label or job.fn, job.key, compare_artifacts(store.get(job.key), fresh))
              for job, fresh in recompute([planned[k] for k in store.keys() if k in planned], options,
                                          report.articles, "verify")]
    return sorted(checks, key=lambda check: check.key), stale, dict(pending)


def _figure_ids(options: BuildOptions, slug: str) -> list[str]:
    """The ids of the article's figures, from its Markdown alone (no model, no plan)."""
    from .build.discover import discover
    from .build.parse import parse_article
    from .site.config import read_site

    problems = Problems()
    one = dataclasses.replace(options, article=slug)
    pages = [parse_article(a, read_site(options.root, problems), one, problems) for a in discover(one, problems)]
    problems.raise_if_any()
    return [d.id for page in pages for d in page.markdown.figures if d.id]


def reproduce_figure(options: BuildOptions, target: str, out: Path | None = None):
    """Recompute the figure `articles/SLUG/index.md#fig-id`; returns (folder, verifications)."""
    path, _, fig_id = target.partition("#")
    parts = Path(path).parts
    if len(parts) < 3 or parts[0] != "articles" or not fig_id:
        raise BuildError([Problem(target, None, "expected a figure address like articles/SLUG/index.md#fig-id",
                                  "name the article's index.md and the figure's id after #")])
    slug = parts[1]
    ids = _figure_ids(options, slug)            # read from the Markdown, before any planning
    if fig_id not in ids:
        raise BuildError([Problem(path, None, f"no figure with id '{fig_id}'", did_you_mean(fig_id, ids))])
    report = _plan(options, slug)
    figure = next(f for f in report.articles[0].figures if f.directive.id == fig_id)
    folder = out or options.root / "reproduce" / slug / fig_id
    checks = []
    for job, fresh in recompute(unique(figure.jobs), options, report.articles, fig_id):
        job_dir = folder / job.key[:12]
        job_dir.mkdir(parents=True, exist_ok=True)
        for name, data in fresh.items():
            (job_dir / name).write_bytes(data)
        checks.append(Verification(job.label or job.fn, job.key, compare_artifacts(report.results[job.key], fresh)))
    order = {job.key: i for i, job in enumerate(figure.jobs)}
    return folder, sorted(checks, key=lambda check: order[check.key])
