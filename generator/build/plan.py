"""Step 3, plan: check every figure's spec and list the jobs that compute it.

A figure's plan is kept in the cache by the hash of what it reads (`plan_cache.py`), so a
rebuild whose figures did not change neither imports torch nor loads a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problems, SpecError
from ..figures import KINDS, FigureContext, FigureKind, spec_schema
from ..figures.base import Plan
from ..figures.inputs import named_photos
from ..figures.photo_choice import kind_for
from ..figures.model_cards import ModelCards
from ..interpret.errors import InterpretError
from ..pipeline.cache import Cache
from ..yamlload import LineDict
from . import plan_cache
from .options import BuildOptions
from .parse import ArticlePage, key_line


@dataclass
class FigurePlan:
    """One figure of an article: its kind, checked spec, context and the kind's plan."""

    directive: Any
    kind: FigureKind
    spec: dict
    ctx: FigureContext | None
    source: str
    plan: Plan = field(default_factory=Plan)
    plan_key: str | None = None        # under which the plan is kept (None: not kept)

    @property
    def jobs(self) -> list:
        return self.plan.jobs

    @property
    def name(self) -> str:
        return self.directive.id or f"#{self.directive.number} ({self.directive.kind})"

    @property
    def fix_hint(self) -> str:
        if self.directive.kind == "bokeh":
            return "fix the function in figures.py, or the `source:` that names it"
        return "check the figure's spec"


def plan_figures(pages: list[ArticlePage], options: BuildOptions, cards: ModelCards, cache: Cache | None,
                 problems: Problems, datasets: dict | None = None) -> list:
    """Every figure's plan, on its page; returns all their jobs. `cache` (None: plan every
    figure) keeps plans from one build to the next; `datasets` are those site.yml declares."""
    jobs = []
    for page in pages:
        meta = page.article.meta
        quality = options.quality_of(meta)
        article_model = _article_model(page, cards, problems)
        page.model = article_model or meta["model"]
        for directive in page.markdown.figures:
            kind = kind_for(KINDS[directive.kind], directive.spec)
            if "model" in kind.options and not directive.spec.get("model") and article_model is None:
                continue                              # the article's model is wrong: said once, above
            before = len(problems.errors)
            spec = spec_schema(kind, directive.spec.get("id")).validate(_with_lines(directive), page.source, problems,
                                              line=directive.line)
            figure = FigurePlan(directive, kind, spec, None, page.source)
            page.figures.append(figure)
            if len(problems.errors) > before:
                continue
            _check_alt(figure, meta["status"], problems)
            figure.ctx = FigureContext(
                article_dir=page.article.directory, source=page.source, line=directive.line,
                number=directive.number, caption_html=directive.caption_html,
                model=page.model, quality=quality, root=options.root,
                status=meta["status"], emit=None, cards=cards, datasets=datasets or {},
                blobs=options.cache_dir / "blobs",
            )
            try:
                if spec.get("model"):
                    figure.ctx.model = model_spec(spec["model"], page.article.directory, "model")
                figure.plan, figure.plan_key = plan_cache.plan(kind, spec, figure.ctx, cache)
            except (SpecError, InterpretError) as err:
                figure_error(problems, figure, err)
            else:
                _warn_transparency(figure, problems)
            jobs.extend(figure.jobs)
    return jobs


def model_spec(value: str, folder: Path, field: str = "model") -> str:
    """The model as the engine loads it. A file beside the article (`./mynet.py:make`, or
    `nets/mynet.py:make`) becomes its absolute path, and must lie inside the article's
    folder; a built-in name or `package.module:factory` stays as written."""
    file, _, factory = value.rpartition(":")
    if not file.endswith(".py"):
        return value
    path = (folder / file).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise SpecError(f"model file '{file}' is outside the article folder",
                        "keep the model's file inside the article's folder", field=field)
    if not path.is_file():
        raise SpecError(f"model file '{file}' not found", f"put it in {folder.name}/ or fix `{field}:`", field=field)
    return f"{path}:{factory}"


def _article_model(page: ArticlePage, cards: ModelCards, problems: Problems) -> str | None:
    """The article's model as the engine loads it (a file beside the article by its path),
    checked once, not at every figure, when a figure runs it; None when it is wrong then (the
    problem names the front matter's `model:` line)."""
    used = any("model" in KINDS[d.kind].options and not d.spec.get("model") for d in page.markdown.figures)
    try:
        spec = model_spec(page.article.meta["model"], page.article.directory)
        if used:
            cards.get(spec)
        return spec
    except (SpecError, InterpretError) as err:
        if not used:                              # only its unit references name it: they stay text
            return page.article.meta["model"]
        problems.error(page.source, key_line(page.article, "model"), f"front matter 'model': {err.message}",
                       err.fix)
        return None


def plan_more(pages: list[ArticlePage], results: dict, cache: Cache | None, problems: Problems) -> list:
    """The next stage of every plan that names more jobs once its first ones ran; returns
    the jobs added (none once every plan is whole)."""
    added = []
    for page in pages:
        for figure in page.figures:
            if not figure.plan.more:
                continue
            before = {job.key for job in figure.jobs}
            try:
                figure.plan, figure.plan_key = plan_cache.plan_more(
                    figure.kind, figure.spec, figure.ctx, figure.plan, figure.plan_key, results, cache)
            except (SpecError, InterpretError) as err:
                figure.plan = Plan(figure.jobs)
                figure_error(problems, figure, err)
            added += [job for job in figure.jobs if job.key not in before]
    return added


def figure_error(problems: Problems, figure: FigurePlan, err: SpecError | InterpretError) -> None:
    """A spec or engine error of `figure`, as a problem at the line of the key it names."""
    if getattr(err, "path", None):                # the mistake is in another file (a labels file)
        problems.error(err.path, err.line, err.message, err.fix)
        return
    field_name = getattr(err, "field", None)
    where = f" '{field_name}'" if field_name else ""
    message, fix = err.message, err.fix
    line = getattr(err, "line", None) or _spec_line(figure, field_name) or figure.directive.line
    problems.error(figure.source, line, f"figure {figure.name}{where}: {message}", fix)


def _spec_line(figure: FigurePlan, field_name: str | None) -> int | None:
    """The line of the spec key an error names (`classes[1]` is on the line of `classes:`)."""
    if not field_name:
        return None
    key = field_name.split("[", 1)[0].split(".", 1)[0]
    return figure.directive.key_lines.get(field_name) or figure.directive.key_lines.get(key)


def _with_lines(directive) -> LineDict:
    """The directive's spec as a LineDict, so schema errors name the line of each key."""
    spec = LineDict(directive.spec)
    spec.line = directive.line
    spec.lines = dict(directive.key_lines)
    return spec


def _warn_transparency(figure: FigurePlan, problems: Problems) -> None:
    """A photo with transparent pixels is composited on white before the model sees it: say
    so once, naming the file, so the author can choose the background."""
    if "model" not in figure.kind.options:
        return
    for field_name, value in named_photos(figure.spec):
        if field_name != "src" and not value.startswith("sample:") and _transparent(figure.ctx.article_dir / value):
            problems.warn(figure.source, _spec_line(figure, field_name) or figure.directive.line,
                          f"figure {figure.name} '{field_name}': {value} has transparent pixels; "
                          "the model sees them as white",
                          "flatten the photo on the background you want the model to see")


def _transparent(path: Path) -> bool:
    """Whether the image at `path` has a pixel that is not opaque (False if it is no image)."""
    from PIL import Image

    try:
        with Image.open(path) as picture:                  # reads the header; pixels only if there is alpha
            if "A" in picture.getbands():
                alpha = picture.getchannel("A")
            elif "transparency" in picture.info:
                alpha = picture.convert("RGBA").getchannel("A")
            else:
                return False
            return alpha.getextrema()[0] < 255
    except OSError:
        return False                                  # not an image: the figure's job says so


def _check_alt(figure: FigurePlan, status: str, problems: Problems) -> None:
    if figure.spec.get("alt"):
        return
    message = f"figure {figure.name} has no alt text"
    fix = "add `alt:` describing what the figure shows, for readers who cannot see it"
    if status == "published":
        problems.error(figure.source, figure.directive.line, message, fix)
    else:
        problems.warn(figure.source, figure.directive.line, message, fix)
