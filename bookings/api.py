"""The API under ``/api/v1/`` (docs/api.md): for a school's other systems, with personal
access tokens (``teachers.tokens``) instead of sessions: no cookies, no CSRF.

Built on django-ninja: the handlers' type hints are the OpenAPI 3 schema
(``/api/v1/openapi.json``) and the checks of what comes in, so what the schema says is
what the code does. The handlers call the same reads and services as the pages; every
refusal is the same JSON as the pages' (``config.answers``: ``code``, ``message``, and
``errors`` by field for ``INVALID_INPUT``).
"""

import logging
from datetime import timedelta
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import AfterValidator

from config import ids  # noqa: F401  (registers {id:…} in the paths below)
from config.answers import INVALID_INPUT, Problem, error_response
from rooms.forms import RoomWeekForm
from rooms.models import Feature, Room
from rooms.schoolcalendar import calendar
from teachers import tokens
from teachers.models import Teacher

from . import services
from .availability import rooms_free_between
from .errors import BOOKING_NOT_FOUND, ROOM_NOT_FOUND, BookingError
from .forms import (
    ClaimForm,
    HoldForm,
    LessonDatesForm,
    LessonReleaseForm,
    MoveForm,
    PeriodForm,
    TimetableForm,
    form_errors,
)
from .metrics import counts_claims
from .selectors import bookings_for_teacher, lesson_dates_for_teacher, movable_booking, waitlist_for_teacher
from .serializers import (
    booking_payload,
    freed_message,
    hold_payload,
    iso,
    joined_message,
    lesson_date_payload,
    moved_message,
    queue_payload,
    queued_message,
    series_payload,
    waitlist_entry_payload,
)
from .timetable import day_grid, labels, week_grid

logger = logging.getLogger(__name__)


def _no_nul(value: str) -> str:
    # What the pages' forms refuse too (Django's ProhibitNullCharactersValidator): a NUL
    # can reach no lookup, and PostgreSQL could not store it.
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]  # every text the API takes in


class Token(HttpBearer):
    """``Authorization: Bearer rc_…``; booking endpoints ask for the ``book`` scope."""

    def __init__(self, *, books: bool = False) -> None:
        super().__init__()
        self.books = books

    def authenticate(self, request: HttpRequest, token: str):
        row = tokens.check(token, books=self.books)
        request.user = row.teacher
        who = row.teacher.username
        logger.info("API %s %s by %s with token %s", request.method, request.path, who, row.prefix)
        return row


api = NinjaAPI(
    title="Roomclaim",
    version="1",
    description="Rooms, free rooms and bookings for a school's other systems (docs/api.md).",
    urls_namespace="api",
    auth=Token(),
    # Readable docs at /api/v1/docs: Swagger UI from ninja's own static files (ninja is in
    # INSTALLED_APPS, so no CDN), no inline script (the site's CSP holds); the prose and
    # examples are in docs/api.md.
    docs=Swagger(settings={"tryItOutEnabled": False, "defaultModelsExpandDepth": 0}),
    docs_url="/docs",
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, problem: Problem) -> HttpResponse:
    return error_response(request, problem)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        name = str(item["loc"][-1]) if item.get("loc") else "request"
        errors.setdefault(name, []).append(item.get("msg", "invalid"))
    return error_response(request, Problem(INVALID_INPUT, errors=errors))


@api.exception_handler(HttpError)
def _refused(request: HttpRequest, error: HttpError) -> HttpResponse:
    """ninja's own refusals: a bearer it could not read, a body that is not JSON."""
    if isinstance(error, AuthenticationError):
        problem = tokens.TokenProblem(tokens.TOKEN_INVALID)
    elif error.status_code == 400:
        problem = Problem.invalid("body", _("Send the fields as a JSON object."))
    else:
        return api.create_response(request, {"detail": str(error)}, status=error.status_code)
    return error_response(request, problem)


class Me(Schema):
    id: int
    username: str
    name: str
    isStaff: bool
    tokenScope: str


class RoomOut(Schema):
    id: int
    name: str
    building: str
    capacity: int
    features: list[str]


class PeriodIn(Schema):
    """A period by its local times (``start``, ``end``: ``2026-12-01T10:00``), or by the
    school's periods (``date`` with ``period``, and ``to_period`` for a run of them)."""

    start: Text = ""
    end: Text = ""
    date: Text = ""
    period: Text = ""
    to_period: Text = ""


class FreeQuery(PeriodIn):
    seats: int = Field(1, ge=1, le=10_000)
    feature: list[Text] = Field([], description="feature slugs (``GET /rooms``); every one must be offered")


class BookingOut(Schema):
    """``BOOKING`` as in docs/interface.md, with its ``purpose`` and ``attendees``."""

    id: int
    roomId: int
    roomName: str
    startTime: str
    endTime: str
    teacherId: int
    teacherName: str
    status: str = Field(description="confirmed, requested, cancelled, declined, released or freed")
    periods: str = Field(description='"Period 3", or "" off the periods')
    checkInBy: str | None
    checkedInAt: str | None
    purpose: str
    attendees: int | None
    decideBy: str | None = None
    decidedAt: str | None = None
    decidedBy: str | None = None


def _booking(booking) -> dict:
    return {**booking_payload(booking), "purpose": booking.purpose, "attendees": booking.attendees}


class Answer(Schema):
    booking: BookingOut
    message: str


class SeriesOut(Schema):
    id: int
    rule: str
    until: str
    bookings: list[BookingOut]
    skippedDates: list[str]
    skippedReasons: dict[str, str]


class ClaimAnswer(Answer):
    series: SeriesOut | None = None


class HoldOut(Schema):
    roomId: int
    startTime: str
    endTime: str
    expiresAt: str
    degraded: bool = Field(description="the lock store is out of reach: nothing is held, the claim decides")


class HeldAnswer(Schema):
    hold: HoldOut


class QueueOut(Schema):
    roomId: int
    startTime: str
    endTime: str
    position: int
    heldUntil: str


class QueueAnswer(Schema):
    queue: QueueOut
    message: str


class EntryOut(Schema):
    id: int
    roomId: int
    roomName: str
    startTime: str
    endTime: str
    status: str = Field(description="waiting, offered, claimed, left or expired")
    offerExpiresAt: str | None
    claimUrl: str | None


class EntryAnswer(Schema):
    entry: EntryOut
    message: str


class LessonOut(Schema):
    id: int
    group: str
    subject: str
    title: str


class LessonDateOut(BookingOut):
    lesson: LessonOut
    freedReason: str


class FreedAnswer(Schema):
    freed: list[LessonDateOut]
    message: str


class LessonAnswer(Schema):
    lesson: LessonDateOut
    message: str


@api.get("/me", tags=["Account"], response=Me, summary="Who the token belongs to")
def me(request: HttpRequest):
    teacher = request.user
    return Me(
        id=teacher.pk,
        username=teacher.username,
        name=teacher.name,
        isStaff=teacher.is_staff,
        tokenScope=request.auth.scope,
    )


def _rooms_out(rooms) -> list[RoomOut]:
    return [
        RoomOut(
            id=room.pk,
            name=room.name,
            building=room.building.name,
            capacity=room.capacity,
            features=[feature.slug for feature in room.features.all()],
        )
        for room in rooms
    ]


@api.get("/rooms", tags=["Rooms"], response=list[RoomOut], summary="The school's rooms, with their features")
def rooms(request: HttpRequest):
    active = Room.objects.filter(is_active=True).select_related("building").prefetch_related("features")
    return _rooms_out(active.order_by("name"))


@api.get(
    "/rooms/free", tags=["Rooms"], response=list[RoomOut], summary="Rooms free for a period, best fit first"
)
def free_rooms(request: HttpRequest, query: Query[FreeQuery]):
    period = _valid(PeriodForm(query.dict(include={"start", "end", "date", "period", "to_period"})))
    features = list(Feature.objects.filter(slug__in=query.feature))
    if len(features) != len(set(query.feature)):
        raise Problem.invalid("feature", _("Choose features from GET /api/v1/rooms."))
    start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    found = rooms_free_between(start, end, seats=query.seats, features=features, teacher=request.user)
    return _rooms_out(found.select_related("building").prefetch_related("features"))


class ClaimIn(PeriodIn):
    """Who the booking is for (``for_teacher``, a username: staff tokens only), how many
    and what for; with ``repeat`` (``weekly``, ``school_days``) and ``until`` a
    series, and with ``free_dates_only`` the free dates of it when some are taken."""

    attendees: int | None = None
    purpose: Text = ""
    repeat: Text = ""
    until: Text = ""
    free_dates_only: bool = False
    for_teacher: Text = ""


class HoldIn(PeriodIn):
    wait: bool = Field(False, description="another teacher holds it: stand in its line (202)")


class MoveIn(Schema):
    """What to change; what is left out stays. ``period``: a period of the booking's day,
    instead of ``start`` and ``end``."""

    room: int | None = None
    period: Text | None = None
    start: Text | None = None
    end: Text | None = None
    attendees: int | None = None
    purpose: Text | None = None


class WaitIn(PeriodIn):
    attendees: int | None = None


class ReleaseIn(Schema):
    reason: Text = Field(description="why the room is free, e.g. 7b on a trip")
    until: Text = Field("", description="and the same lesson's later dates up to this day")


def _valid(form):
    """The form, if valid; else ``INVALID_INPUT`` naming its fields."""
    if not form.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(form))
    return form


def _period(body: PeriodIn, **more) -> dict:
    """The period a body names (``start`` and ``end``), or ``INVALID_INPUT``."""
    data = _valid(HoldForm(_given(body, **more))).cleaned_data
    return {"start": data["start"], "end": data["end"]}


def _given(body: Schema, **more) -> dict:
    """What the client sent, as a form's data (left out or empty: not given)."""
    sent = {**body.dict(exclude_unset=True), **more}
    return {name: value for name, value in sent.items() if value not in (None, "")}


@api.get(
    "/bookings",
    tags=["Bookings"],
    response=list[BookingOut],
    summary="My upcoming bookings (and cancelled ones), soonest first",
)
def my_bookings(request: HttpRequest):
    upcoming, _past = bookings_for_teacher(request.user)
    return [_booking(booking) for booking in upcoming]


@api.post(
    "/rooms/{id:room_id}/claim",
    tags=["Bookings"],
    auth=Token(books=True),
    response={201: ClaimAnswer, 202: ClaimAnswer},
    summary="Book a room for a period, or a series (202: a request, on a room that needs approval)",
)
@counts_claims
def claim(request: HttpRequest, room_id: int, body: ClaimIn):
    data = _given(body, for_teacher=None)
    if body.for_teacher:
        colleague = Teacher.objects.filter(username=body.for_teacher, is_active=True).first()
        if colleague is None:
            raise Problem.invalid("for_teacher", _("Choose a teacher from the list."))
        data["for_teacher"] = colleague.pk
    claimed = _valid(ClaimForm(data)).book(room_id=room_id, actor=request.user)
    series = None
    if claimed.series is not None:
        series = {
            **series_payload(claimed.series, claimed.dates, claimed.skipped),
            "bookings": [_booking(booking) for booking in claimed.dates],
        }
    answer = ClaimAnswer(booking=_booking(claimed.booking), series=series, message=claimed.message)
    return Status(claimed.status, answer)


@api.post(
    "/rooms/{id:room_id}/hold",
    tags=["Holds"],
    auth=Token(books=True),
    response={200: HeldAnswer, 202: QueueAnswer},
    summary="Hold a room for a period while deciding (BOOKING_LOCK_SECONDS); with wait, stand in line",
)
def hold(request: HttpRequest, room_id: int, body: HoldIn):
    period = _period(body, wait=None)
    attempt = services.booking_hold(teacher=request.user, room_id=room_id, wait=body.wait, **period)
    if attempt.acquired:
        return HeldAnswer(hold=hold_payload(room_id, attempt))
    return Status(202, QueueAnswer(queue=queue_payload(room_id, attempt), message=queued_message(attempt)))


class Released(Schema):
    released: bool = Field(description="false: there was no hold of this teacher's to let go")


@api.post(
    "/rooms/{id:room_id}/release",
    tags=["Holds"],
    auth=Token(books=True),
    response=Released,
    summary="Let a hold go",
)
def release(request: HttpRequest, room_id: int, body: PeriodIn):
    period = _period(body)
    return Released(released=services.booking_release(teacher=request.user, room_id=room_id, **period))


@api.post(
    "/bookings/{id:booking_id}/cancel",
    tags=["Bookings"],
    auth=Token(books=True),
    response=Answer,
    summary="Cancel my booking",
)
def cancel(request: HttpRequest, booking_id: int):
    booking = services.booking_cancel(booking_id=booking_id, teacher=request.user)
    return Answer(
        booking=_booking(booking),
        message=_("Booking cancelled: %(room)s") % {"room": booking.room.name},
    )


@api.post(
    "/bookings/{id:booking_id}/move",
    tags=["Bookings"],
    auth=Token(books=True),
    response=Answer,
    summary="Change an upcoming booking's room, time, attendees or purpose (staff: anyone's)",
)
def move(request: HttpRequest, booking_id: int, body: MoveIn):
    booking = movable_booking(request.user, booking_id)
    if booking is None:
        raise BookingError(BOOKING_NOT_FOUND)
    form = _valid(MoveForm(_given(body), booking=booking))
    moved = services.booking_move(booking_id=booking_id, actor=request.user, **form.changes())
    return Answer(booking=_booking(moved), message=moved_message(moved))


@api.get(
    "/waitlist",
    tags=["Waitlist"],
    response=list[EntryOut],
    summary="My places on rooms' waitlists, soonest first",
)
def my_waitlist(request: HttpRequest):
    return [waitlist_entry_payload(entry) for entry in waitlist_for_teacher(request.user)]


@api.post(
    "/rooms/{id:room_id}/waitlist",
    tags=["Waitlist"],
    auth=Token(books=True),
    response={201: EntryAnswer},
    summary="Wait for a booked room: offered (and held) to me first if it frees up",
)
def waitlist_join(request: HttpRequest, room_id: int, body: WaitIn):
    form = _valid(ClaimForm(_given(body)))
    data = form.cleaned_data
    entry = services.waitlist_join(
        teacher=request.user,
        room_id=room_id,
        start=data["start"],
        end=data["end"],
        attendees=data["attendees"],
    )
    return Status(201, EntryAnswer(entry=waitlist_entry_payload(entry), message=joined_message(entry)))


@api.post(
    "/waitlist/{id:entry_id}/leave",
    tags=["Waitlist"],
    auth=Token(books=True),
    response=EntryAnswer,
    summary="Leave a waitlist",
)
def waitlist_leave(request: HttpRequest, entry_id: int):
    entry = services.waitlist_leave(teacher=request.user, entry_id=entry_id)
    message = _("You left the waitlist for %(room)s.") % {"room": entry.room.name}
    return EntryAnswer(entry=waitlist_entry_payload(entry), message=message)


def _lesson(lesson_date) -> dict:
    return {**lesson_date_payload(lesson_date), "purpose": lesson_date.purpose, "attendees": None}


@api.get(
    "/lessons",
    tags=["Lessons"],
    response=list[LessonDateOut],
    summary="My lessons of the school's timetable, two weeks from start (today without it)",
)
def my_lessons(request: HttpRequest, start: Text = ""):
    first = _valid(LessonDatesForm({"start": start})).cleaned_data["start"] or timezone.localdate()
    first = max(first, timezone.localdate())
    return [_lesson(lesson_date) for lesson_date in lesson_dates_for_teacher(request.user, first=first)]


@api.post(
    "/lessons/dates/{id:date_id}/release",
    tags=["Lessons"],
    auth=Token(books=True),
    response=FreedAnswer,
    summary="Give a lesson's room back for its date (a class away), and with until its later dates",
)
def lesson_release(request: HttpRequest, date_id: int, body: ReleaseIn):
    form = _valid(LessonReleaseForm(_given(body)))
    freed = services.lesson_release(
        date_id=date_id,
        teacher=request.user,
        reason=form.cleaned_data["reason"],
        until=form.cleaned_data["until"],
    )
    return FreedAnswer(freed=[_lesson(lesson_date) for lesson_date in freed], message=freed_message(freed))


@api.post(
    "/lessons/dates/{id:date_id}/restore",
    tags=["Lessons"],
    auth=Token(books=True),
    response=LessonAnswer,
    summary="Take a given-back lesson's room back, while nobody has booked it",
)
def lesson_restore(request: HttpRequest, date_id: int):
    lesson_date = services.lesson_restore(date_id=date_id, teacher=request.user)
    message = _("The room is yours again: %(room)s") % {"room": lesson_date.room.name}
    return LessonAnswer(lesson=_lesson(lesson_date), message=message)


class CellOut(Schema):
    """One room in one period: ``free``, ``mine``, ``booked``, ``requested``, ``lesson``,
    ``held`` (someone is booking it), ``closed``, ``restricted`` (not for this teacher) or
    ``past``; ``who`` has it ("a colleague" where the school shows no names)."""

    state: str
    who: str
    purpose: str
    reason: str
    bookingId: int | None


class WeekCellOut(CellOut):
    period: str
    start: str
    end: str


def _cell(cell, words: dict[str, str]) -> dict:
    """What the API says of a cell of the grid (``bookings.timetable``)."""
    return {
        "state": cell.state,
        "who": cell.who_with(words),
        "purpose": cell.booking.purpose if cell.booking else "",
        "reason": str(cell.reason),
        "bookingId": cell.booking.pk if cell.booking else None,
    }


class ColumnOut(Schema):
    name: str
    start: str
    end: str


class RoomDayOut(Schema):
    id: int
    name: str
    building: str
    cells: list[CellOut]


class DayOut(Schema):
    date: str
    closed: str  # why the whole school is closed that day, or ""
    columns: list[ColumnOut]
    rooms: list[RoomDayOut]


@api.get(
    "/timetable", tags=["Timetable"], response=DayOut, summary="A day's timetable: every room in every period"
)
def timetable(request: HttpRequest, date: Text = "", building: Text = ""):
    form = TimetableForm({"date": date, "building": building})
    if not form.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(form))
    day, where = form.day(), form.cleaned_data["building"]
    grid = day_grid(day, teacher=request.user, building_id=where.pk if where else None)
    words = labels()
    return DayOut(
        date=day.isoformat(),
        closed=calendar().school_closed_reason(day) or "",
        columns=[ColumnOut(name=col.name, start=iso(col.start), end=iso(col.end)) for col in grid.columns],
        rooms=[
            RoomDayOut(
                id=row.room.pk,
                name=row.room.name,
                building=row.room.building.name,
                cells=[CellOut(**_cell(cell, words)) for cell in row.cells],
            )
            for row in grid.rows
        ],
    )


class DayOfWeekOut(Schema):
    date: str
    cells: list[WeekCellOut]


class WeekOut(Schema):
    room: RoomOut
    days: list[DayOfWeekOut]


@api.get(
    "/rooms/{id:room_id}/week",
    tags=["Timetable"],
    response=WeekOut,
    summary="A room's week: each day's periods",
)
def room_week(request: HttpRequest, room_id: int, week: Text = ""):
    room = Room.objects.filter(pk=room_id, is_active=True).select_related("building").first()
    if room is None:
        raise BookingError(ROOM_NOT_FOUND)
    form = RoomWeekForm({"week": week})
    if not form.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(form))
    day = form.cleaned_data["week"] or timezone.localdate()
    grid = week_grid(room, day - timedelta(days=day.weekday()), teacher=request.user)
    words = labels()
    return WeekOut(
        room=_rooms_out([room])[0],
        days=[
            DayOfWeekOut(
                date=row.day.isoformat(),
                cells=[
                    WeekCellOut(
                        **_cell(cell, words),
                        period=cell.column.name,
                        start=iso(cell.column.start),
                        end=iso(cell.column.end),
                    )
                    for cell in row.cells
                ],
            )
            for row in grid.rows
        ],
    )
