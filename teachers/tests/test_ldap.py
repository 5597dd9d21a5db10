"""School sign-in against a real directory (Debian's slapd, started here on a free port):
directory teachers sign in with their directory password and get an account filled from
the directory; staff come from a directory group; local accounts still work."""

from pathlib import Path

import pytest

from config.ldap import ldap_settings
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
        "django_auth_ldap.backend.LDAPBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    for name, value in ldap_settings(
        server_uri=directory.url,
        bind_dn=LdapServer.ADMIN,
        bind_password=LdapServer.ADMIN_PASSWORD,
        user_base=f"ou=people,{BASE}",
        group_base=f"ou=groups,{BASE}",
        staff_group=f"cn=staff,ou=groups,{BASE}",
    ).items():
        setattr(settings, name, value)


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
