"""Pages, answers and emails in the teacher's language: the browser's, or their own choice."""

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from bookings import notifications, services
from rooms.models import Closure
from tests.factories import at, local, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
JSON = {"HTTP_ACCEPT": "application/json"}


def next_thursday_at(hour: int) -> datetime:
    """A Thursday at least a week ahead, so the page's date has a known weekday."""
    day = timezone.localdate() + timedelta(days=7)
    day += timedelta(days=(3 - day.weekday()) % 7)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_the_login_page_speaks_the_browsers_language(client):
    page = client.get("/accounts/login/", **GERMAN).content.decode()
    assert '<html lang="de">' in page
    assert "<h1>Anmelden</h1>" in page
    assert "Passwort vergessen?" in page
    page = client.get("/accounts/login/", **ENGLISH).content.decode()
    assert '<html lang="en-gb">' in page
    assert "<h1>Log in</h1>" in page


def test_a_language_nobody_translated_gets_the_schools(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'<html lang="{settings.LANGUAGE_CODE}">' in page
    assert "<h1>Log in</h1>" in page


def test_my_bookings_in_german_with_german_dates(client):
    teacher = make_teacher(language="de")
    start = next_thursday_at(10)
    make_booking(make_room("Room 101", building="Main Building"), teacher, start, start + timedelta(hours=1))
    client.force_login(teacher)
    page = client.get("/bookings/", **ENGLISH).content.decode()  # the teacher's choice wins
    assert "<h1>Meine Buchungen</h1>" in page
    # As German abbreviates: "Do., 3. Dez.", with "März", "Mai", "Juni", "Juli" in full.
    months = ["Jan.", "Feb.", "März", "April", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."]
    assert f"Do., {start.day}. {months[start.month - 1]} {start.year}, 10:00</time>" in page
    assert "Buchung stornieren" in page


def test_the_search_page_and_its_rooms_in_german(client):
    teacher = make_teacher()
    make_room("Room 101", capacity=12)
    client.force_login(teacher)
    start = next_thursday_at(10)
    query = {"date": start.date().isoformat(), "start": "10:00", "end": "11:00", "capacity": "5"}
    page = client.get("/", query, **GERMAN).content.decode()
    assert "<h1>Einen freien Raum finden</h1>" in page
    assert f"1 Raum frei: Do., {start.day}. " in page
    assert "<strong>12</strong> Plätze" in page
    assert "Warum er passt: Platz für Ihre 5, 7 Plätze übrig, den ganzen Zeitraum frei." in page
    assert ">Raum buchen</button>" in page


def test_json_answers_keep_their_codes_and_give_messages_in_the_teachers_language(client):
    room = make_room()
    make_booking(room, make_teacher("Bob Brown"), at(10), at(11))
    client.force_login(make_teacher(language="de"))
    period = {"start": local(at(10)), "end": local(at(11))}
    body = client.post(f"/rooms/{room.pk}/claim/", period, **JSON).json()
    assert (body["code"], body["message"]) == ("ROOM_NOT_AVAILABLE", "Raum bereits gebucht von Bob Brown")
    body = client.post(f"/rooms/{room.pk}/claim/", {"start": local(at(12))}, **JSON).json()
    assert body["code"] == "INVALID_INPUT"
    assert body["errors"]["end"] == ["Dieses Feld ist zwingend erforderlich."]


def test_choosing_a_language_keeps_it_with_the_teacher(client):
    teacher = make_teacher()
    client.force_login(teacher)
    response = client.post("/account/language/", {"language": "de", "next": "/bookings/"})
    assert (response.status_code, response["Location"]) == (302, "/bookings/")
    teacher.refresh_from_db()
    assert teacher.language == "de"
    client.cookies.clear()  # another device: no cookie, an English browser
    client.force_login(teacher)
    assert "<h1>Meine Buchungen</h1>" in client.get("/bookings/", **ENGLISH).content.decode()
    client.post("/account/language/", {"language": "", "next": "/bookings/"})
    teacher.refresh_from_db()
    assert teacher.language == ""
    assert "<h1>My bookings</h1>" in client.get("/bookings/", **ENGLISH).content.decode()
    assert "<h1>Meine Buchungen</h1>" in client.get("/bookings/", **GERMAN).content.decode()


def test_a_visitor_choice_is_kept_in_a_cookie_and_a_bad_one_names_the_field(client):
    response = client.post("/account/language/", {"language": "de", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert "<h1>Anmelden</h1>" in client.get("/accounts/login/", **ENGLISH).content.decode()
    response = client.post("/account/language/", {"language": "xx"}, **JSON)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["language"]
    # Only back to this site.
    response = client.post("/account/language/", {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_emails_are_in_the_recipients_language_not_the_senders():
    room = make_room("Room 101")
    german = make_teacher("Greta", email="greta@school.example", language="de")
    english = make_teacher("Ellen", email="ellen@school.example")
    with translation.override("de"):  # whoever's request queued them
        services.booking_create(teacher=german, room_id=room.pk, start=at(10), end=at(11))
    with translation.override("de"):
        services.booking_create(teacher=english, room_id=room.pk, start=at(12), end=at(13))
    call_command("send_notifications", stdout=io.StringIO())
    by_recipient = {message.to[0]: message for message in mail.outbox}
    greta, ellen = by_recipient["greta@school.example"], by_recipient["ellen@school.example"]
    assert greta.subject.startswith("Gebucht: Room 101, ")
    assert "Hallo Greta," in greta.body and "Ihre Buchung ist bestätigt:" in greta.body
    assert ellen.subject.startswith("Booked: Room 101, ")
    assert "Your booking is confirmed:" in ellen.body


def test_the_scripts_words_come_in_the_pages_language(client):
    client.force_login(make_teacher(language="de"))
    page = client.get("/bookings/").content.decode()
    assert '/jsi18n/?v=de"' in page
    catalog = client.get("/jsi18n/?v=de").content.decode()
    assert "Sie sind dran!" in catalog
    assert "Live-Aktualisierung ist an" in catalog


def test_the_password_reset_mail_is_in_the_teachers_language(client):
    make_teacher(email="greta@school.example", language="de")
    client.post("/accounts/password_reset/", {"email": "greta@school.example"}, **ENGLISH)
    notifications.send_all()  # the outbox sends it, in the teacher's language
    (message,) = mail.outbox
    assert message.subject == "Roomclaim: Neues Passwort wählen"
    assert "Jemand (hoffentlich Sie) hat darum gebeten" in message.body


def test_a_closures_reason_keeps_its_capital_in_german_and_is_lower_case_in_english():
    closure = Closure(
        first_day=date(2026, 12, 21), last_day=date(2027, 1, 1), reason="event", description="Sportfest"
    )
    with translation.override("de"):
        assert closure.label == "Sportfest (Schulveranstaltung)"
    with translation.override("en-gb"):
        assert closure.label == "Sportfest (school event)"
