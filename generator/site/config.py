"""The journal's settings, `site.yml`."""

from __future__ import annotations

from pathlib import Path

from .. import schema as s
from ..article import LICENSES
from ..datasets import declarations
from ..errors import BuildError, Problems, read_user_text
from ..yamlload import YamlProblem, load_yaml

UNITS = s.Schema("units entry", {
    "model": s.Option(s.text, required=True, doc="a model, e.g. efficientnet_lite0"),
    "layers": s.Option(s.list_of(s.text, single_ok=True), required=True,
                       doc="its layers, e.g. [blocks.10], or `all`: every block of the model"),
})


def unit_entries(value) -> list[dict]:
    """Validator of `site.yml`'s `units:`: a list of `{model, layers}`, each keeping its line
    (`line`) for the messages of checks that need the model."""
    entries = s.list_of(s.record(UNITS))(value)
    for entry, item in zip(entries, value):
        entry["line"] = getattr(item, "line", None) or getattr(value, "line", None)
    return entries


SITE = s.Schema("site.yml", {
    "title": s.Option(s.text, required=True, doc="the journal's name"),
    "description": s.Option(s.text, default="", doc="one sentence about the journal"),
    "base_url": s.Option(s.url, default="https://example.org/", doc="where the site is published"),
    "repository": s.Option(s.optional(s.url), doc="the source repository"),
    "license": s.Option(s.one_of(*LICENSES), default="CC-BY-4.0", doc="default license of articles"),
    "citations": s.Option(s.one_of("numbered", "author-year"), default="numbered",
                          doc="citation style: numbered [1] or author-year (Olah et al., 2017)"),
    "units": s.Option(s.optional(unit_entries), default=None,
                      doc="unit pages beyond the layers articles use: `- {model: efficientnet_lite0, layers: [blocks.6]}`, "
                          "or a whole model: `- {model: efficientnet_lite0, layers: all}`"),
    "datasets": s.Option(s.optional(declarations), default=None,
                         doc="folders of photos by name: `photos: {path: data/photos, labels: labels.csv}`"),
})


def read_site(root: Path, problems: Problems) -> dict:
    path = root / "site.yml"
    shown = path.name
    if not path.exists():
        problems.error(shown, None, "site.yml is missing", "create it with at least `title: My Journal`")
        return SITE.validate({"title": "Untitled"}, shown, Problems())
    try:
        data = load_yaml(read_user_text(path, shown), shown)
    except YamlProblem as exc:
        problems.errors.append(exc.problem)
        return SITE.validate({"title": "Untitled"}, shown, Problems())
    except BuildError as err:
        problems.errors.extend(err.problems)
        return SITE.validate({"title": "Untitled"}, shown, Problems())
    site = SITE.validate(data, shown, problems, line=1)
    if not site["base_url"].endswith("/"):
        site["base_url"] += "/"
    return site
