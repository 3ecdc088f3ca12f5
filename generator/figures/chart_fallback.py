"""A static picture of a Bokeh chart, for readers without JavaScript, for print and for feeds.

`chart_png(model)` draws, with matplotlib, the glyphs that charts are mostly made of: lines,
scatter markers, vertical and horizontal bars and quads. It reads each plot's data sources,
title, axis labels, ranges (numeric or categorical) and colours, formats percentage axes as
Bokeh's `NumeralTickFormatter("0%")` does, and lays the plots of a `row`, `column` or
`gridplot` out the same way. Glyphs it does not know are left out; when a chart has nothing
it can draw, it returns None and the figure falls back to its alt text alone.
"""

from __future__ import annotations

import io
import math

import numpy as np

DPI = 100
DEFAULT_COLOR = "#1f77b4"


def chart_png(model) -> bytes | None:
    """PNG bytes of the chart, or None when none of its glyphs can be drawn."""
    from bokeh.models import Plot

    grid = _arrangement(model, Plot)
    if not grid:
        return None
    from matplotlib.figure import Figure   # no pyplot: no backend or global state is touched

    rows, cols = len(grid), max(len(r) for r in grid)
    widths = [max((_size(r[c])[0] for r in grid if c < len(r)), default=400) for c in range(cols)]
    heights = [max(_size(p)[1] for p in r) for r in grid]
    figure = Figure(figsize=(sum(widths) / DPI, sum(heights) / DPI), dpi=DPI)
    figure.set_layout_engine("constrained")
    axes = figure.subplots(rows, cols, squeeze=False, width_ratios=widths, height_ratios=heights)
    drawn = 0
    for i, row in enumerate(grid):
        for j in range(cols):
            ax = axes[i][j]
            if j >= len(row) or not _draw_plot(row[j], ax):
                ax.set_axis_off()
            else:
                drawn += 1
    if not drawn:
        return None
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _arrangement(model, plot_type) -> list[list]:
    """The plots of `model` as rows: a row of plots is one row, a column of plots one plot per
    row, anything else (a grid, nested layouts) one plot per row in the order Bokeh lists them."""
    from bokeh.models import Column, Row

    if isinstance(model, plot_type):
        return [[model]]
    children = list(getattr(model, "children", None) or [])
    if children and all(isinstance(c, plot_type) for c in children):
        if isinstance(model, Row):
            return [children]
        if isinstance(model, Column):
            return [[c] for c in children]
    return [[p] for p in model.select({"type": plot_type})]


def _size(plot) -> tuple[int, int]:
    return (plot.width or 600, plot.height or 300)


def _column(spec, data: dict, n: int | None = None):
    """A glyph property's values: a column of the source, or one value repeated."""
    if isinstance(spec, str) and spec in data:
        return list(data[spec])
    field = getattr(spec, "field", None)
    if field is not None and field in data:
        return list(data[field])
    value = getattr(spec, "value", spec)
    if isinstance(value, dict):
        value = value.get("value")
    return [value] * (n or 1) if value is not None else None


def _color(spec, data: dict):
    value = _column(spec, data, 1)
    if not value or not isinstance(value[0], str):
        return DEFAULT_COLOR
    values = _column(spec, data)
    return values if values and len(values) > 1 and isinstance(spec, str) and spec in data else value[0]


def _positions(values, factors: list | None):
    """Numbers for a coordinate column: categories sit at the middle of their band."""
    if values is None:
        return None
    if factors:
        index = {f: k for k, f in enumerate(factors)}
        return np.array([index.get(v, math.nan) + 0.5 for v in values], dtype=float)
    return np.array(values, dtype=float)


def _draw_plot(plot, ax) -> bool:
    from bokeh.models import FactorRange, GlyphRenderer, NumeralTickFormatter

    xf = list(plot.x_range.factors) if isinstance(plot.x_range, FactorRange) else None
    yf = list(plot.y_range.factors) if isinstance(plot.y_range, FactorRange) else None
    drawn = False
    for renderer in plot.renderers:
        if not isinstance(renderer, GlyphRenderer) or not renderer.visible:
            continue
        data = dict(getattr(renderer.data_source, "data", {}))
        n = len(next(iter(data.values()))) if data else 1
        drawn |= _draw_glyph(renderer.glyph, data, n, ax, xf, yf)
    if not drawn:
        return False
    if plot.title is not None and plot.title.text:
        ax.set_title(plot.title.text, fontsize=10, loc="left")
    for bokeh_axes, axis, factors, rng, set_lim in ((plot.xaxis, ax.xaxis, xf, plot.x_range, ax.set_xlim),
                                                    (plot.yaxis, ax.yaxis, yf, plot.y_range, ax.set_ylim)):
        source = bokeh_axes[0] if bokeh_axes else None
        if source is not None and source.axis_label:
            axis.set_label_text(source.axis_label, fontsize=9)
        if factors:
            axis.set_ticks([k + 0.5 for k in range(len(factors))], [str(f) for f in factors], fontsize=8)
            set_lim(0, len(factors))
        elif _finite(getattr(rng, "start", None)) and _finite(getattr(rng, "end", None)):
            set_lim(rng.start, rng.end)   # a DataRange1d has none: matplotlib fits the data
        if isinstance(getattr(source, "formatter", None), NumeralTickFormatter) and "%" in source.formatter.format:
            from matplotlib.ticker import PercentFormatter

            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return True


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _draw_glyph(glyph, data: dict, n: int, ax, xf, yf) -> bool:
    kind = type(glyph).__name__
    col = lambda name: _column(getattr(glyph, name), data, n)   # noqa: E731
    if kind == "Line":
        x, y = _positions(col("x"), xf), _positions(col("y"), yf)
        ax.plot(x, y, color=_color(glyph.line_color, data), linewidth=glyph.line_width or 1)
    elif kind in ("Scatter", "Circle"):
        x, y = _positions(col("x"), xf), _positions(col("y"), yf)
        size = col("size") if hasattr(glyph, "size") else None
        area = (np.array(size, dtype=float) * 0.75) ** 2 if size and size[0] is not None else 20
        ax.scatter(x, y, s=area, color=_color(glyph.fill_color, data), zorder=3)
    elif kind == "VBar":
        x = _positions(col("x"), xf)
        top, bottom = np.array(col("top"), dtype=float), np.array(col("bottom"), dtype=float)
        ax.bar(x, top - bottom, width=col("width"), bottom=bottom, color=_color(glyph.fill_color, data))
    elif kind == "HBar":
        y = _positions(col("y"), yf)
        right, left = np.array(col("right"), dtype=float), np.array(col("left"), dtype=float)
        ax.barh(y, right - left, height=col("height"), left=left, color=_color(glyph.fill_color, data))
    elif kind == "Quad":
        left, right = np.array(col("left"), dtype=float), np.array(col("right"), dtype=float)
        bottom, top = np.array(col("bottom"), dtype=float), np.array(col("top"), dtype=float)
        ax.bar(left, top - bottom, width=right - left, bottom=bottom, align="edge",
               color=_color(glyph.fill_color, data))
    else:
        return False
    return True
