"""Unit pages, written: for each layer `build/units.py` planned, a page per unit
(`units/<model>/<layer>/<n>/index.html`) and a page of the layer (`.../<layer>/index.html`),
static and relative like every page of the site.

A unit page shows the unit's feature visualization large, its strongest photos of the site's
dataset and its typical ones (the median, 90th and 99th percentile of a sample), each cropped
around its position and titled with its file and activation, the histogram of all its
activations over the dataset, and the figures and articles that show it. The layer page is a
grid of every unit's icon, each a link. A layer's icons and crops are two shared sprites.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..figures.icons import icon_sprite
from ..pipeline.jobs import key_of
from ..figures.numbers import decimals_for, number
from ..figures.unit_effects import PHOTOS
from ..interpret.unit_stats import HISTOGRAM_EDGES

QUANTILE_NAMES = {"q0.5": "median", "q0.9": "90th percentile", "q0.99": "99th percentile"}


def write_unit_pages(writer, layers: list, results: dict, keep=None, pages: bool = True) -> None:
    """Add every planned layer's pages to the writer's tree, and note on each layer what its
    units' cards in articles show (`unit_layer.cards`). `keep(key, make)` (the build's cache,
    when it has one) keeps a layer's icon sprite by the icon jobs it packs: packing 192 icons
    takes a third of a second. Without `pages`, only the cards (and the sprites they show)
    are worked out: a build of one article, which keeps the unit pages as they are."""
    keep = keep or (lambda _key, make: make())
    index = []
    parsed = {id(u): _effects_of(u, results) for u in layers}    # once per layer, not per unit
    for unit_layer in layers:
        key = key_of({"unit-icon-sprite": 1, "jobs": [j.key for j in unit_layer.icons], "channels": unit_layer.channels})
        icons_data, icons = keep(key, lambda: icon_sprite([results[j.key] for j in unit_layer.icons],
                                                           range(unit_layer.channels)))
        icons_path = writer.tree.add_hashed(unit_layer.folder, "icons", icons["format"], icons_data)
        crops = None
        if unit_layer.examples is not None:
            found = results[unit_layer.examples.key]
            meta = json.loads(found["index.json"])
            crops = (writer.tree.add_hashed(unit_layer.folder, "examples", meta["format"], found["examples"]), meta)
        first = _first_crops(unit_layer)
        diverse = {}                               # unit -> (sprite path, index, first tile)
        for job in unit_layer.diversity:
            found = results[job.key]
            meta = json.loads(found["index.json"])
            path = writer.tree.add_hashed(unit_layer.folder, f"diversity-{job.params['units'][0]}", meta["format"],
                                          found["images"])
            for i, unit in enumerate(job.params["units"]):
                diverse[unit] = (path, meta, i * job.params["n"], job.params["n"])
        for unit in range(unit_layer.channels):
            _unit_page(writer, unit_layer, unit, (icons_path, icons), crops, first.get(unit, 0), parsed,
                       diverse.get(unit), page=pages)
        if pages:
            _layer_page(writer, unit_layer, (icons_path, icons))
            writer.tree.add(f"{unit_layer.folder}/cards.js", layer_cards(writer, unit_layer))
            index.append(unit_layer)
    if index:                                      # by model, each model's layers in its forward order
        index.sort(key=lambda u: (u.model_slug, [info.name for info in u.card.layers].index(u.layer)))
        common = writer.page_context(1, "units/")
        writer.tree.add("units/index.html", writer._render("units.html", common, layers=[
            {"url": f"{u.model_slug}/{u.layer}/index.html", "model": u.model_slug, "layer": u.layer,
             "channels": u.channels} for u in index]))


def _first_crops(unit_layer) -> dict[int, int]:
    """The sprite index of each unit's first crop (the crops come unit by unit, ascending)."""
    first, at = {}, 0
    for unit in sorted(unit_layer.shown):
        first[unit], at = at, at + len(unit_layer.shown[unit])
    return first


def _tile(path: str, index: dict, i: int, depth: int, scale: float = 1.0) -> dict:
    """Where tile `i` of a sprite lies, for the templates: src, size, offsets, sheet size."""
    side, columns = index["tile"][0], index["columns"]
    return {"src": "../" * depth + path, "side": round(side * scale),
            "x": round((i % columns) * side * scale), "y": round((i // columns) * side * scale),
            "width": round(index["width"] * scale), "height": round(index["height"] * scale)}


def _effects_of(unit_layer, results: dict) -> dict | None:
    """A layer's effects job result, parsed (its matrix as an array), or None."""
    job = unit_layer.effects
    if job is None or job.key not in results:
        return None
    found = json.loads(results[job.key]["effects.json"])
    if found["following_matrix"] is not None:
        found["following_matrix"] = np.array(found["following_matrix"])
    return found


def _effects(unit_layer, unit: int, parsed: dict) -> dict:
    """The classes the unit supports most, the next layer's units it excites most and the
    previous layer's units that excite it most, for the template. `parsed`: each layer's
    effects (`_effects_of`), by id."""
    mine = parsed.get(id(unit_layer))
    before = parsed.get(id(unit_layer.previous)) if unit_layer.previous is not None else None
    card = unit_layer.card
    out = {"classes": [], "excites": [], "excited_by": [], "next_layer": None, "previous_layer": None,
           "effect_photos": PHOTOS}
    if mine is not None:
        shown = [(c, v) for c, v in mine["classes"][unit] if v > 0]
        out["classes"] = [{"name": card.class_name(c), "effect": e}
                          for (c, _), e in zip(shown, _signed([v for _, v in shown]))]
        if mine["following"] is not None:
            nxt = unit_layer.following
            out["next_layer"] = nxt.layer
            shown = [(u, v) for u, v in mine["following"][unit] if v > 0]
            out["excites"] = [{"unit": u, "effect": e, "url": f"../../{nxt.layer}/{u}/index.html"}
                              for (u, _), e in zip(shown, _signed([v for _, v in shown]))]
    if before is not None and before["following_matrix"] is not None:
        prev = unit_layer.previous
        column = before["following_matrix"][:, unit]                                 # (C_previous,)
        order = np.argsort(-column, kind="stable")[:5]
        out["previous_layer"] = prev.layer
        shown = [int(u) for u in order if column[u] > 0]
        out["excited_by"] = [{"unit": u, "effect": e, "url": f"../../{prev.layer}/{u}/index.html"}
                             for u, e in zip(shown, _signed([float(column[u]) for u in shown]))]
    return out


def _signed(values: list[float]) -> list[str]:
    """A list's numbers as the page writes them: signed, one precision for the list (its
    largest with three significant digits), a true minus sign."""
    places = decimals_for(values)
    return [number(v, places, sign=True) for v in values]


def _unit_page(writer, unit_layer, unit: int, icons, crops, first: int, parsed: dict, diverse=None,
               page: bool = True) -> None:
    """The unit's card (`unit_layer.cards[unit]`) and, with `page`, its page."""
    depth = 4
    folder = f"{unit_layer.folder}/{unit}"
    examples = []
    for i, (kind, value, where) in enumerate(unit_layer.shown.get(unit, [])):
        image = unit_layer.dataset.images[where[0]]
        examples.append({"kind": kind, "name": QUANTILE_NAMES.get(kind, ""), "value": f"{value:.2f}",
                         "file": image.path, "where": f"({where[2]}, {where[1]})",
                         "tile": _tile(crops[0], crops[1], first + i, depth) if crops else None})
    def links(found: list) -> list[dict]:
        return [{"url": f"../../../../{slug}/index.html" + (f"#{anchor}" if anchor else ""), "title": title,
                 "label": label} for slug, title, anchor, label in _unique(found)]

    effects = _effects(unit_layer, unit, parsed)
    means = unit_layer.class_means.get(unit, [])
    unit_layer.cards[unit] = {                       # what a unit card in an article shows (depth 1)
        "name": f"{unit_layer.layer}:{unit}", "url": f"../{folder}/index.html",
        "icon": _tile(icons[0], icons[1], unit, 1, scale=1.5),
        "diversity": [_tile(diverse[0], diverse[1], diverse[2] + i, 1, scale=0.75) for i in range(diverse[3])]
                     if diverse else [],
        "classes": effects["classes"][:3],
        "examples": [{**e, "tile": _tile(crops[0], crops[1], first + i, 1, scale=0.75)}
                     for i, e in enumerate(examples[:4]) if e["kind"] == "top" and crops],
    }
    if not page:
        return
    context = {
        **effects,
        "model": unit_layer.model_slug, "layer": unit_layer.layer, "unit": unit, "channels": unit_layer.channels,
        "icon": _tile(icons[0], icons[1], unit, depth, scale=2.0),
        "diversity": [_tile(diverse[0], diverse[1], diverse[2] + i, depth, scale=1.5) for i in range(diverse[3])]
                     if diverse else [],
        "strongest": [e for e in examples if e["kind"] == "top"],
        "typical": [e for e in examples if e["kind"] != "top"],
        "dataset": unit_layer.dataset.name if unit_layer.dataset is not None else None,
        "images": unit_layer.images,
        "class_means": [{"name": unit_layer.card.class_name(c), "mean": mean, "photos": n}
                        for (c, _, n), mean in zip(means, _signed([m for _, m, _ in means]))],
        "histogram": _histogram_svg(unit_layer.histograms[unit]) if unit_layer.histograms is not None else None,
        "mentions": links(unit_layer.mentions.get(unit, [])),          # figures that show this unit
        "layer_mentions": links(unit_layer.mentions.get(None, [])),    # figures of its whole layer
        "previous": unit - 1 if unit > 0 else None,
        "next": unit + 1 if unit + 1 < unit_layer.channels else None,
    }
    common = writer.page_context(depth, f"{folder}/")
    writer.tree.add(f"{folder}/index.html", writer._render("unit.html", common, **context))


def _layer_page(writer, unit_layer, icons) -> None:
    depth = 3
    units = [{"n": n, "tile": _tile(icons[0], icons[1], n, depth, scale=0.5)} for n in range(unit_layer.channels)]
    common = writer.page_context(depth, f"{unit_layer.folder}/")
    writer.tree.add(f"{unit_layer.folder}/index.html", writer._render(
        "unit-layer.html", common, model=unit_layer.model_slug, layer=unit_layer.layer, units=units,
        channels=unit_layer.channels, dataset=unit_layer.dataset.name if unit_layer.dataset is not None else None))


def _unique(items: list) -> list:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _histogram_svg(counts: np.ndarray, width: int = 360, height: int = 90) -> dict:
    """The histogram of a unit's activations as bars (log counts), on the bins that hold any,
    for an inline SVG: {"bars": [(x, y, w, h, label)], "low", "high", "width", "height"}."""
    used = np.nonzero(counts)[0]
    if not len(used):
        return {"bars": [], "low": "0", "high": "0", "width": width, "height": height}
    lo, hi = int(used[0]), int(used[-1]) + 1
    shown = counts[lo:hi]
    top = math.log1p(float(shown.max()))
    step = width / len(shown)
    bars = []
    for i, count in enumerate(shown):
        if count:
            h = max(1.0, height * math.log1p(float(count)) / top)
            edge_lo, edge_hi = HISTOGRAM_EDGES[lo + i], HISTOGRAM_EDGES[lo + i + 1]
            bars.append((round(i * step, 2), round(height - h, 2), round(max(step - 0.5, 0.5), 2), round(h, 2),
                         f"{number(edge_lo, 2)} to {number(edge_hi, 2)}: {int(count):,} positions"))
    return {"bars": bars, "low": number(HISTOGRAM_EDGES[lo], 2), "high": number(HISTOGRAM_EDGES[hi], 2),
            "width": width, "height": height}


_TAG = re.compile(r"(<[^>]+>)")
_REF = re.compile(r"(?<![\w./-])([A-Za-z_]\w*(?:\.\w+)+):(\d+)\b")
_SKIP = ("a", "pre", "script", "style", "h1", "h2", "h3", "h4", "svg")


def link_unit_references(html: str, layers: dict, page_slug: str, title: str, odd: list | None = None) -> str:
    """`html` (an article's Markdown, before its figures) with every unit reference
    (`blocks.10:9`, in the text or as inline code) linked to its unit page. `layers` maps a
    layer name to its `UnitLayer` (those of the article's model); a reference to a unit the
    layer does not have stays text, and goes into `odd` as (reference, what is wrong, fix)
    when it looks like a slip (a unit past the layer's last, a layer name one letter off).
    Each reference counts as a mention on the unit's page."""
    if not layers:
        return html
    odd = [] if odd is None else odd
    out, skipping = [], []
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([A-Za-z0-9]+)", part)
            tag = name.group(1).lower() if name else ""
            if part.startswith("</"):
                if skipping and skipping[-1] == tag:
                    skipping.pop()
            elif tag in _SKIP and not part.endswith("/>"):
                skipping.append(tag)
            out.append(part)
            continue
        out.append(part if skipping else _REF.sub(lambda m: _link(m, layers, page_slug, title, odd), part))
    return _wrap_code("".join(out))


def _link(match, layers: dict, page_slug: str, title: str, odd: list) -> str:
    layer, unit = match.group(1), int(match.group(2))
    found = layers.get(layer)
    if found is not None and unit >= found.channels:
        odd.append((match.group(0), f"unit reference {match.group(0)}: layer {layer} has {found.channels} units, "
                    "so it stays text", f"use a unit from 0 to {found.channels - 1}"))
    elif found is None:                          # `blocks.99:1` beside pages of `blocks.9`: a slip
        alike = [u for name, u in layers.items() if name.rpartition(".")[0] == layer.rpartition(".")[0]]
        if alike and layer not in {info.name for info in alike[0].card.layers}:
            odd.append((match.group(0), f"unit reference {match.group(0)}: the model has no layer '{layer}', "
                        "so it stays text", "the layers with unit pages are " + ", ".join(sorted(layers))))
    if found is None or unit >= found.channels:
        return match.group(0)
    mention = (page_slug, title, "", "in the text")
    where = found.mentions.setdefault(unit, [])
    if mention not in where:
        where.append(mention)
    url = f"../{found.folder}/{unit}/index.html"
    return f'<a class="unit-ref" href="{url}" data-card="{card_id(found, unit)}">{match.group(0)}</a>'


def _wrap_code(html: str) -> str:
    """`<code><a class="unit-ref" ...>x</a></code>` reads better as a link around the code."""
    return re.sub(r'<code><a class="unit-ref" href="([^"]+)" data-card="([^"]+)">([^<]+)</a></code>',
                  r'<a class="unit-ref" href="\1" data-card="\2"><code>\3</code></a>', html)


def card_id(unit_layer, unit: int) -> str:
    """The id of a unit's card in an article page."""
    return f"unit-card-{unit_layer.model_slug}-{unit_layer.layer}-{unit}".replace(".", "-")


def layer_cards(writer, unit_layer) -> bytes:
    """`cards.js` of a layer's folder: every unit's card, as the `<template>`s `unit_cards`
    writes, for the figures' links to unit pages (`js/hover-cards.js` loads it the first time
    a reader points at one; a classic script, so it works from file://). The cards' URLs are
    relative to an article page, where they are shown."""
    template = writer.env.get_template("partials/unit-card.html")
    body = "\n".join(template.render(id=card_id(unit_layer, unit), **card) for unit, card in sorted(unit_layer.cards.items()))
    return (f"(window.VELLUM_UNIT_CARDS = window.VELLUM_UNIT_CARDS || {{}})[{json.dumps(unit_layer.folder)}] = "
            f"{json.dumps(body)};\n").encode("utf-8")


def unit_cards(writer, html: str, layers: list) -> str:
    """The cards of the units `html` (an article's body) refers to, as `<template>`s the
    hover cards clone (`js/hover-cards.js`): each unit's feature visualization, its diversity
    images, the classes it supports most and its strongest photos, from its unit page's
    sprites. Empty when the unit pages were not written in this build."""
    wanted = set(re.findall(r'data-card="(unit-card-[^"]+)"', html))
    template = writer.env.get_template("partials/unit-card.html")
    return "\n".join(template.render(id=card_id(unit_layer, unit), **card)
                     for unit_layer in layers for unit, card in unit_layer.cards.items()
                     if card_id(unit_layer, unit) in wanted)
