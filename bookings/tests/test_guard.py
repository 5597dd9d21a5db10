"""The one guarded write, seen through a writer that does nothing but rename a room: what
the guard promises comes to any body passed to it, with no step written by the body."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

from bookings.errors import OUTCOME_UNKNOWN, SERVICE_BUSY, BookingError
from bookings.services import Locked, Rows, guarded_write
from rooms.models import Room
from tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)


def rename(room: Room, name: str, *, found: list | None = None, body_fails: bool = False) -> Room:
    """The trivial writer: a short body, a way to find its outcome, nothing else."""

    def body(locked: Locked) -> Room:
        if body_fails:
            raise OperationalError("server closed the connection unexpectedly")
        renamed = locked.room(room.pk)
        renamed.name = name
        renamed.save(update_fields=["name"])
        return renamed

    return guarded_write(
        body,
        rows=Rows(room_ids=frozenset({room.pk})),
        find=lambda: Room.objects.filter(pk=room.pk, name=name).first(),
        on_found=(found if found is not None else []).append,
    )


def lose_the_commit_answer(monkeypatch, *, committed: bool) -> None:
    """The next COMMIT's answer never arrives (the connection breaks): after the server
    committed (``committed``) or before it could."""
    real_commit = connection._commit

    def commit_without_answer():
        monkeypatch.undo()  # once
        if committed:
            real_commit()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "_commit", commit_without_answer)


def test_a_write_whose_commit_answer_is_lost_but_committed_answers_with_what_it_wrote(monkeypatch):
    room = make_room("Room 101")
    found: list[Room] = []
    lose_the_commit_answer(monkeypatch, committed=True)
    renamed = rename(room, "Room 102", found=found)
    assert renamed.name == "Room 102"
    assert found == [renamed]  # the lost after-commit work is done again
    assert Room.objects.get(pk=room.pk).name == "Room 102"


def test_a_write_whose_commit_failed_answers_busy_and_nothing_is_written(monkeypatch):
    room = make_room("Room 101")
    lose_the_commit_answer(monkeypatch, committed=False)
    with pytest.raises(BookingError) as refused:
        rename(room, "Room 102")
    assert refused.value.code == SERVICE_BUSY
    assert Room.objects.get(pk=room.pk).name == "Room 101"


def test_a_failure_before_the_commit_is_busy_without_looking_again():
    room = make_room("Room 101")
    with pytest.raises(BookingError) as refused:
        rename(room, "Room 102", body_fails=True)
    assert refused.value.code == SERVICE_BUSY
    assert Room.objects.get(pk=room.pk).name == "Room 101"


def test_a_database_that_stays_away_after_a_lost_commit_is_outcome_unknown(monkeypatch, settings):
    settings.CLAIM_VERIFY_SECONDS = 0.5
    room = make_room("Room 101")
    lose_the_commit_answer(monkeypatch, committed=True)

    def database_gone(*args, **kwargs):
        raise OperationalError("could not connect to server")

    with monkeypatch.context() as away:
        away.setattr(Room.objects, "filter", database_gone)
        with pytest.raises(BookingError) as unknown:
            rename(room, "Room 102")
    assert unknown.value.code == OUTCOME_UNKNOWN  # claims neither: the rename did commit
    assert Room.objects.get(pk=room.pk).name == "Room 102"
