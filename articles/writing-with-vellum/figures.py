"""Charts for `{bokeh}` figures: each function returns a Bokeh model."""

from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure


def optimization_curve():
    """How a unit's objective rises over optimization steps (a schematic curve)."""
    steps = list(range(0, 257, 8))
    value = [round(6.0 * (1 - 0.5 ** (s / 40)), 3) for s in steps]
    source = ColumnDataSource({"step": steps, "objective": value})
    plot = figure(height=260, sizing_mode="stretch_width", x_axis_label="optimization step",
                  y_axis_label="objective", toolbar_location=None, tools="")
    plot.line("step", "objective", source=source, line_width=2, color="#3b6ea5")
    plot.scatter("step", "objective", source=source, size=5, color="#3b6ea5")
    plot.add_tools(HoverTool(tooltips=[("step", "@step"), ("objective", "@objective")]))
    return plot
