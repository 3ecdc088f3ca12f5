"""OutputTree and data scripts: content-hashed names, conflicts, atomic byte-exact publishing."""

import json
import os

import pytest

from generator.pipeline.data_script import data_script
from generator.pipeline.jobs import sha256_bytes
from generator.pipeline.output import OutputConflict, OutputTree, check_relpath


def site():
    tree = OutputTree()
    tree.add("index.html", b"<!doctype html><p>home</p>\n")
    tree.add("static/css/vellum.css", b"body{margin:0}\n")
    data = data_script("fig-grid", {"cells": [[1, 2], [3, 4]]})
    tree.add_hashed("cats/data", "fig-grid", "js", data)
    return tree


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_hashed_names_follow_the_bytes():
    tree = OutputTree()
    a = tree.add_hashed("d", "sprite", "webp", b"one")
    assert a == f"d/sprite.{sha256_bytes(b'one')[:10]}.webp"
    assert tree.add_hashed("d", "sprite", ".webp", b"one") == a
    assert tree.add_hashed("d", "sprite", "webp", b"two") != a
    assert tree.add_hashed("", "top", "json", b"x").startswith("top.")


def test_conflicting_contents_at_one_path_are_an_error():
    tree = OutputTree()
    tree.add("a/index.html", b"one")
    tree.add("a/index.html", b"one")
    with pytest.raises(OutputConflict, match="a/index.html was written twice"):
        tree.add("a/index.html", b"two")
    with pytest.raises(OutputConflict, match="is a file"):
        tree.add("a/index.html/x", b"")
    with pytest.raises(OutputConflict, match="already a folder"):
        tree.add("a", b"")


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../up", "a/../b", "a//b", "a\\b", "./a"])
def test_paths_cannot_escape_the_site(bad):
    with pytest.raises(ValueError):
        check_relpath(bad)


def test_publish_writes_exactly_the_files_and_twice_is_identical(tmp_path):
    first = site().publish(tmp_path / "build")
    files = snapshot(first)
    assert sorted(files) == sorted(path for path, _ in site().items())
    assert files["index.html"] == b"<!doctype html><p>home</p>\n"
    site().publish(tmp_path / "build2")
    assert snapshot(tmp_path / "build2") == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "build2"]  # no temp folders left


def test_publish_replaces_the_old_site_entirely(tmp_path):
    target = tmp_path / "build"
    (target / "old").mkdir(parents=True)
    (target / "old" / "gone.html").write_bytes(b"old")
    site().publish(target)
    assert "old/gone.html" not in snapshot(target)
    assert snapshot(target)["index.html"].startswith(b"<!doctype")


def test_a_failure_before_the_swap_leaves_the_old_site(tmp_path):
    target = tmp_path / "build"
    target.mkdir()
    (target / "index.html").write_bytes(b"old site")
    written = []

    def failing_write(path, data):
        written.append(path)
        if len(written) == 2:
            raise OSError("disk full")
        path.write_bytes(data)

    with pytest.raises(OSError, match="disk full"):
        site().publish(target, write=failing_write)
    assert snapshot(target) == {"index.html": b"old site"}
    assert [p.name for p in tmp_path.iterdir()] == ["build"]


def test_a_failed_rename_into_place_puts_the_old_site_back(tmp_path, monkeypatch):
    from generator.pipeline import fsutil

    target = tmp_path / "build"
    target.mkdir()
    (target / "index.html").write_bytes(b"old site")
    real_rename = os.rename
    monkeypatch.setattr(fsutil, "exchange", lambda a, b: False)   # where no atomic exchange exists

    def rename(src, dst):
        if os.path.basename(src).startswith(".build.new-"):  # the new site, moving into place
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        site().publish(target)
    monkeypatch.undo()
    assert snapshot(target) == {"index.html": b"old site"}


def test_publish_refuses_a_file_as_target(tmp_path):
    (tmp_path / "build").write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        site().publish(tmp_path / "build")


def test_data_script_is_a_deterministic_classic_script():
    one = data_script("fig-grid", {"b": [1.5, None], "a": "x"})
    assert one == (b'window.VELLUM_DATA = window.VELLUM_DATA || {};\n'
                   b'VELLUM_DATA["fig-grid"] = {"a":"x","b":[1.5,null]};\n')
    assert data_script("fig-grid", {"a": "x", "b": [1.5, None]}) == one


def test_data_script_cannot_close_a_script_element_and_stays_ascii():
    text = data_script("x", {"caption": "</script><b>café & more</b>"}).decode("ascii")
    assert "</script" not in text and "<" not in text.split("] = ", 1)[1]
    payload = text.split("] = ", 1)[1].rstrip(";\n")
    assert json.loads(payload) == {"caption": "</script><b>café & more</b>"}


def test_data_script_refuses_nan():
    with pytest.raises(ValueError):
        data_script("x", {"v": float("nan")})
