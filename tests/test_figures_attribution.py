"""The `spatial-attribution` and `channel-attribution` figure kinds, on the tiny model and
profile: spec errors, job keys, cache hits, artifacts against their schemas, the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from generator.pipeline.runtime import CPU
from figure_projects import build_tiny, decoded, jobs_of, make_project, payload, schema, validate
from generator import interpret as vi
from generator.errors import BuildError, SpecError
from generator.figures import KINDS, spec_schema
from generator.figures import channel_attribution as ca
from generator.figures import spatial_attribution as sa
from generator.figures.model_cards import ModelCards

TINY = ModelCards(None).get("tiny")  # the tiny model's card, for icon jobs


LAYERS = """
```{spatial-attribution}
id: fig-layers
image: sample:chelsea
layers: [stem, blocks.1]
caption: Layer to layer.
alt: Attribution between two layers.
```
"""

CLASSES = """
```{spatial-attribution}
id: fig-classes
image: sample:chelsea
layer: blocks.0
classes: [3, 5]
caption: To classes.
alt: Attribution to two classes.
```
"""

CHANNELS = """
```{channel-attribution}
id: fig-channels
image: sample:chelsea
layer: blocks.1
classes: [3, 5]
top: 3
steps: 4
caption: Channels.
alt: Channels toward each class.
```
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("attribution"), LAYERS, CLASSES, CHANNELS)
    build_tiny(root)
    return root


# --- spec checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, field, words", [
    ({"layer": "blocks.0", "classes": [3, 10]}, "classes[1]", "model 'tiny' has 10 classes"),
    ({"layer": "blocks.0"}, "classes", "missing `classes:`"),
    ({"layers": ["blocks.1", "stem"]}, "layers", "does not come before"),
    ({"layers": ["stem"]}, "layers", "expected two layers"),
    ({"layers": ["stem", "blocks.1"], "layer": "stem"}, "layers", "not both"),
    ({"layer": "block.0", "classes": [1]}, "layer", "has no layer 'block.0'"),
    ({"layer": "classifier", "classes": [1]}, "layer", "model's output"),
    ({"layer": "blocks.0", "classes": [2, 2]}, "classes", "same class"),
    ({"layers": ["stem", "blocks.1"], "steps": 8}, "steps", "not layer to layer"),
])
def test_spatial_spec_errors(tmp_path, raw, field, words):
    with pytest.raises(SpecError) as err:
        jobs_of("spatial-attribution", {"image": "sample:chelsea", **raw}, tmp_path)
    assert err.value.field == field
    assert words in str(err.value)


def test_channel_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="model 'tiny' has 10 classes") as err:
        jobs_of("channel-attribution", {"image": "sample:chelsea", "layer": "blocks.1", "classes": [12, 1]}, tmp_path)
    assert err.value.field == "classes[0]"
    _, issues = spec_schema(KINDS["channel-attribution"]).check({"image": "sample:chelsea", "layer": "stem"})
    assert [i.field for i in issues] == ["classes"]


def test_build_reports_file_line_and_field(tmp_path):
    root = make_project(tmp_path, CLASSES.replace("classes: [3, 5]", "classes: [3, 99]"))
    with pytest.raises(BuildError) as err:
        build_tiny(root)
    text = str(err.value)
    assert "articles/a/index.md:" in text and "fig-classes 'classes[1]'" in text and "10 classes" in text


# --- job keys ------------------------------------------------------------------------------------

def test_keys_follow_exactly_what_changes_the_output(tmp_path):
    base = {"image": "sample:chelsea", "layer": "blocks.0", "classes": [3, 5]}
    key = jobs_of("spatial-attribution", base, tmp_path)[0].key
    assert jobs_of("spatial-attribution", {**base, "caption": "Other.", "id": "fig-x", "alt": "x"}, tmp_path)[0].key == key
    assert jobs_of("spatial-attribution", {**base, "layer": "blocks.1"}, tmp_path)[0].key != key
    assert jobs_of("spatial-attribution", {**base, "classes": [5, 3]}, tmp_path)[0].key != key
    assert jobs_of("spatial-attribution", {**base, "size": 48}, tmp_path)[0].key != key
    assert jobs_of("spatial-attribution", {**base, "steps": 8}, tmp_path)[0].key != key
    assert "steps" not in jobs_of("spatial-attribution", base, tmp_path)[0].params   # old keys stay valid


def test_channel_figure_shares_icon_jobs_with_the_layer(tmp_path):
    from generator.figures.icons import icon_jobs

    jobs = jobs_of("channel-attribution", {"image": "sample:chelsea", "layer": "blocks.1", "classes": [3]}, tmp_path)
    assert [j.key for j in jobs[1:]] == [j.key for j in icon_jobs(TINY, "blocks.1", range(24), "tiny")]
    with_steps = jobs_of("channel-attribution", {"image": "sample:chelsea", "layer": "blocks.1", "classes": [3],
                                              "steps": 4}, tmp_path)
    assert with_steps[0].key != jobs[0].key and [j.key for j in with_steps[1:]] == [j.key for j in jobs[1:]]


def test_rebuild_with_a_new_caption_runs_nothing(site, monkeypatch):
    def fail(params):
        raise AssertionError("the engine ran again")

    monkeypatch.setattr(sa, "run_spatial_attribution", fail)
    monkeypatch.setattr(ca, "run_channel_attribution", fail)
    index = site / "articles" / "a" / "index.md"
    original = index.read_text(encoding="utf-8")
    try:
        index.write_text(original.replace("caption: Channels.", "caption: Channels, again."), encoding="utf-8")
        build_tiny(site)
        assert "Channels, again." in (site / "build" / "a" / "index.html").read_text(encoding="utf-8")
    finally:
        index.write_text(original, encoding="utf-8")


# --- artifacts -----------------------------------------------------------------------------------

def test_layer_to_layer_data_is_valid_and_matches_the_engine(site):
    data = payload(site, "fig-layers")
    validate(data, "spatial-attribution")
    assert data["attribution"]["dtype"] == "uint8"
    model = vi.load_model("tiny")
    image = vi.load_image("sample:chelsea", 64)
    expected = vi.layer_attribution(model, image, "stem", "blocks.1").numpy()   # (H2, W2, H1, W1)
    rows = decoded(data["attribution"])                                         # (P2, P1)
    assert rows.shape == (expected.shape[0] * expected.shape[1], expected.shape[2] * expected.shape[3])
    tolerance = np.asarray(data["attribution"]["scale"])[:, None] / 2 + 1e-6
    assert (np.abs(rows - expected.reshape(rows.shape)) <= tolerance).all()
    assert [layer["name"] for layer in data["layers"]] == ["stem", "blocks.1"]
    assert (site / "build" / "a" / data["image"]).is_file()


def test_class_maps_include_the_difference(site):
    data = payload(site, "fig-classes")
    validate(data, "spatial-attribution")
    assert data["targets"] == ["class 3", "class 5", "class 3 − class 5"]
    maps = decoded(data["maps"])                                                # (3, H*W)
    scale = max(data["maps"]["scale"])
    assert np.allclose(maps[0] - maps[1], maps[2], atol=2 * scale)


def test_path_integrated_class_maps_match_the_engine(tmp_path):
    from generator.interpret import sample_path

    params = {"model": "tiny", "size": 64, "mode": "classes", "layer": "blocks.0", "classes": [3, 5],
              "steps": 8, "crop": "none", "files": {"image": str(sample_path("chelsea"))}}
    data = json.loads(sa.run_spatial_attribution(params, CPU)["attribution.json"])
    validate(data, "spatial-attribution")
    assert data["steps"] == 8
    assert data["photo"] == {"width": 96, "height": 64}          # chelsea (451x300) seen whole
    model, image = vi.load_model("tiny"), vi.load_image("sample:chelsea", 64)
    expected = vi.spatial_attribution(model, image, "blocks.0", (3, 5), steps=8).numpy().ravel()
    maps = decoded(data["maps"])                                                # (3, H*W)
    assert np.abs(maps[2] - expected).max() <= data["maps"]["scale"][2] / 2 + 1e-6
    assert "integrated gradients, 8 steps" in sa._describe(data)


def test_channel_scores_rank_the_shown_channels(site):
    html = (site / "build" / "a" / "index.html").read_text(encoding="utf-8")
    item = re.search(r'<script type="application/json" class="bokeh-item" data-target="fig-channels-chart"[^>]*>(.*?)</script>',
                     html, re.S)
    assert item and '"fig-channels-chart-source"' in item.group(1)
    model = vi.load_model("tiny")
    image = vi.load_image("sample:chelsea", 64)
    scores = vi.channel_attribution(model, image, "blocks.1", (3, 5), steps=4).numpy()
    shown = [int(c) for c in re.findall(r'<li class="ca-icon" data-index="\d+" data-channel="(\d+)"', html)]
    order = np.argsort(-scores)
    assert shown == [*order[:3], *order[::-1][:3][::-1]]
    assert "Toward class 3" in html and "Toward class 5" in html


def test_channel_job_artifact_is_valid(tmp_path):
    from generator.interpret import sample_path

    params = {"model": "tiny", "size": 64, "crop": "none", "layer": "blocks.1", "classes": [3, 5], "steps": None,
              "files": {"image": str(sample_path("chelsea"))}}
    data = json.loads(ca.run_channel_attribution(params, CPU)["scores.json"])
    jsonschema.validate(data, schema("channel-attribution"))
    assert data["integrated"] is None and data["linear"]["dtype"] == "float16"


# --- the page ------------------------------------------------------------------------------------

@pytest.mark.browser
def test_hover_and_arrow_keys_move_the_linked_views(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    page.locator("#fig-layers vellum-attribution.is-drawn").wait_for()   # laid out at once, drawn with its data
    earlier, later = page.locator("#fig-layers .va-panel").all()
    heat = "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join()"
    before = earlier.locator("canvas").evaluate(heat)
    later.focus()
    cell = later.locator(".va-cell")
    left = cell.evaluate("e => e.style.left")
    page.keyboard.press("ArrowRight")
    assert cell.evaluate("e => e.style.left") != left
    assert earlier.locator("canvas").evaluate(heat) != before
    box = earlier.locator(".va-stage").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    assert earlier.locator(".va-cell").evaluate("e => [e.hidden, e.style.left, e.style.top]") == [False, "0%", "0%"]
    assert "(0, 0) of stem" in page.locator("#fig-layers .va-readout").inner_text()
    page.locator("#fig-classes").scroll_into_view_if_needed()
    page.locator("#fig-classes vellum-attribution.is-drawn").wait_for()
    assert page.locator("#fig-classes .va-panel").count() == 3
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_a_position_of_a_class_map_shows_what_it_does(site, browser_page, width, height):
    """Pointing at a cell of the class maps outlines it in every map and shows its semantic
    dictionary, its attribution and the channels there pushing toward each class; pointing
    at one of those channels veils every map except where it fires."""
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    browser_page.open(site / "build" / "a" / "index.html")
    figure = page.locator("#fig-classes")
    figure.scroll_into_view_if_needed()
    stage = figure.locator(".va-stage").first
    figure.locator("vellum-attribution.is-drawn").wait_for()
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + box["height"] - 3)          # the bottom-left cell
    data = payload(site, "fig-classes")
    rows = data["layer"]["height"]
    assert figure.locator(".sd-where").inner_text() == f"blocks.0 at (0, {rows - 1})"
    tops = figure.locator(".va-cell").evaluate_all("cells => cells.map(c => [c.hidden, c.style.left, c.style.top])")
    assert len(tops) == 3 and len({tuple(t) for t in tops}) == 1 and tops[0][:2] == [False, "0%"]
    cell = (rows - 1) * data["layer"]["width"]
    numbers = figure.locator(".pos-attribution .pos-number").all_inner_texts()
    assert len(numbers) == 2 and len({len(n.split(".")[1]) for n in numbers}) == 1
    for text, value in zip(numbers, [row[cell] for row in data["position"]["positions"]["attribution"]]):
        assert abs(float(text.replace("\u2212", "-")) - value) <= 10 ** -len(text.split(".")[1])
    assert figure.locator(".pos-push-title").first.inner_text() == "Toward class 3 rather than class 5"
    item = figure.locator(".pos-push-item").first
    channel = item.locator(".pos-push-name").inner_text().split()[1]
    item.hover()
    veils = figure.locator("canvas.sd-map")
    assert veils.count() == 3
    assert veils.evaluate_all("vs => vs.map(v => !v.hidden && v.dataset.channel)") == [channel] * 3
    page.mouse.move(0, 0)
    assert veils.evaluate_all("vs => vs.map(v => v.hidden)") == [True] * 3
    stage.evaluate("""(s, w) => { const r = s.getBoundingClientRect();               // a tap, no move
        s.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, pointerType: 'touch',
            clientX: r.left + r.width * 1.5 / w, clientY: r.top + 2})); }""", data["layer"]["width"])
    assert figure.locator(".sd-where").inner_text() == "blocks.0 at (1, 0)"
    browser_page.assert_clean()


@pytest.mark.browser
def test_icons_and_bars_highlight_each_other(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    page.locator("#fig-channels").scroll_into_view_if_needed()
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
    icon = page.locator("#fig-channels .ca-icon").nth(1)
    icon.hover()
    selected = ("() => Bokeh.documents[0].get_model_by_name('fig-channels-chart-source').selected.indices")
    assert page.evaluate(selected) == [1]
    page.evaluate("() => document.dispatchEvent(new CustomEvent('vellum:bar-hover',"
                  " {detail: {chart: 'fig-channels-chart', index: 4}}))")
    assert page.locator("#fig-channels .ca-icon.is-active").get_attribute("data-index") == "4"
    veil = page.locator("#fig-channels .ca-photo canvas")           # a bar shows where its channel fires
    assert veil.is_visible()
    assert veil.get_attribute("data-channel") == page.locator('#fig-channels .ca-icon[data-index="4"]').get_attribute("data-channel")
    page.mouse.move(0, 0)
    icon.hover()                                                     # and so does an icon
    assert veil.get_attribute("data-channel") == icon.get_attribute("data-channel")
    painted = veil.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                                     let clear = 0; for (let i = 3; i < d.length; i += 4) if (d[i] < 40) clear++;
                                     return [c.width * c.height, clear]; }""")
    assert painted[0] > 1 and painted[1] >= 1                     # clear at least where the channel peaks
    page.mouse.move(0, 0)
    assert not veil.is_visible()
    browser_page.assert_clean()


def test_attribution_maps_are_square_cells_in_magenta_and_green():
    import io

    import numpy as np
    from PIL import Image

    from generator.figures.attribution_common import overlay_png

    photo = np.full((3, 40, 40), 0.5, np.float32)                       # a grey photo, 40 px
    picture = np.asarray(Image.open(io.BytesIO(overlay_png(photo, np.array([[1.0, -1.0], [-0.5, 0.0]])))))
    quadrants = [picture[:20, :20], picture[:20, 20:], picture[20:, :20], picture[20:, 20:]]
    for quadrant in quadrants:                                          # each cell one colour: no blur
        assert (quadrant == quadrant[0, 0]).all()
    support, oppose, weak, none = (q[0, 0].astype(int) for q in quadrants)
    assert support[0] > support[1] and support[2] > support[1]            # magenta: red and blue over green
    assert oppose[1] > oppose[0] and oppose[1] > oppose[2]                # green
    assert len(set(none.tolist())) == 1 and (weak != none).any()          # zero leaves the grey photo


def test_a_figure_writes_its_numbers_with_one_precision_and_a_true_minus():
    from generator.figures.numbers import decimals_for, number

    assert decimals_for([0.312, 0.0714, -0.00463]) == 3
    assert decimals_for([-21345.0, 6.2]) == 0 and decimals_for([0.0]) == 2
    assert [number(v, 3, sign=True) for v in (0.312, 0.0714, -0.00463, -0.0004, 0.0)] == \
        ["+0.312", "+0.071", "\u22120.005", "0.000", "0.000"]
    rows = [{"channel": c, "side": side, "score": v, "linear": v, "integrated": None}
            for c, side, v in [(1, "a", 0.312), (2, "a", 0.0714), (10, "b", -0.00463), (17, "b", -0.216)]]
    data = {"classes": [{"label": "cat"}, {"label": "dog"}], "integrated": None, "steps": 0}
    index = {"tile": [32, 32], "columns": 4, "width": 128, "height": 32}
    lists = ca.icon_lists(data, rows, "icons.webp", index)
    assert re.findall(r'class="ca-score">([^<]*)<', lists) == ["+0.312", "+0.071", "\u22120.005", "\u22120.216"]
    assert re.findall(r'score ([^"]*)"', lists) == ["+0.312", "+0.071", "\u22120.005", "\u22120.216"]
    item = json.loads(ca.chart_item(data, rows, "fig-x-chart")[0])
    text = json.dumps(item, ensure_ascii=False)
    assert "\u22120.216" in text and "font-family:var(--sans" in text    # the tooltip: site type, its numbers
