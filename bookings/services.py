"""The booking path: hold, claim, series and cancel, in the original design's order.

Claim: take the lock (else ``BOOKING_CONFLICT``) → check the teacher → in one short
transaction lock the room row, check room and seats, re-check for overlaps (else
``ROOM_NOT_AVAILABLE``) and insert → release the lock whatever happened → publish after
commit. On PostgreSQL the exclusion constraint stands behind all of it. A series does
the same for every date at once. Every conflict is recorded (for the analytics) and sent
to the teacher who met it; a cancellation offers the freed period to the waitlist.

Answers tell the truth whatever fails: a lock store that is down leaves the database's
guarantee in charge (``bookings.locks``); a database that fails before COMMIT means
nothing was written (``SERVICE_BUSY``); one that fails during COMMIT is asked again what
happened before answering (``_write``); and nothing that runs after commit (lock
release, events, waitlist offers) can turn a success into an error.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.schoolcalendar import calendar
from teachers.models import Teacher

from . import events, locks, metrics, notifications
from .errors import (
    BOOKING_CONFLICT,
    BOOKING_NOT_FOUND,
    HELD_TOO_LONG,
    INVALID_INPUT,
    MESSAGES,
    OUTCOME_UNKNOWN,
    ROOM_NOT_AVAILABLE,
    ROOM_NOT_FOUND,
    SERVICE_BUSY,
    TOO_MANY_HOLDS,
    BookingError,
    database_unavailable,
)
from .models import Booking, Conflict, Notification, Series
from .rules import (
    CONFLICT_RECORD_WINDOW,
    MAX_OCCURRENCES,
    Limits,
    attendees_error,
    count_errors,
    from_now,
    limit_errors,
    limits_for,
    series_limit_errors,
)
from .serializers import Taken
from .waitlist import Offers, mark_booked, offer_after_commit, offers_on

logger = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"


def _database_refuses_overlaps() -> bool:
    """PostgreSQL's exclusion constraint refuses an overlapping booking by itself: there a
    claim inserts at once and looks for the booking in the way only when refused (one round
    trip less on the happy path). Elsewhere (SQLite) it checks before inserting."""
    return connection.vendor == "postgresql"


T = TypeVar("T")


class _Commit:
    """Set ``started`` as the last step inside the transaction: a database failure after
    it hit the COMMIT itself, which may or may not have happened."""

    started = False


def _write(
    transact: Callable[[_Commit], T], *, find: Callable[[], T | None], on_found: Callable[[T], None]
) -> T:
    """Run one write transaction so that its answer is true whatever the database does.

    A failure before COMMIT: nothing was written, ``SERVICE_BUSY``. A failure during
    COMMIT: look again (``find``) once the database answers; what is found is the result
    (``on_found`` then does what the lost after-commit work would have done), nothing found
    is ``SERVICE_BUSY``, and no answer within ``CLAIM_VERIFY_SECONDS`` is
    ``OUTCOME_UNKNOWN``, which claims neither."""
    commit = _Commit()
    try:
        return transact(commit)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        if not commit.started:
            raise BookingError(SERVICE_BUSY) from exc
        logger.warning("The database failed during COMMIT (%s); looking for the outcome", exc)
        found = _look_again(find)
        if found is None:
            raise BookingError(SERVICE_BUSY) from exc
        on_found(found)
        return found


def _look_again(find: Callable[[], T | None]) -> T | None:
    deadline = time.monotonic() + settings.CLAIM_VERIFY_SECONDS
    while True:
        try:
            connection.close()  # the broken connection; the next query takes a fresh one
            return find()
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            if time.monotonic() >= deadline:
                logger.error("Outcome of a write unknown: the database did not answer (%s)", exc)
                raise BookingError(OUTCOME_UNKNOWN) from exc
            time.sleep(0.25)


def booking_hold(
    *, teacher: Teacher, room_id: int, start: datetime, end: datetime, wait: bool = False
) -> locks.Attempt:
    """Take the booking lock while the teacher confirms; fail early if the room is taken.
    ``degraded`` in the answer: the lock store is unreachable, so nothing is held, and the
    claim will be decided by the database alone.

    ``wait``: if another teacher holds the lock, stand in its line instead of failing
    (``position`` in the answer); the lock comes to the teacher when it is their turn,
    announced by ``roomAvailable``. Waiting for a room that is booked is refused as any
    claim of it would be."""
    rules = locks.HoldRules.from_settings()
    if wait:
        _check_bookable(room_id, start=start, end=end, teacher=teacher)
        attempt = locks.acquire(
            room_id=room_id, start=start, end=end, teacher_id=teacher.pk, wait=True, rules=rules
        )
        _announce_handover(attempt.handed_to)
        _refuse_bounded(attempt)
        if attempt.acquired and not attempt.degraded:
            events.publish_hold_changed(room_id=room_id, start=start, end=end, held=True)
        return attempt
    attempt = _acquire_or_conflict(teacher=teacher, room_id=room_id, start=start, end=end, rules=rules)
    try:
        _check_bookable(room_id, start=start, end=end, teacher=teacher)
    except BookingError as error:
        _let_go(teacher=teacher, room_id=room_id, start=start, end=end, outcome=error)
        raise
    except Exception:  # the database failed: hold nothing for an answer that is an error
        _let_go(teacher=teacher, room_id=room_id, start=start, end=end)
        raise
    if not attempt.degraded:
        events.publish_hold_changed(room_id=room_id, start=start, end=end, held=True)
    return attempt


def _check_bookable(room_id: int, *, start: datetime, end: datetime, teacher: Teacher) -> None:
    """The checks of a hold (the claim makes them again under the row lock), for the part
    of the period still to come."""
    begins = from_now(start, end)
    try:
        room = Room.objects.filter(pk=room_id).first()
        _check_room(room, start=begins, end=end, teacher=teacher, limits=limits_for(teacher, room_id))
        _check_free(room, start=begins, end=end)
    except BookingError as error:
        _announce_conflict(error, teacher=teacher, room_id=room_id, start=start, end=end)
        raise


def booking_release(*, teacher: Teacher, room_id: int, start: datetime, end: datetime) -> bool:
    """Give up the teacher's hold (dialog cancelled) or their place in its line; the hold
    passes to the first in line. Another teacher's hold stays."""
    return _let_go(teacher=teacher, room_id=room_id, start=start, end=end).released


# What ends the wait of everyone in a lock's line: the period is booked (``BOOKED``), or
# it is taken or cannot be had.
BOOKED = "booked"
ENDS_THE_WAIT = frozenset({ROOM_NOT_AVAILABLE, ROOM_NOT_FOUND})


def _let_go(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    outcome: BookingError | str | None = None,
) -> locks.Release:
    """Release the teacher's lock after a hold or claim. If ``outcome`` says the period is
    now booked (``BOOKED``) or cannot be had (an error that ends the wait), everyone in
    the lock's line is told so; otherwise the lock passes to the first in line."""
    ends_wait = outcome == BOOKED or (isinstance(outcome, BookingError) and outcome.code in ENDS_THE_WAIT)
    let_go = locks.release(room_id=room_id, start=start, end=end, teacher_id=teacher.pk, booked=ends_wait)
    _announce_handover(let_go.passed_to)
    if let_go.released and let_go.passed_to is None and outcome != BOOKED:  # a booking says so itself
        events.publish_hold_changed(room_id=room_id, start=start, end=end, held=False)
    if let_go.waiting:
        error = outcome if isinstance(outcome, BookingError) else _who_booked(room_id, start=start, end=end)
        for teacher_id in let_go.waiting:
            events.publish_conflict(error, room_id=room_id, start=start, end=end, teacher_id=teacher_id)
    return let_go


def _who_booked(room_id: int, *, start: datetime, end: datetime) -> BookingError:
    """What the line is told once the period is booked. This runs after the booking has
    committed: a database that fails now must not turn that success into an error, so the
    line gets the message without the holder's name instead."""
    try:
        return _not_available(room_id, start=from_now(start, end), end=end)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        logger.warning("Could not look up who booked room %s for its line: %s", room_id, exc)
        return BookingError(ROOM_NOT_AVAILABLE)


def hand_over_expired_holds() -> int:
    """Holds that expired with teachers in line and nobody asking since: each passes to
    its first in line, who is told (the sweeper's backstop; a waiting dialog asks by
    itself when the hold it waits for ends)."""
    handed = locks.hand_over_free()
    for lock in handed:
        _announce_handover(lock)
    return len(handed)


def _announce_handover(lock: locks.Lock | None) -> None:
    """A lock passed to the first in its line: tell them, in every tab they have open."""
    if lock is not None:
        events.publish_hold_passed(lock)


def booking_create(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    attendees: int | None = None,
    purpose: str = "",
    booked_by: Teacher | None = None,
) -> Booking:
    """Book a room for ``teacher``; ``booked_by``: a member of staff booking it for them
    (who holds the lock and hears the conflicts; the teacher gets the booking, the rules
    and the email). A period under way is booked from now (``from_now``); its hold keeps
    the name of the period asked for."""
    actor = booked_by or teacher
    begins = from_now(start, end)
    _acquire_or_conflict(teacher=actor, room_id=room_id, start=start, end=end)
    with _claiming(teacher=actor, room_id=room_id, start=start, end=end):
        if not teacher.is_active:
            raise BookingError.invalid("teacher", _("This account is disabled."))
        limits = limits_for(teacher, room_id)

        def claim(commit: _Commit) -> Booking:
            with transaction.atomic():
                _lock_teacher(teacher, limits)
                room = _locked_room(room_id)
                offers = _check_room(
                    room, start=begins, end=end, teacher=teacher, attendees=attendees, limits=limits
                )
                if not _database_refuses_overlaps():
                    _check_free(room, start=begins, end=end)
                _check_counts(limits, teacher=teacher, new=[(begins, end)])
                booking = _do_create(
                    room=room,
                    teacher=teacher,
                    start=begins,
                    end=end,
                    attendees=attendees,
                    purpose=purpose,
                    check_in_by=_check_in_by(limits, begins),
                    booked_by=booked_by,
                )
                if offers.offered_to_me:
                    mark_booked(teacher=teacher, room=room, start=begins, end=end)
                commit.started = True
            return booking

        mine = Booking.objects.confirmed().select_related("room", "teacher")
        return _write(
            claim,
            find=lambda: mine.filter(teacher=teacher, room_id=room_id, start=begins, end=end).first(),
            on_found=events.publish_booking_created,
        )


@contextmanager
def _claiming(*, teacher: Teacher, room_id: int, start: datetime, end: datetime) -> Iterator[None]:
    """Around a claim whose lock the teacher holds: a violated exclusion constraint is
    answered as the overlap check would have answered, every conflict is recorded and
    announced, and the lock is released whatever happened: to the next in its line, or,
    when the period was booked (by this claim or another), with the line told so."""
    outcome: BookingError | str | None = None
    try:
        yield
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        # The claim relies on it (see ``_database_refuses_overlaps``), or something wrote
        # past the row lock: the database refused the overlap.
        logger.info("Exclusion constraint refused a booking of room %s", room_id)
        outcome = _not_available(room_id, start=from_now(start, end), end=end)
        _announce_conflict(outcome, teacher=teacher, room_id=room_id, start=start, end=end)
        raise outcome from exc
    except BookingError as error:
        outcome = error
        _announce_conflict(error, teacher=teacher, room_id=room_id, start=start, end=end)
        raise
    else:
        outcome = BOOKED
    finally:
        _let_go(teacher=teacher, room_id=room_id, start=start, end=end, outcome=outcome)


def series_periods(
    start: datetime, end: datetime, *, rule: str, until: date
) -> list[tuple[datetime, datetime]]:
    """Every occurrence from ``start`` until ``until``: each starts at the first date's
    local wall-clock time and lasts as long as the first, so a series keeps its hour across
    a change of daylight saving time. A start that falls in the spring gap moves on by the
    gap (02:30 becomes 03:30); one in the autumn fold is the first of the two. Stops one
    past ``MAX_OCCURRENCES`` (the caller refuses so long a series)."""
    tz = timezone.get_current_timezone()
    local_start = timezone.localtime(start, tz)
    wall_time, length = local_start.time().replace(tzinfo=None), end - start
    step = 7 if rule == Series.Rule.WEEKLY else 1
    periods, day = [], local_start.date()
    while day <= until and len(periods) <= MAX_OCCURRENCES:
        if rule == Series.Rule.WEEKLY or day.weekday() < 5:
            # fold=0: the offset in force before a change, which moves a gap's time on.
            begins = datetime.combine(day, wall_time, tz).astimezone(UTC)
            periods.append((begins, begins + length))
        day += timedelta(days=step)
    return periods


def series_create(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    rule: str,
    until: date,
    attendees: int | None = None,
    purpose: str = "",
    free_dates_only: bool = False,
    booked_by: Teacher | None = None,
) -> tuple[Series, list[Booking], dict[date, str]]:
    """Book a repeating period: all dates or none, or (``free_dates_only``) the free
    ones. Dates the school calendar closes (holidays, outside term, outside bookable
    hours) are skipped by themselves; they are not conflicts. Returns the series, its
    bookings and the dates skipped with the reason. Every occurrence gets the same
    guarantees as a single claim: row lock, rules, overlap check, exclusion constraint."""
    periods = series_periods(start, end, rule=rule, until=until)
    if periods:  # a first date under way is booked from now, as a single claim is
        periods[0] = (from_now(*periods[0]), periods[0][1])
    if not periods:
        raise BookingError.invalid("until", _("No school day falls between the start and this date."))
    if len(periods) > MAX_OCCURRENCES:
        raise BookingError.invalid(
            "until",
            _("A series may have at most %(most)d dates; choose an earlier last date.")
            % {"most": MAX_OCCURRENCES},
        )
    actor = booked_by or teacher
    for_someone = actor.pk != teacher.pk
    _acquire_or_conflict(teacher=actor, room_id=room_id, start=start, end=end)
    with _claiming(teacher=actor, room_id=room_id, start=start, end=end):
        limits = limits_for(teacher, room_id)

        def claim(commit: _Commit) -> tuple[Series, list[Booking], dict[date, str]]:
            with transaction.atomic():
                _lock_teacher(teacher, limits)
                room = _locked_room(room_id)
                _check_room(
                    room,
                    start=periods[0][0],
                    end=end,
                    teacher=teacher,
                    attendees=attendees,
                    limits=limits,
                    dates_checked=False,
                )
                closed = _closed_dates(room, periods)
                open_periods = [(b, e) for b, e in periods if timezone.localtime(b).date() not in closed]
                if not open_periods:
                    raise _closed(f"every date of the series is closed ({next(iter(closed.values()))})")
                _check_series_limits(limits, open_periods)
                taken = _taken(room, open_periods)
                if (taken and not free_dates_only) or len(taken) == len(open_periods):
                    raise _series_refused(taken, total=len(open_periods))
                free = [(b, e) for b, e in open_periods if timezone.localtime(b).date() not in taken]
                _check_counts(limits, teacher=teacher, new=free)
                series = Series.objects.create(
                    room=room, teacher=teacher, rule=rule, until=until, purpose=purpose
                )
                bookings = Booking.objects.bulk_create(
                    Booking(
                        room=room,
                        teacher=teacher,
                        start=begins,
                        end=ends,
                        attendees=attendees,
                        purpose=purpose,
                        series=series,
                        check_in_by=_check_in_by(limits, begins),
                        booked_by=actor if for_someone else None,
                    )
                    for begins, ends in free
                )
                for booking in bookings:
                    events.publish_booking_created(booking)
                kind = (
                    Notification.Kind.BOOKED_FOR_YOU if for_someone else Notification.Kind.BOOKING_CONFIRMED
                )
                notifications.enqueue(teacher=teacher, kind=kind, booking=bookings[0])
                commit.started = True
            skipped = {**closed, **{day: Taken.by(b.teacher.name) for day, b in taken.items()}}
            return series, bookings, dict(sorted(skipped.items()))

        def find() -> tuple[Series, list[Booking], dict[date, str]] | None:
            series = (
                Series.objects.filter(teacher=teacher, room_id=room_id, rule=rule, until=until)
                .filter(bookings__start=periods[0][0])
                .order_by("-pk")
                .first()
            )
            if series is None:
                return None
            bookings = list(series.bookings.select_related("room", "teacher").order_by("start"))
            booked = {timezone.localtime(booking.start).date() for booking in bookings}
            every = [timezone.localtime(begins).date() for begins, _ in periods]
            return series, bookings, {day: "not booked" for day in every if day not in booked}

        def on_found(found: tuple[Series, list[Booking], dict[date, str]]) -> None:
            for booking in found[1]:
                events.publish_booking_created(booking)

        return _write(claim, find=find, on_found=on_found)


def _closed_dates(room: Room, periods: list[tuple[datetime, datetime]]) -> dict[date, str]:
    """The dates among ``periods`` the school calendar closes for ``room``, with the reason."""
    school = calendar()
    closed = {}
    for begins, ends in periods:
        if reason := school.closed_reason(room, begins, ends):
            closed[timezone.localtime(begins).date()] = reason
    return closed


def _check_series_limits(limits: Limits, periods: list[tuple[datetime, datetime]]) -> None:
    problems = series_limit_errors(limits, len(periods))
    last = periods[-1][0]
    if not problems and last > timezone.now() + limits.max_ahead:
        problems = {"until": limit_errors(limits, room_name="", start=last, end=periods[-1][1])["start"]}
    if problems:
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})


def _taken(room: Room, periods: list[tuple[datetime, datetime]]) -> dict[date, Booking]:
    """The dates among ``periods`` that a confirmed booking overlaps, in one query."""
    existing = list(
        room.bookings.overlapping(periods[0][0], periods[-1][1]).select_related("teacher").order_by("start")
    )
    taken: dict[date, Booking] = {}
    for begins, ends in periods:
        clash = next((b for b in existing if b.start < ends and b.end > begins), None)
        if clash is not None:
            taken[timezone.localtime(begins).date()] = clash
    return taken


def _series_refused(taken: dict[date, Booking], *, total: int) -> BookingError:
    dates = sorted(taken)
    first = taken[dates[0]]
    listed = ", ".join(day.isoformat() for day in dates[:10]) + (" …" if len(dates) > 10 else "")
    return BookingError(
        ROOM_NOT_AVAILABLE,
        _("Room already booked on %(taken)d of the %(total)d dates (%(listed)s), first by %(name)s")
        % {"taken": len(dates), "total": total, "listed": listed, "name": first.teacher.name},
        conflicting_booking=first,
        conflicting_dates=[day.isoformat() for day in dates],
    )


def series_cancel(*, series_id: int, teacher: Teacher) -> list[Booking]:
    """Cancel the series' bookings that have not begun; past ones stay as they were."""
    asked_at = timezone.now()

    def cancel(commit: _Commit) -> list[Booking]:
        with transaction.atomic():
            series = Series.objects.filter(pk=series_id, teacher=teacher).first()
            if series is None:
                raise BookingError(BOOKING_NOT_FOUND, _("Series not found"))
            upcoming = list(
                series.bookings.confirmed()
                .filter(start__gt=timezone.now())
                .select_for_update(of=("self",))
                .select_related("room", "teacher")
            )
            for booking in upcoming:
                _do_cancel(booking)
            commit.started = True
        return upcoming

    def find() -> list[Booking] | None:
        cancelled = Booking.objects.filter(
            series_id=series_id, series__teacher=teacher, cancelled_at__gte=asked_at
        ).select_related("room", "teacher")
        return list(cancelled) or None

    return _write(cancel, find=find, on_found=lambda cancelled: [_after_cancel(b) for b in cancelled])


def booking_cancel(*, booking_id: int, teacher: Teacher, as_admin: bool = False) -> Booking:
    """Cancel a booking and free its slot; teachers may cancel only their own."""

    def cancel(commit: _Commit) -> Booking:
        with transaction.atomic():
            bookings = Booking.objects.select_for_update(of=("self",)).select_related("room", "teacher")
            if not as_admin:
                bookings = bookings.filter(teacher=teacher)
            booking = bookings.filter(pk=booking_id).first()
            if booking is None:
                raise BookingError(BOOKING_NOT_FOUND)
            if not booking.is_confirmed:
                return booking
            if booking.end <= timezone.now() and not as_admin:
                raise BookingError.invalid("booking", _("A booking that has ended cannot be cancelled."))
            _do_cancel(booking)
            if as_admin and booking.teacher_id != teacher.pk:
                notifications.enqueue(
                    teacher=booking.teacher, kind=Notification.Kind.CANCELLED_BY_ADMIN, booking=booking
                )
            commit.started = True
        return booking

    cancelled = Booking.objects.filter(pk=booking_id, status=Booking.Status.CANCELLED)
    return _write(
        cancel, find=lambda: cancelled.select_related("room", "teacher").first(), on_found=_after_cancel
    )


KEEP = object()  # a move that leaves a detail as it is


def booking_move(
    *,
    booking_id: int,
    actor: Teacher,
    room_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    attendees=KEEP,
    purpose: str | None = None,
) -> Booking:
    """Change an upcoming booking's room, period, attendees or purpose (a teacher their
    own, staff anyone's), at once or not at all: the new slot is claimed under the full
    guard (its lock, both rooms' rows locked in a fixed order so two crossing moves cannot
    deadlock, the rules, the overlap check, the exclusion constraint) and the old one freed
    in the same transaction. After commit: the old slot's ``bookingCancelled`` (status
    ``moved``) and the new one's ``bookingCreated``, and the old slot offered to its
    waitlist."""
    current = Booking.objects.select_related("room", "teacher").filter(pk=booking_id).first()
    if current is None or not (actor.is_staff or current.teacher_id == actor.pk):
        raise BookingError(BOOKING_NOT_FOUND)
    room_id, start, end = room_id or current.room_id, start or current.start, end or current.end
    attendees = current.attendees if attendees is KEEP else attendees
    purpose = current.purpose if purpose is None else purpose
    moving = (room_id, start, end) != (current.room_id, current.start, current.end)
    # Moving a booking under way (or to a period under way) moves it from now on.
    begins = from_now(start, end) if moving else start
    teacher = current.teacher
    if moving:
        _acquire_or_conflict(teacher=actor, room_id=room_id, start=start, end=end)
    with _claiming(teacher=actor, room_id=room_id, start=start, end=end) if moving else nullcontext():
        limits = limits_for(teacher, room_id)

        def move(commit: _Commit) -> Booking:
            with transaction.atomic():
                _lock_teacher(teacher, limits)
                rooms = {
                    room.pk: room
                    for room in Room.objects.select_for_update(of=("self",))
                    .filter(pk__in={current.room_id, room_id})
                    .order_by("pk")
                }
                booking = (
                    Booking.objects.select_for_update(of=("self",))
                    .select_related("room", "teacher")
                    .get(pk=booking_id)
                )
                if not booking.is_confirmed:
                    raise BookingError.invalid(
                        "booking", _("This booking was cancelled; book the room again instead.")
                    )
                if booking.end <= timezone.now():
                    raise BookingError.invalid("booking", _("A booking that has ended cannot be moved."))
                room = rooms.get(room_id)
                if moving:
                    _check_room(
                        room, start=begins, end=end, teacher=teacher, attendees=attendees, limits=limits
                    )
                    clash = (
                        room.bookings.overlapping(begins, end)
                        .exclude(pk=booking.pk)
                        .select_related("teacher")
                        .first()
                    )
                    if clash is not None:
                        raise BookingError.booked_by(clash)
                    _check_counts(limits, teacher=teacher, new=[(begins, end)], moving=booking)
                elif attendees is not None and attendees > room.capacity:
                    raise BookingError.invalid("attendees", attendees_error(room, attendees))
                before = copy.copy(booking)
                booking.room, booking.start, booking.end = room, begins, end
                booking.attendees, booking.purpose = attendees, purpose
                if moving:
                    booking.check_in_by, booking.checked_in_at = _check_in_by(limits, begins), None
                booking.save()
                if moving:
                    _after_move(before, booking)
                if actor.pk != teacher.pk:
                    notifications.enqueue(teacher=teacher, kind=Notification.Kind.MOVED, booking=booking)
                commit.started = True
            return booking

        moved = Booking.objects.select_related("room", "teacher").filter(
            pk=booking_id, room_id=room_id, start=begins, end=end, status=Booking.Status.CONFIRMED
        )
        return _write(move, find=moved.first, on_found=lambda booking: _after_move(current, booking))


MOVED = "moved"  # the status the old slot's event carries


def _after_move(before: Booking, after: Booking) -> None:
    before.status = MOVED
    events.publish_booking_cancelled(before)
    events.publish_booking_created(after)
    offer_after_commit(room_id=before.room_id, start=before.start, end=before.end)
    logger.info(
        "Booking %s moved: %s %s-%s to %s %s-%s",
        after.pk,
        before.room.name,
        before.start,
        before.end,
        after.room.name,
        after.start,
        after.end,
    )


def booking_check_in(*, booking_id: int, teacher: Teacher) -> Booking:
    """Say the teacher is in the room, so the booking is not released. Opens
    ``CHECK_IN_OPENS_MINUTES`` before the start and closes at the booking's check-in time."""
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("room", "teacher")
            .filter(pk=booking_id, teacher=teacher)
            .first()
        )
        if booking is None:
            raise BookingError(BOOKING_NOT_FOUND)
        if booking.status == Booking.Status.RELEASED:
            raise BookingError.invalid(
                "booking", _("Too late: the booking was released because nobody checked in.")
            )
        if not booking.is_confirmed:
            raise BookingError.invalid("booking", _("This booking was cancelled."))
        if booking.checked_in_at:
            return booking
        if booking.check_in_by is None:
            raise BookingError.invalid(
                "booking", _("%(room)s needs no check-in.") % {"room": booking.room.name}
            )
        opens = booking.start - timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES)
        if now < opens:
            raise BookingError.invalid(
                "booking", _("Check-in opens at %(time)s.") % {"time": f"{timezone.localtime(opens):%H:%M}"}
            )
        booking.checked_in_at = now
        booking.save(update_fields=["checked_in_at"])
    return booking


def release_unchecked() -> int:
    """Release the bookings nobody checked in to by their check-in time: their own
    status, the usual cancellation event, the waitlist offered, the teacher told."""
    released = 0
    overdue = Booking.objects.confirmed().filter(checked_in_at__isnull=True, check_in_by__lte=timezone.now())
    for booking_id in overdue.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            booking = (
                overdue.select_for_update(of=("self",), skip_locked=True)
                .select_related("room", "teacher")
                .filter(pk=booking_id)
                .first()
            )
            if booking is None:  # checked in, cancelled or released meanwhile
                continue
            booking.status = Booking.Status.RELEASED
            booking.cancelled_at = timezone.now()
            booking.save(update_fields=["status", "cancelled_at"])
            _after_cancel(booking)
            notifications.enqueue(teacher=booking.teacher, kind=Notification.Kind.RELEASED, booking=booking)
            logger.info("Booking %s released: not checked in by %s", booking.pk, booking.check_in_by)
            released += 1
    return released


def _do_cancel(booking: Booking) -> None:
    """Cancel; after commit, announce it and offer the freed period to the waitlist. The
    caller holds the booking's row lock."""
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at"])
    _after_cancel(booking)


def _after_cancel(booking: Booking) -> None:
    events.publish_booking_cancelled(booking)
    offer_after_commit(room_id=booking.room_id, start=booking.start, end=booking.end)


def _refuse_bounded(attempt: locks.Attempt) -> None:
    """A hold refused by its own bounds (not by another holder) says which."""
    if attempt.refused == locks.TOO_MANY_HOLDS:
        raise BookingError(TOO_MANY_HOLDS)
    if attempt.refused == locks.HELD_TOO_LONG:
        raise BookingError(HELD_TOO_LONG)


def _acquire_or_conflict(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    rules: locks.HoldRules = locks.NO_RULES,
) -> locks.Attempt:
    attempt = locks.acquire(room_id=room_id, start=start, end=end, teacher_id=teacher.pk, rules=rules)
    _announce_handover(attempt.handed_to)
    _refuse_bounded(attempt)
    if not attempt.acquired:
        metrics.LOCK_CONFLICTS.inc()
        error = BookingError(BOOKING_CONFLICT)
        _announce_conflict(error, teacher=teacher, room_id=room_id, start=start, end=end)
        raise error
    return attempt


def _locked_room(room_id: int) -> Room | None:
    """The room, its row locked: concurrent claims on this room (other periods, other
    processes) queue here, so the checks after it see every commit (waitlist offers made
    under the same lock included)."""
    return Room.objects.select_for_update(of=("self",)).filter(pk=room_id).first()


def _check_room(
    room: Room | None,
    *,
    start: datetime,
    end: datetime,
    teacher: Teacher,
    limits: Limits,
    attendees: int | None = None,
    dates_checked: bool = True,
) -> Offers:
    """The room exists, is open and bookable then (the school calendar), the school's
    rules allow the booking, it seats the attendees, and it is not held for someone else
    by a waitlist offer. Returns what the offers mean for this teacher. ``dates_checked``
    off: a series, whose closed dates are skipped rather than refused."""
    if room is None:
        raise BookingError(ROOM_NOT_FOUND)
    if not room.is_active:
        raise BookingError(ROOM_NOT_AVAILABLE)
    if dates_checked and (reason := calendar().closed_reason(room, start, end)):
        raise _closed(reason)
    if problems := limit_errors(limits, room_name=room.name, start=start, end=end):
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})
    offers = offers_on(room, teacher=teacher, start=start, end=end)
    if offers.held_until is not None:
        until = timezone.localtime(offers.held_until)
        raise BookingError(
            ROOM_NOT_AVAILABLE,
            _("Room is held for a teacher on the waitlist until %(time)s") % {"time": f"{until:%H:%M}"},
        )
    if attendees is not None and attendees > room.capacity:
        raise BookingError.invalid("attendees", attendees_error(room, attendees))
    return offers


def _closed(reason: str) -> BookingError:
    return BookingError(ROOM_NOT_AVAILABLE, f"{MESSAGES[ROOM_NOT_AVAILABLE]}: {reason}")


def _lock_teacher(teacher: Teacher, limits: Limits) -> None:
    """Where the rules count a teacher's bookings, take the teacher's row lock first (then
    the room's: always in that order), so one teacher's concurrent claims are counted one
    after the other."""
    if limits.counts_per_teacher:
        list(Teacher.objects.select_for_update().filter(pk=teacher.pk).values_list("pk"))


def _check_counts(
    limits: Limits, *, teacher: Teacher, new: list[tuple[datetime, datetime]], moving: Booking | None = None
) -> None:
    if limits.counts_per_teacher and (
        problems := count_errors(limits, teacher=teacher, new=new, moving=moving)
    ):
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})


def _check_in_by(limits: Limits, start: datetime) -> datetime | None:
    return start + timedelta(minutes=limits.check_in_minutes) if limits.check_in_minutes else None


def _check_free(room: Room, *, start: datetime, end: datetime) -> None:
    clash = room.bookings.overlapping(start, end).select_related("teacher").order_by("start").first()
    if clash is not None:
        raise BookingError.booked_by(clash)


def _do_create(
    *,
    room: Room,
    teacher: Teacher,
    start: datetime,
    end: datetime,
    attendees: int | None,
    purpose: str,
    check_in_by: datetime | None,
    booked_by: Teacher | None = None,
) -> Booking:
    """Insert the booking. The caller holds the room's row lock and has checked the period."""
    for_someone = booked_by is not None and booked_by.pk != teacher.pk
    booking = Booking.objects.create(
        room=room,
        teacher=teacher,
        start=start,
        end=end,
        attendees=attendees,
        purpose=purpose,
        check_in_by=check_in_by,
        booked_by=booked_by if for_someone else None,
    )
    kind = Notification.Kind.BOOKED_FOR_YOU if for_someone else Notification.Kind.BOOKING_CONFIRMED
    notifications.enqueue(teacher=teacher, kind=kind, booking=booking)
    events.publish_booking_created(booking)
    logger.info("Booking %s: %s booked %s %s-%s", booking.pk, teacher.username, room.name, start, end)
    return booking


def _not_available(room_id: int, *, start: datetime, end: datetime) -> BookingError:
    clash = (
        Booking.objects.overlapping(start, end)
        .filter(room_id=room_id)
        .select_related("teacher")
        .order_by("start")
        .first()
    )
    return BookingError.booked_by(clash) if clash else BookingError(ROOM_NOT_AVAILABLE)


def _announce_conflict(
    error: BookingError, *, teacher: Teacher, room_id: int, start: datetime, end: datetime
) -> None:
    """Record the conflict (for the analytics) and tell the teacher. Recording is best
    effort: a database that fails here must not change the answer. (What the teacher could
    have instead is asked for by the page afterwards: ``views.booking.alternatives``, so
    forty losers of one race do not each run a search.)"""
    if not error.is_conflict:
        return
    try:
        # Once per teacher and room in a while: demand, not the number of clicks (nor of
        # periods one teacher tries on a room that is taken).
        recent = Conflict.objects.filter(
            room_id=room_id, teacher=teacher, created_at__gt=timezone.now() - CONFLICT_RECORD_WINDOW
        )
        if not recent.exists():
            Conflict.objects.create(room_id=room_id, teacher=teacher, start=start, end=end, code=error.code)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        logger.warning("Could not record a conflict on room %s: %s", room_id, exc)
    events.publish_conflict(error, room_id=room_id, start=start, end=end, teacher_id=teacher.pk)
