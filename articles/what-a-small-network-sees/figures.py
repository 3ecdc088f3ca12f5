"""Charts for `{bokeh}` figures of this article: each function returns a Bokeh model."""

from bokeh.layouts import row
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure

from generator import interpret as vi

PHOTOS = [("chelsea", "The cat photo"), ("coffee", "The coffee photo")]
COLORS = {"chelsea": "#3b6ea5", "coffee": "#b5651d"}


def class_probabilities():
    """The model's five most likely classes for each photo, as horizontal bars."""
    model = vi.load_model("efficientnet_lite0")
    plots = []
    for name, title in PHOTOS:
        top = vi.predict(model, vi.load_image(f"sample:{name}", model.input_size), top=5)
        labels = [f"{label} ({index})" for index, label, _ in top][::-1]
        source = ColumnDataSource({"label": labels, "probability": [p for _, _, p in top][::-1]})
        plot = figure(y_range=labels, x_range=(0, 1), height=230, width=380, title=title,
                      toolbar_location=None, tools="", x_axis_label="probability",
                      sizing_mode="stretch_width", min_width=300, max_width=420)
        plot.hbar(y="label", right="probability", height=0.7, source=source, color=COLORS[name])
        plot.xaxis.formatter = NumeralTickFormatter(format="0%")
        plot.add_tools(HoverTool(tooltips=[("class", "@label"), ("probability", "@probability{0.0%}")]))
        plots.append(plot)
    return row(*plots, sizing_mode="stretch_width",
               styles={"flex-wrap": "wrap", "justify-content": "center"})   # stacked on a phone
