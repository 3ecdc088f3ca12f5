"""Charts for this article's `{bokeh}` figures: each function returns a Bokeh model."""

from bokeh.plotting import figure


def chart():
    plot = figure(height=240, sizing_mode="stretch_width", toolbar_location=None, tools="")
    plot.line([0, 1, 2, 3, 4], [0, 1, 1.5, 2.5, 3], line_width=2)
    return plot
