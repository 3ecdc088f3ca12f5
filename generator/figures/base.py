"""What every figure kind shares: the spec keys common to all, the `FigureKind` protocol,
the context a kind is given, and the `<figure>` wrapper with number and caption.

A figure kind is the only place that knows both a spec and the engine. Each kind is one file
in this package and registers itself in `generator.figures.KINDS`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Callable, Protocol

from .. import schema as s
from ..article import article_file
from ..errors import SpecError, did_you_mean
from .model_cards import journal_path, shown_model

if TYPE_CHECKING:
    from .model_cards import ModelCard, ModelCards

LAYOUTS = ("body", "page", "screen", "gutter")

COMMON_OPTIONS: dict[str, s.Option] = {
    "id": s.Option(s.optional(s.pattern(r"fig-[A-Za-z0-9_-]+", "fig-cat-grid")),
                   doc="anchor for cross-references, `fig-...`"),
    "caption": s.Option(s.optional(s.text), default="", doc="Markdown caption"),
    "alt": s.Option(s.optional(s.text), doc="text for readers who cannot see the figure"),
    "layout": s.Option(s.one_of(*LAYOUTS), default="body", doc="width of the figure"),
}

IMAGE_OPTION = s.Option(s.text, required=True, doc="sample:NAME or a path relative to the article")
CROP_OPTION = s.Option(s.one_of("none", "center"), default="none",
                       doc="how the model sees the photo: whole, shorter side at its input size "
                           "(none), or the centre square (center)")
PHOTO_OPTIONS: dict[str, s.Option] = {"image": IMAGE_OPTION, "crop": CROP_OPTION}

MODEL_OPTIONS: dict[str, s.Option] = {
    "model": s.Option(s.optional(s.text), doc="overrides the article's `model:`"),
    "size": s.Option(s.optional(s.integer(16, 1024)), doc="image size in pixels"),
    "steps": s.Option(s.optional(s.integer(1, 20000)), doc="optimization steps"),
}


def model_slug(model: str) -> str:
    """The folder of a model's unit pages: its name, or for a model from a file the file's
    stem (`lite1` for `./lite1.py:make`)."""
    file, _, _ = model.rpartition(":")
    name = PurePath(file).stem if file.endswith(".py") else model
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def units_url(model: str, layer: str) -> str:
    """The URL, from an article page, of the folder of `layer`'s unit pages (a unit's page is
    `<that>N/index.html`; the build writes one for every layer a figure uses)."""
    return f"../units/{model_slug(model)}/{layer}/"


@dataclass
class FigureContext:
    """What a figure kind may know about where its figure lives."""

    article_dir: Path          # the article's folder (inputs are relative to it)
    source: str                # index.md as shown in messages
    line: int                  # line of the directive's opening fence
    number: int                # figure number in the article
    caption_html: str          # the caption, rendered (Markdown, citations, cross-refs)
    model: str                 # the model to use (spec or article default)
    quality: str               # quality profile name
    status: str                # the article's editorial status
    emit: "Emitter"            # where output files go
    cards: "ModelCards"        # the build's model facts
    datasets: dict = field(default_factory=dict)   # name -> generator.datasets.Dataset (site.yml)
    blobs: Path | None = None  # where jobs' computed input files go (`pipeline.blobs`; None: a temporary folder)
    frame: Callable[[str, str], str] | None = None  # wraps a kind's views instead of `frame_figure` (photo_choice)
    root: Path | None = None   # the journal's folder, where notebooks and readers run from

    def shown(self, path: Path | str) -> str:
        """`path` as the published site names it (notebooks, provenance): `journal_path`."""
        return journal_path(path, self.root)

    @property
    def model_shown(self) -> str:
        """The model as the published site names it: `shown_model`."""
        return shown_model(self.model, self.root)

    def card(self) -> "ModelCard":
        """The card of the figure's model: its layers, labels, input size and weights."""
        return self.cards.get(self.model)

    def blob(self, data: bytes) -> tuple[str, Path]:
        """(sha256, path) of `data` kept as a file a job can read: name it in the job's
        `inputs` and `files` (see `pipeline.blobs`)."""
        import tempfile

        from ..pipeline.blobs import stored

        if self.blobs is None:
            self.blobs = Path(tempfile.mkdtemp(prefix="vellum-blobs-"))
        return stored(self.blobs, data)

    def dataset(self, name: str, field: str = "dataset"):
        """The dataset `site.yml` declares as `name`, or a SpecError naming those it declares."""
        if name not in self.datasets:
            declared = ", ".join(sorted(self.datasets)) or "none"
            hint = f"{did_you_mean(name, self.datasets)} " if self.datasets else ""
            raise SpecError(f"no dataset '{name}' (site.yml declares: {declared})",
                            f"{hint}datasets are declared under `datasets:` in site.yml", field=field)
        found = self.datasets[name]
        if not hasattr(found, "images"):                   # declared, but its folder is not there
            message, fix = found.problem
            raise SpecError(message, fix, field=field)
        return found


class Emitter(Protocol):
    """Writes files of the built page and returns their URLs relative to the article page."""

    def data(self, stem: str, ext: str, content: bytes) -> str: ...

    def script(self, name: str) -> str:
        """Ask the page to load a script from the static assets (e.g. a component); returns
        its URL relative to the page."""
        ...

    def style(self, name: str) -> str:
        """Ask the page to link a stylesheet from the static assets (a component's CSS);
        returns its URL relative to the page."""
        ...

    def asset(self, name: str) -> str:
        """The URL, relative to the page, of a static asset the page does not load itself (a
        component loads it when it needs it, as BokehJS when a chart comes near)."""
        ...


Artifacts = dict[str, bytes]


@dataclass
class Plan:
    """What a kind's `plan` returns.

    jobs: the jobs (`generator.pipeline.Job`) that compute the figure; `render` receives
    their results in this order. data: what the kind worked out while planning and `render`
    needs, as plain values. more: True when the kind can name further jobs only from these
    jobs' results (which icons a dictionary shows depends on the forward pass that computes
    it); the build then runs these jobs and calls `kind.plan_more(spec, ctx, plan, results)`,
    which returns the whole plan."""

    jobs: list = field(default_factory=list)
    data: Any = None
    more: bool = False


class FigureKind(Protocol):
    """A figure kind: its options, its precompute jobs, its HTML and its notebook cells."""

    name: str
    version: int
    options: dict[str, s.Option]

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        """The jobs that compute this figure, checked against the model's card."""
        ...

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[Artifacts]) -> str:
        """The figure's inner HTML, from the artifacts of the plan's jobs (same order)."""
        ...

    def notebook(self, spec: dict, ctx: FigureContext) -> list[tuple[str, str]]:
        """(cell type, source) pairs that reproduce the figure with the public API."""
        ...


def figure_label(spec: dict, ctx: FigureContext) -> str:
    """How progress lines and job labels name a figure: its id, or "figure N"."""
    return spec.get("id") or f"figure {ctx.number}"


def figure_stem(spec: dict, ctx: FigureContext) -> str:
    """The stem of a figure's data files and data key: its id, or "figure-N"."""
    return spec.get("id") or f"figure-{ctx.number}"


def figure_html(spec: dict, ctx: FigureContext, inner: str, *, extra_class: str = "") -> str:
    """The `<figure>` wrapper: id, layout class, the inner HTML, number and caption; or, for
    one photo of a figure with `images:`, what `ctx.frame` makes of the inner HTML."""
    if ctx.frame is not None:
        return ctx.frame(inner, extra_class)
    return frame_figure(spec, ctx, inner, extra_class=extra_class)


def frame_figure(spec: dict, ctx: FigureContext, inner: str, *, extra_class: str = "") -> str:
    """The `<figure>` element around `inner`."""
    fig_id = f' id="{html.escape(spec["id"])}"' if spec.get("id") else ""
    classes = f"vellum-figure l-{spec['layout']}" + (f" {extra_class}" if extra_class else "")
    caption = (f'<figcaption><span class="figure-number">Figure {ctx.number}:</span> '
               f"{ctx.caption_html}</figcaption>")
    return f'<figure class="{classes}"{fig_id}>\n{inner}\n{caption}\n</figure>'


def check_input_file(value: str, ctx: FigureContext, key: str) -> Path:
    """A file named relative to the article, which must exist inside the article folder."""
    return article_file(ctx.article_dir, value, ctx.source, key)


@dataclass
class Registry:
    """Figure kinds by name; `register` is used as a decorator on each kind's class."""

    kinds: dict[str, FigureKind] = field(default_factory=dict)

    def register(self, cls: Callable[[], FigureKind]):
        kind = cls()
        self.kinds[kind.name] = kind
        return cls

    def __contains__(self, name: str) -> bool:
        return name in self.kinds

    def __getitem__(self, name: str) -> FigureKind:
        return self.kinds[name]

    def names(self) -> list[str]:
        return sorted(self.kinds)


KINDS = Registry()


def spec_schema(kind: FigureKind, figure_id: str | None = None) -> s.Schema:
    """The schema of `kind`'s specs; its messages name the figure by its id when it has one."""
    name = f"figure {figure_id}" if isinstance(figure_id, str) and figure_id else f"figure '{kind.name}'"
    return s.Schema(name, {**COMMON_OPTIONS, **kind.options})


def clean_spec(spec: dict) -> dict:
    """The spec as the author wrote it (defaults filled), without build-internal keys."""
    out = {}
    for key, value in spec.items():
        if key.startswith("_") or value is None:
            continue
        out[key] = str(value) if isinstance(value, PurePath) else value
    return out
