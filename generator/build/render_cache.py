"""A figure's HTML and the files it writes, kept by the hash of everything they come from.

Rendering a figure from its artifacts packs sprite sheets, serialises Bokeh charts and writes
data scripts: seconds per article, for a result that only changes when its inputs do. The
key hashes the figure's kind, its spec, its number and caption, its jobs' keys, the bytes of
the image it names, and the source of the code that renders figures; a hit replays the same
`emit.data` / `emit.script` calls in the same order, so the page is byte-identical.
"""

from __future__ import annotations

import json

from .. import __version__
from ..figures.base import clean_spec
from ..figures.inputs import named_photos, resolve_image_source
from ..pipeline.cache import Cache
from ..pipeline.jobs import key_of, sha256_file
from ..site.notebooks import figure_notebook
from .keys import PACKAGE, code_digest


def _code() -> str:
    """sha256 of the code that turns artifacts into HTML (figure kinds and pipeline writers)."""
    return code_digest("figures", "pipeline")


def render_key(figure) -> str | None:
    """The key of a figure's rendering, or None for figures not worth keeping (no jobs)."""
    if not figure.jobs:
        return None
    spec = clean_spec(figure.spec)
    files = {field: sha256_file(resolve_image_source(value, figure.ctx, field)) for field, value in named_photos(spec)}
    identity = {
        "engine": __version__, "code": _code(), "kind": figure.kind.name, "version": figure.kind.version,
        "spec": spec, "number": figure.ctx.number, "caption": figure.ctx.caption_html,
        "model": figure.ctx.model, "quality": figure.ctx.quality, "files": files,
        "jobs": [job.key for job in figure.jobs],
    }
    return key_of(identity)


class Recorder:
    """An emitter that passes calls on and remembers them, to replay on a cache hit."""

    def __init__(self, emitter):
        self.emitter = emitter
        self.calls: list[list] = []
        self.files: list[bytes] = []

    def data(self, stem: str, ext: str, content: bytes) -> str:
        self.calls.append(["data", stem, ext, len(self.files)])
        self.files.append(content)
        return self.emitter.data(stem, ext, content)

    def script(self, name: str) -> str:
        self.calls.append(["script", name])
        return self.emitter.script(name)

    def style(self, name: str) -> str:
        self.calls.append(["style", name])
        return self.emitter.style(name)

    def asset(self, name: str) -> str:
        self.calls.append(["asset", name])
        return self.emitter.asset(name)

    def artifacts(self, html: str) -> dict[str, bytes]:
        out = {"figure.html": html.encode("utf-8"),
               "calls.json": json.dumps(self.calls).encode("utf-8")}
        out.update({f"file-{i}": data for i, data in enumerate(self.files)})
        return out


def replay(artifacts: dict[str, bytes], emitter) -> str:
    """Repeat a recorded rendering's calls on `emitter`; return its HTML."""
    for call in json.loads(artifacts["calls.json"]):
        if call[0] == "data":
            emitter.data(call[1], call[2], artifacts[f"file-{call[3]}"])
        elif call[0] == "style":
            emitter.style(call[1])
        elif call[0] == "asset":
            emitter.asset(call[1])
        else:
            emitter.script(call[1])
    return artifacts["figure.html"].decode("utf-8")


def render(figure, results: dict, emitter, cache: Cache | None) -> str:
    """The figure's inner HTML, from the render cache when its key is there."""
    key = render_key(figure) if cache is not None else None
    if key is not None:
        found = cache.get(key)
        if found is not None and "calls.json" in found:
            return replay(found, emitter)
    recorder = Recorder(emitter)
    figure.ctx.emit = recorder
    html = figure.kind.render(figure.spec, figure.ctx, figure.plan, [results[j.key] for j in figure.jobs])
    figure.ctx.emit = emitter
    if key is not None:
        cache.put(key, recorder.artifacts(html))
    return html


def notebook(page, figure, cache: Cache | None) -> bytes | None:
    """The figure's reproduction notebook, from the cache when the figure and the article's
    title and folder are unchanged (writing it imports the engine's profiles, hence torch)."""
    key = render_key(figure) if cache is not None else None
    if key is not None:
        identity = {"figure": key, "article": page.article.slug, "title": page.article.title,
                    "folder": str(page.article.directory), "id": figure.directive.id,
                    "writer": sha256_file(PACKAGE / "site" / "notebooks.py")}
        key = key_of({"notebook": identity})
        found = cache.get(key)
        if found is not None:
            return found.get("notebook.ipynb")
    made = figure_notebook(page, figure)
    if key is not None and made is not None:
        cache.put(key, {"notebook.ipynb": made})
    return made
