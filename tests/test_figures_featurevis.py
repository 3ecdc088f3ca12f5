"""The `feature-vis` figure kind and the shared channel icons, on the tiny model and profile."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from figure_projects import build_tiny, figure, make_project, page_html, plan_of, planned, schema
from generator.errors import BuildError, SpecError
from generator.figures import feature_vis as fv
from generator.figures import icons
from generator.figures.model_cards import ModelCards

TINY = ModelCards(None).get("tiny")  # the tiny model's card, for icon jobs


UNITS = figure("feature-vis", """
id: fig-units
layer: blocks.0
units: 0-3
diversity: 2
caption: Four units.
alt: Four feature visualizations.
""")
EXPRESSION = figure("feature-vis", """
id: fig-expr
layer: blocks.0
objective: channel(1) - channel(2)
caption: A difference.
alt: One image.
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("fv"), UNITS, EXPRESSION)
    build_tiny(root)
    return root


# --- spec -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, units", [
    ("0-3", {"list": [0, 1, 2, 3]}),
    ({"from": 2, "to": 4}, {"list": [2, 3, 4]}),
    ([5, 1], {"list": [5, 1]}),
    (7, {"list": [7]}),
    ("all", {"all": True}),
    ({"top": 3}, {"top": 3}),
])
def test_units_forms(value, units):
    assert fv.units_value(value) == units


@pytest.mark.parametrize("value, message", [
    ("3-1", "the range 3-1 is empty"),
    ("some", "expected units, got 'some'"),
    ([], "units is an empty list"),
    ([1, 1], "units lists a unit twice"),
    ({"top": 0}, "expected a number between 1 and 512, got 0"),
])
def test_units_errors(value, message):
    with pytest.raises(SpecError) as err:
        fv.units_value(value)
    assert err.value.message == message


def test_unit_out_of_range_is_reported_with_line(tmp_path):
    root = make_project(tmp_path, figure("feature-vis", "id: fig-x\nlayer: blocks.0\nunits: [3, 16]\nalt: x"))
    with pytest.raises(BuildError) as err:
        build_tiny(root)
    text = str(err.value)
    assert "articles/a/index.md:" in text
    assert "figure fig-x 'units': unit 16 is out of range for layer 'blocks.0', which has 16 channels" in text
    assert "use 0 to 15" in text


def test_unknown_layer_suggests_names(tmp_path):
    with pytest.raises(SpecError) as err:
        planned("feature-vis", {"layer": "block.0", "units": [1]}, tmp_path)
    assert err.value.field == "layer" and "'blocks.0'" in err.value.fix


def test_expression_takes_no_units(tmp_path):
    with pytest.raises(SpecError) as err:
        planned("feature-vis", {"layer": "blocks.0", "units": [1], "objective": "channel(1)"}, tmp_path)
    assert err.value.field == "units"


@pytest.mark.parametrize("objective, message", [
    ("channel(999)", "channel 999 is out of range for layer 'blocks.0', which has 16 channels"),
    ("neuron(1, 99, 99)", "position (99, 99) is outside layer 'blocks.0', which is "),
    ("direction([1, 2])", "a direction of 2 values does not fit layer 'blocks.0', which has 16 channels"),
    ("class_logit(10)", "class 10 is out of range: the model has 10 classes"),
])
def test_an_expression_out_of_range_is_refused_when_planned(tmp_path, objective, message):
    with pytest.raises(SpecError) as err:
        planned("feature-vis", {"layer": "blocks.0", "objective": objective}, tmp_path)
    assert err.value.field == "objective" and err.value.message.startswith(message), err.value.message


def test_top_needs_an_image(tmp_path):
    with pytest.raises(SpecError) as err:
        planned("feature-vis", {"layer": "blocks.0", "units": {"top": 2}}, tmp_path)
    assert err.value.fix == "add `image:`"


def test_top_ranks_channels_by_mean_activation(tmp_path):
    from generator import interpret as vi

    _, plan = plan_of("feature-vis", {"layer": "blocks.1", "units": {"top": 3}, "image": "sample:chelsea"}, tmp_path)
    model = vi.load_model("tiny")
    mean = vi.activations(model, vi.load_image(vi.sample_path("chelsea"), model.input_size), ["blocks.1"])["blocks.1"]
    order = mean.mean((1, 2)).argsort(descending=True)[:3].tolist()
    assert plan.data["units"] == order
    assert plan.jobs[0].fn.endswith(":run_top_channels")   # the ranking is a job: cached, frozen


# --- jobs -----------------------------------------------------------------------------------

def test_keys_follow_exactly_what_changes_the_images(tmp_path):
    base = {"layer": "blocks.0", "units": [1, 2], "objective": "neuron"}
    _, jobs = planned("feature-vis", {**base, "caption": "One."}, tmp_path)
    _, same = planned("feature-vis", {**base, "caption": "Two.", "id": "fig-other"}, tmp_path)
    _, layer = planned("feature-vis", {**base, "layer": "blocks.1"}, tmp_path)
    _, steps = planned("feature-vis", {**base, "steps": 3}, tmp_path)
    assert [j.key for j in jobs] == [j.key for j in same]
    assert jobs[0].key != layer[0].key and jobs[0].key != steps[0].key


def test_channel_galleries_share_icon_chunks(tmp_path):
    _, a = planned("feature-vis", {"layer": "blocks.1", "units": [1, 2]}, tmp_path)
    _, b = planned("feature-vis", {"layer": "blocks.1", "units": [3, 20]}, tmp_path)
    direct = icons.icon_jobs(TINY, "blocks.1", [5], "tiny")
    assert [j.key for j in a] == [j.key for j in direct]       # chunk 0-15, once
    assert [j.params["start"] for j in b] == [0, 16]
    assert b[0].key == a[0].key


def test_icon_lookup_orders_tiles_by_unit(site):
    jobs = icons.icon_jobs(TINY, "blocks.0", [0, 3], "tiny")
    from generator.pipeline.cache import Cache

    cache = Cache(site / ".cache")
    results = [cache.get(j.key) for j in jobs]
    tiles = icons.icon_lookup(results, [3, 0])
    assert tiles.shape == (2, 32, 32, 3)
    again = icons.icon_lookup(results, [0, 3])
    assert (tiles[0] == again[1]).all() and (tiles[1] == again[0]).all()


# --- build ----------------------------------------------------------------------------------

def test_gallery_has_a_labelled_tile_per_unit(site):
    html = page_html(site)
    gallery = html.split('id="fig-units"', 1)[1].split("</figure>", 1)[0]
    assert re.findall(r'aria-label="(blocks\.0:\d)"', gallery) == [f"blocks.0:{u}" for u in range(4)]
    assert "feature-vis-gallery" in html
    assert 'alt="Four feature visualizations."' in gallery or 'aria-label="Four feature visualizations."' in gallery


def test_gallery_data_is_valid(site):
    html = page_html(site)
    payloads = [json.loads(m) for m in re.findall(r'<script type="application/json" class="fv-data">(.*?)</script>', html)]
    assert len(payloads) == 2
    for payload in payloads:
        jsonschema.validate(payload, schema("feature-vis"))
    units, expr = payloads
    assert units["units"] == [0, 1, 2, 3] and units["diversity"]["per"] == 2
    assert units["diversity"]["index"]["count"] == 8
    assert expr["units"] == [] and expr["objectives"] == ["channel(blocks.0, 1) - channel(blocks.0, 2)"]
    assert (site / "build" / "a" / units["diversity"]["src"]).is_file()


def test_rebuild_hits_the_cache(site, monkeypatch):
    def fail(params, runtime):
        raise AssertionError("the engine ran on a rebuild")

    for module, name in [(icons, "render_icons"), (fv, "render_units"), (fv, "render_diverse")]:
        monkeypatch.setattr(module, name, fail)
    before = page_html(site)
    build_tiny(site)
    assert page_html(site) == before


# --- browser --------------------------------------------------------------------------------

@pytest.mark.browser
def test_hover_and_keys_show_the_unit(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    figure = page.locator("#fig-units")
    figure.locator(".fv-unit").nth(1).hover()
    card = figure.locator(".fv-card")
    assert card.is_visible()
    assert "blocks.0:1" in card.inner_text() and "channel(blocks.0, 1)" in card.inner_text()
    assert card.locator(".fv-div span").count() == 2
    figure.locator(".fv-unit").nth(0).focus()
    page.keyboard.press("ArrowRight")
    assert "blocks.0:1" in card.inner_text()
    page.keyboard.press("End")
    assert "blocks.0:3" in card.inner_text()
    browser_page.assert_clean()
