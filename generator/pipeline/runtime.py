"""Where a job computes, handed to every job function by the executor that runs it.

    def render_icons(params: dict, runtime: Runtime) -> dict[str, bytes]: ...

A job's key says *what* it computes; the runtime says *where*: the device feature
visualizations render on (`cpu`, whose one-thread renders are the same bytes on every
machine, or `cuda`) and the threads a render uses. It is a small frozen value, so a worker process, local or on a cluster,
receives the build's runtime with each job; nothing travels through the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Runtime:
    """device: where feature visualizations render (activations, attribution and groups take
    seconds and stay on the CPU). threads: torch CPU threads of a render. The build runs one
    job per core with one thread each: the same bytes on every machine's CPU, and on a busy
    2-core machine one thread ran 5-10x faster than two fighting over it."""

    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device {self.device!r} is not one of {', '.join(DEVICES)}")


CPU = Runtime()
