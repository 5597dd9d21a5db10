"""School sign-in through the school's directory (LDAP, Active Directory), with
django-auth-ldap: the ``AUTH_LDAP_*`` settings made from Roomclaim's ``LDAP_*`` ones. The
settings module uses it when ``LDAP_SERVER_URI`` is set; the tests use it against a
directory they start themselves."""

from __future__ import annotations

import ldap
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch


def ldap_settings(
    *,
    server_uri: str,
    user_base: str,
    bind_dn: str = "",
    bind_password: str = "",
    start_tls: bool = False,
    user_filter: str = "(uid=%(user)s)",
    name_attribute: str = "displayName",
    group_base: str = "",
    require_group: str = "",
    staff_group: str = "",
) -> dict:
    """Teachers are found under ``user_base`` by ``user_filter`` (Active Directory:
    ``(sAMAccountName=%(user)s)``) and bound with their own password; their name and
    address are copied from the directory at every sign-in. With ``group_base``: only
    members of ``require_group`` may sign in (if given), members of ``staff_group`` get the
    admin (if given)."""
    found = {
        "AUTH_LDAP_SERVER_URI": server_uri,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        "AUTH_LDAP_START_TLS": start_tls,
        # An unreachable directory must cost seconds, not minutes.
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: 3,
            ldap.OPT_TIMEOUT: 5,
            ldap.OPT_REFERRALS: 0,
        },
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(user_base, ldap.SCOPE_SUBTREE, user_filter),
        "AUTH_LDAP_USER_ATTR_MAP": {
            "first_name": "givenName",
            "last_name": "sn",
            "email": "mail",
            "display_name": name_attribute,
        },
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
    }
    if group_base:
        found["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
        )
        found["AUTH_LDAP_GROUP_TYPE"] = GroupOfNamesType(name_attr="cn")
        found["AUTH_LDAP_REQUIRE_GROUP"] = require_group or None
        if staff_group:
            found["AUTH_LDAP_USER_FLAGS_BY_GROUP"] = {"is_staff": staff_group}
    return found
