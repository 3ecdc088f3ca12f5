"""The table in priorities.py is the one place Vellum's processor priorities come from."""

from __future__ import annotations

from generator.errors import Problems
from generator.markdown.priorities import PRIORITY
from generator.markdown.render import make_markdown
from generator.markdown.state import RenderState, SourceText


def registries(md):
    return {"preprocessors": md.preprocessors, "inline": md.inlinePatterns,
            "tree": md.treeprocessors, "post": md.postprocessors}


def registered(registry) -> dict[str, float]:
    return {item.name: item.priority for item in registry._priority}


def test_every_vellum_processor_is_registered_at_its_table_priority():
    state = RenderState("x.md", SourceText("", 1), {}, frozenset(), Problems())
    md = make_markdown(state)
    found = {}
    for kind, registry in registries(md).items():
        found.update({(kind, name): p for name, p in registered(registry).items() if name.startswith("vellum-")})
    assert found == PRIORITY


def test_tree_processors_run_after_inline_and_attr_list_and_before_smarty():
    state = RenderState("x.md", SourceText("", 1), {}, frozenset(), Problems())
    items = make_markdown(state).treeprocessors._priority
    order = [item.name for item in sorted(items, key=lambda item: -item.priority)]   # run order
    ordered = [name for name in order if name in {"inline", "attr_list", "vellum-sections",
                                                  "vellum-citations", "vellum-crossrefs", "smarty"}]
    assert ordered == ["inline", "attr_list", "vellum-sections", "vellum-citations", "vellum-crossrefs", "smarty"]
