"""The one question that must always answer zero: how many pairs of bookings of one room
that hold their slot (confirmed, or requested) overlap? On PostgreSQL the exclusion
constraint makes it so; this query checks it from outside, for the race tests, the fault
suite and the benchmarks (which run it with their own connection, so it is plain SQL)."""

from __future__ import annotations

OVERLAPPING_PAIRS_SQL = """
SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
  ON a.room_id = b.room_id AND a.id < b.id
 AND a.status IN ('confirmed', 'requested') AND b.status IN ('confirmed', 'requested')
 AND a.start < b."end" AND b.start < a."end"
"""


def overlapping_pairs(using: str = "default") -> int:
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(OVERLAPPING_PAIRS_SQL)
        return cursor.fetchone()[0]
