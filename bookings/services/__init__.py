"""The booking services: what teachers and staff do, each a typed, keyword-only function.

Every write goes through one guarded write (``guard.guarded_write``): lock, row locks in a
fixed order, the body's checks and writes, a COMMIT whose outcome is recorded by the guard
itself, a look again after a failed COMMIT, the lock released and announced once. On
PostgreSQL the exclusion constraint stands behind all of it.

- ``holds``: the claim dialog's hold, its line, and the one way a hold is let go;
- ``claim``: one room, one period; ``series``: a repeating period, and
  ``series_changes``: changing one date of it, this and the following, or all;
- ``changes``: cancel and move; ``check_in``: check-in and the release of bookings nobody
  checked in to; ``waitlist``: join and leave a booked room's waitlist; ``lessons``: a
  class away gives its lesson's room back (and takes it back); ``requests``: approvers
  decide the requests for rooms that need approval (and the sweeper those undecided);
- ``checks``: what a write checks under its row locks.
"""

from .changes import KEEP, booking_cancel, booking_move
from .check_in import booking_check_in, release_unchecked
from .claim import booking_create
from .guard import Claim, Locked, Rows, guarded_write
from .holds import booking_hold, booking_release, hand_over_expired_holds
from .lessons import lesson_release, lesson_restore
from .requests import Decision, booking_decide, decide_overdue, queue_request_digests
from .series import SeriesBooked, Skipped, series_cancel, series_create, series_periods, series_until
from .series_changes import (
    DateState,
    Scope,
    SeriesEdit,
    SeriesPlan,
    series_cancel_following,
    series_change,
    series_preview,
)
from .waitlist import waitlist_join, waitlist_leave

__all__ = [
    "KEEP",
    "Claim",
    "DateState",
    "Decision",
    "Locked",
    "Rows",
    "Scope",
    "SeriesBooked",
    "SeriesEdit",
    "SeriesPlan",
    "Skipped",
    "booking_cancel",
    "booking_check_in",
    "booking_create",
    "booking_decide",
    "booking_hold",
    "booking_move",
    "booking_release",
    "decide_overdue",
    "guarded_write",
    "hand_over_expired_holds",
    "lesson_release",
    "lesson_restore",
    "queue_request_digests",
    "release_unchecked",
    "series_cancel",
    "series_cancel_following",
    "series_change",
    "series_create",
    "series_periods",
    "series_preview",
    "series_until",
    "waitlist_join",
    "waitlist_leave",
]
