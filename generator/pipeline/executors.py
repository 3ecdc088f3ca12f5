"""Run jobs once each: freeze, then cache, then compute — in process or on a Dask cluster.

    results = run_jobs(jobs, Cache(".cache"), freeze=FreezeStore(article / "_freeze"),
                       progress=TqdmProgress())
    results[job.key]   # {"sprite.webp": b"...", "index.json": b"..."}

Jobs with the same key run once, whichever figures asked for them. An executor only computes;
`run_jobs` does every lookup and every cache write, so a cluster's workers need the code but
no access to the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import time
from typing import Callable, Hashable, Iterable, Iterator, Mapping, Protocol, Sequence

from .cache import Cache, check_artifacts
from .freeze import FreezeStore
from .jobs import Job
from .progress import NullProgress, Progress
from .runtime import CPU, Runtime

log = logging.getLogger(__name__)

Artifacts = dict[str, bytes]


class JobFailed(Exception):
    """A job's function raised. Carries the job, its label and the original exception.

    When several jobs failed in one run, `failures` lists every (job, exception) pair; the
    first is the one named by `job` and `original`.
    """

    def __init__(self, job: Job, original: BaseException,
                 failures: Sequence[tuple[Job, BaseException]] = ()):
        self.job = job
        self.original = original
        self.label = job.label or job.fn
        self.message = f"{type(original).__name__}: {original}"
        self.failures = list(failures) or [(job, original)]
        more = len(self.failures) - 1
        tail = f" (and {more} more failed job{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{self.label}: {self.message}{tail}")


def resolve(fn: str) -> Callable[[dict], Mapping[str, bytes]]:
    """Import the function named by a dotted path `"package.module:function"`."""
    module_name, _, attr = fn.partition(":")
    target = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{fn} is not callable")
    return target


RUN_RECORD = "run-record.json"


def execute(job: Job, runtime: Runtime = CPU) -> Artifacts:
    """Run one job here, on `runtime`, and check its result. Module-level and picklable, for
    any worker.

    The artifacts gain `run-record.json`: how long the job took, on which device, with which
    library versions. It travels with the result into the cache and the freeze, so a figure's
    provenance says where its numbers came from even when this build computed nothing."""
    start = time.perf_counter()
    fn = resolve(job.fn)
    with pinned_threads(runtime.threads if "model" in job.params else None):
        result = fn(job.call_params(), runtime)
    return recorded(job, result, time.perf_counter() - start)


def recorded(job: Job, result: Mapping[str, bytes], seconds: float) -> Artifacts:
    """A job's checked result with its `run-record.json` added."""
    artifacts = check_artifacts(result, f"{job.fn} (version {job.version})")
    if RUN_RECORD in artifacts:
        raise ValueError(f"{job.fn} returned an artifact named {RUN_RECORD}, a name the pipeline keeps")
    artifacts[RUN_RECORD] = run_record(seconds)
    return artifacts


@contextlib.contextmanager
def pinned_threads(n: int | None):
    """Run a model job with torch's intra-op threads at `n` (None: untouched), then restore.
    A reduction splits differently with another thread count, so an attribution computed in a
    notebook (two threads by default here) would differ in its last bits from the build's (one
    thread a worker): every model job runs on the runtime's count, wherever it runs."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


RECORDED_LIBRARIES = ("torch", "numpy", "scikit-learn", "bokeh")


def run_record(seconds: float) -> bytes:
    """Seconds, device and library versions of a job that just ran here. The versions are of
    the same libraries whatever the job imported, so a result's record, hence the article's
    provenance, does not depend on which process computed it."""
    import json
    import platform
    import sys
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    device = f"cpu ({platform.machine()})"
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    record = {"seconds": round(seconds, 3), "device": device, "versions": versions}
    return json.dumps(record, sort_keys=True, indent=1).encode("utf-8")


@functools.cache
def steady_allocator() -> bool:
    """Once per process that runs jobs: have glibc's malloc keep freed memory up to 32 MiB
    blocks and 64 MiB of slack (its own upper limits) instead of returning it at once. A
    forward pass allocates and frees tensors of a few MB hundreds of times; a Dask worker
    starts with MALLOC_TRIM_THRESHOLD_=65536, which also fixes the mmap threshold at 128 KiB,
    so every such tensor was a fresh mmap and its page faults: the model ran 3x slower there
    (62 ms instead of 22 ms an image), and 1.4x slower with glibc's adaptive defaults. True
    when set (a libc without `mallopt` is left alone)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))


def execute_timed(job: Job, runtime: Runtime = CPU) -> tuple[Artifacts, float]:
    """`execute` plus the seconds it took on the machine that ran it (in a worker process,
    local or on a cluster, whose allocator is first made `steady_allocator`)."""
    steady_allocator()
    start = time.perf_counter()
    artifacts = execute(job, runtime)
    return artifacts, time.perf_counter() - start


class Outcome:
    """What an executor reports for one job: artifacts or the exception, and seconds spent."""

    __slots__ = ("job", "artifacts", "error", "seconds")

    def __init__(self, job: Job, artifacts: Artifacts | None, error: BaseException | None, seconds: float):
        self.job, self.artifacts, self.error, self.seconds = job, artifacts, error, seconds


class Executor(Protocol):
    """Computes jobs (all with distinct keys) and yields an `Outcome` for each as it ends.
    `side_by_side` is how many jobs it runs at once, for the estimate of time left."""

    side_by_side: int

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]: ...


class InProcessExecutor:
    """Runs jobs one after another in this process, on `runtime`."""

    side_by_side = 1

    def __init__(self, clock: Callable[[], float] = time.perf_counter, runtime: Runtime = CPU):
        self._clock = clock
        self.runtime = runtime

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        steady_allocator()
        for job in jobs:
            start = self._clock()
            try:
                artifacts, error = execute(job, self.runtime), None
            except Exception as e:  # reported per job; run_jobs decides what to raise
                artifacts, error = None, e
            yield Outcome(job, artifacts, error, self._clock() - start)


def start_worker(parent: int, threads: int = 1) -> None:
    """In a new worker process, before any job: size the OpenMP pool torch will start to the
    runtime's threads (otherwise every worker starts one thread per core, and on a 2-core
    machine two workers' pools spin against each other: a first job took 15 s instead of
    4), then `exit_with_parent`."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    exit_with_parent(parent)


def exit_with_parent(parent: int, every: float = 0.5) -> None:
    """In a worker process: leave Ctrl-C to the build (which stops the workers itself), and
    end this process once `parent` is no longer its parent (the build died; a process whose
    parent dies is adopted by another). Checked from a daemon thread."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class LocalPoolExecutor:
    """Runs jobs in `workers` processes of this machine.

    The engine renders with one thread per process (the same bytes on any machine, and
    faster per core on a small CPU than threads fighting over it), so the cores are used by
    running jobs side by side. Workers are started fresh ("spawn"): nothing of this process's
    state, and no thread pool of an already imported library, is copied into them. Each
    worker ends itself when the build that started it is gone (killed, say), so no orphan
    keeps computing. With a single pending job, or a single worker, the job runs here instead.
    """

    def __init__(self, workers: int | None = None, clock: Callable[[], float] = time.perf_counter,
                 runtime: Runtime = CPU):
        self.workers = max(1, workers or (os.cpu_count() or 1))
        self._clock = clock
        self.runtime = runtime

    @property
    def side_by_side(self) -> int:
        return self.workers

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        if self.workers == 1 or len(jobs) < 2:
            yield from InProcessExecutor(self._clock, self.runtime).run(jobs)
            return
        import concurrent.futures
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        pool = concurrent.futures.ProcessPoolExecutor(min(self.workers, len(jobs)), mp_context=context,
                                                      initializer=start_worker,
                                                      initargs=(os.getpid(), self.runtime.threads))
        try:
            futures = {pool.submit(execute_timed, job, self.runtime): job for job in jobs}
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                try:
                    artifacts, seconds = future.result()
                except Exception as e:  # reported per job; run_jobs decides what to raise
                    yield Outcome(job, None, e, 0.0)
                else:
                    yield Outcome(job, artifacts, None, seconds)
        finally:
            stop_pool(pool)


def stop_pool(pool) -> None:
    """Stop a process pool now: pending jobs cancelled, workers ended, waited for a few
    seconds at most. Interrupts are held off meanwhile, so a second Ctrl-C cannot leave a
    worker blocked and the build waiting on it forever."""
    import signal
    import threading

    held = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if held else None
    try:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=1)
    finally:
        if held:
            signal.signal(signal.SIGINT, previous)


class DaskExecutor:
    """Runs jobs on a Dask distributed cluster (`dask[distributed]`, the `cluster` extra).

    `address` is the scheduler, e.g. `tcp://10.0.0.5:8786`; or pass a ready `client`.
    Workers import each job's function by its dotted path, so they need this package (and
    any `figures.py` the jobs name) importable. Results come back to this process, which
    writes the cache.
    """

    def __init__(self, address: str | None = None, *, client=None, runtime: Runtime = CPU):
        if client is None and address is None:
            raise ValueError("DaskExecutor needs a scheduler address (tcp://host:8786) or a client")
        self.address = address
        self._client = client
        self.runtime = runtime

    @property
    def client(self):
        if self._client is None:
            try:
                from dask.distributed import Client
            except ImportError as e:
                raise ImportError(
                    "a Dask scheduler was given but dask.distributed is not installed — "
                    "pip install 'vellum[cluster]'"
                ) from e
            self._client = Client(self.address)
        return self._client

    @property
    def side_by_side(self) -> int:
        """The cluster's worker threads (asked when jobs are to run, so a build that finds
        everything never connects)."""
        return max(1, sum(self.client.nthreads().values()))

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        from dask.distributed import as_completed

        by_future = {}
        for job in jobs:
            future = self.client.submit(execute_timed, job, self.runtime, key=f"vellum-{job.key}", pure=False)
            by_future[future] = job
        try:
            for future in as_completed(by_future):
                job = by_future[future]
                try:
                    artifacts, seconds = future.result()
                except Exception as e:
                    yield Outcome(job, None, e, 0.0)
                else:
                    yield Outcome(job, artifacts, None, seconds)
        finally:
            for future in by_future:
                future.release()

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._client is not None and self.address is not None:
            self._client.close()
            self._client = None


@dataclasses.dataclass(frozen=True)
class Stack:
    """What a job function may carry as its `stack` attribute: jobs of it whose params (with
    their `files`) give the same `key(params)` can be computed together, `run(list of params, runtime)` returning
    each one's artifacts in order. `StackingExecutor` uses it on a GPU."""

    key: Callable[[dict], Hashable]
    run: Callable[[list[dict], Runtime], list[Mapping[str, bytes]]]


class StackingExecutor:
    """On a GPU: the pending jobs whose function has a `Stack` are grouped by function and
    key and each group computed at once here (renders batched hundreds of images at a time,
    which keeps the GPU busy); every other job goes to `rest` (a pool of CPU workers) at the
    same time. A group that fails together (out of GPU memory, say) is computed job by job."""

    def __init__(self, rest: Executor, runtime: Runtime, clock: Callable[[], float] = time.perf_counter):
        self.rest, self.runtime, self._clock = rest, runtime, clock

    @property
    def side_by_side(self) -> int:
        return self.rest.side_by_side + 1        # the stacked groups run beside the pool

    def groups(self, jobs: Sequence[Job]) -> tuple[list[list[Job]], list[Job]]:
        """(groups of jobs to compute together, the other jobs), in the jobs' order."""
        together: dict[tuple, list[Job]] = {}
        other = []
        for job in jobs:
            stack = getattr(resolve(job.fn), "stack", None)
            if isinstance(stack, Stack):
                together.setdefault((job.fn, stack.key(job.call_params())), []).append(job)
            else:
                other.append(job)
        return list(together.values()), other

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        import queue
        import threading

        groups, other = self.groups(jobs)
        outcomes: queue.Queue = queue.Queue()

        def stacked() -> None:
            steady_allocator()
            for group in groups:
                start = self._clock()
                try:
                    results = resolve(group[0].fn).stack.run([job.call_params() for job in group], self.runtime)
                    seconds = (self._clock() - start) / len(group)
                    done = [Outcome(job, recorded(job, result, seconds), None, seconds)
                            for job, result in zip(group, results, strict=True)]
                except Exception as e:  # out of memory, say: each job alone, each failure its own
                    log.warning("%d jobs together failed (%s: %s); computing them one by one",
                                len(group), type(e).__name__, e)
                    done = list(InProcessExecutor(self._clock, self.runtime).run(group))
                for outcome in done:
                    outcomes.put(outcome)

        def rest() -> None:
            reported = set()
            try:
                for outcome in self.rest.run(other):
                    reported.add(outcome.job.key)
                    outcomes.put(outcome)
            except Exception as e:  # the pool itself broke: each job it had not reported failed
                for job in other:
                    if job.key not in reported:
                        outcomes.put(Outcome(job, None, e, 0.0))

        threads = [threading.Thread(target=target, daemon=True) for target in (stacked, rest)]
        for thread in threads:
            thread.start()
        for _ in range(len(jobs)):
            yield outcomes.get()
        for thread in threads:
            thread.join()


def unique(jobs: Iterable[Job]) -> list[Job]:
    """The jobs with distinct keys, first occurrence kept, order preserved."""
    seen: dict[str, Job] = {}
    for job in jobs:
        seen.setdefault(job.key, job)
    return list(seen.values())


def run_jobs(jobs: Iterable[Job], cache: Cache, *, executor: Executor | None = None,
             freeze: FreezeStore | None = None, progress: Progress | None = None,
             fresh: bool = False, other_freezes: Sequence[FreezeStore] = (),
             add_to_freeze: str | None = None) -> dict[str, Artifacts]:
    """Results of every job, by key, computing only what neither freeze nor cache holds.

    Lookup order: `freeze` (unless `fresh`), then `other_freezes` (other articles' results,
    keyed by content as well), `cache` (unless `fresh`), else the executor computes it and
    the result is put into the cache. With `add_to_freeze` (what the results are for, e.g.
    "final"), every result `freeze` did not hold is put into it, marked pending for that, as
    soon as it is found or computed, so a long freeze that is stopped keeps what it did.
    Every job still runs when one fails, so the next build only repeats the failures; then
    `JobFailed` is raised.
    """
    executor = executor or InProcessExecutor()
    progress = progress or NullProgress()
    todo = unique(jobs)
    results: dict[str, Artifacts] = {}
    pending = []
    for job in todo:
        found = None
        if not fresh:
            found = freeze.get(job.key) if freeze is not None else None
            if found is not None:
                results[job.key] = found
                continue
            for store in [*other_freezes, cache]:
                found = store.get(job.key)
                if found is not None:
                    break
        if found is None:
            pending.append(job)
        else:
            results[job.key] = found
            if add_to_freeze and freeze is not None:
                freeze.put(job.key, found, job, pending=add_to_freeze)
    progress.start(len(todo), side_by_side=executor.side_by_side if pending else 1, waiting=pending)
    try:
        for job in todo:
            if job.key in results:
                progress.advance(job, True, 0.0)
        failures: list[tuple[Job, BaseException]] = []
        for outcome in executor.run(pending):
            if outcome.error is not None:
                log.error("job failed: %s: %s", outcome.job.label or outcome.job.fn, outcome.error)
                failures.append((outcome.job, outcome.error))
            else:
                cache.put(outcome.job.key, outcome.artifacts)
                results[outcome.job.key] = outcome.artifacts
                if add_to_freeze and freeze is not None:
                    freeze.put(outcome.job.key, outcome.artifacts, outcome.job, pending=add_to_freeze)
            progress.advance(outcome.job, False, outcome.seconds)
    finally:
        progress.finish()
    if failures:
        job, original = failures[0]
        raise JobFailed(job, original, failures) from original
    return results
