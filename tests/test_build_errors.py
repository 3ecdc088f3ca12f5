"""Every user error stops the build with one line `path:line: what — fix`, exit status 1,
no traceback, and the previous build/ untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.errors import BuildError
from projects import FRONT, article, make_project

MD = "articles/a/index.md"


def errors_of(root: Path) -> list[str]:
    with pytest.raises(BuildError) as info:
        build(BuildOptions(root=root, progress=False))
    return [str(p) for p in info.value.problems]


def test_broken_yaml(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": "---\ntitle: [Unclosed\nauthors: x\n---\nHi\n"}})
    assert errors_of(root) == [f"{MD}:2: invalid YAML: a '[' opened here is never closed — "
                               "close it with ']' on this line, or quote the value"]
    (root / "articles" / "a" / "index.md").write_text("---\ntitle: A\nauthors: {name: x\n---\nHi\n")
    assert errors_of(root) == [f"{MD}:3: invalid YAML: a '{{' opened here is never closed — "
                               "close it with '}' on this line, or quote the value"]
    (root / "articles" / "a" / "index.md").write_text("---\ntitle: A\n  authors: x\n---\nHi\n")
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:3: invalid YAML: ")
    assert line.endswith("— check the indentation, colons and quotes on this line")


def test_missing_title(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": "---\ndescription: No title here.\n---\nHi\n"}})
    assert errors_of(root) == [
        f"{MD}:2: front matter: missing required key 'title' — add `title:` (the article's title)"]


def test_unknown_front_matter_key(tmp_path):
    text = FRONT.replace("status: draft", "status: draft\nqualty: final")
    root = make_project(tmp_path, {"a": {"index.md": text + "Hi\n"}})
    assert errors_of(root) == [f"{MD}:10: front matter: unknown key 'qualty' — did you mean 'quality'?"]


def test_wrong_value_names_the_choices(tmp_path):
    text = FRONT.replace("status: draft", "status: publshed")
    root = make_project(tmp_path, {"a": {"index.md": text + "Hi\n"}})
    assert errors_of(root) == [
        f"{MD}:9: front matter 'status': expected one of draft, review, published, got 'publshed' "
        "— did you mean 'published'?"]


def test_a_value_from_a_few_choices_names_them_once(tmp_path):
    text = FRONT.replace("status: draft", "status: draft\nquality: ultra")
    root = make_project(tmp_path, {"a": {"index.md": text + "Hi\n"}})
    assert errors_of(root) == [
        f"{MD}:10: front matter 'quality': expected one of draft, final, got 'ultra' — write one of draft, final"]


def test_unknown_citation_key(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nAs shown [@olah2017featur].\n")}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:12: ") and "olah2017featur" in line and "olah2017feature" in line


def test_unknown_cross_reference(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nSee @fig-nowhere.\n")}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:12: ") and "fig-nowhere" in line


def test_duplicate_figure_id(tmp_path):
    body = """
    ```{image}
    id: fig-cat
    src: sample:chelsea
    alt: A cat.
    ```

    ```{image}
    id: fig-cat
    src: sample:coffee
    alt: A cup.
    ```
    """
    root = make_project(tmp_path, {"a": {"index.md": article(body)}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:18: ") and "fig-cat" in line and "12" in line


def test_unknown_directive_kind(tmp_path):
    body = """
    ```{imgae}
    src: sample:chelsea
    ```
    """
    root = make_project(tmp_path, {"a": {"index.md": article(body)}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:12: ") and "imgae" in line and "did you mean 'image'?" in line


def test_missing_image(tmp_path):
    body = """
    ```{image}
    id: fig-x
    src: images/missing.png
    alt: Nothing.
    ```
    """
    root = make_project(tmp_path, {"a": {"index.md": article(body)}})
    [line] = errors_of(root)
    assert line == (f"{MD}:14: figure fig-x 'src': file 'images/missing.png' not found — "
                    "put it at articles/a/images/missing.png or fix `src:`")


def test_bad_formula(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nText.\n\n$$ \\frac{a}{ $$\n")}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:14: ") and "formula" in line


def test_figures_function_that_raises(tmp_path):
    body = """
    ```{bokeh}
    id: fig-chart
    source: figures.py:chart
    alt: A chart.
    ```
    """
    figures = "def chart():\n    raise ValueError('no data for the chart')\n"
    root = make_project(tmp_path, {"a": {"index.md": article(body), "figures.py": figures}})
    [line] = errors_of(root)
    assert line.startswith(f"{MD}:12: figure fig-chart: figures.py:chart raised ValueError: "
                           "no data for the chart (at figures.py line 2)")


def test_unused_reference_is_only_a_warning(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nCited [@olah2017feature].\n")}})
    report = build(BuildOptions(root=root, progress=False))
    warnings = [str(w) for w in report.warnings]
    assert any("erhan2009visualizing" in w and "references.bib" in w for w in warnings)


def test_missing_alt_warns_in_draft_and_fails_when_published(tmp_path):
    body = """
    ```{image}
    id: fig-cat
    src: sample:chelsea
    ```
    """
    root = make_project(tmp_path, {"a": {"index.md": article(body)}})
    report = build(BuildOptions(root=root, progress=False))
    assert [str(w) for w in report.warnings if w.path == MD] == [
        f"{MD}:12: figure fig-cat has no alt text — add `alt:` describing what the figure shows, "
        "for readers who cannot see it"]
    published = FRONT.replace("status: draft", "status: published")
    (root / MD).write_text(article(body, front=published))
    assert errors_of(root) == [str(w) for w in report.warnings if w.path == MD]


def test_several_problems_are_reported_together(tmp_path):
    root = make_project(tmp_path, {
        "a": {"index.md": article("\nSee @fig-nowhere and [@nobody].\n")},
        "b": {"index.md": "---\ntitle: B\ncolour: red\n---\nHi\n"},
    })
    lines = errors_of(root)
    assert len(lines) == 3
    assert any(line.startswith("articles/b/index.md:3: front matter: unknown key 'colour'") for line in lines)


def test_cli_prints_one_line_per_problem_and_keeps_the_old_build(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nGood.\n")}})
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    ok = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet"], cwd=root, env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    before = {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()}
    (root / MD).write_text(article("\nSee @fig-nowhere.\n"))
    bad = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet"], cwd=root, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {MD}:12: ") and len(lines) == 2
    after = {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()}
    assert after == before
