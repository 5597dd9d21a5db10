"""Teacher-facing views, one module per concern: ``booking`` (hold, claim, cancel, My
bookings), ``waitlist``, ``calendar`` (the private feed) and ``analytics`` (staff).

Each parses with a form, calls one service and answers; every answer comes as JSON for
``Accept: application/json`` (the pages' ``fetch``) or as a page for a plain form post.
Errors are answered by ``bookings.responses``.
"""
