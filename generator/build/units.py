"""Unit pages, planned: a page for every unit of every layer an article's figures use (and of
the layers `site.yml`'s `units:` asks for), under `units/<model>/<layer>/<n>/`.

A layer's pages need its channels' icons (the shared icon jobs every figure of the layer
uses), the dataset pass over the site's first dataset (shared with dataset-example figures)
and, once the pass says which they are, the crops of each unit's strongest and typical
photos. The jobs of a layer belong to the first article that uses it: they are precomputed
with its figures and kept in its freeze, so the site builds its unit pages from the freeze
like everything else. Rendering is `site/unit_pages.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Problems, SpecError
from ..figures.dataset_pass import example_job, pass_jobs, reduce_pass
from ..figures.base import model_slug
from ..figures.feature_vis import DIVERSITY_WEIGHT, VERSION as FEATURE_VIS_VERSION
from ..figures.icons import CHUNK, icon_jobs, icon_settings
from ..figures.unit_effects import effects_job
from ..interpret.errors import InterpretError
from .. import __version__
from ..pipeline.jobs import Job, key_of
from .keys import code_digest, remembered

TOP = 8                     # strongest photos shown per unit
CROP = 64                   # pixels of a photo crop on a unit page
DIVERSITY = 4               # diversity images per unit, made to differ from each other
DIVERSITY_SIZE = 64         # their side in pixels
QUANTILES = (0.5, 0.9, 0.99)


@dataclass
class UnitLayer:
    """One layer's unit pages: what they show and the jobs that compute it."""

    model: str                   # the model as figures name it (ctx.model)
    model_slug: str              # its folder under units/
    card: object                 # its ModelCard
    layer: str
    channels: int
    quality: str
    owner: object | None         # the ArticlePage whose freeze keeps the jobs
    dataset: object | None       # the site's dataset, or None (no examples)
    icons: list = field(default_factory=list)
    passes: list = field(default_factory=list)
    examples: Job | None = None
    diversity: list = field(default_factory=list)  # DIVERSITY images per unit, a job per 16 units
    effects: Job | None = None                     # on the logits and on the next unit layer
    following: "UnitLayer | None" = None           # the next layer of the model with unit pages
    previous: "UnitLayer | None" = None
    shown: dict = field(default_factory=dict)      # unit -> [(kind, value, where)]
    mentions: dict = field(default_factory=dict)   # unit or None (the layer) -> [(slug, title, anchor, label)]
    images: int = 0
    histograms: object = None                      # (C, bins) counts, from the pass
    class_means: dict = field(default_factory=dict)  # unit -> [(class, mean, photos)], labelled datasets
    cards: dict = field(default_factory=dict)      # unit -> what its card in an article shows (site/unit_pages)

    @property
    def jobs(self) -> list:
        return (self.icons + self.diversity + self.passes
                + [job for job in (self.effects, self.examples) if job is not None])

    @property
    def folder(self) -> str:
        return f"units/{self.model_slug}/{self.layer}"


def plan_units(pages: list, site: dict, datasets: dict, cards, problems: Problems, cache=None,
               quality: str | None = None) -> list[UnitLayer]:
    """The unit layers of the site, in the order articles first use them, with their first
    jobs. A layer's jobs are kept in `cache` by what names them (naming icon jobs reads the
    engine's render settings, which imports torch: a rebuild that changed nothing should not).
    A layer takes the quality of the first figure that uses it; the layers only `site.yml`
    asks for, `quality` (the build's `--quality`) or else the first article's."""
    found: dict[tuple[str, str], UnitLayer] = {}
    mixed: set = set()                           # (layer, article) already warned of another quality
    dataset = next((d for d in datasets.values() if hasattr(d, "images")), None)
    for page in pages:
        for figure in page.figures:
            if figure.ctx is None or "model" not in figure.kind.options:
                continue
            spec = figure.spec
            names = spec.get("layers") or ([spec["layer"]] if isinstance(spec.get("layer"), str) else [])
            for name in names:
                unit_layer = _layer(found, figure.ctx.model, name, cards, figure.ctx.quality, page, dataset)
                if unit_layer is None:
                    continue
                if unit_layer.quality != figure.ctx.quality and (unit_layer.layer, page.source) not in mixed:
                    mixed.add((unit_layer.layer, page.source))
                    problems.warn(figure.source, figure.directive.line,
                                  f"this figure is at {figure.ctx.quality} quality, but the unit pages of "
                                  f"{unit_layer.model_slug}/{unit_layer.layer} are at {unit_layer.quality}, the quality "
                                  f"of {unit_layer.owner.article.slug}, the first article that uses the layer: "
                                  f"a unit's card here would show another picture than the figure",
                                  "give the articles that share the layer the same `quality:`")
                label = f"Figure {figure.directive.number}"
                mention = (page.article.slug, page.article.meta["title"], figure.directive.id or "", label)
                units = spec.get("units")
                listed = units.get("list") if isinstance(units, dict) else None
                for unit in (listed or [None]):
                    where = unit_layer.mentions.setdefault(unit, [])
                    if mention not in where:
                        where.append(mention)
    for entry in site.get("units") or []:        # kept in the first article's freeze
        for name in _site_layers(entry, cards, problems):
            if pages:
                _layer(found, entry["model"], name, cards, quality or pages[0].article.meta["quality"], pages[0], dataset)
    layers = list(found.values())
    _chain(layers)
    for unit_layer in layers:
        try:
            unit_layer.icons, unit_layer.diversity, unit_layer.passes, unit_layer.effects = remembered(
                cache, _jobs_key(unit_layer), lambda: _jobs(unit_layer))
        except SpecError as err:                 # a dataset label the model does not know
            problems.error(err.path or "site.yml", err.line, err.message, err.fix)
    return layers


def without_absent_photos(layers: list[UnitLayer], kept, problems: Problems) -> None:
    """A dataset read from a freeze (its photos not on disk) passes through a layer only if a
    freeze or the cache keeps that pass (`kept(key)`): a layer new since, in a fresh clone
    without the photos, gets its unit pages without dataset examples, and a warning."""
    for unit_layer in layers:
        dataset = unit_layer.dataset
        if dataset is None or not dataset.frozen or all(kept(job.key) for job in unit_layer.passes):
            continue
        problems.warn("site.yml", dataset.line, f"the unit pages of {unit_layer.model_slug}/{unit_layer.layer} show "
                      f"no dataset examples: the photos of dataset '{dataset.name}' are not on disk",
                      "put them back to add them (`python -m generator datasets fetch` gets the example photos)")
        unit_layer.dataset, unit_layer.passes, unit_layer.effects = None, [], None


def _site_layers(entry: dict, cards, problems: Problems) -> list[str]:
    """The layers a `site.yml` `units:` entry asks for (`all`: the model's blocks); an unknown
    model or layer is an error naming the entry's line."""
    try:
        card = cards.get(entry["model"])
        if entry["layers"] == ["all"] and not any(info.name == "all" for info in card.layers):
            names = [info.name for info in card.blocks()]
            if not names:
                raise SpecError(f"model '{entry['model']}' has no numbered blocks for `layers: all` to page",
                                "list its layers instead, e.g. `layers: [features.3, features.7]`")
            return names
        for name in entry["layers"]:
            card.channel_map(name)
        return entry["layers"]
    except (SpecError, InterpretError) as err:
        message = getattr(err, "message", None) or str(err)
        fix = getattr(err, "fix", None) or "check the model's name (`python -m generator models`)"
        problems.error("site.yml", entry.get("line"), f"units: {message}", fix)
        return []


def _chain(layers: list[UnitLayer]) -> None:
    """Link each layer to the next and previous layers of its model that have unit pages, in
    the model's order."""
    by_model: dict[str, list[UnitLayer]] = {}
    for unit_layer in layers:
        by_model.setdefault(unit_layer.model, []).append(unit_layer)
    for group in by_model.values():
        order = [info.name for info in group[0].card.layers]
        group.sort(key=lambda u: order.index(u.layer))
        for earlier, later in zip(group, group[1:]):
            earlier.following, later.previous = later, earlier


def _jobs(unit_layer: UnitLayer) -> tuple[list, list, list, Job | None]:
    label = f"units {unit_layer.model_slug}/{unit_layer.layer}"
    card, layer = unit_layer.card, unit_layer.layer
    icons = icon_jobs(card, layer, range(unit_layer.channels), unit_layer.quality)
    diversity = [Job("generator.figures.feature_vis:render_diverse", FEATURE_VIS_VERSION,
                     params={"model": card.job_model, "layer": layer, "objective": "channel",
                             "units": list(range(start, min(start + CHUNK, unit_layer.channels))),
                             **icon_settings(unit_layer.quality, DIVERSITY_SIZE),
                             "n": DIVERSITY, "weight": DIVERSITY_WEIGHT, "webp": 80},
                     **card.job_io(), label=f"{label}: diversity {start}-{min(start + CHUNK, unit_layer.channels) - 1}")
                 for start in range(0, unit_layer.channels, CHUNK)]
    if unit_layer.dataset is None:
        return icons, diversity, [], None
    passes = pass_jobs(card, unit_layer.dataset, [layer], label)
    following = unit_layer.following.layer if unit_layer.following else None
    return icons, diversity, passes, effects_job(card, unit_layer.dataset, layer, following, label)


def _jobs_key(unit_layer: UnitLayer) -> str:
    """What names a layer's jobs: the code that makes them, the model and its weights, the
    layer, the quality and the dataset's manifest."""
    dataset = unit_layer.dataset
    return key_of({"unit-jobs": 2, "engine": __version__, "code": code_digest("build", "figures", "pipeline", "interpret"),
                   "model": unit_layer.model, "weights": unit_layer.card.weights_sha256, "layer": unit_layer.layer,
                   "quality": unit_layer.quality,
                   "following": unit_layer.following.layer if unit_layer.following else None,
                   "dataset": [dataset.name, dataset.manifest_sha256, str(dataset.folder)] if dataset else None})


def _layer(found: dict, model: str, name: str, cards, quality: str, page, dataset) -> UnitLayer | None:
    key = (model, name)
    if key in found:
        return found[key]
    try:
        card = cards.get(model)
        info = card.layer(name)
    except (SpecError, InterpretError):
        return None                              # the figure reports it
    if info.channels < 2 or info is card.layers[-1]:
        return None                              # logits and single numbers have no unit pages
    found[key] = UnitLayer(model, model_slug(model), card, info.name, info.channels, quality, page, dataset)
    return found[key]


def plan_units_more(layers: list[UnitLayer], results: dict) -> list[Job]:
    """Each layer's example crops, now that its pass ran: every unit's strongest photos and
    its typical ones (at the quantiles of a sample)."""
    jobs = []
    for unit_layer in layers:
        if not unit_layer.passes:
            continue
        stats = reduce_pass([results[job.key] for job in unit_layer.passes], unit_layer.layer)
        unit_layer.images = stats.images
        crops = {}
        for unit in range(unit_layer.channels):
            top = [("top", value, where) for value, where in stats.top(unit)[:TOP]]
            typical = [(f"q{q}", value, where) for q, value, where in stats.quantile_examples(unit, QUANTILES)]
            unit_layer.shown[unit] = top + typical
            crops[unit] = [where for _, _, where in unit_layer.shown[unit]]
        unit_layer.histograms = stats.histogram
        means = stats.class_means()                 # {class: (C,)}, for the photos with a label
        counts = dict(zip(stats.class_ids.tolist(), stats.class_counts.tolist()))
        for unit in range(unit_layer.channels) if means else ():
            ranked = sorted(means, key=lambda c: (-float(means[c][unit]), c))[:5]
            unit_layer.class_means[unit] = [(c, float(means[c][unit]), counts[c]) for c in ranked]
        unit_layer.examples = example_job(unit_layer.card, unit_layer.dataset, unit_layer.layer, crops,
                                          f"units {unit_layer.model_slug}/{unit_layer.layer}", side=CROP,
                                          webp_quality=75)
        jobs.append(unit_layer.examples)
    return jobs
