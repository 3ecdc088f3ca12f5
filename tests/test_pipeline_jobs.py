"""Job keys: stable for the same work, different for different work, blind to labels."""

import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from generator.pipeline import jobs as jobs_module
from generator.pipeline.jobs import Job, canonical_json, sha256_bytes, sha256_file

WEIGHTS = sha256_bytes(b"weights")
IMAGE = sha256_bytes(b"image")


def make(**changes):
    base = dict(fn="pkg.mod:render", version=1, params={"layer": "blocks.10", "units": [7, 9], "lr": 0.05},
                inputs={"weights": WEIGHTS, "image": IMAGE}, label="fig-grid: icons")
    base.update(changes)
    return Job(**base)


def test_key_is_64_hex_and_stable_across_equal_jobs():
    a, b = make(), make()
    assert len(a.key) == 64 and int(a.key, 16) >= 0
    assert a.key == b.key


def test_key_ignores_dict_order_and_tuple_versus_list():
    a = make(params={"layer": "blocks.10", "units": [7, 9], "lr": 0.05})
    b = make(params={"lr": 0.05, "units": (7, 9), "layer": "blocks.10"},
             inputs={"image": IMAGE, "weights": WEIGHTS})
    assert a.key == b.key
    assert b.params == {"layer": "blocks.10", "lr": 0.05, "units": [7, 9]}
    assert list(b.params) == ["layer", "lr", "units"]


def test_key_ignores_label():
    assert make(label="one").key == make(label="two").key


@pytest.mark.parametrize("changes", [
    {"fn": "pkg.mod:other"},
    {"version": 2},
    {"params": {"layer": "blocks.10", "units": [7, 9], "lr": 0.051}},
    {"params": {"layer": "blocks.10", "units": [9, 7], "lr": 0.05}},
    {"params": {"layer": "blocks.10", "units": [7, 9], "lr": 0.05, "seed": 1}},
    {"inputs": {"weights": sha256_bytes(b"other weights"), "image": IMAGE}},
    {"inputs": {"weights": WEIGHTS}},
])
def test_key_changes_with_what_the_job_computes(changes):
    assert make(**changes).key != make().key


def test_int_and_float_params_are_different_work():
    assert make(params={"size": 1}).key != make(params={"size": 1.0}).key


def test_numpy_values_normalise_to_python():
    a = make(params={"units": np.arange(3), "scale": np.float64(0.5), "n": np.int64(4)})
    b = make(params={"units": [0, 1, 2], "scale": 0.5, "n": 4})
    assert a.key == b.key
    assert type(a.params["n"]) is int


@pytest.mark.parametrize("params, needle", [
    ({"steps": float("nan")}, "finite"),
    ({"where": Path("a.png")}, "inputs"),
    ({"units": {1, 2}}, "JSON-able"),
    ({1: "x"}, "string keys"),
])
def test_unstable_params_are_refused_with_a_reason(params, needle):
    with pytest.raises((TypeError, ValueError), match=needle):
        make(params=params)


@pytest.mark.parametrize("fn", ["render", "pkg/mod:render", "pkg.mod", "pkg.mod:"])
def test_fn_must_be_a_dotted_path(fn):
    with pytest.raises(ValueError, match="package.module:function"):
        make(fn=fn)


def test_inputs_must_be_hashes_not_paths():
    with pytest.raises(ValueError, match="sha256"):
        make(inputs={"weights": "/models/w.pth"})


def test_job_is_frozen_hashable_and_picklable():
    job = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.version = 3
    assert len({job, make()}) == 1
    again = pickle.loads(pickle.dumps(job))
    assert again == job and again.key == job.key


def test_call_params_cannot_change_the_job():
    job = make()
    params = job.call_params()
    params["units"].append(99)
    assert job.params["units"] == [7, 9]
    assert make().key == job.key


def test_replace_recomputes_the_key():
    job = make()
    assert dataclasses.replace(job, version=5).key == make(version=5).key


def test_canonical_json_is_compact_sorted_and_round_trips_floats():
    text = canonical_json({"b": 0.1, "a": [1, 2.5e-07]})
    assert text == '{"a":[1,2.5e-07],"b":0.1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("inf")})


def test_sha256_file_matches_bytes_and_sees_rewrites(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"x" * 3_000_000)
    assert sha256_file(path) == sha256_bytes(b"x" * 3_000_000)
    path.write_bytes(b"y" * 10)
    assert sha256_file(path) == sha256_bytes(b"y" * 10)


def test_sha256_file_hashes_an_unchanged_file_once(tmp_path, monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"w" * 1000)
    first = sha256_file(path)
    opened = []
    read = jobs_module.file_digest
    monkeypatch.setattr(jobs_module, "file_digest", lambda p: opened.append(p) or read(p))
    assert sha256_file(path) == first
    assert sha256_file(str(path)) == first
    assert opened == []
    os.utime(path, ns=(1, 1))  # same bytes, different mtime: hashed again, same answer
    assert sha256_file(path) == first
    assert len(opened) == 1


def test_files_are_passed_to_the_function_but_are_not_in_the_key(tmp_path):
    a = make(files={"image": tmp_path / "a" / "cat.png"})
    b = make(files={"image": "/elsewhere/cat.png"})
    assert a.key == b.key == make().key
    assert a.call_params()["files"] == {"image": str(tmp_path / "a" / "cat.png")}
    assert "files" not in make().call_params()


def test_every_file_needs_its_hash_in_inputs():
    with pytest.raises(ValueError, match="no sha256 in inputs"):
        make(files={"extra": "/data/extra.bin"})
