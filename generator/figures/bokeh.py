"""`{bokeh}`: any chart that a function in the article's `figures.py` returns.

The function runs as a job keyed by the bytes of `figures.py` and its name, so an unchanged
chart is never recomputed. Its Bokeh model is serialised with `bokeh.embed.json_item`; the
ids Bokeh hands out from a process-wide counter are renumbered in order of appearance, so
the same chart gives the same bytes in any build. The page embeds the JSON inline (no
fetch: it works from `file://`) and `assets/js/bokeh-figure.js` draws it with the BokehJS
copied from the installed bokeh package. Without JavaScript the reader sees a static PNG of
the chart drawn at build time (`chart_fallback.py`), or the alt text where it has none.
"""

from __future__ import annotations

import html
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

from .. import schema as s
from ..errors import SpecError, UserError, did_you_mean
from ..interpret import RESULTS_VERSION
from ..pipeline.jobs import Job, sha256_file
from ..pipeline.runtime import Runtime
from .base import FigureContext, KINDS, Plan, check_input_file, figure_html, figure_label, figure_stem

_SOURCE = re.compile(r"^(?P<file>[\w./-]+\.py):(?P<function>[A-Za-z_]\w*)$")


class FigureFunctionError(UserError):
    """The author's function raised or returned something that is not a Bokeh model."""


@KINDS.register
class BokehFigure:
    name = "bokeh"
    version = 4
    options = {
        "source": s.Option(s.pattern(_SOURCE.pattern, "figures.py:my_chart"), required=True,
                           doc="`file.py:function` beside index.md; the function returns a Bokeh model"),
        "height": s.Option(s.optional(s.integer(50, 2000)), doc="reserved height in pixels before it draws (default: the chart's own)"),
        "interactive": s.Option(s.boolean, default=False,
                                doc="keep the chart's pan and zoom tools (with a reset); off, a drag or the wheel "
                                    "over the chart scrolls the page and its data stays in view"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        match = _SOURCE.match(spec["source"])
        path = check_input_file(match["file"], ctx, "source")
        check_function(path, match["file"], match["function"])
        return Plan([Job(
            "generator.figures.bokeh:run_chart", self.version,
            # the chart's own code may call the engine: its results follow the engine's
            params={"file": match["file"], "function": match["function"], "engine": RESULTS_VERSION,
                    "interactive": spec["interactive"]},
            inputs={"source": sha256_file(path)},
            files={"source": str(path)},
            label=f"{figure_label(spec, ctx)}: {spec['source']}",
        )])

    def notebook(self, spec: dict, ctx: FigureContext) -> list[tuple[str, str]]:
        """Cells that draw the chart in a notebook from the article's own `figures.py`."""
        file, function = spec["source"].split(":")
        folder = Path(ctx.source).parent.as_posix()
        return [("markdown", f"The chart is drawn by `{function}` in `{folder}/{file}`."),
                ("code", "import importlib.util\nfrom bokeh.io import output_notebook, show\n\n"
                         f"spec = importlib.util.spec_from_file_location('figures', '{folder}/{file}')\n"
                         "figures = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(figures)\n"
                         f"output_notebook(hide_banner=True)\nshow(figures.{function}())")]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        item = results[0]["item.json"].decode("utf-8")
        stem = figure_stem(spec, ctx)
        target = f"{stem}-chart"
        alt = spec.get("alt") or ""
        picture = results[0].get("fallback.png")
        inner = embed_chart(ctx, item, target, alt, spec.get("height") or natural_height(picture) or 280, picture=picture,
                            stacked=None if spec.get("height") else stacked_size(item))
        return figure_html(spec, ctx, inner, extra_class="figure-bokeh")


def check_function(path: Path, file: str, function: str) -> None:
    """A SpecError unless `file` parses and defines `function` at its top level: read, not run,
    so `check` says it without running the author's code."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=file)
    except SyntaxError as exc:
        raise SpecError(f"{file}:{exc.lineno}: {exc.msg}", f"fix the Python in {file}", field="source") from None
    except UnicodeDecodeError:
        raise SpecError(f"{file} is not UTF-8 text", "save it as UTF-8", field="source") from None
    defined = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if function not in defined and not any(isinstance(node, (ast.Assign, ast.ImportFrom, ast.Import))
                                           and function in ast.unparse(node) for node in tree.body):
        raise SpecError(f"{file} has no function '{function}'",
                        did_you_mean(function, defined) if defined else f"define `def {function}():` in {file}",
                        field="source")


def natural_height(picture: bytes | None) -> int | None:
    """The height in pixels the chart takes when drawn at its own size: its static picture's,
    which `chart_fallback` draws at the plots' sizes (None without one)."""
    if picture is None:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(picture)) as image:
        return min(2000, image.height)


def stacked_size(item: str) -> tuple[int, int] | None:
    """(width, height) of a row of plots that wraps (`row(..., styles={"flex-wrap": "wrap"})`,
    each plot with a `min_width`): under that width its plots stack, and it is that tall."""
    root = json.loads(item).get("doc", {}).get("roots", [{}])[0]
    attributes = root.get("attributes", {})
    styles = attributes.get("styles") or {}
    if styles.get("type") == "map":                          # how Bokeh writes a dict
        styles = dict(styles.get("entries", []))
    if root.get("name") != "Row" or styles.get("flex-wrap") != "wrap":
        return None
    plots = [child.get("attributes", {}) for child in attributes.get("children", [])]
    if not plots or not all(isinstance(p.get("min_width"), int) and isinstance(p.get("height"), int) for p in plots):
        return None
    return sum(p["min_width"] for p in plots), sum(p["height"] for p in plots)


def embed_chart(ctx: FigureContext, item: str, target: str, alt: str, height: int, css: str = "",
                picture: bytes | None = None, stacked: tuple[int, int] | None = None) -> str:
    """A Bokeh `json_item` as the page embeds it: the target element and the JSON inline
    (drawn by `js/bokeh-figure.js` when it nears the viewport, no fetch). BokehJS itself
    (`data-bokeh`) is loaded only then, so a page whose charts are further down does not
    download it on opening. `picture` (PNG, from `chart_fallback.chart_png`) is what readers
    without JavaScript see, in the space reserved for the chart, and what prints while the
    chart is not drawn (hidden on screen, so never loaded there; js/print-pictures.js loads
    it); without one they read `alt`. A row of plots that wraps (`stacked`: the width under
    which it stacks, and its height then) reserves the stacked height on a narrow screen."""
    bokeh = ctx.emit.asset("bokeh/bokeh.min.js")
    ctx.emit.script("js/bokeh-figure.js")
    label = html.escape(alt, quote=True)
    if picture is not None:
        src = html.escape(ctx.emit.data(target, "png", picture))
        inside = (f'<noscript><img class="figure-fallback" src="{src}" alt="{label}"></noscript>'
                  f'<img class="chart-print" src="{src}" alt="" loading="lazy">')
    else:
        inside = f'<noscript><p class="figure-fallback">{html.escape(alt)}</p></noscript>'
    classes = "bokeh-figure" + (f" {css}" if css else "")
    payload = item.replace("</", "<\\/")   # no `</script>` inside the inline JSON
    stack = f' data-stack-width="{stacked[0]}" data-stack-height="{stacked[1]}"' if stacked else ""
    return (f'<div class="{classes}" id="{html.escape(target)}" role="img" '
            f'aria-label="{label}" style="min-height:{height}px"{stack}>{inside}</div>\n'
            f'<script type="application/json" class="bokeh-item" data-target="{html.escape(target)}" '
            f'data-bokeh="{html.escape(bokeh)}">{payload}</script>')


def run_chart(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: import the source file, call `function`, serialise the returned model."""
    from bokeh.embed import json_item
    from bokeh.model import Model

    path = Path(params["files"]["source"])
    module_name = f"vellum_figures_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        function = getattr(module, params["function"], None)
        if function is None:
            raise FigureFunctionError(f"{params['file']} has no function '{params['function']}'")
        model = function()
    except FigureFunctionError:
        raise
    except Exception as exc:  # the author's code: show its own error
        raise FigureFunctionError(f"{params['file']}:{params['function']} raised "
                                  f"{type(exc).__name__}: {exc}{_where(exc, path)}") from exc
    finally:
        sys.modules.pop(module_name, None)
    if not isinstance(model, Model):
        raise FigureFunctionError(f"{params['file']}:{params['function']} returned "
                                  f"{type(model).__name__}, not a Bokeh model — return the figure or layout")
    from .chart_fallback import chart_png

    calm_tools(model, params.get("interactive", False))
    site_tooltips(model)
    item = json_item(model)
    out = {"item.json": stable_ids(json.dumps(item, separators=(",", ":"))).encode("utf-8")}
    picture = chart_png(model)
    if picture is not None:
        out["fallback.png"] = picture
    return out


MOVING_TOOLS = ("PanTool", "WheelZoomTool", "WheelPanTool", "BoxZoomTool", "ZoomInTool", "ZoomOutTool",
                "BoxSelectTool", "LassoSelectTool", "PolySelectTool", "RangeTool")


def calm_tools(model, interactive: bool) -> None:
    """Keep a chart from trapping the page: no tool owns the wheel (it scrolls the page); and
    unless `interactive`, no tool pans, zooms or selects, so a drag or a swipe over the chart
    scrolls the page and its data never leaves the view. An interactive chart keeps its tools
    and gains a visible reset."""
    from bokeh.models import Plot, ResetTool

    for plot in model.select({"type": Plot}):
        if interactive:
            if not any(isinstance(tool, ResetTool) for tool in plot.tools):
                plot.add_tools(ResetTool())
            if plot.toolbar_location is None:
                plot.toolbar_location = "right"
        else:
            plot.tools = [tool for tool in plot.tools if type(tool).__name__ not in MOVING_TOOLS]
            plot.toolbar.active_drag = None
        plot.toolbar.active_scroll = None


TOOLTIP_ROW = ('<div style="display:flex;gap:0.6em;justify-content:space-between">'
               '<span style="color:#595959">{label}</span><span style="font-variant-numeric:tabular-nums">{value}</span></div>')


def site_tooltips(model) -> None:
    """Write the tooltips of a chart's hover tools (given as (label, value) rows) as HTML in
    the site's type and colours: sans-serif, dark text and labels at 7:1 on white, numbers in
    even columns (Bokeh's default writes labels in a light blue under 3:1)."""
    from bokeh.models import HoverTool

    for hover in model.select({"type": HoverTool}):
        rows = hover.tooltips
        if not isinstance(rows, list) or not rows:
            continue
        body = "".join(TOOLTIP_ROW.format(label=html.escape(str(label)), value=value) for label, value in rows)
        hover.tooltips = ('<div style="font-family:var(--sans, system-ui, sans-serif);font-size:13px;'
                          f'line-height:1.45;color:#1b1b1b;padding:2px 4px">{body}</div>')


def _where(exc: BaseException, path: Path) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (at {path.name} line {line})" if line else ""


def stable_ids(text: str) -> str:
    """Renumber Bokeh's `pNNNN` ids in order of first appearance."""
    mapping: dict[str, str] = {}

    def renumber(match: re.Match) -> str:
        old = match.group(2)
        new = mapping.setdefault(old, f"v{len(mapping) + 1}")
        return f'"{match.group(1)}":"{new}"'

    return re.sub(r'"(id|root_id)":"(p\d+)"', renumber, text)
