"""School sign-in through the school's directory (LDAP, Active Directory): what the
settings module makes of Roomclaim's ``LDAP_*`` settings when ``LDAP_SERVER_URI`` is set.
``teachers.directory`` signs teachers in with it; the tests build one against a directory
they start themselves. Plain data: nothing here talks to a directory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DirectorySettings:
    """Teachers are found under ``user_base`` by ``user_filter`` (Active Directory:
    ``(sAMAccountName=%(user)s)``), searched as ``bind_dn`` (empty: anonymously), and
    bound with their own password; their name and address are copied from the directory
    at every sign-in. With ``group_base``: only members of ``require_group`` may sign in
    (if given), members of ``staff_group`` get the admin (if given). ``ca_file``: the
    certificate authority that signed the directory's certificate, if not one the system
    trusts."""

    server_uri: str
    user_base: str
    bind_dn: str = ""
    bind_password: str = ""
    start_tls: bool = False
    user_filter: str = "(uid=%(user)s)"
    name_attribute: str = "displayName"
    group_base: str = ""
    require_group: str = ""
    staff_group: str = ""
    ca_file: str = ""
    # An unreachable directory must cost seconds, not minutes: to connect, and to wait
    # for each answer.
    connect_timeout: float = 3
    answer_timeout: float = 5
