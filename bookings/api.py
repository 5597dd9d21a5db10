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

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from config.answers import INVALID_INPUT, Problem, error_response
from rooms.forms import RoomWeekForm
from rooms.models import Feature, Room
from rooms.schoolcalendar import calendar
from teachers import tokens
from teachers.models import Teacher

from . import services
from .availability import rooms_free_between
from .errors import ROOM_NOT_FOUND, BookingError
from .forms import ClaimForm, PeriodForm, TimetableForm, form_errors
from .metrics import counts_claims
from .selectors import bookings_for_teacher
from .serializers import booking_payload, iso
from .timetable import day_grid, labels, week_grid

logger = logging.getLogger(__name__)


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
    docs_url=None,  # docs/api.md; ninja's own page loads its scripts from a CDN
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, problem: Problem) -> HttpResponse:
    return error_response(request, problem, as_json=True)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        name = str(item["loc"][-1]) if item.get("loc") else "request"
        errors.setdefault(name, []).append(item.get("msg", "invalid"))
    return error_response(request, Problem(INVALID_INPUT, errors=errors), as_json=True)


@api.exception_handler(HttpError)
def _refused(request: HttpRequest, error: HttpError) -> HttpResponse:
    """ninja's own refusals: a bearer it could not read, a body that is not JSON."""
    if isinstance(error, AuthenticationError):
        problem = tokens.TokenProblem(tokens.TOKEN_INVALID)
    elif error.status_code == 400:
        problem = Problem.invalid("body", _("Send the fields as a JSON object."))
    else:
        return api.create_response(request, {"detail": str(error)}, status=error.status_code)
    return error_response(request, problem, as_json=True)


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


class FreeQuery(Schema):
    """A period by its local times (``start``, ``end``: ``2026-12-01T10:00``), or by the
    school's periods (``date`` with ``period``, and ``to_period`` for a run of them)."""

    start: str = ""
    end: str = ""
    date: str = ""
    period: str = ""
    to_period: str = ""
    seats: int = Field(1, ge=1, le=10_000)
    feature: list[str] = Field([], description="feature slugs (``GET /rooms``); every one must be offered")


@api.get("/me", response=Me, summary="Who the token belongs to")
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


@api.get("/rooms", response=list[RoomOut], summary="The school's rooms, with their features")
def rooms(request: HttpRequest):
    active = Room.objects.filter(is_active=True).select_related("building").prefetch_related("features")
    return _rooms_out(active.order_by("name"))


@api.get("/rooms/free", response=list[RoomOut], summary="Rooms free for a period, best fit first")
def free_rooms(request: HttpRequest, query: Query[FreeQuery]):
    period = PeriodForm(query.dict(include={"start", "end", "date", "period", "to_period"}))
    if not period.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(period))
    features = list(Feature.objects.filter(slug__in=query.feature))
    if len(features) != len(set(query.feature)):
        raise Problem.invalid("feature", _("Choose features from GET /api/v1/rooms."))
    start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    found = rooms_free_between(start, end, seats=query.seats, features=features, teacher=request.user)
    return _rooms_out(found.select_related("building").prefetch_related("features"))


class ClaimIn(Schema):
    """The period as for ``GET /rooms/free``; who the booking is for (``for_teacher``, a
    username: staff tokens only), how many and what for."""

    start: str = ""
    end: str = ""
    date: str = ""
    period: str = ""
    to_period: str = ""
    attendees: int | None = None
    purpose: str = ""
    for_teacher: str = ""


class Answer(Schema):
    booking: dict
    message: str


@api.get("/bookings", response=list[dict], summary="My upcoming bookings (and cancelled ones), soonest first")
def my_bookings(request: HttpRequest):
    upcoming, _past = bookings_for_teacher(request.user)
    return [booking_payload(booking) for booking in upcoming]


@api.post(
    "/rooms/{room_id}/claim",
    auth=Token(books=True),
    response={201: Answer, 202: Answer},
    summary="Book a room for a period (202: a request, on a room that needs approval)",
)
@counts_claims
def claim(request: HttpRequest, room_id: int, body: ClaimIn):
    posted = body.dict(exclude={"for_teacher"})
    if body.for_teacher:
        colleague = Teacher.objects.filter(username=body.for_teacher, is_active=True).first()
        if colleague is None:
            raise Problem.invalid("for_teacher", _("Choose a teacher from the list."))
        posted["for_teacher"] = colleague.pk
    form = ClaimForm({name: value for name, value in posted.items() if value not in (None, "")})
    if not form.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(form))
    booking = services.booking_create(
        teacher=form.cleaned_data["for_teacher"] or request.user,
        room_id=room_id,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        attendees=form.cleaned_data["attendees"],
        purpose=form.cleaned_data["purpose"],
        booked_by=request.user,
    )
    message = _("Requested: %(room)s") if booking.is_requested else _("Room booked successfully: %(room)s")
    answer = Answer(booking=booking_payload(booking), message=message % {"room": booking.room.name})
    return Status(202 if booking.is_requested else 201, answer)


@api.post(
    "/bookings/{booking_id}/cancel", auth=Token(books=True), response=Answer, summary="Cancel my booking"
)
def cancel(request: HttpRequest, booking_id: int):
    booking = services.booking_cancel(booking_id=booking_id, teacher=request.user)
    return Answer(
        booking=booking_payload(booking),
        message=_("Booking cancelled: %(room)s") % {"room": booking.room.name},
    )


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


@api.get("/timetable", response=DayOut, summary="A day's timetable: every room in every period")
def timetable(request: HttpRequest, date: str = "", building: str = ""):
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


@api.get("/rooms/{room_id}/week", response=WeekOut, summary="A room's week: each day's periods")
def room_week(request: HttpRequest, room_id: int, week: str = ""):
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
