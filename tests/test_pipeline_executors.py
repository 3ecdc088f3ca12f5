"""run_jobs: dedup by key, freeze before cache before compute, failures, progress, Dask."""

import io
import json

import pytest

from generator.pipeline import Cache, FreezeStore, InProcessExecutor, Job, JobFailed, NullProgress, run_jobs
from generator.pipeline.executors import RUN_RECORD, LocalPoolExecutor, Stack, StackingExecutor
from generator.pipeline.progress import TqdmProgress
from generator.pipeline.runtime import Runtime

CALLS = []
HERE = __name__  # importable by dotted path: pytest puts tests/ on sys.path


def render(params, runtime):
    """A job function: records its call, returns bytes derived from params only."""
    CALLS.append(params)
    return {"out.txt": f"{params['n'] * 2}".encode(), "raw.bin": bytes([params["n"] % 256]) * 3}


def explode(params, runtime):
    raise RuntimeError(f"layer {params['layer']} has no channel 999")


def not_bytes(params, runtime):
    return {"out.txt": "text, not bytes"}


def where(params, runtime):
    """A job function that says where it ran."""
    return {"device.txt": runtime.device.encode()}


STACKED = []


def _stacked_run(many, runtime):
    STACKED.append([params["n"] for params in many])
    if any(params["n"] == 13 for params in many):
        raise RuntimeError("out of GPU memory")
    return [render(params, runtime) for params in many]


def stackable(params, runtime):
    """A job function that can also be computed with others of the same `layer`."""
    if params["n"] == 13:
        raise RuntimeError("channel 13 has no gradient")
    return render(params, runtime)


stackable.stack = Stack(key=lambda params: params["layer"], run=_stacked_run)


@pytest.fixture(autouse=True)
def clear_calls():
    STACKED.clear()
    CALLS.clear()


def job(n, label=None, fn="render"):
    return Job(f"{HERE}:{fn}", 1, {"n": n, "layer": "blocks.1"}, label=label or f"job {n}")


class Recorder:
    def __init__(self):
        self.events = []

    def start(self, total, side_by_side=1, waiting=()):
        self.events.append(("start", total))

    def advance(self, job, cached, seconds):
        self.events.append(("advance", job.label, cached))

    def finish(self):
        self.events.append(("finish",))


def test_results_by_key_and_each_key_runs_once(tmp_path):
    a, also_a, b = job(1, "fig-1: icon 1"), job(1, "fig-2: icon 1"), job(2)
    results = run_jobs([a, also_a, b], Cache(tmp_path))
    assert len(CALLS) == 2
    records = {key: json.loads(artifacts.pop(RUN_RECORD)) for key, artifacts in results.items()}
    assert results == {a.key: {"out.txt": b"2", "raw.bin": b"\x01" * 3},
                       b.key: {"out.txt": b"4", "raw.bin": b"\x02" * 3}}
    assert all(r["device"].startswith("cpu") and r["seconds"] >= 0 for r in records.values())


def test_a_second_run_comes_from_the_cache(tmp_path):
    cache = Cache(tmp_path)
    first = run_jobs([job(1), job(2)], cache)
    CALLS.clear()
    progress = Recorder()
    assert run_jobs([job(1), job(2)], cache, progress=progress) == first
    assert CALLS == []
    assert progress.events == [("start", 2), ("advance", "job 1", True), ("advance", "job 2", True), ("finish",)]


def test_fresh_recomputes_and_refreshes_the_cache(tmp_path):
    cache = Cache(tmp_path)
    j = job(1)
    cache.put(j.key, {"out.txt": b"stale"})
    assert run_jobs([j], cache, fresh=True)[j.key]["out.txt"] == b"2"
    assert len(CALLS) == 1
    assert cache.get(j.key)["out.txt"] == b"2"


def test_freeze_is_preferred_and_ignored_when_fresh(tmp_path):
    cache = Cache(tmp_path / "cache")
    freeze = FreezeStore(tmp_path / "article" / "_freeze")
    j = job(1)
    freeze.put(j.key, {"out.txt": b"frozen"}, job=j)
    cache.put(j.key, {"out.txt": b"cached"})
    assert run_jobs([j], cache, freeze=freeze)[j.key] == {"out.txt": b"frozen"}
    assert CALLS == []
    assert run_jobs([j], cache, freeze=freeze, fresh=True)[j.key]["out.txt"] == b"2"
    assert len(CALLS) == 1


def test_a_stale_freeze_key_is_recomputed(tmp_path):
    freeze = FreezeStore(tmp_path / "_freeze")
    freeze.put(job(1).key, {"out.txt": b"frozen"})
    changed = Job(job(1).fn, 2, job(1).params)  # the kind's algorithm moved on
    assert run_jobs([changed], Cache(tmp_path / "c"), freeze=freeze)[changed.key]["out.txt"] == b"2"


def test_freeze_writes_entries_from_the_cache_and_drops_old_ones(tmp_path):
    cache = Cache(tmp_path / "cache")
    jobs = [job(1, "fig-1: one"), job(2, "fig-1: two")]
    run_jobs(jobs, cache)
    store = FreezeStore(tmp_path / "_freeze")
    store.put(job(9).key, {"old.txt": b"old"})
    keys = store.freeze(jobs, cache, provenance={"quality": "final"})
    assert keys == sorted(j.key for j in jobs)
    reread = FreezeStore(tmp_path / "_freeze")
    assert reread.keys() == keys and not reread.has(job(9).key)
    assert reread.get(jobs[0].key) == cache.get(jobs[0].key)
    assert (tmp_path / "_freeze" / jobs[0].key / "out.txt").read_bytes() == b"2"
    index = reread.index
    assert index["provenance"] == {"quality": "final"}
    assert index["entries"][jobs[1].key]["label"] == "fig-1: two"
    assert index["entries"][jobs[1].key]["params"] == {"layer": "blocks.1", "n": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_freeze", "cache"]  # no temp folders left


def test_freeze_refuses_when_a_result_is_missing_and_keeps_the_old_freeze(tmp_path):
    from generator.errors import BuildError

    cache = Cache(tmp_path / "cache")
    store = FreezeStore(tmp_path / "_freeze")
    store.put(job(1).key, {"out.txt": b"kept"})
    with pytest.raises(BuildError, match="not in the cache: job 3"):
        store.freeze([job(3)], cache)
    assert FreezeStore(tmp_path / "_freeze").get(job(1).key) == {"out.txt": b"kept"}


def test_an_edited_frozen_file_is_a_miss_and_is_not_deleted(tmp_path):
    store = FreezeStore(tmp_path / "_freeze")
    j = job(1)
    store.put(j.key, {"out.txt": b"frozen"})
    (tmp_path / "_freeze" / j.key / "out.txt").write_bytes(b"edited")
    assert FreezeStore(tmp_path / "_freeze").get(j.key) is None
    assert (tmp_path / "_freeze" / j.key / "out.txt").exists()


def test_failures_carry_the_label_and_do_not_stop_other_jobs(tmp_path):
    cache = Cache(tmp_path)
    bad, good = job(5, "fig-3: icons blocks.1", fn="explode"), job(1)
    progress = Recorder()
    with pytest.raises(JobFailed) as info:
        run_jobs([bad, good], cache, progress=progress)
    error = info.value
    assert error.job == bad and error.label == "fig-3: icons blocks.1"
    assert isinstance(error.original, RuntimeError)
    assert "fig-3: icons blocks.1: RuntimeError: layer blocks.1 has no channel 999" == str(error)
    assert cache.get(good.key) is not None and cache.get(bad.key) is None
    assert progress.events[-1] == ("finish",)


def test_a_function_returning_text_fails_clearly(tmp_path):
    with pytest.raises(JobFailed, match="'out.txt' is str, expected bytes"):
        run_jobs([job(1, fn="not_bytes")], Cache(tmp_path))


def test_executor_timing_uses_the_injected_clock(tmp_path):
    ticks = iter([10.0, 12.5])
    seen = []

    class Seconds(NullProgress):
        def advance(self, job, cached, seconds):
            seen.append(seconds)

    run_jobs([job(1)], Cache(tmp_path), executor=InProcessExecutor(clock=lambda: next(ticks)), progress=Seconds())
    assert seen == [2.5]


def test_tqdm_progress_reports_counts_labels_and_time_left():
    out = io.StringIO()
    progress = TqdmProgress(out, announce_after=1.0)
    progress.start(4)
    progress.advance(job(1, "fig-1: cached icon"), True, 0.0)
    assert progress.estimate() is None
    progress.advance(job(2, "fig-1: slow icon"), False, 3.0)
    assert progress.estimate() == pytest.approx(6.0)  # 3 s per computed job, 2 to go
    progress.finish()
    text = out.getvalue()
    assert "fig-1: slow icon: 3s" in text
    assert "1 cached, 1 computed, ~6s left" in text
    assert "2/4" in text


def test_time_left_counts_the_jobs_that_run_side_by_side():
    progress = TqdmProgress(io.StringIO())
    progress.start(5, side_by_side=2)
    progress.advance(job(1, "fig-1: icon"), False, 4.0)
    assert progress.estimate() == pytest.approx(8.0)   # 4 jobs to go, two at a time
    for n in (2, 3, 4):
        progress.advance(job(n, f"fig-1: icon {n}"), False, 4.0)
    assert progress.estimate() == pytest.approx(4.0)   # the last job runs alone
    progress.finish()


def test_time_left_expects_each_job_to_take_what_jobs_of_its_function_took():
    grids = [job(n, f"fig-{n}: grid", fn="grid") for n in range(3)]
    icons = [job(n, f"fig-{n}: icons", fn="icons") for n in range(3, 7)]
    progress = TqdmProgress(io.StringIO())
    progress.start(7, side_by_side=1, waiting=[*grids, *icons])
    progress.advance(grids[0], False, 100.0)
    assert progress.estimate() == pytest.approx(600.0)    # nothing else known: 6 jobs of 100 s
    progress.advance(icons[0], False, 10.0)
    assert progress.estimate() == pytest.approx(2 * 100.0 + 3 * 10.0)
    for done in [*grids[1:], *icons[1:]]:
        progress.advance(done, False, 10.0)
    assert progress.estimate() == 0
    progress.finish()


def test_run_jobs_tells_progress_how_many_jobs_run_at_once(tmp_path):
    started = []

    class Starts(NullProgress):
        def start(self, total, side_by_side=1, waiting=()):
            started.append((total, side_by_side, len(waiting)))

    class ThreeAtOnce(InProcessExecutor):
        side_by_side = 3

    cache = Cache(tmp_path)
    run_jobs([job(1), job(2), job(3)], cache, executor=ThreeAtOnce(), progress=Starts())
    run_jobs([job(1), job(2)], cache, executor=ThreeAtOnce(), progress=Starts())
    assert started == [(3, 3, 3), (2, 1, 0)]     # all found the second time: nothing runs at all
    assert LocalPoolExecutor(workers=2).side_by_side == 2
    assert StackingExecutor(LocalPoolExecutor(workers=2), Runtime("cpu")).side_by_side == 3


def test_dask_executor_returns_the_same_bytes(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from generator.pipeline import DaskExecutor

    jobs = [job(1), job(2), job(1, "duplicate")]
    local = run_jobs(jobs, Cache(tmp_path / "local"))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = run_jobs(jobs, Cache(tmp_path / "dask"), executor=DaskExecutor(client=client))
        with pytest.raises(JobFailed, match="has no channel 999"):
            run_jobs([job(3, fn="explode")], Cache(tmp_path / "dask"), executor=DaskExecutor(client=client))
    assert remote == local
    assert Cache(tmp_path / "dask").get(job(2).key) == local[job(2).key]


def test_local_pool_runs_jobs_in_worker_processes(tmp_path):
    from generator.pipeline import LocalPoolExecutor

    jobs = [job(n) for n in range(1, 4)]
    results = run_jobs(jobs, Cache(tmp_path), executor=LocalPoolExecutor(2))
    assert not CALLS  # computed in the workers, not here
    for n, j in enumerate(jobs, start=1):
        assert results[j.key]["out.txt"] == f"{n * 2}".encode()
    assert Cache(tmp_path).get(jobs[0].key)["out.txt"] == b"2"


def test_the_executor_hands_every_job_the_build_runtime(tmp_path):
    from generator.pipeline import LocalPoolExecutor

    here = job(1, fn="where")
    assert run_jobs([here], Cache(tmp_path / "a"))[here.key]["device.txt"] == b"cpu"
    gpu = InProcessExecutor(runtime=Runtime("cuda"))
    assert run_jobs([here], Cache(tmp_path / "b"), executor=gpu)[here.key]["device.txt"] == b"cuda"
    two = [here, job(2, fn="where")]
    pool = LocalPoolExecutor(2, runtime=Runtime("cuda"))   # worker processes get it with each job
    results = run_jobs(two, Cache(tmp_path / "c"), executor=pool)
    assert {r["device.txt"] for r in results.values()} == {b"cuda"}
    with pytest.raises(ValueError, match="not one of cpu, cuda"):
        Runtime("tpu")


def test_on_a_gpu_stackable_jobs_run_together_and_the_rest_on_the_pool(tmp_path):
    """Jobs of a function with a `Stack` are computed in one call a key (their results the
    same as alone, with a run record); the others go to the pool at the same time."""
    alone = {n: run_jobs([job(n)], Cache(tmp_path / f"alone{n}"))[job(n).key] for n in (1, 2, 3)}
    stacked = [Job(f"{HERE}:stackable", 1, {"n": n, "layer": layer}) for n, layer in
               [(1, "blocks.1"), (2, "blocks.2"), (3, "blocks.1")]]
    other = job(4)
    executor = StackingExecutor(InProcessExecutor(), Runtime("cpu"))
    results = run_jobs([*stacked, other], Cache(tmp_path / "stacked"), executor=executor)
    assert sorted(STACKED) == [[1, 3], [2]]                      # one call a key, in the jobs' order
    for one, n in zip(stacked, (1, 2, 3)):
        got = {k: v for k, v in results[one.key].items() if k != RUN_RECORD}
        assert got == {k: v for k, v in alone[n].items() if k != RUN_RECORD}
        assert json.loads(results[one.key][RUN_RECORD])["seconds"] >= 0
    assert results[other.key]["out.txt"] == b"8"


def test_a_stack_that_fails_is_computed_job_by_job(tmp_path):
    """Out of memory together, say: each job then runs alone, and only a job that fails
    alone fails."""
    group = [Job(f"{HERE}:stackable", 1, {"n": n, "layer": "blocks.1"}, label=f"job {n}") for n in (12, 13)]
    good = Job(f"{HERE}:stackable", 1, {"n": 5, "layer": "blocks.2"})
    cache = Cache(tmp_path)
    with pytest.raises(JobFailed) as failed:
        run_jobs([*group, good, job(6)], cache, executor=StackingExecutor(InProcessExecutor(), Runtime("cpu")))
    assert [j.label for j, _ in failed.value.failures] == ["job 13"]
    assert "channel 13 has no gradient" in failed.value.message
    assert sorted(STACKED) == [[5], [12, 13]]                     # the group was tried together first
    for one in (group[0], good, job(6)):
        assert cache.get(one.key) is not None
