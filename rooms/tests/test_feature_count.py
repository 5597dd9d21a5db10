"""A room's feature count (the search's ranking reads it) stays true however its
features change."""

import pytest

from rooms.models import Feature, Room
from tests.factories import make_room

pytestmark = pytest.mark.django_db


def counted(room) -> int:
    return Room.objects.get(pk=room.pk).feature_count


def test_the_count_follows_features_added_removed_set_and_cleared():
    lab, projector, sink = (
        Feature.objects.create(name=name, slug=name.lower()) for name in ("Lab", "Projector", "Sink")
    )
    room = make_room()
    room.features.add(lab, projector)
    assert counted(room) == 2
    room.features.remove(lab)
    assert counted(room) == 1
    room.features.set([lab, projector, sink])
    assert counted(room) == 3
    room.features.clear()
    assert counted(room) == 0


def test_the_count_follows_changes_from_the_features_side_and_a_feature_deleted():
    lab = Feature.objects.create(name="Lab", slug="lab")
    first, second = make_room(), make_room(features=("projector",))
    lab.rooms.add(first, second)
    assert (counted(first), counted(second)) == (1, 2)
    lab.rooms.remove(second)
    assert counted(second) == 1
    lab.rooms.add(second)
    lab.rooms.clear()
    assert (counted(first), counted(second)) == (0, 1)
    lab.rooms.add(first, second)
    Feature.objects.get(slug="projector").delete()
    assert counted(second) == 1
    lab.delete()
    assert (counted(first), counted(second)) == (0, 0)
