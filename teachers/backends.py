"""Who is signed in, without a query per request.

Every request names its teacher by the session; Django's ``ModelBackend`` reads the
teacher's row each time, half of an otherwise empty request's work. Here the row is kept
in the session cache (``settings.SIGNED_IN_CACHE``, Redis shared by every server process)
as its fields' values, and dropped whenever the row changes anywhere: a save (a password
change, a deactivation, a new language, the sign-in's ``last_login``) or a deletion; a
request that read the row before the change cannot put its copy back (``config.cache``).
Groups and permissions are not copied: they are read where they are asked. Django's
checks run on the copy as on the row: an inactive teacher is refused, and a session whose
password hash no longer matches is ended.

Without ``SIGNED_IN_CACHE`` (no Redis: one process, ``make run``) the row is read each
time. With Redis away, each request reads the row (``config.cache``); a change made while
Redis cannot be reached outlives its copy by at most the cache's ``LONGEST``. A
queryset's ``update()`` sends no signal: code that changes teachers that way calls
``forget`` for each.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Teacher


@functools.cache
def _fields() -> tuple[str, ...]:
    return tuple(field.attname for field in Teacher._meta.concrete_fields)


@functools.cache
def _version() -> str:
    """Part of every key: a copy made by a release whose teacher had other fields is
    never read by this one."""
    return hashlib.sha256(" ".join(_fields()).encode()).hexdigest()[:8]


def _key(teacher_id) -> str:
    return f"teacher:{teacher_id}:{_version()}"


def _cache():
    alias = settings.SIGNED_IN_CACHE
    return caches[alias] if alias else None


def forget(teacher_id) -> None:
    """The teacher changed: the next requests read their row."""
    cache = _cache()
    if cache is not None:
        cache.drop(_key(teacher_id))


@receiver(post_save, sender=Teacher)
@receiver(post_delete, sender=Teacher)
def _changed(sender, instance, **kwargs) -> None:
    # Now, and again once the change is committed (the copy's marker must outlast the
    # change: config.cache).
    forget(instance.pk)
    transaction.on_commit(functools.partial(forget, instance.pk))


class SignedInCopies:
    """For an authentication backend: ``get_user`` from the cache's copy of the row."""

    def get_user(self, user_id):
        cache = _cache()
        if cache is None:
            return super().get_user(user_id)
        values = cache.read(_key(user_id))
        if values is None:
            teacher = super().get_user(user_id)
            if teacher is not None:
                cache.fill(_key(user_id), tuple(getattr(teacher, name) for name in _fields()))
            return teacher
        teacher = Teacher.from_db(Teacher.objects.db, _fields(), values)
        return teacher if self.user_can_authenticate(teacher) else None


class TeacherBackend(SignedInCopies, ModelBackend):
    """Django's ``ModelBackend``: accounts and passwords kept here."""
