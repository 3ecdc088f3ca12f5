"""One-article projects on the tiny model and profile, for the figure kinds' tests: write an
article of figure blocks, build it, plan a spec, read the data a figure shipped."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np

from generator.build import BuildOptions, build
from generator.figures import KINDS, FigureContext, spec_schema
from generator.pipeline.quantize import dequantize
from generator.figures.model_cards import ModelCards
from generator.pipeline.executors import execute

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "generator" / "schemas"

FRONT = """---
title: Figures
description: A test article.
authors:
  - name: Ada Example
published: 2026-11-26
model: tiny
status: draft
---

Some text.
"""


def figure(kind: str, body: str) -> str:
    """A figure block of `kind` whose spec is `body` (YAML)."""
    return f"\n```{{{kind}}}\n{body.strip()}\n```\n"


def make_project(root: Path, *figures: str) -> Path:
    """A site with one article `a` holding `figures` (Markdown blocks)."""
    (root / "articles" / "a").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "site.yml", root / "site.yml")
    (root / "articles" / "a" / "index.md").write_text(FRONT + "".join(figures), encoding="utf-8")
    return root


def build_tiny(root: Path):
    return build(BuildOptions(root=root, quality="tiny", progress=False))


def page_html(root: Path) -> str:
    return (root / "build" / "a" / "index.html").read_text(encoding="utf-8")


def context(root: Path, caption: str = "A caption.") -> FigureContext:
    return FigureContext(article_dir=root, source="articles/a/index.md", line=12, number=1,
                         caption_html=caption, model="tiny", quality="tiny", status="draft", emit=None,
                         cards=ModelCards(None))


def plan_of(kind_name: str, raw: dict, root: Path):
    """(the checked spec, the whole plan) of a figure of `kind_name` with spec `raw`: a plan
    that names more jobs once its first ones ran gets them run here, as a build would."""
    kind = KINDS[kind_name]
    spec, issues = spec_schema(kind).check(raw)
    assert not issues, [i.text(kind_name) for i in issues]
    ctx = context(root)
    plan = kind.plan(spec, ctx)
    while plan.more:
        plan = kind.plan_more(spec, ctx, plan, [execute(job) for job in plan.jobs])
    return spec, plan


def planned(kind_name: str, raw: dict, root: Path):
    """(the checked spec, the jobs) of a figure of `kind_name` with spec `raw`."""
    spec, plan = plan_of(kind_name, raw, root)
    return spec, plan.jobs


def jobs_of(kind_name: str, raw: dict, root: Path):
    """The jobs of a figure of `kind_name` with spec `raw`."""
    return planned(kind_name, raw, root)[1]


def data_script_payload(path: Path) -> dict:
    """The object a data script (generator.pipeline.data_script) stores."""
    text = path.read_text(encoding="ascii").splitlines()[1]
    return json.loads(text.split(" = ", 1)[1].rstrip(";"))


def payload(root: Path, stem: str) -> dict:
    """The object the data script of figure `stem` stores."""
    (path,) = (root / "build" / "a" / "data").glob(f"{stem}.*.js")
    return data_script_payload(path)


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def validate(data: dict, name: str) -> None:
    """Check `data` against the figure data schema `name`, whose references to the other
    schemas resolve to our files (never the network)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (found["$id"], Resource.from_contents(found))
        for found in (json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.json")))
    Draft202012Validator(schema(name), registry=registry).validate(data)


def decoded(encoded: dict) -> np.ndarray:
    return dequantize(base64.b64decode(encoded["data"]), encoded)
