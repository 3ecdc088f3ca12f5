"""Screenshots of each kind of figure, for the README, taken from the real build.

    .venv/bin/python scripts/screenshots.py            # after `make build`
    .venv/bin/python scripts/screenshots.py --site build --out docs/screenshots

Each figure is found on its article page by id, scrolled into view (so lazy data loads),
hovered where hovering shows something, and captured as PNG in headless Chromium.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = "what-a-small-network-sees"

# (file name, article, figure id, CSS selector to hover or None)
SHOTS = [
    ("feature-vis.png", FLAGSHIP, "fig-middle", None),
    ("activation-grid.png", FLAGSHIP, "fig-grid", "vellum-activation-grid canvas, .grid-cell, vellum-activation-grid img"),
    ("semantic-dictionary.png", "writing-with-vellum", "fig-guide-dictionary", None),
    ("spatial-attribution.png", FLAGSHIP, "fig-spatial", None),
    ("channel-attribution.png", FLAGSHIP, "fig-channels", None),
    ("neuron-groups.png", FLAGSHIP, "fig-groups", None),
    ("bokeh.png", FLAGSHIP, "fig-probabilities", None),
    ("article.png", FLAGSHIP, None, None),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        for name, slug, fig_id, hover in SHOTS:
            page.goto((args.site / slug / "index.html").resolve().as_uri())
            page.wait_for_timeout(500)
            if fig_id is None:
                page.screenshot(path=str(args.out / name))
                print(f"wrote {args.out / name}")
                continue
            figure = page.locator(f"#{fig_id}")
            if figure.count() == 0:
                print(f"skipped {name}: no #{fig_id} in {slug}")
                continue
            figure.scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            if hover:
                target = figure.locator(hover).first
                if target.count():
                    box = target.bounding_box()
                    if box:
                        page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.35)
                        page.wait_for_timeout(400)
            figure.screenshot(path=str(args.out / name))
            print(f"wrote {args.out / name}")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
