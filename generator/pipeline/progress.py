"""Progress reports for long precompute runs, passed in so a build is quiet in tests.

`run_jobs` calls `start(total, side_by_side, waiting)` once with the number of distinct jobs,
how many its executor runs at once and the jobs it will compute, `advance(job, cached,
seconds)` as each is found or computed, and `finish()` at the end, even after a failure.
"""

from __future__ import annotations

import sys
from typing import IO, Protocol, Sequence

from .jobs import Job


class Progress(Protocol):
    """Receives progress of a `run_jobs` call."""

    def start(self, total: int, side_by_side: int = 1, waiting: Sequence[Job] = ()) -> None: ...

    def advance(self, job: Job, cached: bool, seconds: float) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(self, total: int, side_by_side: int = 1, waiting: Sequence[Job] = ()) -> None:
        pass

    def advance(self, job: Job, cached: bool, seconds: float) -> None:
        pass

    def finish(self) -> None:
        pass


def format_seconds(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: short enough for a progress bar."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class TqdmProgress:
    """One overall bar on stderr: the last job's label, counts, and an estimate of time left.

    The estimate uses only computed jobs (found ones take no time, and would make tqdm's own
    rate far too hopeful). A job still waiting is expected to take the mean seconds of the
    computed jobs of its function (a grid of cells is not an icon chunk), or of all computed
    jobs before one of its function has ended; the sum is divided by how many run side by
    side (two workers halve it). Jobs slower than `announce_after` seconds also get a line of
    their own above the bar.
    """

    def __init__(self, file: IO[str] | None = None, *, desc: str = "precompute",
                 announce_after: float = 5.0, width: int = 40):
        self.file = file if file is not None else sys.stderr
        self.desc = desc
        self.announce_after = announce_after
        self.width = width
        self._bar = None
        self._reset()

    def _reset(self, side_by_side: int = 1, waiting: Sequence[Job] = ()) -> None:
        self._computed = 0
        self._cached = 0
        self._seconds = 0.0
        self._side_by_side = max(1, side_by_side)
        self._told = bool(waiting)
        self._waiting = {job.key: job.fn for job in waiting}     # jobs to compute, not yet ended
        self._by_fn: dict[str, list[float]] = {}                 # fn -> [seconds, jobs]

    def start(self, total: int, side_by_side: int = 1, waiting: Sequence[Job] = ()) -> None:
        from tqdm import tqdm

        self._reset(side_by_side, waiting)
        self._bar = tqdm(total=total, desc=self.desc, file=self.file, leave=True, dynamic_ncols=False,
                         ncols=100, bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}")

    def estimate(self) -> float | None:
        """Seconds left, or None before any job has been computed."""
        if self._bar is None or not self._computed:
            return None
        mean = self._seconds / self._computed
        if self._told:
            expected = [self._by_fn[fn][0] / self._by_fn[fn][1] if fn in self._by_fn else mean
                        for fn in self._waiting.values()]
        else:                                   # not told which jobs: every job not yet seen
            expected = [mean] * (self._bar.total - self._bar.n)
        return sum(expected) / max(1, min(self._side_by_side, len(expected)))

    def advance(self, job: Job, cached: bool, seconds: float) -> None:
        if cached:
            self._cached += 1
        else:
            self._computed += 1
            self._seconds += seconds
            spent = self._by_fn.setdefault(job.fn, [0.0, 0])
            spent[0] += seconds
            spent[1] += 1
            self._waiting.pop(job.key, None)
            if seconds >= self.announce_after:
                self._bar.write(f"  {job.label or job.fn}: {format_seconds(seconds)}", file=self.file)
        label = job.label or job.fn
        if len(label) > self.width:
            label = label[: self.width - 1] + "…"
        self._bar.set_description_str(f"{self.desc} {label}", refresh=False)
        self._bar.update(1)
        left = self.estimate()
        postfix = f"{self._cached} cached, " if self._cached else ""     # verify finds nothing
        postfix += f"{self._computed} computed"
        postfix += f", ~{format_seconds(left)} left" if left is not None else ""
        self._bar.set_postfix_str(postfix)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.set_description_str(self.desc, refresh=False)
            self._bar.close()
            self._bar = None
