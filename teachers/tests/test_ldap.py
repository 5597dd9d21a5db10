"""School sign-in against a real directory (Debian's slapd, started here on a free port):
directory teachers sign in with their directory password and get an account filled from
the directory at every sign-in; staff come from a directory group; local accounts still
work; a directory that does not answer costs seconds."""

import dataclasses
import socket
import time
from pathlib import Path

import ldap3
import pytest

from config.ldap import DirectorySettings
from teachers.directory import DirectoryBackend
from teachers.models import Teacher
from tests.factories import PASSWORD, make_teacher
from tests.processes import LdapServer

pytestmark = pytest.mark.django_db

BASE = LdapServer.SUFFIX
LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: School
dc: school

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: uid=ada,ou=people,{BASE}
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
displayName: Ada Lovelace
givenName: Ada
sn: Lovelace
mail: ada@school.example
userPassword: ada-directory-pass

dn: uid=alan,ou=people,{BASE}
objectClass: inetOrgPerson
uid: alan
cn: Alan Turing
displayName: Alan Turing
givenName: Alan
sn: Turing
mail: alan@school.example
userPassword: alan-directory-pass

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: cn=staff,ou=groups,{BASE}
objectClass: groupOfNames
cn: staff
member: uid=ada,ou=people,{BASE}
"""


@pytest.fixture(scope="module")
def directory():
    if not Path("/usr/sbin/slapd").exists():
        pytest.exit("The school sign-in tests need OpenLDAP's slapd: apt-get install slapd.", returncode=3)
    with LdapServer(LDIF) as server:
        yield server


@pytest.fixture
def school_sign_in(settings, directory):
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "teachers.directory.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.SCHOOL_DIRECTORY = DirectorySettings(
        server_uri=directory.url,
        bind_dn=LdapServer.ADMIN,
        bind_password=LdapServer.ADMIN_PASSWORD,
        user_base=f"ou=people,{BASE}",
        group_base=f"ou=groups,{BASE}",
        staff_group=f"cn=staff,ou=groups,{BASE}",
    )
    return settings


def change_directory(directory, *changes):
    """Edit the running directory as its administrator: (dn, {attribute: [(op, values)]})."""
    with ldap3.Connection(
        directory.url, user=LdapServer.ADMIN, password=LdapServer.ADMIN_PASSWORD, auto_bind=True
    ) as admin:
        for dn, change in changes:
            assert admin.modify(dn, change), admin.result


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_directory_teacher_signs_in_and_gets_an_account_from_the_directory(client, school_sign_in):
    response = log_in(client, "ada", "ada-directory-pass")
    assert response.status_code == 302
    ada = Teacher.objects.get(username="ada")
    assert (ada.name, ada.email, ada.first_name, ada.is_staff) == (
        "Ada Lovelace",
        "ada@school.example",
        "Ada",
        True,
    )
    assert client.get("/account/me/").json()["username"] == "ada"
    assert not ada.has_usable_password()  # the directory keeps the password, not Roomclaim


def test_a_wrong_directory_password_is_refused_and_only_group_members_are_staff(client, school_sign_in):
    assert log_in(client, "alan", "wrong").status_code == 200  # the form again, with its error
    assert not Teacher.objects.filter(username="alan").exists()
    assert log_in(client, "alan", "alan-directory-pass").status_code == 302
    assert not Teacher.objects.get(username="alan").is_staff


def test_local_accounts_still_work(client, school_sign_in):
    make_teacher("Local Lou", username="lou")
    assert log_in(client, "lou", PASSWORD).status_code == 302


def test_name_address_and_staff_flag_are_copied_again_at_every_sign_in(client, school_sign_in, directory):
    assert log_in(client, "ada", "ada-directory-pass").status_code == 302
    ada_dn, staff_dn = f"uid=ada,ou=people,{BASE}", f"cn=staff,ou=groups,{BASE}"
    change_directory(
        directory,
        (ada_dn, {"displayName": [(ldap3.MODIFY_REPLACE, ["Ada King"])]}),
        (ada_dn, {"mail": [(ldap3.MODIFY_REPLACE, ["ada.king@school.example"])]}),
        (staff_dn, {"member": [(ldap3.MODIFY_REPLACE, [f"uid=alan,ou=people,{BASE}"])]}),
    )
    try:
        client.logout()
        assert log_in(client, "ada", "ada-directory-pass").status_code == 302
        ada = Teacher.objects.get(username="ada")
        assert (ada.name, ada.email, ada.is_staff) == ("Ada King", "ada.king@school.example", False)
        assert Teacher.objects.filter(username__iexact="ada").count() == 1
    finally:
        change_directory(
            directory,
            (ada_dn, {"displayName": [(ldap3.MODIFY_REPLACE, ["Ada Lovelace"])]}),
            (ada_dn, {"mail": [(ldap3.MODIFY_REPLACE, ["ada@school.example"])]}),
            (staff_dn, {"member": [(ldap3.MODIFY_REPLACE, [ada_dn])]}),
        )


def test_an_empty_password_never_signs_in_a_directory_teacher(school_sign_in):
    # A directory accepts a bind with a name and no password as "unauthenticated"; the
    # sign-in form asks for a password, but other callers of authenticate() need not.
    assert DirectoryBackend().authenticate(None, username="ada", password="") is None
    assert DirectoryBackend().authenticate(None, username="ada", password="ada-directory-pass")


def test_only_members_of_the_required_group_may_sign_in(client, school_sign_in):
    school_sign_in.SCHOOL_DIRECTORY = dataclasses.replace(
        school_sign_in.SCHOOL_DIRECTORY, require_group=f"cn=staff,ou=groups,{BASE}"
    )
    assert log_in(client, "alan", "alan-directory-pass").status_code == 200
    assert not Teacher.objects.filter(username="alan").exists()
    assert log_in(client, "ada", "ada-directory-pass").status_code == 302


def test_a_directory_that_does_not_answer_costs_seconds_and_local_accounts_still_work(client, school_sign_in):
    silent = socket.socket()  # accepts connections and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        school_sign_in.SCHOOL_DIRECTORY = dataclasses.replace(
            school_sign_in.SCHOOL_DIRECTORY,
            server_uri=f"ldap://127.0.0.1:{silent.getsockname()[1]}",
            answer_timeout=1,
        )
        make_teacher("Local Lou", username="lou")
        started = time.monotonic()
        assert log_in(client, "ada", "ada-directory-pass").status_code == 200
        waited = time.monotonic() - started
        assert log_in(client, "lou", PASSWORD).status_code == 302
    finally:
        silent.close()
    assert waited < 5  # the answer timeout (1 s), not the minutes a TCP read could take
