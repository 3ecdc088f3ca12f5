"""The activation atlas: a deterministic layout, cells that nest from one zoom level to the
next, icons of each cell's whitened mean activation, a class filter that keeps the activations
pushing hardest toward the class, and a reader that pans, zooms and shows a cell's photos."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from figure_projects import build_tiny, figure, make_project, page_html
from generator import interpret as vi
from generator.figures import activation_atlas as atlas
from generator.figures.model_cards import ModelCards
from generator.pipeline.executors import execute
from test_datasets import SITE, photo_folder

FIGURE = figure("activation-atlas", """
id: fig-atlas
dataset: photos
layer: blocks.1
grid: [4, 8]
min_count: 1
alt: An atlas of blocks.1.
""")


def clustered(n: int = 120, channels: int = 12, seed: int = 0) -> np.ndarray:
    """Vectors around four directions: something to lay out, like a layer's activations."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (4, channels))
    return (centres[np.arange(n) % 4] + 0.2 * rng.normal(0, 1, (n, channels))).astype(np.float32)


# --- the engine ------------------------------------------------------------------------------

def test_a_layout_is_the_same_for_a_seed_and_fills_the_unit_square():
    vectors = clustered()
    first, again = vi.atlas_layout(vectors, seed=3), vi.atlas_layout(vectors, seed=3)
    assert np.array_equal(first, again)
    assert first.shape == (120, 2) and first.min() == 0.0 and first.max() == 1.0
    assert not np.array_equal(first, vi.atlas_layout(vectors, seed=4))


def test_cells_count_their_points_and_zoom_levels_nest():
    xy = np.random.default_rng(1).random((500, 2))
    xy[:3] = [[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]]                  # corners and a shared edge
    coarse, fine = vi.atlas_cells(xy, 5), vi.atlas_cells(xy, 10)
    for cells, grid in ((coarse, 5), (fine, 10)):
        assert sum(c.count for c in cells) == 500
        for cell in cells:
            x0, y0 = cell.col / grid, 1 - (cell.row + 1) / grid          # row 0 is the top
            inside = xy[cell.members]
            assert ((inside[:, 0] >= x0) & (inside[:, 0] <= x0 + 1 / grid)).all()
            assert ((inside[:, 1] >= y0) & (inside[:, 1] <= y0 + 1 / grid)).all()
    by_place = {(c.row, c.col): set(c.members.tolist()) for c in coarse}
    for cell in fine:
        assert set(cell.members.tolist()) <= by_place[(cell.row // 2, cell.col // 2)]
    assert len(vi.atlas_cells(xy, 10, min_count=8)) < len(fine)


def test_whitening_undoes_the_activations_correlation():
    vectors = clustered(400, 6).astype(np.float64)
    correlation = vectors.T @ vectors / len(vectors)
    assert np.allclose(vi.whitening(vectors, eps=0) @ correlation, np.eye(6), atol=1e-8)


def test_a_vector_that_fills_the_layer_gives_the_models_logits():
    model = vi.load_model("tiny")
    photo = vi.load_image(vi.sample_path("chelsea"), 64, "center")
    act = vi.activations(model, photo, ["blocks.1"])["blocks.1"]            # (24, 8, 8)
    vector = act.mean((1, 2))
    import torch

    uniform = vector[:, None, None].expand_as(act)[None]
    expected = model.classifier(model.pool(uniform).flatten(1))[0].detach().numpy()
    got = vi.tiled_logits(model, "blocks.1", vector[None].numpy())[0]
    assert np.allclose(got, expected, atol=1e-5)
    assert torch.is_tensor(act)


# --- the kind's jobs ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def card():
    return ModelCards(None).get("tiny")


def blob_in(folder: Path):
    from generator.pipeline.blobs import stored

    return lambda data: stored(folder, data)


def layout_of(card, vectors, folder: Path, target=None, samples=None, grid=(4, 8)):
    where = np.array([[i, 1, 1, 8, 8] for i in range(len(vectors))])
    spec = {"grid": list(grid), "min_count": 1, "seed": 0, "samples": samples}
    job = atlas.layout_job(card, "blocks.1", vectors, where, spec, target, "test", blob_in(folder))
    assert len(json.dumps(job.params)) < 1000                              # the vectors travel as a file
    result = execute(job)
    layout = json.loads(result["layout.json"])
    directions = np.frombuffer(result["directions"], np.float32).reshape(-1, layout["channels"])
    return job, layout, directions


def test_a_cells_icon_renders_its_whitened_mean_activation(card, tmp_path):
    vectors = np.abs(clustered(96, 24)).astype(np.float16).astype(np.float32)
    _, layout, directions = layout_of(card, vectors, tmp_path)
    whiten = vi.whitening(vectors)
    chosen = vectors[layout["indices"]]
    cells = [cell for level in layout["levels"] for cell in level["cells"]]
    assert len(cells) == len(directions)
    for cell, direction in zip(cells, directions):
        expected = whiten @ chosen[cell["members"]].mean(0).astype(np.float64)
        assert np.allclose(direction, expected, rtol=1e-4, atol=1e-5)
    settings = {"quality": "tiny", "size": 24, "steps": 8, "profile": "", "seed": 0}
    jobs = atlas.icon_jobs(card, "blocks.1", directions, settings, "test", blob_in(tmp_path))
    rendered = np.concatenate([atlas.job_directions({**job.params, "files": job.files}) for job in jobs])
    assert np.array_equal(rendered, directions)
    coarse, fine = layout["levels"]
    places = {(c["row"], c["col"]): c["count"] for c in coarse["cells"]}
    sums: dict = {}
    for c in fine["cells"]:
        sums[(c["row"] // 2, c["col"] // 2)] = sums.get((c["row"] // 2, c["col"] // 2), 0) + c["count"]
    assert sums == places                                                  # the levels nest


def test_the_class_filter_keeps_the_activations_that_push_hardest_toward_it(card, tmp_path):
    model = vi.load_model("tiny")
    vectors = np.abs(clustered(80, 24, seed=2)).astype(np.float16).astype(np.float32)
    _, layout, _ = layout_of(card, vectors, tmp_path, target=3, samples=20)
    one_by_one = np.array([vi.tiled_logits(model, "blocks.1", v[None])[0, 3] for v in vectors])
    expected = sorted(np.argsort(-one_by_one, kind="stable")[:20].tolist())
    assert layout["indices"] == expected and layout["kept"] == 20
    other = layout_of(card, vectors, tmp_path, target=5, samples=20)[1]["indices"]
    assert other != expected


# --- the figure --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("atlas"), FIGURE)
    (root / "site.yml").write_text(SITE + "  photos: {path: data/photos}\n", encoding="utf-8")
    photo_folder(root / "data" / "photos")
    build_tiny(root)
    return root


def payload(site: Path) -> dict:
    src = re.search(r'<vellum-activation-atlas data-src="([^"]+)"', page_html(site))[1]
    text = (site / "build" / "a" / src).read_text(encoding="utf-8")
    return json.loads(text[text.index("= {") + 2:text.rindex("}") + 1])


def test_the_figure_ships_every_level_and_a_static_picture(site):
    html = page_html(site)
    assert "<vellum-activation-atlas" in html
    static = re.search(r'<img class="aa-static" src="([^"]+)"', html)
    assert static and (site / "build" / "a" / static[1]).is_file()
    data = payload(site)
    assert [level["grid"] for level in data["levels"]] == [4, 8]
    assert data["vectors"] == 8 * 16 and data["images"] == 8
    for level in data["levels"]:
        assert (site / "build" / "a" / level["src"]).is_file()
        assert sum(cell[2] for cell in level["cells"]) == data["vectors"]
        for cell in level["cells"]:
            assert 1 <= len(cell[4]) <= atlas.EXAMPLES and len(cell[3]) == atlas.CLASSES


@pytest.mark.browser
def test_a_reader_zooms_pans_and_sees_a_cells_photos(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    atlas_el = page.locator("vellum-activation-atlas")
    atlas_el.scroll_into_view_if_needed()
    page.wait_for_selector("vellum-activation-atlas .aa-plane")
    assert atlas_el.get_attribute("data-level") == "0"
    view = page.locator(".aa-view")
    box = view.bounding_box()
    data = payload(site)
    coarse = data["levels"][0]
    row, col = coarse["cells"][0][0], coarse["cells"][0][1]
    page.mouse.move(box["x"] + (col + 0.5) * box["width"] / 4, box["y"] + (row + 0.5) * box["height"] / 4)
    page.wait_for_selector(".aa-photos li")
    assert atlas_el.get_attribute("data-cell") == f"4:{row},{col}"
    assert page.locator(".aa-photos li").count() == len(coarse["cells"][0][4])
    assert page.locator(".aa-classes li").count() == atlas.CLASSES
    view.focus()
    page.keyboard.press("+")
    page.keyboard.press("+")                                       # 1.5 x 1.5 = 2.25: the 8 x 8 grid
    assert atlas_el.get_attribute("data-level") == "1"
    page.wait_for_function("document.querySelector('.aa-level[data-grid=\"8\"]').complete")
    before = page.locator(".aa-plane").evaluate("e => e.style.transform")
    page.keyboard.press("ArrowLeft")
    after = page.locator(".aa-plane").evaluate("e => e.style.transform")
    assert before != after and "scale(2.25)" in after
    page.keyboard.press("0")
    assert atlas_el.get_attribute("data-level") == "0"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    assert float(atlas_el.get_attribute("data-zoom")) > 1
    scrolled = page.evaluate("window.scrollY")
    page.mouse.wheel(0, 200)                                       # without Ctrl, the page scrolls
    page.wait_for_function(f"window.scrollY > {scrolled}")
    browser_page.assert_clean()
