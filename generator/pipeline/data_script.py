"""Data for the page as a classic script, because browsers refuse `fetch` from `file://`.

    data_script("fig-grid", {"cells": [...]})
    # b'window.VELLUM_DATA = window.VELLUM_DATA || {};\\nVELLUM_DATA["fig-grid"] = {"cells":[...]};\\n'

A page includes it with `<script src="data/fig-grid.<hash>.js"></script>` and the component
reads `window.VELLUM_DATA["fig-grid"]`. The JSON is compact, key-sorted and ASCII, so the
same data gives the same bytes (and the same content-hashed name) on every build. `<`, `>`
and `&` are escaped, so the same text is also safe inside an inline `<script>`.
"""

from __future__ import annotations

from typing import Any

from .jobs import canonical_json

_HTML_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def script_safe_json(obj: Any) -> str:
    """Canonical JSON (see `canonical_json`) that cannot close a `<script>` element."""
    text = canonical_json(obj)
    for char, escape in _HTML_SAFE.items():
        text = text.replace(char, escape)
    return text


def data_script(varname: str, obj: Any) -> bytes:
    """A classic script that stores `obj` at `window.VELLUM_DATA[varname]`; UTF-8 bytes."""
    if not isinstance(varname, str) or not varname:
        raise ValueError(f"data_script name must be a non-empty string, got {varname!r}")
    return (
        "window.VELLUM_DATA = window.VELLUM_DATA || {};\n"
        f"VELLUM_DATA[{script_safe_json(varname)}] = {script_safe_json(obj)};\n"
    ).encode("ascii")
