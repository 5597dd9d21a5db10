"""Teacher-facing views, one module per concern: ``booking`` (hold, claim, cancel, My
bookings), ``series`` (changing a series), ``lessons`` (My timetable), ``requests``
(approvers decide), ``waitlist``, ``calendar`` (the private feed), ``checkin``,
``timetable`` and ``analytics`` (staff).

Each parses with a form, calls one service and answers; every answer comes as JSON for
``Accept: application/json`` (the pages' ``fetch``) or as a page for a plain form post.
Errors are raised, and answered in one place (``config.answers``): a view names the
page its errors are shown on with ``@error_page``.
"""
