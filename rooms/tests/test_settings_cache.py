"""The in-memory copy of the school's settings when the database fails on reloading it."""

import pytest
from django.db import OperationalError, transaction

from rooms.models import Period
from rooms.settings_cache import Cached


@pytest.mark.django_db(transaction=True)  # as after a commit: no transaction open
def test_a_failing_reload_keeps_the_old_copy_outside_a_transaction_only(settings):
    settings.SCHOOL_SETTINGS_SECONDS = 0  # every read reloads
    answers = iter([["Period 1"], OperationalError("the database is gone"), OperationalError("still gone")])

    def load():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    copy = Cached(load, models=[Period])
    assert copy.get() == ["Period 1"]
    # After a claim's commit (no transaction open): the old copy answers, the booking stands.
    assert copy.get() == ["Period 1"]
    # Inside a transaction the error ends it, as any database error there does.
    with pytest.raises(OperationalError), transaction.atomic():
        copy.get()
