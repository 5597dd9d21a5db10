"""What a benchmark run does (``Plan``: the full run or the quick one) and what it found
(``Results``), shared by the run and its report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from . import fanout, grid, hotroom, search, timetable
from .harness import ROOT
from .load import Run

LEVELS = (1, 8, 32)
AFTER_LEVEL = 8  # the clients of the claims measured again with a year of lessons loaded


@dataclass(frozen=True)
class Plan:
    runs: int
    claim_seconds: int
    hot_rounds: int
    search_rooms: int
    bookings_per_room: int
    search_queries: int
    sockets: tuple[int, ...]
    fanout_rounds: int
    compare_servers: bool
    report: Path


FULL = Plan(3, 8, 50, 2000, 250, 300, (100, 1000, 5000), 20, True, ROOT / "docs" / "benchmarks.md")
QUICK = Plan(1, 2, 5, 200, 50, 40, (100,), 5, False, ROOT / "bench" / "results" / "quick.md")


@dataclass
class Results:
    """Every scenario's figures, one entry per repetition."""

    claims: dict[int, list[Run]] = field(default_factory=dict)  # by client count
    claim_cpu: dict[int, list[float]] = field(default_factory=dict)  # server CPU ms per claim
    floor: dict[int, list[Run]] = field(default_factory=dict)  # the no-op, by client count
    floor_cpu: dict[int, list[float]] = field(default_factory=dict)
    pgbench: dict[int, list[float]] = field(default_factory=dict)  # tps, by client count
    hot: list[hotroom.HotRoom] = field(default_factory=list)
    search_counts: tuple[int, int] = (0, 0)  # rooms, bookings
    search: list[search.Searches] = field(default_factory=list)
    bare_sql: list[search.BareSql] = field(default_factory=list)
    grids: list[grid.Grids] = field(default_factory=list)
    grid_bare_sql: list[list[float]] = field(default_factory=list)
    fanout: dict[int, list[fanout.Fanout]] = field(default_factory=dict)  # by socket count
    rss: list[float] = field(default_factory=list)  # MiB, per server process
    servers: dict[str, dict[int, list[Run]]] = field(default_factory=dict)  # by server, client count
    # The school's timetable: its import, then claims (8 clients), search and grid again.
    timetable: timetable.TimetableImport | None = None
    claims_before: list[Run] = field(default_factory=list)
    search_before: list[search.Searches] = field(default_factory=list)
    grids_before: list[grid.Grids] = field(default_factory=list)
    claims_after: list[Run] = field(default_factory=list)
    search_after: list[search.Searches] = field(default_factory=list)
    grids_after: list[grid.Grids] = field(default_factory=list)


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
