"""Datasets: declared in site.yml, identified by their manifest, passed through the model in
chunks that reduce to the same bytes however they are cut, and shown as dataset examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from figure_projects import build_tiny, figure, make_project, page_html
from generator import interpret as vi
from generator.build import BuildOptions, build
from generator.errors import BuildError, Problems
from generator.datasets import read_datasets
from generator.figures import dataset_pass
from generator.figures.model_cards import ModelCards
from generator.pipeline.executors import InProcessExecutor, execute
from generator.site.config import read_site

PHOTOS = ["chelsea", "coffee", "astronaut", "rocket", "china", "flower", "grace_hopper", "motorcycle_left"]
FIGURE = figure("dataset-examples", """
id: fig-dx
dataset: photos
layer: blocks.1
units: [3, 0, 5]
top: 4
alt: Photos that excite three channels.
""")


def photo_folder(folder: Path, n: int = len(PHOTOS)) -> list[Path]:
    """`n` real photos (the samples, shrunk to about 100 px), some in a subfolder."""
    paths = []
    for i, name in enumerate(PHOTOS[:n]):
        picture = Image.open(vi.sample_path(name)).convert("RGB")
        picture.thumbnail((110, 110))
        path = folder / ("more" if i % 3 == 1 else "") / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        picture.save(path, quality=90)
        paths.append(path)
    return paths


SITE = "title: Datasets\nbase_url: https://example.org/\ndatasets:\n"    # the entry is on line 4


def project(root: Path, *figures: str, declare: str = "  photos: {path: data/photos}\n") -> Path:
    make_project(root, *figures)
    (root / "site.yml").write_text(SITE + declare, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = project(tmp_path_factory.mktemp("datasets"), FIGURE)
    photo_folder(root / "data" / "photos")
    (root / "data" / "photos" / "README.txt").write_text("where the photos come from")
    build_tiny(root)
    return root


def datasets_of(root: Path) -> tuple[dict, Problems]:
    problems = Problems()
    site = read_site(root, problems)
    return read_datasets(root, site["datasets"], problems), problems


# --- declaring -------------------------------------------------------------------------------

def test_a_dataset_is_named_by_its_manifest(tmp_path):
    root = project(tmp_path)
    paths = photo_folder(root / "data" / "photos", 4)
    found, problems = datasets_of(root)
    photos = found["photos"]
    assert not problems.errors and [i.path for i in photos.images] == sorted(
        p.relative_to(root / "data" / "photos").as_posix() for p in paths)
    before = photos.manifest_sha256
    paths[0].rename(paths[0].with_name("renamed.jpg"))                    # a path is part of it
    assert datasets_of(root)[0]["photos"].manifest_sha256 != before
    paths[1].write_bytes(paths[1].read_bytes() + b"\0")                   # so are the bytes
    assert len({before, datasets_of(root)[0]["photos"].manifest_sha256}) == 2


@pytest.mark.parametrize("declare, setup, expected", [
    ("  photos: {path: data/nothing}\n", None,
     "index.md:15: figure fig-dx 'dataset': dataset 'photos': folder 'data/nothing' (site.yml line 4) not found "
     "— create it, or fix its `path:` in site.yml"),
    ("  photos: {path: data/photos}\n", "empty",
     "site.yml:4: dataset 'photos': no images in 'data/photos'"),
    ("  photos: {path: data/photos, labels: data/labels.csv}\n", "bad-label",
     "data/labels.csv:2: dataset 'photos' has no image 'kitten.jpg' — fix the path"),
    ("  photos: {path: data/photos, labels: data/labels.csv}\n", "bad-row",
     "data/labels.csv:1: expected `file,class`, got 'chelsea.jpg'"),
    ("  photos: {path: data/photos, labels: data/labels.csv}\n", "misspelt-label",
     "data/labels.csv:2: dataset 'photos': 'more/coffee.jpg' is labelled 'clas 2', but model 'tiny' has no "
     "class 'clas 2' — did you mean 'class 2' (2)"),
    ("  photos: {path: data/photos, labels: data/none.csv}\n", "photos",
     "site.yml:4: dataset 'photos': labels file 'data/none.csv' not found — fix its `labels:`, or create the file"),
    ("  Photos!: {path: data/photos}\n", None, "site.yml:4: site.yml 'datasets.Photos!'"),
])
def test_dataset_mistakes_name_the_line_and_the_fix(tmp_path, declare, setup, expected):
    root = project(tmp_path, FIGURE, declare=declare)
    folder = root / "data" / "photos"
    folder.mkdir(parents=True)
    if setup in ("bad-label", "bad-row", "misspelt-label", "photos"):
        photo_folder(folder, 2)
    if setup in ("bad-label", "bad-row", "misspelt-label"):
        rows = {"bad-label": "chelsea.jpg,Egyptian cat\nkitten.jpg,tabby\n", "bad-row": "chelsea.jpg\n",
                "misspelt-label": "chelsea.jpg,class 1\nmore/coffee.jpg,clas 2\n"}[setup]
        (root / "data" / "labels.csv").write_text(rows)
    (root / "build").mkdir()
    (root / "build" / "kept.html").write_text("the previous site")
    with pytest.raises(BuildError) as err:
        build_tiny(root)
    assert expected in str(err.value)
    assert len(err.value.problems) == 1, err.value      # said once, though the figure and the unit pages meet it
    assert (root / "build" / "kept.html").read_text() == "the previous site"
    if setup is None and "nothing" in declare:          # declared and unused: no error
        (root / "articles" / "a" / "index.md").write_text((root / "articles" / "a" / "index.md").read_text()
                                                         .split("```{dataset-examples}")[0])
        build_tiny(root)


def test_unknown_dataset_in_a_figure_lists_the_declared_ones(tmp_path):
    root = project(tmp_path, FIGURE.replace("dataset: photos", "dataset: fotos"))
    photo_folder(root / "data" / "photos", 2)
    with pytest.raises(BuildError) as err:
        build_tiny(root)
    assert "no dataset 'fotos' (site.yml declares: photos) — did you mean 'photos'?" in str(err.value)


# --- the pass --------------------------------------------------------------------------------

def test_unreadable_files_are_skipped_with_one_warning_each(site):
    found, problems = datasets_of(site)
    assert [w.path for w in problems.warnings] == ["data/photos/README.txt"]
    assert found["photos"].skipped == ("README.txt",) and len(found["photos"].images) == len(PHOTOS)


def test_top_examples_equal_a_brute_force_search(site):
    html = page_html(site)
    shown = re.findall(r'<ol class="dx-examples" aria-label="blocks.1:(\d+)[^"]*">(.*?)</ol>', html)
    assert [int(unit) for unit, _ in shown] == [3, 0, 5]                  # the spec's order
    dataset = datasets_of(site)[0]["photos"]
    model = vi.load_model("tiny")
    strongest = {}
    for image in dataset.images:
        act = vi.activations(model, dataset.file(image), ["blocks.1"])["blocks.1"]   # (C, H, W)
        strongest[image.path] = act.flatten(1).max(1).values
    for unit, items in shown:
        titles = re.findall(r'<li title="([^:"]+): ([\d.-]+) at', items)
        expected = sorted(strongest, key=lambda p: (-float(strongest[p][int(unit)]), p))[:4]
        assert [name for name, _ in titles] == expected
        for name, value in titles:
            assert abs(float(value) - float(strongest[name][int(unit)])) < 0.006


def test_any_chunking_reduces_to_the_same_bytes(site, monkeypatch):
    dataset = datasets_of(site)[0]["photos"]
    card = ModelCards(None).get("tiny")

    def reduced(chunk: int) -> bytes:
        monkeypatch.setattr(dataset_pass, "CHUNK", chunk)
        jobs = dataset_pass.pass_jobs(card, dataset, ["blocks.1"], "test")
        assert len(jobs) == -(-len(dataset.images) // chunk)
        return dataset_pass.reduce_pass([execute(job) for job in jobs], "blocks.1").to_bytes()

    assert reduced(3) == reduced(64) == reduced(1)


def test_a_pass_on_dask_reduces_to_the_same_bytes(site, monkeypatch, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from generator.pipeline import DaskExecutor
    from generator.pipeline.cache import Cache
    from generator.pipeline.executors import run_jobs

    dataset = datasets_of(site)[0]["photos"]
    card = ModelCards(None).get("tiny")
    here = dataset_pass.reduce_pass([execute(j) for j in dataset_pass.pass_jobs(card, dataset, ["blocks.1"], "t")],
                                    "blocks.1").to_bytes()
    monkeypatch.setattr(dataset_pass, "CHUNK", 3)
    jobs = dataset_pass.pass_jobs(card, dataset, ["blocks.1"], "t")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        results = run_jobs(jobs, Cache(tmp_path), executor=DaskExecutor(client=client))
    assert dataset_pass.reduce_pass([results[j.key] for j in jobs], "blocks.1").to_bytes() == here


def test_a_killed_pass_resumes_where_it_stopped(tmp_path, monkeypatch):
    root = project(tmp_path, FIGURE)
    photo_folder(root / "data" / "photos")
    monkeypatch.setattr(dataset_pass, "CHUNK", 2)
    real = dataset_pass.run_chunk

    def dies_at_the_third_chunk(params, runtime):
        if params["start"] >= 4:
            raise KeyboardInterrupt
        return real(params, runtime)

    monkeypatch.setattr(dataset_pass, "run_chunk", dies_at_the_third_chunk)
    options = BuildOptions(root=root, quality="tiny", progress=False, executor=InProcessExecutor())
    with pytest.raises(KeyboardInterrupt):
        build(options)
    resumed = []

    def records(params, runtime):
        resumed.append(params["start"])
        return real(params, runtime)

    monkeypatch.setattr(dataset_pass, "run_chunk", records)
    build(options)
    assert resumed == [4, 6]            # the two chunks done before the kill are not redone


# --- freeze, verify ----------------------------------------------------------------------------

def test_an_article_builds_from_its_freeze_without_the_photos(tmp_path):
    from generator.reproduce import dataset_differences, freeze_article

    root = project(tmp_path, FIGURE)
    paths = photo_folder(root / "data" / "photos")
    options = BuildOptions(root=root, quality="tiny", progress=False)
    build(options)
    before = page_html(root)
    freeze_article(options, "a")
    assert dataset_differences(options, "a") == ([], False)
    paths[2].write_bytes(paths[3].read_bytes())                      # one photo changed
    notes, missing = dataset_differences(options, "a")
    assert notes == [f"dataset 'photos' on disk is not the one the article was frozen with: 1 changed "
                     f"(e.g. {paths[2].relative_to(root / 'data' / 'photos').as_posix()}); "
                     "its figures' frozen results will not be used"] and not missing
    for path in (root / "data").rglob("*"):
        if path.is_file():
            path.unlink()
    import shutil

    shutil.rmtree(root / "data")
    shutil.rmtree(root / ".cache")
    report = build(options)
    assert report.computed == 0 and page_html(root) == before and not report.warnings
    notes, missing = dataset_differences(options, "a")
    assert missing and "dataset 'photos' is not on disk (data/photos)" in notes[0]
    index = root / "articles" / "a" / "index.md"                      # a figure of a layer new since
    index.write_text(index.read_text() + figure("feature-vis", "id: fig-new\nlayer: blocks.0\nunits: [0]\nalt: One."))
    report = build(options)
    assert [str(w) for w in report.warnings] == [
        "site.yml:4: the unit pages of tiny/blocks.0 show no dataset examples: the photos of dataset 'photos' are "
        "not on disk — put them back to add them (`python -m generator datasets fetch` gets the example photos)"]
    assert (root / "build" / "units" / "tiny" / "blocks.0" / "0" / "index.html").is_file()


# --- the example photos --------------------------------------------------------------------------

def _deb(members: dict[str, bytes]) -> bytes:
    """A minimal Debian package (an ar archive) whose data.tar.xz holds `members`."""
    import io
    import tarfile

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as archive:
        for name, body in members.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    out = b"!<arch>\n"
    for name, body in (("debian-binary", b"2.0\n"), ("control.tar.xz", b""), ("data.tar.xz", data.getvalue())):
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode() + body + (b"\n" if len(body) % 2 else b"")
    return out


def test_fetch_reads_photos_out_of_debian_packages_and_checks_every_byte(tmp_path):
    import functools
    import hashlib
    import http.server
    import threading

    from generator import example_photos

    photo = vi.sample_path("chelsea").read_bytes()
    other = vi.sample_path("coffee").read_bytes()
    deb = _deb({"usr/share/backgrounds/cat.png": photo, "usr/share/backgrounds/cup.png": other})
    served = tmp_path / "mirror" / "pool" / "main" / "x"
    served.mkdir(parents=True)
    (served / "x_1_all.deb").write_bytes(deb)
    entry = {"source": "debian", "package": "x", "version": "1", "deb_path": "pool/main/x/x_1_all.deb",
             "deb_sha256": hashlib.sha256(deb).hexdigest(), "deb_size": len(deb), "subject": "a cat",
             "license": "CC0"}
    entries = [{**entry, "member": "usr/share/backgrounds/cat.png", "sha256": hashlib.sha256(photo).hexdigest()},
               {**entry, "member": "usr/share/backgrounds/cup.png", "sha256": "0" * 64},      # not these bytes
               {"source": "pypi", "package": "scikit-image", "version": "any", "member": "data/rocket.jpg",
                "sha256": hashlib.sha256(vi.sample_path("rocket").read_bytes()).hexdigest()}]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "mirror"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dest = tmp_path / "data" / "example-photos"
        result = example_photos.fetch(dest, entries, mirror=f"http://127.0.0.1:{server.server_port}",
                                      say=lambda line: None)
    finally:
        server.shutdown()
    assert result.written == ["scikit-image/rocket.jpg", "x/cat.png"]
    assert (dest / "x" / "cat.png").read_bytes() == photo and not (dest / "x" / "cup.png").exists()
    assert result.skipped == ["x/cup.png: not found with the listed bytes in x_1_all.deb"]
    sources = (tmp_path / "data" / "example-photos-SOURCES.csv").read_text()
    assert "x/cat.png,debian,x,1,usr/share/backgrounds/cat.png" in sources and "cup.png" not in sources
    again = example_photos.fetch(dest, entries[:1], mirror="http://127.0.0.1:9", say=lambda line: None)
    assert again.written == ["x/cat.png"] and again.downloaded_bytes == 0      # already there: no download



def test_the_example_photo_list_is_well_formed():
    from generator import example_photos

    entries = example_photos.photos()
    assert len(entries) >= 150
    names = [example_photos.target_name(e) for e in entries]
    assert len(set(names)) == len(names) and len({e["sha256"] for e in entries}) == len(entries)
    for entry in entries:
        assert entry["source"] in ("debian", "pypi") and len(entry["sha256"]) == 64 and entry["subject"]
        if entry["source"] == "debian":
            assert entry["deb_path"].startswith("pool/main/") and len(entry["deb_sha256"]) == 64


def test_check_reads_a_dataset_and_writes_nothing(tmp_path):
    root = project(tmp_path, FIGURE)
    photo_folder(root / "data" / "photos", 3)
    report = build(BuildOptions(root=root, quality="tiny", progress=False, check=True))
    assert report.jobs > 0 and not (root / ".cache" / "datasets").exists() and not (root / "build").exists()
