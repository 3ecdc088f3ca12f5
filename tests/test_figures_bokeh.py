"""`{bokeh}` figures: the chart's JSON for BokehJS, and a static picture of it without JavaScript."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image

from generator.build import BuildOptions, build
from generator.figures.chart_fallback import chart_png
from projects import article, make_project

CHARTS = '''
from bokeh.layouts import column, row
from bokeh.plotting import figure


def bars():
    plot = figure(x_range=["a", "b", "c"], height=200, width=300, title="Bars", tools="",
                  toolbar_location=None, x_axis_label="letter")
    plot.vbar(x=["a", "b", "c"], top=[1, 3, 2], width=0.8, color="#cc3311")
    line = figure(height=150, width=300, tools="", toolbar_location=None)
    line.line([0, 1, 2], [0, 1, 4], color="#0077bb", line_width=3)
    return column(plot, line)


def pair():
    plots = [figure(height=180, width=320, min_width=280, tools="", toolbar_location=None, sizing_mode="stretch_width")
             for _ in range(2)]
    for plot in plots:
        plot.line([0, 1], [0, 1])
    return row(*plots, sizing_mode="stretch_width", styles={"flex-wrap": "wrap"})


def wedges():
    plot = figure(height=200, width=200, tools="", toolbar_location=None)
    plot.wedge(x=[0], y=[0], radius=1, start_angle=0, end_angle=2, color="#009988")
    return plot
'''

BODY = """
```{bokeh}
id: fig-bars
source: figures.py:bars
alt: Three red bars of heights 1, 3 and 2, and a blue line rising.
```

```{bokeh}
id: fig-pair
source: figures.py:pair
alt: Two rising lines.
```

```{bokeh}
id: fig-wedge
source: figures.py:wedges
alt: One green wedge.
```
"""


def _built(tmp_path: Path) -> tuple[Path, str]:
    root = make_project(tmp_path, {"a": {"index.md": article(BODY), "figures.py": CHARTS}})
    build(BuildOptions(root=root, progress=False))
    return root, (root / "build" / "a" / "index.html").read_text()


def _figure(html: str, fig_id: str) -> str:
    return html.split(f'id="{fig_id}"', 1)[1].split("</figure>", 1)[0]


def test_without_javascript_a_chart_shows_its_picture(tmp_path):
    root, html = _built(tmp_path)
    figure = _figure(html, "fig-bars")
    assert re.search(r'<div class="bokeh-figure" id="fig-bars-chart"[^>]*><noscript>', figure), \
        "the picture should fill the space kept for the chart"
    noscript = re.search(r"<noscript>(.*?)</noscript>", figure, re.S)[1]
    src = re.search(r'<img class="figure-fallback" src="([^"]+)" alt="Three red bars', noscript)[1]
    picture = Image.open(root / "build" / "a" / src).convert("RGB")
    assert picture.size == (300, 350)                       # the column of a 300x200 and a 300x150 plot
    pixels = np.asarray(picture).reshape(-1, 3).astype(int)
    red = np.abs(pixels - [0xCC, 0x33, 0x11]).sum(1) < 30
    blue = np.abs(pixels - [0x00, 0x77, 0xBB]).sum(1) < 30
    assert red.sum() > 2000 and blue.sum() > 100            # the bars and the line are drawn
    rows = np.nonzero(red.reshape(350, 300).any(1))[0]
    assert rows.max() < 200                                  # the bars in the upper plot


def test_a_chart_keeps_its_own_height_before_it_draws_and_its_stacked_one_on_a_phone(tmp_path):
    _, html = _built(tmp_path)
    assert 'id="fig-bars-chart" role="img"' in html and 'style="min-height:350px">' in _figure(html, "fig-bars")
    pair = _figure(html, "fig-pair")                          # 280 + 280 wide side by side, else stacked
    assert 'style="min-height:180px" data-stack-width="560" data-stack-height="360">' in pair


def test_a_chart_of_glyphs_that_cannot_be_drawn_falls_back_to_its_alt_text(tmp_path):
    _, html = _built(tmp_path)
    noscript = re.search(r"<noscript>(.*?)</noscript>", _figure(html, "fig-wedge"), re.S)[1]
    assert noscript == '<p class="figure-fallback">One green wedge.</p>'


def test_the_picture_is_the_same_bytes_every_time():
    from bokeh.plotting import figure

    def chart():
        plot = figure(width=200, height=120, tools="", toolbar_location=None)
        plot.scatter([1, 2, 3], [3, 1, 2], size=8)
        return plot

    first = chart_png(chart())
    assert first == chart_png(chart()) and Image.open(io.BytesIO(first)).size == (200, 120)


def test_charts_neither_pan_nor_zoom_nor_take_the_wheel_unless_asked():
    from bokeh.plotting import figure

    from generator.figures.bokeh import MOVING_TOOLS, calm_tools

    plot = figure(tools="pan,wheel_zoom,box_zoom,hover,reset,save")          # Bokeh's usual tools
    calm_tools(plot, interactive=False)
    names = {type(tool).__name__ for tool in plot.tools}
    assert not names & set(MOVING_TOOLS) and "HoverTool" in names
    assert plot.toolbar.active_drag is None and plot.toolbar.active_scroll is None
    asked = figure(tools="pan,wheel_zoom", toolbar_location=None)
    calm_tools(asked, interactive=True)
    names = {type(tool).__name__ for tool in asked.tools}
    assert {"PanTool", "WheelZoomTool", "ResetTool"} <= names              # kept, with a reset
    assert asked.toolbar_location == "right" and asked.toolbar.active_scroll is None
