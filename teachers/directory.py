"""School sign-in: a teacher signs in with their directory name and password (LDAP,
Active Directory), through ldap3 (pure Python: nothing to build, no system headers).

Search, then bind: the directory is searched (as ``bind_dn`` or anonymously) for the one
entry ``user_filter`` names, and that entry is bound with the password typed. On success
the teacher's account is made, or brought up to date (name, address, staff flag), from
the directory; the password stays in the directory. Anything the directory cannot answer
in time is a failed sign-in, logged, and Django goes on to the next backend, so local
accounts keep working while the directory is away."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import ldap3
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from ldap3.core.exceptions import LDAPException, LDAPInvalidCredentialsResult
from ldap3.utils.conv import escape_filter_chars

from config.ldap import DirectorySettings
from teachers.backends import SignedInCopies
from teachers.models import Teacher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectoryEntry:
    """What sign-in copies from the directory."""

    dn: str
    first_name: str
    last_name: str
    email: str
    display_name: str
    groups: frozenset[str]


class DirectoryBackend(SignedInCopies, ModelBackend):
    """On when ``settings.SCHOOL_DIRECTORY`` is set (``LDAP_SERVER_URI``). Listed before
    ``ModelBackend``: a name the directory does not know falls through to the local
    accounts."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        directory: DirectorySettings | None = getattr(settings, "SCHOOL_DIRECTORY", None)
        # An empty password would be an "unauthenticated bind", which a directory accepts.
        if directory is None or not username or not password:
            return None
        try:
            entry = find_and_bind(directory, username=username, password=password)
        except LDAPException as error:
            logger.warning("School directory sign-in failed for %r: %s", username, error)
            return None
        if entry is None:
            return None
        teacher = teacher_from_entry(directory, username=username, entry=entry)
        return teacher if teacher is not None and self.user_can_authenticate(teacher) else None


def _server(directory: DirectorySettings) -> ldap3.Server:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=directory.ca_file or None)
    return ldap3.Server(
        directory.server_uri, get_info=ldap3.NONE, connect_timeout=directory.connect_timeout, tls=tls
    )


def _connection(directory: DirectorySettings, server: ldap3.Server, *, user: str, password: str):
    """A bound connection; raises ``LDAPException`` when the bind is refused or the
    directory does not answer in time."""
    connection = ldap3.Connection(
        server,
        user=user or None,
        password=password or None,
        receive_timeout=directory.answer_timeout,
        raise_exceptions=True,
    )
    connection.open(read_server_info=False)
    if directory.start_tls:
        connection.start_tls(read_server_info=False)
    connection.bind(read_server_info=False)
    return connection


def _first(attributes: dict, name: str) -> str:
    value = attributes.get(name) or ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value)


def find_and_bind(directory: DirectorySettings, *, username: str, password: str) -> DirectoryEntry | None:
    """The directory's entry for ``username`` if ``password`` is theirs (and they are in
    ``require_group``, if one is set); None if not."""
    server = _server(directory)
    searcher = _connection(directory, server, user=directory.bind_dn, password=directory.bind_password)
    try:
        searcher.search(
            directory.user_base,
            directory.user_filter % {"user": escape_filter_chars(username)},
            search_scope=ldap3.SUBTREE,
            attributes=["givenName", "sn", "mail", directory.name_attribute],
            size_limit=2,
        )
        found = [item for item in searcher.response if item.get("type") == "searchResEntry"]
        if len(found) != 1:  # nobody by that name, or a filter that names several
            return None
        dn, attributes = found[0]["dn"], found[0]["attributes"]
        groups: frozenset[str] = frozenset()
        if directory.group_base:
            searcher.search(
                directory.group_base,
                # groupOfNames and Active Directory's groups list members in `member`,
                # groupOfUniqueNames in `uniqueMember`.
                f"(|(member={escape_filter_chars(dn)})(uniqueMember={escape_filter_chars(dn)}))",
                search_scope=ldap3.SUBTREE,
                attributes=[],
            )
            groups = frozenset(
                item["dn"].lower() for item in searcher.response if item.get("type") == "searchResEntry"
            )
    finally:
        searcher.unbind()
    if directory.require_group and directory.require_group.lower() not in groups:
        return None
    try:
        _connection(directory, server, user=dn, password=password).unbind()
    except LDAPInvalidCredentialsResult:
        return None  # the wrong password
    return DirectoryEntry(
        dn=dn,
        first_name=_first(attributes, "givenName"),
        last_name=_first(attributes, "sn"),
        email=_first(attributes, "mail"),
        display_name=_first(attributes, directory.name_attribute),
        groups=groups,
    )


def teacher_from_entry(directory: DirectorySettings, *, username: str, entry: DirectoryEntry) -> Teacher:
    """The teacher's account, made on first sign-in and copied from the directory on every
    one; the staff flag only when the school names a staff group."""
    copied = {
        "first_name": entry.first_name[:150],
        "last_name": entry.last_name[:150],
        "email": entry.email[:254],
        "display_name": entry.display_name[:120],
    }
    if directory.staff_group:
        copied["is_staff"] = directory.staff_group.lower() in entry.groups
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().filter(username__iexact=username).first()
        if teacher is None:
            teacher = Teacher(username=username, **copied)
            teacher.set_unusable_password()
            teacher.save()
            logger.info("School directory: account made for %s", username)
            return teacher
        changed = [field for field, value in copied.items() if getattr(teacher, field) != value]
        for field in changed:
            setattr(teacher, field, copied[field])
        if changed:
            teacher.save(update_fields=changed)
    return teacher
