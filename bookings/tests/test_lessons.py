"""The school's timetable: the sample files of tests/data imported as a school's office
would (Untis in Windows-1252, FET, the plain CSV), re-imported mid-year, clashing with
bookings already made, refused whole when bad; and a class away giving its room back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from bookings import services
from bookings.errors import ROOM_NOT_AVAILABLE, BookingError
from bookings.lessons.plan import import_timetable
from bookings.models import Booking, BookingRule, Lesson, Notification
from config.imports import ImportFileError
from rooms.models import Period, Term
from rooms.settings_cache import clear_all
from tests.factories import make_booking, make_room, make_teacher

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
PLAN = [(8, 0, 8, 45), (8, 45, 9, 30), (9, 50, 10, 35), (10, 35, 11, 20), (11, 40, 12, 25), (12, 25, 13, 10)]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def school():
    """Four weeks of term from a Monday a week or two ahead, a six-period day, three rooms
    and three teachers: Müller (code MÜL), Schmidt (SCH) and Ada (username ada)."""
    today = timezone.localdate()
    monday = today + timedelta(days=14 - today.weekday())
    Term.objects.create(name="Term", first_day=monday, last_day=monday + timedelta(days=27))
    for number, (h1, m1, h2, m2) in enumerate(PLAN, start=1):
        Period.objects.create(name=f"Period {number}", starts=time(h1, m1), ends=time(h2, m2))
    clear_all()
    rooms = {name: make_room(name) for name in ("Raum 101", "Raum 102", "Aula")}
    teachers = {
        "mueller": make_teacher("Frau Müller", code="MÜL"),
        "schmidt": make_teacher("Herr Schmidt", code="SCH"),
        "ada": make_teacher("Ada Lovelace", username="ada"),
    }
    yield monday, rooms, teachers
    clear_all()


def at_period(day: date, first: int, last: int | None = None) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    h1, m1, *_ = PLAN[first - 1]
    *_, h2, m2 = PLAN[(last or first) - 1]
    return datetime.combine(day, time(h1, m1), tz), datetime.combine(day, time(h2, m2), tz)


def gpu() -> bytes:
    return (DATA / "GPU001.TXT").read_bytes()


def test_an_untis_file_in_windows_1252_becomes_lessons_holding_their_rooms(school):
    monday, rooms, teachers = school
    outcome = import_timetable(gpu(), start=monday)
    assert len(outcome.created) == 5  # the double line of 5a Musik is kept once
    maths = Lesson.objects.get(group="7b", subject="Mathe")
    assert (maths.first_period, maths.last_period) == (1, 2)  # periods 1 and 2: one run
    assert list(maths.teachers.all()) == [teachers["mueller"]]  # "MÜL", read from Windows-1252
    assert [(d.start, d.end) for d in maths.dates.order_by("start")] == [
        at_period(monday + timedelta(weeks=week), 1, 2) for week in range(4)
    ]
    physics = Lesson.objects.get(subject="Physik")  # week A: the first and third weeks
    assert physics.week == "A"
    assert [d.start.date() for d in physics.dates.order_by("start")] == [
        monday + timedelta(days=1),
        monday + timedelta(days=15),
    ]
    assert outcome.dates_added == Booking.objects.filter(lesson__isnull=False).count() == 4 + 4 + 2 + 2 + 4
    # A lesson holds its room: a claim of it is refused as a booking's would be.
    with pytest.raises(BookingError) as refused:
        services.booking_create(
            teacher=teachers["ada"],
            room_id=rooms["Raum 101"].pk,
            start=at_period(monday, 2)[0],
            end=at_period(monday, 2)[1],
        )
    assert refused.value.code == ROOM_NOT_AVAILABLE


def test_the_same_file_twice_changes_nothing(school):
    monday, *_ = school
    import_timetable(gpu(), start=monday)
    rows = set(Booking.objects.values_list("pk", "start", "status"))
    again = import_timetable(gpu(), start=monday)
    assert (len(again.created), len(again.updated), len(again.unchanged), len(again.removed)) == (0, 0, 5, 0)
    assert (again.dates_added, again.dates_removed) == (0, 0)
    assert set(Booking.objects.values_list("pk", "start", "status")) == rows


def test_a_reimport_from_a_date_keeps_what_came_before_and_unchanged_lessons_keep_their_dates(school):
    monday, _, teachers = school
    import_timetable(gpu(), start=monday)
    maths = Lesson.objects.get(subject="Mathe")
    freed = services.lesson_release(
        date_id=maths.dates.order_by("start").last().pk, teacher=teachers["mueller"], reason="7b on a trip"
    )
    geography_dates = list(Lesson.objects.get(subject="Erdkunde").dates.order_by("start"))
    changed = b"\n".join(line for line in gpu().splitlines() if b"Erdkunde" not in line)
    middle = monday + timedelta(weeks=2)
    outcome = import_timetable(changed, start=middle)
    assert outcome.removed == ["8a Erdkunde"]
    kept = Booking.objects.filter(lesson__subject="Erdkunde").order_by("start")
    assert list(kept) == geography_dates[:2]  # the dates before the re-import stay
    assert Lesson.objects.get(subject="Erdkunde").last_day == middle - timedelta(days=1)
    assert Booking.objects.get(pk=freed[0].pk).status == Booking.Status.FREED  # kept, with its release
    assert Booking.objects.get(pk=freed[0].pk).freed_reason == "7b on a trip"


def test_a_clash_with_a_booking_is_refused_and_listed_unless_told_what_wins(school, mailoutbox):
    monday, rooms, teachers = school
    teachers["ada"].email = "ada@school.example"
    teachers["ada"].save()
    booking = make_booking(rooms["Raum 102"], teachers["ada"], *at_period(monday + timedelta(weeks=1), 3))
    with pytest.raises(ImportFileError) as refused:
        import_timetable(gpu(), start=monday)
    assert "clashes with 1 booking" in refused.value.errors[0]
    clash = refused.value.errors[1]
    assert clash.startswith(f"{monday + timedelta(weeks=1)} (") and "Period 3 (09:50" in clash
    assert clash.endswith("Raum 102: booked by Ada Lovelace (8a Erdkunde needs it)")
    assert not Lesson.objects.exists()  # nothing half-done

    skipped = import_timetable(gpu(), start=monday, skip_clashing=True)
    assert len(skipped.left_out) == 1
    assert Booking.objects.get(pk=booking.pk).is_confirmed
    assert Lesson.objects.get(subject="Erdkunde").dates.count() == 3

    won = import_timetable(gpu(), start=monday, lessons_win=True)
    assert len(won.cancelled) == 1 and won.dates_added == 1
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    told = Notification.objects.get(teacher=teachers["ada"], kind=Notification.Kind.CANCELLED_BY_ADMIN)
    assert told.details == {"lesson": "8a Erdkunde"}


def test_a_fet_export_with_named_days_and_hours(school):
    monday, _rooms, teachers = school
    outcome = import_timetable((DATA / "fet_timetable.csv").read_bytes(), start=monday, format="fet")
    assert len(outcome.created) == 3  # the activity without a room holds none
    german = Lesson.objects.get(subject="Deutsch")
    assert (german.weekday, german.first_period, german.last_period) == (0, 1, 2)  # 08:00 and 08:45
    sport = Lesson.objects.get(subject="Sport")
    assert sport.group == "8a, 8b" and set(sport.teachers.all()) == {teachers["schmidt"], teachers["ada"]}
    assert (sport.weekday, sport.first_period) == (1, 2)
    assert Lesson.objects.get(subject="Kunst").week == "A"


def test_the_plain_csv_with_period_names_and_times(school):
    monday, *_ = school
    import_timetable((DATA / "timetable.csv").read_bytes(), start=monday)
    english = Lesson.objects.get(subject="Englisch")
    assert (english.weekday, english.first_period, english.last_period) == (3, 1, 2)
    biology = Lesson.objects.get(subject="Biologie")
    assert biology.teachers.count() == 2 and biology.first_period == 3
    meeting = Lesson.objects.get(group="Lehrerkonferenz")
    assert (meeting.starts, meeting.ends, meeting.week) == (time(14), time(15, 30), "B")
    assert meeting.dates.count() == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"1;7b;M\xdcL;Mathe;Raum 999;1;1;;\n2;8a;XYZ;Erdkunde;Raum 999;1;3;;\n",
            "No room is called “Raum 999” (lines 1, 2).",
        ),
        (b"1;7b;XYZ;Mathe;Raum 101;1;1;;\n", "No teacher has the code or username “XYZ” (lines 1)."),
        (b"1;7b;SCH;Mathe;Raum 101;8;1;;\n", "Line 1: day “8” is no weekday (1 is Monday, 7 Sunday)."),
        (b"1;7b;SCH;Mathe;Raum 101;1;12;;\n", "Line 1: period 12 of a 6-period day plan."),
        (b"1;7b;SCH;Mathe;Raum 101;1;;;\n", "Line 1: period “” (field 7) is not a period number."),
        (
            b"group,teachers,room,weekday,period,week\n7b,SCH,Raum 101,1,1,C\n",
            "Line 2: week “C” is neither A nor B (or empty: every week).",
        ),
        (b"group,teachers,room\n7b,SCH,Raum 101\n", "Line 1: the header lacks the column(s) weekday."),
        (b"", "The file is empty."),
        (b";;;\n;;\n", "The file is empty."),
        (b"\x81\x8d\x8f", "The file is neither UTF-8 nor Windows-1252 text."),
    ],
)
def test_bad_files_are_refused_whole_with_the_line(school, content, problem):
    monday, *_ = school
    with pytest.raises(ImportFileError) as refused:
        import_timetable(content, start=monday)
    assert problem in refused.value.errors
    assert not Lesson.objects.exists() and not Booking.objects.exists()


def test_the_command_imports_with_a_dry_run_first_and_refuses_too_big_a_file(school, tmp_path, settings):
    monday, *_ = school
    file = tmp_path / "GPU001.TXT"
    file.write_bytes(gpu())
    out = StringIO()
    call_command("import_timetable", str(file), "--from", monday.isoformat(), "--dry-run", stdout=out)
    assert "5 lessons new" in out.getvalue() and "(a dry run: nothing would be saved)" in out.getvalue()
    assert not Lesson.objects.exists()
    call_command("import_timetable", str(file), "--from", monday.isoformat(), stdout=StringIO())
    assert Lesson.objects.count() == 5
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(CommandError, match="files of up to 100 bytes"):
        call_command("import_timetable", str(file), "--from", monday.isoformat(), stdout=StringIO())


def test_lessons_count_toward_no_booking_limit(school):
    monday, rooms, teachers = school
    BookingRule.objects.create(max_upcoming_bookings=1, max_hours_per_week=1)
    clear_all()
    import_timetable(gpu(), start=monday)  # Müller teaches 12 dates
    booking = services.booking_create(
        teacher=teachers["mueller"],
        room_id=rooms["Aula"].pk,
        start=at_period(monday, 6)[0],
        end=at_period(monday, 6)[1],
    )
    assert booking.is_confirmed


def test_a_class_away_frees_its_room_which_is_bookable_and_can_be_taken_back_while_free(school):
    monday, rooms, teachers = school
    import_timetable(gpu(), start=monday)
    maths = Lesson.objects.get(subject="Mathe")
    dates = list(maths.dates.order_by("start"))
    freed = services.lesson_release(
        date_id=dates[1].pk, teacher=teachers["mueller"], reason="7b on a trip", until=dates[2].start.date()
    )
    assert [d.pk for d in freed] == [dates[1].pk, dates[2].pk]
    assert {d.freed_reason for d in freed} == {"7b on a trip"}
    back = services.lesson_restore(date_id=dates[2].pk, teacher=teachers["mueller"])
    assert back.is_confirmed and back.freed_reason == ""
    start, end = dates[1].start, dates[1].end
    booking = services.booking_create(
        teacher=teachers["ada"], room_id=rooms["Raum 101"].pk, start=start, end=end
    )
    with pytest.raises(BookingError) as taken:
        services.lesson_restore(date_id=dates[1].pk, teacher=teachers["mueller"])
    assert taken.value.code == ROOM_NOT_AVAILABLE and booking.is_confirmed
    with pytest.raises(BookingError) as stranger:
        services.lesson_release(date_id=dates[3].pk, teacher=teachers["ada"], reason="mine now")
    assert stranger.value.code == "BOOKING_NOT_FOUND"
    with pytest.raises(BookingError) as no_reason:
        services.lesson_release(date_id=dates[3].pk, teacher=teachers["mueller"], reason="  ")
    assert no_reason.value.errors == {"reason": ["Say why the room is free, e.g. “7b on a trip”."]}


def test_my_timetable_gives_a_room_back_and_the_grid_and_search_show_it(school, client):
    monday, rooms, teachers = school
    import_timetable(gpu(), start=monday)
    maths_date = Lesson.objects.get(subject="Mathe").dates.order_by("start").first()
    client.force_login(teachers["mueller"])
    page = client.get("/timetable/mine/", {"start": monday.isoformat()})
    assert "7b Mathe" in page.content.decode() and "Give the room back" in page.content.decode()
    day = monday.isoformat()
    grid = client.get("/timetable/", {"date": day}).content.decode()
    assert "cell-lesson" in grid and "7b Mathe" in grid
    search = client.get("/", {"date": day, "start": "08:00", "end": "09:30"}).content.decode()
    assert "Lesson: 7b Mathe, free again at 09:30" in search

    given = client.post(f"/lessons/dates/{maths_date.pk}/release/", {"reason": "7b on a trip"}, follow=True)
    assert "Room given back: Raum 101, 1 lesson" in given.content.decode()
    assert "Room given back: 7b on a trip" in given.content.decode()  # the date, as My timetable shows it
    grid = client.get("/timetable/", {"date": day}).content.decode()
    assert '<span class="reason">7b on a trip</span>' in grid
    client.force_login(teachers["ada"])
    claimed = client.post(
        f"/rooms/{rooms['Raum 101'].pk}/claim/",
        {"start": f"{day}T08:00", "end": f"{day}T09:30"},
        HTTP_ACCEPT="application/json",
    )
    assert claimed.status_code == 201
    client.force_login(teachers["mueller"])
    refused = client.post(f"/lessons/dates/{maths_date.pk}/restore/", follow=True)
    assert "Room already booked by Ada Lovelace" in refused.content.decode()
    again = client.post(
        f"/lessons/dates/{maths_date.pk}/release/", {"reason": "x"}, HTTP_ACCEPT="application/json"
    )
    assert (again.status_code, again.json()["freed"]) == (200, [])  # given back already: harmless
    client.force_login(teachers["ada"])
    other = Lesson.objects.get(subject="Erdkunde").dates.first()
    stranger = client.post(
        f"/lessons/dates/{other.pk}/release/", {"reason": "x"}, HTTP_ACCEPT="application/json"
    )
    assert stranger.json()["code"] == "BOOKING_NOT_FOUND"  # not her lesson: nothing to see


def test_staff_move_one_date_of_a_lesson_to_another_room_and_its_teacher_cannot(school):
    monday, rooms, teachers = school
    import_timetable(gpu(), start=monday)
    first = Lesson.objects.get(subject="Mathe").dates.order_by("start").first()
    with pytest.raises(BookingError) as refused:
        services.booking_move(booking_id=first.pk, actor=teachers["mueller"], room_id=rooms["Aula"].pk)
    assert refused.value.code == "BOOKING_NOT_FOUND"
    staff = make_teacher("Sam Staff", is_staff=True)
    moved = services.booking_move(booking_id=first.pk, actor=staff, room_id=rooms["Aula"].pk)
    assert (moved.room, moved.lesson_id, moved.start) == (rooms["Aula"], first.lesson_id, first.start)
    geography = at_period(monday, 3)  # Raum 102 holds 8a Erdkunde then
    with pytest.raises(BookingError) as taken:
        services.booking_move(
            booking_id=first.pk,
            actor=staff,
            room_id=rooms["Raum 102"].pk,
            start=geography[0],
            end=geography[1],
        )
    assert taken.value.code == ROOM_NOT_AVAILABLE


def test_the_admin_imports_a_timetable_and_names_every_problem_without_a_500(school, admin_client):
    monday, *_ = school
    page = admin_client.get("/admin/bookings/lesson/")
    assert "Import from a file" in page.content.decode()
    assert admin_client.get("/admin/bookings/lesson/add/").status_code == 302  # "Add" is the import
    form = {"start": monday.isoformat(), "clashes": "refuse", "format": ""}
    bad = SimpleUploadedFile("GPU001.TXT", b"1;7b;XYZ;Mathe;Raum 101;9;1;;\n")
    refused = admin_client.post("/admin/bookings/lesson/import/", {**form, "file": bad})
    assert refused.status_code == 400
    assert "Line 1: day “9” is no weekday (1 is Monday, 7 Sunday)." in refused.content.decode()
    upload = SimpleUploadedFile("GPU001.TXT", gpu())
    done = admin_client.post("/admin/bookings/lesson/import/", {**form, "file": upload}, follow=True)
    assert "5 lessons new" in done.content.decode()
    assert Lesson.objects.count() == 5


def test_rooms_are_matched_by_their_timetable_code_too(school):
    monday, rooms, _ = school
    physics = make_room("Physics lab", code="PH1")
    import_timetable(b'7;"10a";"SCH";"Physik";"PH1";4;2;;\n', start=monday, format="untis")
    assert Lesson.objects.get().room == physics
    assert rooms["Raum 101"] != physics
