"""freeze, verify, reproduce and provenance.json."""

from __future__ import annotations

import json

import pytest

from generator.build import BuildOptions, build
from generator.cli import main
from generator.compare import compare
from generator.reproduce import freeze_article
from projects import FRONT, article, make_project

BODY = """
```{bokeh}
id: fig-chart
source: figures.py:chart
alt: A chart.
```
"""
FIGURES = """from bokeh.plotting import figure


def chart():
    plot = figure(height=200, tools="")
    plot.line([0, 1, 2], [0, 1, SLOPE])
    return plot
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path, {"a": {"index.md": article(BODY), "figures.py": FIGURES.replace("SLOPE", "4")}})
    monkeypatch.chdir(root)
    return root


def test_freeze_is_used_by_a_build_without_cache(project, capsys):
    assert main(["freeze", "a", "--quiet"]) == 0
    index = json.loads((project / "articles/a/_freeze/index.json").read_text())
    assert index["provenance"]["quality"] == "draft" and index["provenance"]["devices"]
    [entry] = index["entries"].values()
    assert entry["label"] == "fig-chart: figures.py:chart"
    # A fresh machine: no cache. The build takes the frozen result and computes nothing.
    import shutil
    shutil.rmtree(project / ".cache")
    report = build(BuildOptions(root=project, progress=False))
    assert report.computed == 0
    # A changed figures.py is a different key: recomputed despite the freeze.
    (project / "articles/a/figures.py").write_text(FIGURES.replace("SLOPE", "5"))
    assert build(BuildOptions(root=project, progress=False)).computed == 1


def test_freezing_again_keeps_the_committed_entries(project):
    """A recomputation in the cache (another run record, say) does not churn the freeze."""
    main(["freeze", "a", "--quiet"])
    folder = project / "articles/a/_freeze"
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    build(BuildOptions(root=project, progress=False, fresh=True))   # recomputes into the cache
    main(["freeze", "a", "--quiet"])
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_verify_reports_pass_and_stale(project, capsys):
    main(["freeze", "a", "--quiet"])
    capsys.readouterr()
    assert main(["verify", "a", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "pass  fig-chart: figures.py:chart" in out and "1 of 1 frozen results reproduced" in out
    (project / "articles/a/figures.py").write_text(FIGURES.replace("SLOPE", "5"))
    assert main(["verify", "a", "--quiet"]) == 0
    assert "stale fig-chart: figures.py:chart" in capsys.readouterr().out


TWO_CHARTS = BODY + BODY.replace("fig-chart", "fig-other").replace("figures.py:chart", "figures.py:other")
CHECKED = FIGURES.replace("SLOPE", "4") + """

def other():
    import os

    if os.environ.get("VELLUM_TEST_BREAK"):
        raise ValueError("the data this chart reads is gone")
    return chart()
"""


def test_verify_recomputes_side_by_side_with_progress_and_names_a_failure(tmp_path, monkeypatch, capsys):
    """A final-quality article is hours of CPU: verify runs its jobs as a build does
    (`--jobs`), shows how far it is, and a job that fails is one line naming its figure."""
    root = make_project(tmp_path, {"a": {"index.md": article(TWO_CHARTS), "figures.py": CHECKED}})
    monkeypatch.chdir(root)
    assert main(["freeze", "a", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["verify", "a", "--jobs", "2"]) == 0
    out, err = capsys.readouterr()
    assert "2 of 2 frozen results reproduced" in out
    assert "pass  fig-chart: figures.py:chart" in out and "pass  fig-other: figures.py:other" in out
    assert "verify" in err and "2/2" in err and "2 computed" in err      # the progress bar
    monkeypatch.setenv("VELLUM_TEST_BREAK", "1")
    assert main(["verify", "a", "--jobs", "2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "fig-other" in err and "the data this chart reads is gone" in err
    assert "Traceback" not in err


def test_verify_without_freeze_is_a_clear_error(project, capsys):
    assert main(["verify", "a", "--quiet"]) == 1
    assert "articles/a/_freeze: nothing is frozen for this article — run `python -m generator freeze a` first" \
        in capsys.readouterr().err


def test_reproduce_one_figure(project, capsys, monkeypatch):
    assert main(["reproduce", "articles/a/index.md#fig-chart", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "pass  fig-chart" in out
    [folder] = (project / "reproduce/a/fig-chart").iterdir()
    assert (folder / "item.json").exists()
    from generator.build import plan_cache

    monkeypatch.setattr(plan_cache, "plan", lambda *a: pytest.fail("an unknown id was planned before it was refused"))
    assert main(["reproduce", "articles/a/index.md#fig-chrat", "--quiet"]) == 1
    assert "no figure with id 'fig-chrat' — did you mean 'fig-chart'?" in capsys.readouterr().err


def test_provenance_lists_each_figure(project):
    build(BuildOptions(root=project, progress=False))
    doc = json.loads((project / "build/a/provenance.json").read_text())
    [figure] = doc["figures"]
    assert figure["id"] == "fig-chart" and figure["kind"] == "bokeh"
    assert figure["spec"]["source"] == "figures.py:chart"
    [job] = figure["jobs"]
    assert len(job["key"]) == 64 and job["device"].startswith("cpu") and "python" in job["versions"]


def test_compare_tolerances():
    import io

    import numpy as np
    from PIL import Image

    def png(array):
        buffer = io.BytesIO()
        Image.fromarray(array.astype(np.uint8)).save(buffer, "PNG")
        return buffer.getvalue()

    base = np.full((8, 8, 3), 100)
    assert compare("a.png", png(base), png(base + 2)).passed
    assert not compare("a.png", png(base), png(base + 40)).passed
    assert compare("x.json", b'{"v": [1.0, 2.0]}', b'{"v": [1.0, 2.0001]}').passed
    assert not compare("x.json", b'{"v": [1.0, 2.0]}', b'{"v": [1.0, 2.5]}').passed
    assert not compare("x.json", b'{"v": "a"}', b'{"v": "b"}').passed
    assert not compare("x.bin", b"ab", b"ac").passed


def test_generated_notebook_runs_and_matches_the_build(project):
    import hashlib

    import nbclient
    import nbformat

    report = build(BuildOptions(root=project, progress=False))
    path = project / "build/a/notebooks/fig-chart.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["vellum"]["figure"] == "fig-chart"
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(project)}}).execute()
    printed = json.loads(notebook.cells[-1].outputs[-1]["text"])
    [job] = report.articles[0].figures[0].jobs
    expected = {name: hashlib.sha256(data).hexdigest() for name, data in report.results[job.key].items()
                if name != "run-record.json"}
    assert printed == {job.key: expected}
    page = (project / "build/a/index.html").read_text()
    assert "python -m generator reproduce articles/a/index.md#fig-chart" in page
    assert 'href="notebooks/fig-chart.ipynb"' in page


def test_updates_reach_the_appendix_and_the_feed(tmp_path):
    from projects import FRONT

    front = FRONT.replace("status: draft", "status: published\nupdated:\n  - date: 2026-11-30\n"
                          "    note: Corrected the caption of Figure 1 & its alt text.")
    root = make_project(tmp_path, {"a": {"index.md": front + "\nHello.\n"}})
    build(BuildOptions(root=root, progress=False))
    page = (root / "build/a/index.html").read_text()
    assert "Corrected the caption of Figure 1 &amp; its alt text." in page
    import xml.etree.ElementTree as ET

    feed = ET.parse(root / "build/feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = feed.findall("a:entry", ns)
    assert entry.find("a:updated", ns).text == "2026-11-30T00:00:00Z"
    content = entry.find("a:content", ns)
    assert content.get("type") == "html"
    assert "<li>November 30, 2026: Corrected the caption of Figure 1 &amp; its alt text.</li>" in content.text


TINY_FIGURES = """
```{spatial-attribution}
id: fig-spatial
image: sample:chelsea
layer: blocks.0
classes: [3, 5]
alt: A heat map.
```

```{feature-vis}
id: fig-units
layer: blocks.1
units: [0, 1, 2]
alt: Three channels.
```

```{spatial-attribution}
id: fig-photos
images: [sample:chelsea, sample:coffee]
layer: blocks.0
classes: [3, 5]
alt: A heat map of the photo the reader picks.
```
"""


@pytest.mark.parametrize("fig_id", ["fig-spatial", "fig-units", "fig-photos"])
def test_model_figure_notebook_uses_the_api_and_matches_the_build(tmp_path, monkeypatch, fig_id):
    """A generated notebook of a model figure (tiny model, tiny profile) runs top to bottom:
    the public-API cells, then the job cells whose digests match the build's artifacts."""
    import hashlib

    import nbclient
    import nbformat

    front = FRONT.replace("status: draft", "status: draft\nmodel: tiny")
    root = make_project(tmp_path, {"a": {"index.md": article(TINY_FIGURES, front=front)}})
    monkeypatch.chdir(root)
    report = build(BuildOptions(root=root, quality="tiny", progress=False))
    notebook = nbformat.read(root / f"build/a/notebooks/{fig_id}.ipynb", as_version=4)
    sources = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "vi.load_model('tiny')" in sources
    assert ("vi.feature_vis(" if fig_id == "fig-units" else "vi.spatial_attribution(") in sources
    if fig_id == "fig-photos":                   # the first photo's cells, and the way to the others
        assert "sample:coffee" in "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(root)}}).execute()
    printed = json.loads(notebook.cells[-1].outputs[-1]["text"])
    [figure] = [f for f in report.articles[0].figures if f.directive.id == fig_id]
    expected = {job.key: {name: hashlib.sha256(data).hexdigest()
                          for name, data in sorted(report.results[job.key].items()) if name != "run-record.json"}
                for job in figure.jobs}
    assert printed == expected


def test_render_cache_replays_the_same_page_and_misses_on_a_new_caption(project):
    first = build(BuildOptions(root=project, out=project / "one", progress=False))
    again = build(BuildOptions(root=project, out=project / "two", progress=False))
    assert again.computed == 0
    one = {p.relative_to(project / "one"): p.read_bytes() for p in (project / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(project / "two"): p.read_bytes() for p in (project / "two").rglob("*") if p.is_file()}
    assert one == two and first.jobs == again.jobs
    index = project / "articles/a/index.md"
    index.write_text(index.read_text().replace("alt: A chart.", "alt: A chart.\ncaption: A new caption."))
    build(BuildOptions(root=project, out=project / "three", progress=False))
    assert "A new caption." in (project / "three/a/index.html").read_text()


class _StopsAfterOne:
    """Computes one job, then is stopped as Ctrl-C (or a closed laptop) stops a freeze."""

    side_by_side = 1

    def __init__(self):
        from generator.pipeline.executors import InProcessExecutor

        self.inner, self.ran = InProcessExecutor(), []

    def run(self, jobs):
        for outcome in self.inner.run(jobs[:1]):
            self.ran.append(outcome.job.label)
            yield outcome
        raise KeyboardInterrupt


def test_a_stopped_freeze_keeps_what_it_computed_and_goes_on_from_there(tmp_path, monkeypatch):
    """A freeze at final quality is hours of CPU: what it computed before it was stopped is
    in the freeze folder (to commit, and go on on another machine, with no cache), beside the
    entries the article still builds from; the next freeze computes only the rest, and ends
    with exactly the article's results."""
    root = make_project(tmp_path, {"a": {"index.md": article(TWO_CHARTS), "figures.py": CHECKED}})
    monkeypatch.chdir(root)
    assert main(["freeze", "a", "--quiet"]) == 0
    folder = root / "articles/a/_freeze"
    old = set(json.loads((folder / "index.json").read_text())["entries"])
    (root / "articles/a/figures.py").write_text(CHECKED.replace("[0, 1, 4]", "[0, 1, 5]"))  # both charts change
    stopping = _StopsAfterOne()
    with pytest.raises(KeyboardInterrupt):
        freeze_article(BuildOptions(root=root, progress=False, executor=stopping), "a")
    entries = json.loads((folder / "index.json").read_text())["entries"]
    kept = set(entries) - old
    assert len(stopping.ran) == 1 and [entries[k]["label"] for k in kept] == stopping.ran
    assert [entries[k]["pending"] for k in kept] == ["draft"] and old <= set(entries)
    import shutil
    shutil.rmtree(root / ".cache")                       # another machine: the freeze alone
    goes_on = _Counting()
    _, count, _ = freeze_article(BuildOptions(root=root, progress=False, executor=goes_on), "a")
    assert goes_on.ran == 1 and count == 2               # only the job not computed before
    entries = json.loads((folder / "index.json").read_text())["entries"]
    assert set(entries) == kept | goes_on.keys and not any("pending" in e for e in entries.values())


def test_verify_tells_pending_results_from_stale_ones(tmp_path, monkeypatch, capsys):
    """Results a stopped freeze kept are work to go on with, not stale entries to drop."""
    root = make_project(tmp_path, {"a": {"index.md": article(TWO_CHARTS), "figures.py": CHECKED}})
    monkeypatch.chdir(root)
    assert main(["freeze", "a", "--quiet"]) == 0
    (root / "articles/a/figures.py").write_text(CHECKED.replace("[0, 1, 4]", "[0, 1, 5]"))
    with pytest.raises(KeyboardInterrupt):
        freeze_article(BuildOptions(root=root, progress=False, executor=_StopsAfterOne()), "a")
    (root / "articles/a/figures.py").write_text(CHECKED)   # what was frozen is what the article plans
    capsys.readouterr()
    assert main(["verify", "a", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 frozen results reproduced" in out and "stale" not in out
    assert "pending: 1 result of a freeze at draft quality that has not finished — run `freeze a " \
        "--quality draft` to go on" in out


class _Counting:
    side_by_side = 1

    def __init__(self):
        from generator.pipeline.executors import InProcessExecutor

        self.inner, self.ran, self.keys = InProcessExecutor(), 0, set()

    def run(self, jobs):
        for outcome in self.inner.run(jobs):
            self.ran += 1
            self.keys.add(outcome.job.key)
            yield outcome


def test_a_result_another_article_froze_is_not_computed_again(tmp_path, monkeypatch):
    """Articles share jobs (the same model, layer and units): on a machine with no cache, a
    result one article's freeze holds is taken for the other, and freezing it copies it in."""
    root = make_project(tmp_path, {"a": {"index.md": article(BODY), "figures.py": FIGURES.replace("SLOPE", "4")},
                                   "b": {"index.md": article(BODY), "figures.py": FIGURES.replace("SLOPE", "4")}})
    monkeypatch.chdir(root)
    assert main(["freeze", "a", "--quiet"]) == 0
    import shutil
    shutil.rmtree(root / ".cache")
    counting = _Counting()
    folder, count, _ = freeze_article(BuildOptions(root=root, progress=False, executor=counting), "b")
    assert counting.ran == 0 and count == 1
    assert json.loads((folder / "index.json").read_text())["entries"].keys() == \
        json.loads((root / "articles/a/_freeze/index.json").read_text())["entries"].keys()


def test_freezing_at_another_quality_says_to_change_the_front_matter(project, caplog):
    """An article frozen at final while its front matter says draft would compute its draft
    results again on every build: the freeze says what to change (for the tests' profile, which
    no front matter takes, the `--quality` to give)."""
    caplog.set_level("WARNING")
    assert main(["freeze", "a", "--quality", "tiny", "--quiet"]) == 0
    assert ("articles/a/index.md is frozen at tiny quality: build and verify it with `--quality tiny`, or a build "
            "computes its draft results again") in caplog.text
    caplog.clear()
    assert main(["freeze", "a", "--quiet"]) == 0
    assert "front matter" not in caplog.text
