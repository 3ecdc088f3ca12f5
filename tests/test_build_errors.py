"""Every user error stops the build with one line `path:line: what — fix`, exit status 1,
no traceback, and the previous build/ untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

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


def test_a_date_that_does_not_exist_and_a_key_given_twice(tmp_path):
    text = FRONT.replace("published: 2026-11-20", "published: 2026-02-30")
    root = make_project(tmp_path, {"a": {"index.md": text + "Hi\n"}})
    line = FRONT.splitlines().index("published: 2026-11-20") + 1
    assert errors_of(root) == [f"{MD}:{line}: '2026-02-30' is not a real date (day is out of range for month) "
                               "— write a date that exists, as YYYY-MM-DD"]
    figure = "\n```{image}\nid: fig-a\nsrc: a.png\nalt: A.\nsrc: b.png\n```\n"
    (root / "articles" / "a" / "index.md").write_text(FRONT + figure)
    line = FRONT.count("\n") + 6
    assert errors_of(root) == [f"{MD}:{line}: directive '{{image}}': 'src' is given twice (first on line "
                               f"{line - 2}) — keep one of them"]


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


def test_a_picture_that_cannot_be_read_whole_or_is_too_large_is_refused_by_check(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from generator.cli import main

    body = "".join(f"\n```{{image}}\nid: fig-{n}\nsrc: {name}\nalt: A picture.\n```\n"
                   for n, name in enumerate(["text.jpg", "cut.jpg", "huge.png"]))
    root = make_project(tmp_path, {"a": {"index.md": article(body)}})
    folder = root / "articles" / "a"
    (folder / "text.jpg").write_text("not a picture")
    Image.new("RGB", (300, 200), "#3b6ea5").save(folder / "whole.jpg", quality=90)
    (folder / "cut.jpg").write_bytes((folder / "whole.jpg").read_bytes()[:600])
    Image.new("1", (10000, 9000)).save(folder / "huge.png")               # 90 million pixels
    monkeypatch.chdir(root)
    assert main(["check"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert [e.split(": ", 3)[2:] for e in errors] == [
        ["figure fig-0 'src'", "'text.jpg' is not an image Pillow can read — use a PNG, JPEG or WebP file (save it "
                               "again if it is damaged)"],
        ["figure fig-1 'src'", "'cut.jpg' is cut short: the file ends before the picture does — use a PNG, JPEG "
                               "or WebP file (save it again if it is damaged)"],
        ["figure fig-2 'src'", "'huge.png' is 10000x9000 pixels, more than the 89 million Vellum reads — shrink it: "
                               "a figure shows a few thousand pixels across at most"]]


def test_a_thumbnail_that_is_no_picture_is_said_at_its_line_on_every_build(tmp_path):
    text = FRONT.replace("status: draft", "status: draft\nthumbnail: card.png")
    root = make_project(tmp_path, {"a": {"index.md": text + "Hi\n", "card.png": "not a picture"}})
    expected = [f"{MD}:10: front matter 'thumbnail': 'card.png' is not an image Pillow can read — use a PNG, "
                "JPEG or WebP file (save it again if it is damaged)"]
    assert errors_of(root) == expected
    assert errors_of(root) == expected                 # the second time from the cache, said all the same
    Image.new("RGB", (40, 30), "#3b6ea5").save(root / "articles" / "a" / "card.png")
    build(BuildOptions(root=root, progress=False))


def test_files_that_are_not_utf8_are_said_at_the_line_of_the_first_bad_byte(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nHi [@olah2017feature].\n")}})
    with open(root / "articles" / "a" / "references.bib", "ab") as bib:
        bib.write(b"\n% caf\xe9\n")
    line = (root / "articles" / "a" / "references.bib").read_bytes().count(b"\n")
    assert errors_of(root) == [f"articles/a/references.bib:{line}: not UTF-8 text: byte 0xe9 cannot be read — "
                               "save the file as UTF-8 (your editor's encoding setting)"]
    (root / "articles" / "a" / "references.bib").write_text("")
    (root / "articles" / "a" / "index.md").write_bytes(b"\xef\xbb\xbf" + article("\nHi.\n").encode())
    build(BuildOptions(root=root, progress=False))                 # a byte-order mark is fine
    with open(root / "site.yml", "ab") as site:
        site.write(b"# \xff\n")
    [error] = errors_of(root)
    assert error.startswith("site.yml:") and "not UTF-8 text: byte 0xff" in error


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


@pytest.mark.parametrize("figures, expected", [
    ("def charts():\n    pass\n", "figure fig-chart 'source': figures.py has no function 'chart' — did you mean 'charts'?"),
    ("def chart(:\n    pass\n", "figure fig-chart 'source': figures.py:1: invalid syntax — fix the Python in figures.py"),
])
def test_check_reads_figures_py_without_running_it(tmp_path, capsys, monkeypatch, figures, expected):
    from generator.cli import main

    body = "\n```{bokeh}\nid: fig-chart\nsource: figures.py:chart\nalt: A chart.\n```\n"
    root = make_project(tmp_path, {"a": {"index.md": article(body), "figures.py": figures}})
    monkeypatch.chdir(root)
    assert main(["check"]) == 1
    [error] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error.split(": ", 2)[2] == expected


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
        "a": {"index.md": article("\nSee @fig-nowhere and [@nobody].\n\n```{image}\nid: fig-x\nsrc: none.png\n"
                                  "alt: Nothing.\n```\n")},
        "b": {"index.md": "---\ntitle: B\ncolour: red\n---\nHi\n"},
    })
    lines = errors_of(root)
    assert len(lines) == 4                  # the figure's mistake too, beside the text's: one round of fixes
    assert any(line.startswith("articles/b/index.md:3: front matter: unknown key 'colour'") for line in lines)
    assert any("figure fig-x 'src': file 'none.png' not found" in line for line in lines)


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
