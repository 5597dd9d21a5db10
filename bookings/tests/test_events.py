"""Publishing never stands in a booking's way."""

import pytest

from bookings import events, services
from bookings.models import Booking
from tests.factories import at, make_room, make_teacher

pytestmark = pytest.mark.django_db(transaction=True)

BROKEN_LAYER = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
    }
}


def test_a_channel_layer_that_is_down_never_fails_a_booking(settings, caplog):
    settings.CHANNEL_LAYERS = BROKEN_LAYER
    teacher, room = make_teacher(), make_room()
    booking = services.booking_create(teacher=teacher, room_id=room.pk, start=at(10), end=at(11))
    assert Booking.objects.get() == booking
    assert events.flush()
    assert "Could not publish booking.created" in caplog.text
