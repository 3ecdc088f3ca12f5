"""The `activation-grid` and `semantic-dictionary` figure kinds, on the tiny model and profile."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from generator.errors import BuildError, SpecError
from generator.figures import activation_grid as ag
from generator.figures import icons
from generator.pipeline.sprites import unpack_sprite
from generator.figures.model_cards import ModelCards

from figure_projects import build_tiny, data_script_payload, figure, make_project, page_html, plan_of, planned, schema

TINY = ModelCards(None).get("tiny")  # the tiny model's card, for icon jobs

GRID = figure("activation-grid", """
id: fig-grid
image: sample:chelsea
layers: [blocks.0, blocks.1]
caption: The grid.
alt: A grid of synthetic images.
""")
DICT = figure("semantic-dictionary", """
id: fig-dict
image: sample:chelsea
layer: blocks.1
caption: Hover the photo.
alt: The photo and a dictionary.
""")
DICT_AT = figure("semantic-dictionary", """
id: fig-dict-at
image: sample:chelsea
layer: blocks.1
at: [2, 3]
top: 3
caption: One position.
alt: Three channel icons.
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("grid"), GRID, DICT, DICT_AT)
    build_tiny(root)
    return root


def payload(site: Path, stem: str) -> dict:
    [path] = (site / "build" / "a" / "data").glob(f"{stem}.*.js")
    return data_script_payload(path)


def validator(name: str) -> Draft202012Validator:
    dictionary = schema("semantic-dictionary")
    registry = Registry().with_resource(dictionary["$id"], Resource.from_contents(dictionary))
    return Draft202012Validator(schema(name), registry=registry)


# --- spec -----------------------------------------------------------------------------------

def test_grid_needs_exactly_one_of_layer_and_layers(tmp_path):
    with pytest.raises(SpecError) as both:
        planned("activation-grid", {"image": "sample:chelsea", "layer": "blocks.0", "layers": ["blocks.1"]}, tmp_path)
    with pytest.raises(SpecError) as none:
        planned("activation-grid", {"image": "sample:chelsea"}, tmp_path)
    assert both.value.field == "layers" and none.value.field == "layer"


def test_dictionary_position_outside_the_grid_is_reported(tmp_path):
    root = make_project(tmp_path, figure("semantic-dictionary",
                                         "id: fig-d\nimage: sample:chelsea\nlayer: blocks.1\nat: [12, 0]\nalt: x"))
    with pytest.raises(BuildError) as err:
        build_tiny(root)       # chelsea (451x300) whole is 96x64 px for the tiny model: 12x8 cells
    assert ("figure fig-d 'at': position (12, 0) is outside the layer's 12x8 grid on this photo — "
            "use x from 0 to 11") in str(err.value)
    square = make_project(tmp_path / "square", figure(
        "semantic-dictionary", "id: fig-d\nimage: sample:chelsea\ncrop: center\nlayer: blocks.1\nat: [8, 0]\nalt: x"))
    with pytest.raises(BuildError) as err:
        build_tiny(square)     # its centre square: 8x8 cells
    assert "position (8, 0) is outside the layer's 8x8 grid on this photo — use x from 0 to 7" in str(err.value)


def test_a_grid_of_too_many_positions_is_refused_before_it_runs(tmp_path, monkeypatch):
    from generator.figures import activation_grid

    monkeypatch.setattr(activation_grid, "MOST_CELLS", 8 * 8)         # the tiny model's blocks.0 is 16x16
    planned("activation-grid", {"image": "sample:chelsea", "layer": "blocks.1"}, tmp_path)
    with pytest.raises(SpecError) as err:
        planned("activation-grid", {"image": "sample:chelsea", "layer": "blocks.0"}, tmp_path)
    assert err.value.field == "layer" and err.value.message.startswith("layer 'blocks.0' has 16x16 positions")


def test_unknown_sample_is_reported(tmp_path):
    with pytest.raises(SpecError) as err:
        planned("semantic-dictionary", {"image": "sample:chelsee", "layer": "blocks.1"}, tmp_path)
    assert err.value.field == "image" and "'chelsea'" in err.value.fix


# --- jobs -----------------------------------------------------------------------------------

def test_grid_keys_follow_layer_and_image_not_caption(tmp_path):
    base = {"image": "sample:chelsea", "layer": "blocks.1"}
    _, jobs = planned("activation-grid", {**base, "caption": "One."}, tmp_path)
    _, same = planned("activation-grid", {**base, "caption": "Two.", "id": "fig-b"}, tmp_path)
    _, layer = planned("activation-grid", {**base, "layer": "blocks.0"}, tmp_path)
    _, image = planned("activation-grid", {**base, "image": "sample:coffee"}, tmp_path)
    assert [j.key for j in jobs] == [j.key for j in same]
    assert jobs[0].key not in {layer[0].key, image[0].key}


def test_grid_and_dictionary_share_icons(tmp_path):
    _, grid = plan_of("activation-grid", {"image": "sample:chelsea", "layer": "blocks.1"}, tmp_path)
    _, dictionary = planned("semantic-dictionary", {"image": "sample:chelsea", "layer": "blocks.1"}, tmp_path)
    icon_keys = {j.key for j in grid.jobs if j.fn.endswith(":render_icons")}
    assert icon_keys and icon_keys == {j.key for j in dictionary if j.fn.endswith(":render_icons")}
    channels = grid.data["channels"][0]
    assert {j.key for j in icons.icon_jobs(TINY, "blocks.1", channels, "tiny")} == icon_keys


# --- build ----------------------------------------------------------------------------------

def test_grid_data_is_valid_and_complete(site):
    data = payload(site, "fig-grid")
    validator("activation-grid").validate(data)
    assert [layer["layer"] for layer in data["layers"]] == ["blocks.0", "blocks.1"]
    for layer in data["layers"]:
        cells = rows_cols = layer["rows"] * layer["cols"]
        assert layer["cells"]["count"] == cells and layer["cells"]["columns"] == layer["cols"]
        assert len(layer["channels"]) == len(layer["magnitude"]) == rows_cols
        used = {c for cell in layer["channels"] for c in cell}
        assert used <= set(layer["icons"]["channels"])
        assert all(v == sorted(v, reverse=True) for v in layer["values"])
    sheet = site / "build" / "a" / data["layers"][1]["cells"]["src"]
    assert (data["layers"][1]["cols"], data["layers"][1]["rows"]) == (12, 8)   # chelsea whole, 3:2
    assert data["photo_size"] == {"width": 96, "height": 64}
    assert unpack_sprite(sheet.read_bytes(), data["layers"][1]["cells"]).shape[0] == 96


def test_each_position_knows_what_it_does(site):
    """Its attribution to the two likeliest classes sums the channels' gradient x activation,
    the channels it lists push toward one class rather than the other, its group shares sum to
    one, and every listed channel has an icon and a map."""
    from generator import interpret as vi
    from generator.interpret.attribution import layer_gradient
    from generator.interpret.samples import sample_path

    layer = payload(site, "fig-grid")["layers"][1]
    positions = layer["positions"]
    model = vi.load_model("tiny")
    image = vi.load_image(sample_path("chelsea"), model.input_size, "none")
    activation, grads = layer_gradient(model, image, "blocks.1", positions["classes"])
    attribution = (grads * activation).flatten(2)                       # (2, C, H*W)
    assert np.allclose(positions["attribution"], attribution.sum(1).numpy(), atol=1e-4)
    difference = (attribution[0] - attribution[1]).numpy()              # (C, H*W)
    cell = int(np.argmax(np.abs(difference).max(0)))
    toward_a, toward_b = positions["pushing"][cell]
    assert toward_a and toward_a[0][0] == int(np.argmax(difference[:, cell]))
    assert toward_b and toward_b[0][0] == int(np.argmin(difference[:, cell]))
    assert all(v > 0 for _, v in toward_a + toward_b)
    shares = np.array(positions["groups"]["share"])                    # (H*W, groups)
    assert shares.shape == (96, 6) and np.allclose(shares.sum(1)[shares.sum(1) > 0], 1, atol=0.01)
    shown = {c for cell in positions["pushing"] for side in cell for c, _ in side}
    assert shown <= set(layer["icons"]["channels"]) and shown <= set(layer["maps"]["channels"])


def test_grid_has_a_static_fallback_image(site):
    html = page_html(site)
    grid = html.split('id="fig-grid"', 1)[1].split("</figure>", 1)[0]
    src = re.search(r'<img class="figure-fallback" src="([^"]+)" alt="A grid of synthetic images."', grid)[1]
    assert (site / "build" / "a" / src).is_file()
    assert src == payload(site, "fig-grid")["layers"][0]["cells"]["src"]   # one file: picture and sprite


def test_the_grid_lays_out_before_its_data_with_a_sharper_photo_for_dense_screens(site):
    """The layout the grid draws before its data (`data-layout`) agrees with the data, and the
    photo comes with a second file of the same crop at twice the size (chelsea is 451x300, the
    tiny model sees it 64 px high, so there are the pixels)."""
    import html as html_lib
    import json

    from PIL import Image

    figure = page_html(site).split('id="fig-grid"', 1)[1].split("</figure>", 1)[0]
    layout = json.loads(html_lib.unescape(re.search(r'data-layout="([^"]+)"', figure)[1]))
    data = payload(site, "fig-grid")
    assert layout["photo"] == data["photo"] and layout["photo_size"] == data["photo_size"]
    for laid, layer in zip(layout["layers"], data["layers"], strict=True):
        assert (laid["rows"], laid["cols"], laid["cells"]) == (layer["rows"], layer["cols"], layer["cells"])
        assert laid["top"] == len(layer["channels"][0]) and laid["labels"] == layer["positions"]["labels"]
    one, two = [part.rsplit(" ", 1) for part in layout["photo_srcset"].split(", ")]
    assert one == [data["photo"], "1x"] and two[1] == "2x"
    small, sharp = (Image.open(site / "build" / "a" / src) for src in (one[0], two[0]))
    assert sharp.size == (2 * small.size[0], 2 * small.size[1])
    small_pixels = np.asarray(small.convert("RGB"), dtype=float)
    halved = np.asarray(sharp.convert("RGB").resize(small.size, Image.BOX), dtype=float)
    assert np.abs(halved - small_pixels).mean() < 6                   # the same crop of the same photo


def test_dictionary_data_is_valid(site):
    data = payload(site, "fig-dict")
    validator("semantic-dictionary").validate(data)
    assert data["k"] == 4 and (site / "build" / "a" / data["photo"]).is_file()


def test_interactive_dictionary_without_javascript_shows_its_strongest_position(site):
    data = payload(site, "fig-dict")
    strongest = max(range(len(data["magnitude"])), key=lambda i: data["magnitude"][i])
    x, y = strongest % data["cols"], strongest // data["cols"]
    figure = page_html(site).split('id="fig-dict"', 1)[1].split("</figure>", 1)[0]
    frame = figure.split('class="sd-frame"', 1)[1].split("</div>", 1)[0]
    mark = re.search(r'<span class="sd-fallback sd-box" style="([^"]+)"', frame)[1]
    assert f"left:{100 * x / data['cols']:.3f}%" in mark and f"top:{100 * y / data['rows']:.3f}%" in mark
    assert f"position ({x}, {y})" in figure


def test_fixed_dictionary_is_static_html(site):
    html = page_html(site)
    fixed = html.split('id="fig-dict-at"', 1)[1].split("</figure>", 1)[0]
    assert "position (2, 3)" in fixed
    assert len(re.findall(r'class="sd-item"', fixed)) == 3
    assert "<vellum-dictionary" not in fixed


def test_rebuild_hits_the_cache(site, monkeypatch):
    def fail(params, runtime):
        raise AssertionError("the engine ran on a rebuild")

    monkeypatch.setattr(icons, "render_icons", fail)
    monkeypatch.setattr(ag, "render_grid", fail)
    before = page_html(site)
    build_tiny(site)
    assert page_html(site) == before


# --- browser --------------------------------------------------------------------------------



@pytest.mark.browser
def test_grid_keys_hover_and_layer_switch(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    figure = page.locator("#fig-grid")
    figure.scroll_into_view_if_needed()
    grid = figure.locator(".ag-grid")
    figure.locator("vellum-activation-grid.is-drawn").wait_for()     # laid out at once, drawn with its data
    panel = figure.locator(".sd-panel")
    start = panel.inner_text()
    grid.focus()
    page.keyboard.press("Home")
    assert panel.locator(".sd-where").inner_text() == "blocks.0 at (0, 0)"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert panel.locator(".sd-where").inner_text() == "blocks.0 at (1, 1)"
    assert panel.locator(".sd-item").count() == 4
    figure.locator('.ag-cell[data-i="5"]').hover()
    assert panel.locator(".sd-where").inner_text() == "blocks.0 at (5, 0)"
    figure.locator(".ag-switch button", has_text="blocks.1").click()
    assert figure.locator(".ag-cell").count() == 96
    assert panel.locator(".sd-where").inner_text().startswith("blocks.1 at")
    assert start
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_a_position_is_marked_in_every_view_and_tells_what_it_does(site, browser_page, width, height):
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    browser_page.open(site / "build" / "a" / "index.html")
    figure = page.locator("#fig-grid")
    figure.scroll_into_view_if_needed()
    figure.locator(".ag-switch button", has_text="blocks.1").click()
    data = payload(site, "fig-grid")["layers"][1]
    cell = 3 * 12 + 7                                                   # (7, 3)
    figure.locator(f'.ag-cell[data-i="{cell}"]').click()
    assert figure.locator(".ag-cell.is-selected").get_attribute("data-i") == str(cell)
    photo, mark = figure.locator(".ag-photo img").bounding_box(), figure.locator(".ag-mark").bounding_box()
    assert abs((mark["x"] - photo["x"]) / photo["width"] - 7 / 12) < 0.02      # the photo marks it too
    assert abs((mark["y"] - photo["y"]) / photo["height"] - 3 / 8) < 0.02
    assert figure.locator(".sd-where").inner_text() == "blocks.1 at (7, 3)"
    numbers = figure.locator(".pos-attribution .pos-number").all_inner_texts()
    assert len(numbers) == 2
    places = {len(n.split(".")[1]) for n in numbers}
    assert len(places) == 1 and all(n[0] in "+\u22120" for n in numbers)          # one precision, a true minus
    for text, value in zip(numbers, [row[cell] for row in data["positions"]["attribution"]]):
        assert abs(float(text.replace("\u2212", "-")) - value) <= 10 ** -min(places)
    item = figure.locator(".pos-push-item").first
    channel = item.locator(".pos-push-name").inner_text().split()[1]
    item.hover()                                                         # a channel pushing here: where it fires
    overlay = figure.locator(".sd-map")
    assert overlay.is_visible() and overlay.get_attribute("data-channel") == channel
    figure.locator(".pos-group").first.hover()                            # a group: where it is
    assert overlay.get_attribute("data-channel") == "group 1"
    page.mouse.move(0, 0)
    assert not overlay.is_visible()
    browser_page.assert_clean()


@pytest.mark.browser
def test_dictionary_follows_the_pointer_and_keys(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    figure = page.locator("#fig-dict")
    figure.scroll_into_view_if_needed()
    stage = figure.locator(".sd-stage")
    stage.wait_for()
    box = stage.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    where = figure.locator(".sd-panel .sd-where")
    assert where.inner_text() == "blocks.1 at (0, 0)"
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2)
    assert where.inner_text() == "blocks.1 at (11, 7)"     # the whole photo: 12x8 positions
    assert abs(box["width"] / box["height"] - 1.5) < 0.02
    stage.focus()
    page.keyboard.press("ArrowUp")
    assert where.inner_text() == "blocks.1 at (11, 6)"
    assert figure.locator(".sd-fallback").count() == 0, "the no-JavaScript outline and panel stayed"
    assert figure.locator(".sd-panel").count() == 1
    browser_page.assert_clean()


def test_component_styles_are_stylesheets_the_page_links(site):
    head = page_html(site).split("</head>", 1)[0]
    for component in ("activation-grid", "semantic-dictionary"):   # the grid shows dictionaries too
        assert re.search(rf'<link rel="stylesheet" href="\.\./static/css/{component}\.[0-9a-f]+\.css">', head)
    scripts = Path(__file__).resolve().parent.parent / "generator" / "assets" / "js"
    assert not [js.name for js in scripts.glob("*.js") if 'createElement("style")' in js.read_text()]
