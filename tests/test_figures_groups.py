"""The `neuron-groups` figure kind, on the tiny model and profile: spec errors, job keys, cache
hits, the artifact against its schema, and the page's linked views."""

from __future__ import annotations

import base64

import jsonschema
import numpy as np
import pytest

from generator import interpret as vi
from generator.errors import SpecError
from generator.figures import neuron_groups as ng
from generator.pipeline.quantize import dequantize
from generator.pipeline.sprites import unpack_sprite

from figure_projects import build_tiny, jobs_of, make_project, payload, schema

TWO_LAYERS = """
```{neuron-groups}
id: fig-groups
image: sample:chelsea
layers: [blocks.0, blocks.1]
groups: 3
classes: [3, 5]
caption: Groups.
alt: Three groups of each layer.
```
"""

ONE_LAYER = """
```{neuron-groups}
id: fig-one
image: sample:chelsea
layer: blocks.1
caption: One layer.
alt: Groups of one layer.
```
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("groups"), TWO_LAYERS, ONE_LAYER)
    build_tiny(root)
    return root


def decoded(encoded: dict) -> np.ndarray:
    return dequantize(base64.b64decode(encoded["data"]), encoded)


@pytest.mark.parametrize("raw, field, words", [
    ({"layer": "blocks.1", "classes": [10]}, "classes[0]", "model 'tiny' has 10 classes"),
    ({"layers": ["blocks.1", "blocks.0"]}, "layers", "does not come before"),
    ({"layers": ["blocks.0", "blocks.1"], "layer": "stem"}, "layers", "not both"),
    ({}, "layer", "expected one layer or two"),
    ({"layer": "blocks.9"}, "layer", "has no layer 'blocks.9'"),
])
def test_spec_errors(tmp_path, raw, field, words):
    with pytest.raises(SpecError) as err:
        jobs_of("neuron-groups", {"image": "sample:chelsea", **raw}, tmp_path)
    assert err.value.field == field
    assert words in str(err.value)


def test_keys_follow_exactly_what_changes_the_output(tmp_path):
    base = {"image": "sample:chelsea", "layer": "blocks.1"}
    key = jobs_of("neuron-groups", base, tmp_path)[0].key
    assert jobs_of("neuron-groups", {**base, "caption": "New.", "alt": "New."}, tmp_path)[0].key == key
    assert jobs_of("neuron-groups", {**base, "groups": 4}, tmp_path)[0].key != key
    assert jobs_of("neuron-groups", {**base, "layer": "blocks.0"}, tmp_path)[0].key != key
    assert jobs_of("neuron-groups", {**base, "steps": 3}, tmp_path)[0].key != key


def test_rebuild_runs_nothing(site, monkeypatch):
    monkeypatch.setattr(ng, "run_neuron_groups", lambda params: pytest.fail("the engine ran again"))
    build_tiny(site)


def test_artifact_is_valid_and_matches_the_engine(site):
    data = payload(site, "fig-groups")
    jsonschema.validate(data, schema("neuron-groups"))
    assert [layer["name"] for layer in data["layers"]] == ["blocks.0", "blocks.1"]
    assert [c["index"] for c in data["classes"]] == [3, 5]
    model = vi.load_model("tiny")
    image = vi.load_image("sample:chelsea", 64)
    groups = vi.neuron_groups(model, image, "blocks.1", 3, nonneg="split")
    maps = decoded(data["layers"][1]["maps"]).reshape(groups.maps.shape)
    assert np.abs(maps - groups.maps.numpy()).max() <= max(data["layers"][1]["maps"]["scale"]) / 2 + 1e-6
    to_classes = decoded(data["layers"][1]["to_classes"])
    assert np.allclose(to_classes, groups.attribution_to_classes([3, 5]).numpy(), rtol=2e-3, atol=1e-4)
    assert decoded(data["between"]).shape == (3, 3)
    sprite = site / "build" / "a" / data["icons"]["src"]
    icons = {k: v for k, v in data["icons"].items() if k != "src"}
    assert unpack_sprite(sprite.read_bytes(), icons).shape[0] == 6      # 3 groups x 2 layers


def test_default_classes_are_the_top_four(site):
    data = payload(site, "fig-one")
    jsonschema.validate(data, schema("neuron-groups"))
    model = vi.load_model("tiny")
    top = [c for c, _, _ in vi.predict(model, vi.load_image("sample:chelsea", 64), top=4)]
    assert [c["index"] for c in data["classes"]] == top
    assert data["between"] is None and data["groups"] == 6


@pytest.mark.browser
def test_hovering_a_group_shows_its_map_and_rows(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    page.locator("#fig-groups .ng-card").first.wait_for()
    canvas = page.locator("#fig-groups .ng-stage canvas")
    pixels = "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join()"
    everything = canvas.evaluate(pixels)
    cards = page.locator("#fig-groups .ng-card")
    cards.nth(1).hover()
    one = canvas.evaluate(pixels)
    assert one != everything
    active = page.locator("#fig-groups tr.is-active")
    assert active.count() == 2                     # its row in the class table and the group table
    cards.nth(1).focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.group") == "2"
    assert canvas.evaluate(pixels) not in (one, everything)
    browser_page.assert_clean()
