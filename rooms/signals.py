"""``Room.feature_count`` kept true as features are added to and removed from rooms
(either side of the relation), and when a feature is deleted (its rows go by cascade,
without an ``m2m_changed``)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver

from .models import Feature, Room

Through = Room.features.through


def recount(room_ids) -> None:
    """Count the features of ``room_ids`` again, in one UPDATE."""
    counted = (
        Through.objects.filter(room=OuterRef("pk")).values("room").annotate(count=Count("pk")).values("count")
    )
    Room.objects.filter(pk__in=list(room_ids)).update(feature_count=Coalesce(Subquery(counted), 0))


@receiver(m2m_changed, sender=Through, dispatch_uid="rooms-feature-count-changed")
def features_changed(sender, *, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:  # room.features.add(...): this room
        recount([instance.pk])
    elif action == "post_clear":  # feature.rooms.clear(): the rooms it had (kept by pre_clear)
        recount(getattr(instance, "_rooms_before_clear", []))
    else:  # feature.rooms.add(room, ...)
        recount(pk_set or [])


@receiver(m2m_changed, sender=Through, dispatch_uid="rooms-feature-count-before-clear")
def before_clear(sender, *, instance, action: str, reverse: bool, **kwargs) -> None:
    if action == "pre_clear" and reverse:
        instance._rooms_before_clear = list(instance.rooms.values_list("pk", flat=True))


@receiver(pre_delete, sender=Feature, dispatch_uid="rooms-feature-count-before-delete")
def before_feature_deleted(sender, *, instance: Feature, **kwargs) -> None:
    instance._rooms_before_delete = list(instance.rooms.values_list("pk", flat=True))


@receiver(post_delete, sender=Feature, dispatch_uid="rooms-feature-count-deleted")
def feature_deleted(sender, *, instance: Feature, **kwargs) -> None:
    recount(getattr(instance, "_rooms_before_delete", []))
