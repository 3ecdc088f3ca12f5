"""The cache: round trips, atomic puts, corrupt entries read as misses."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.pipeline.cache import MANIFEST, Cache
from generator.pipeline.fsutil import write_synced
from generator.pipeline.jobs import sha256_bytes

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = {"sprite.webp": b"\x00RIFF" + bytes(range(256)) * 4, "index.json": b'{"count":3}'}


def key(text: str) -> str:
    return sha256_bytes(text.encode())


def test_round_trip_and_has(tmp_path):
    cache = Cache(tmp_path / ".cache")
    k = key("a")
    assert cache.get(k) is None and not cache.has(k)
    cache.put(k, ARTIFACTS)
    assert cache.has(k)
    assert cache.get(k) == ARTIFACTS
    assert Cache(tmp_path / ".cache").get(k) == ARTIFACTS  # a new process sees it too


def test_put_replaces_an_entry(tmp_path):
    cache = Cache(tmp_path)
    k = key("a")
    cache.put(k, ARTIFACTS)
    cache.put(k, {"other.bin": b"new"})
    assert cache.get(k) == {"other.bin": b"new"}


def test_empty_artifact_and_empty_entry_round_trip(tmp_path):
    cache = Cache(tmp_path)
    cache.put(key("a"), {"empty.bin": b""})
    cache.put(key("b"), {})
    assert cache.get(key("a")) == {"empty.bin": b""}
    assert cache.get(key("b")) == {}


@pytest.mark.parametrize("name", ["../escape", "_manifest.json", ".hidden", "a/b", ""])
def test_unsafe_artifact_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="safe file name"):
        Cache(tmp_path).put(key("a"), {name: b"x"})


def test_keys_must_be_keys(tmp_path):
    with pytest.raises(ValueError, match="job key"):
        Cache(tmp_path).get("../../etc")


def test_a_put_that_fails_midway_leaves_no_entry(tmp_path):
    calls = []

    def failing_writer(path, data):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        write_synced(path, data)

    k = key("a")
    with pytest.raises(OSError, match="disk full"):
        Cache(tmp_path, writer=failing_writer).put(k, ARTIFACTS)
    cache = Cache(tmp_path)
    assert not cache.has(k) and cache.get(k) is None
    assert list((tmp_path / "tmp").iterdir()) == []  # its temp folder is gone too
    cache.put(k, ARTIFACTS)
    assert cache.get(k) == ARTIFACTS


def test_a_failed_replacement_keeps_the_old_entry(tmp_path):
    k = key("a")
    Cache(tmp_path).put(k, ARTIFACTS)

    def failing_writer(path, data):
        raise OSError("disk full")

    with pytest.raises(OSError):
        Cache(tmp_path, writer=failing_writer).put(k, {"new.bin": b"new"})
    assert Cache(tmp_path).get(k) == ARTIFACTS


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "manifest"])
def test_a_corrupt_entry_is_a_miss_and_is_removed(tmp_path, damage):
    cache = Cache(tmp_path)
    k = key("a")
    cache.put(k, ARTIFACTS)
    entry = cache.path(k)
    target = entry / "sprite.webp"
    if damage == "flip":
        data = bytearray(target.read_bytes())
        data[10] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-1])
    elif damage == "delete":
        target.unlink()
    else:
        (entry / MANIFEST).write_text("{not json")
    assert cache.get(k) is None
    assert not entry.exists() and not cache.has(k)
    cache.put(k, ARTIFACTS)
    assert cache.get(k) == ARTIFACTS


def test_a_manifest_for_another_key_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    a, b = key("a"), key("b")
    cache.put(a, ARTIFACTS)
    cache.path(b).parent.mkdir(parents=True, exist_ok=True)
    os.rename(cache.path(a), cache.path(b))
    assert cache.get(b) is None


def test_sweep_removes_temp_folders_of_dead_processes_only(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    import socket
    host = socket.gethostname()
    tmp = tmp_path / "tmp"
    for name in (f"{key('a')}__{host}__{dead}__x", f"{key('b')}__{host}__{os.getpid()}__y", "gone-123"):
        (tmp / name).mkdir(parents=True)
        (tmp / name / "half").write_bytes(b"partial")
    assert Cache(tmp_path).sweep() == 2
    assert [p.name for p in tmp.iterdir()] == [f"{key('b')}__{host}__{os.getpid()}__y"]
    later = Cache(tmp_path, clock=lambda: time.time() + 2 * 3600)
    assert later.sweep() == 0  # our own live folder is never swept


WRITER = """
import sys, itertools
from generator.pipeline.cache import Cache
from generator.pipeline.jobs import sha256_bytes
cache = Cache(sys.argv[1])
print("ready", flush=True)
for i in itertools.count():
    k = sha256_bytes(str(i % 7).encode())
    blob = bytes([i % 7]) * 400_000
    cache.put(k, {"a.bin": blob, "b.bin": blob[:1000], "n.txt": str(i % 7).encode()})
"""


def test_killing_a_writer_never_leaves_a_torn_entry(tmp_path):
    root = tmp_path / ".cache"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    inside_a_put = 0
    for attempt in range(12):   # kill until at least two kills have landed inside a put
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep((0.15, 0.3, 0.45)[attempt % 3])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        tmp = root / "tmp"
        landed = tmp.is_dir() and any(f"__{proc.pid}__" in p.name for p in tmp.iterdir())
        inside_a_put += landed
        # Stop right after a kill that landed inside a put: the next writer would sweep its
        # temp folder away at its first put, and the sweep below would find nothing.
        if landed and inside_a_put >= 2 and attempt >= 2:
            break
    cache = Cache(root)
    found = 0
    for i in range(7):
        got = cache.get(sha256_bytes(str(i).encode()))
        if got is not None:
            found += 1
            blob = bytes([i]) * 400_000
            assert got == {"a.bin": blob, "b.bin": blob[:1000], "n.txt": str(i).encode()}
    assert found > 0  # the writer got some entries in; every one of them is whole
    assert inside_a_put and cache.sweep() >= 1  # some kill landed inside a put
    assert [p for p in (root / "tmp").iterdir()] == []
    for entry in root.glob("??/*"):
        assert (entry / MANIFEST).is_file()
        assert json.loads((entry / MANIFEST).read_text())["key"] == entry.name


def test_a_trailing_newline_is_not_a_safe_name_or_key(tmp_path):
    with pytest.raises(ValueError, match="safe file name"):
        Cache(tmp_path).put(key("a"), {"a.bin\n": b"x"})
    with pytest.raises(ValueError, match="job key"):
        Cache(tmp_path).path(key("a") + "\n")
