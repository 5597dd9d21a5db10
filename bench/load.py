"""The load generator's own bookkeeping: latencies, and how much CPU it used."""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass, field

from .harness import percentile


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    """Latencies (ms) and outcomes of one timed run, with the generator's CPU share."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = field(default_factory=time.perf_counter)
    cpu_started: float = field(default_factory=cpu_seconds)
    wall: float = 0.0
    cpu: float = 0.0

    def stop(self) -> Run:
        self.wall = time.perf_counter() - self.started
        self.cpu = cpu_seconds() - self.cpu_started
        return self

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def generator_cpu_share(self) -> float:
        """The generator's CPU time over the run's wall time, out of the machine's cores."""
        return self.cpu / self.wall if self.wall else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct) if self.latencies else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")
