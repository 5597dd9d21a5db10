"""Scenario 5: the school's timetable. A school of 60 rooms, six periods a day and a
two-week cycle, for a whole year: its GPU001.TXT is generated here and imported with the
management command as an office would, then imported again (the same file: nothing
changes). The run then measures claims, the search and the grid again with that year of
lessons in the database, against their own figures earlier in the same run."""

from __future__ import annotations

import csv
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg

from .harness import database_url, manage, sql

ROOMS = 60
PERIODS = 6  # of the day plan's ten: mornings and early afternoons
DAYS = 5
WEEKS = 52


@dataclass(frozen=True)
class TimetableImport:
    lessons: int
    dates: int
    first_seconds: float  # the import, the command's whole run
    again_seconds: float  # the same file again
    again_summary: str  # what the second import said (nothing should change)


def first_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def prepare() -> tuple[date, date]:
    """The rooms (in a building of their own, by the rooms import), and a term of a year
    from this week's Monday (the week rotation counts from it; the other scenarios' claims,
    from tomorrow on, fall in it); the timetable holds from next Monday for a year."""
    first = first_monday()
    last = first + timedelta(weeks=WEEKS) - timedelta(days=1)
    term_start = first - timedelta(weeks=1)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as rooms:
        writer = csv.writer(rooms)
        writer.writerow(["name", "building", "capacity"])
        for n in range(1, ROOMS + 1):
            writer.writerow([f"TT {n}", "Bench Timetable", 30])
    manage("import_rooms", rooms.name, "-v0")
    sql("INSERT INTO rooms_term (name, first_day, last_day) VALUES ('Bench year', %s, %s)", term_start, last)
    return first, last


def gpu001() -> bytes:
    """Every room, every weekday, periods 1 to 6: most lessons every week, one in six a pair
    of week-A and week-B lessons, one in six free; taught by teacher1 to teacher40."""
    lines, number = [], 0
    for room in range(1, ROOMS + 1):
        for day in range(1, DAYS + 1):
            for period in range(1, PERIODS + 1):
                kind = (room + day + period) % 6
                if kind == 0:
                    continue
                number += 1
                teacher = f"teacher{(room * 7 + day * 3 + period) % 40 + 1}"
                group = f"{5 + room % 8}{'abcd'[room % 4]}"
                weeks = ["A", "B"] if kind == 1 else [""]
                for week in weeks:
                    subject = f"S{(room + period + len(week)) % 12}{week}"
                    lines.append(
                        f'{number};"{group}";"{teacher}";"{subject}";"TT {room}";{day};{period};{week};'
                    )
    return "\r\n".join(lines).encode("cp1252")


def import_year(first: date, last: date) -> TimetableImport:
    with tempfile.NamedTemporaryFile("wb", suffix=".TXT", delete=False) as file:
        file.write(gpu001())
    arguments = ("import_timetable", file.name, "--from", first.isoformat(), "--to", last.isoformat())
    started = time.perf_counter()
    manage(*arguments, "--format", "untis")
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = manage(*arguments, "--format", "untis")
    again_seconds = time.perf_counter() - started
    Path(file.name).unlink()
    lessons = sql("SELECT count(*) FROM bookings_lesson")[0][0]
    dates = sql("SELECT count(*) FROM bookings_booking WHERE lesson_id IS NOT NULL")[0][0]
    # Settle what the import left for autovacuum now, as a school's database would have by
    # the next morning: otherwise it runs during the measures after, on the same two cores.
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return TimetableImport(lessons, dates, first_seconds, again_seconds, again.strip().splitlines()[-1])
