"""Django's PostgreSQL backend, asking a pool that just timed out only once a request.

A request may reach the database more than once (its session, its teacher, the claim).
When the pool could hand out no connection within ``DB_POOL_TIMEOUT`` (PostgreSQL refusing
clients, or unreachable), each further attempt of the same request waited as long again:
a claim's 503 came after twice the documented bound. So once a wait has timed out, the
request's further attempts fail at once. The pool is asked again by the next request
(Django checks its connections as a request starts and ends) and after an explicit
``close()``: the claim's look for its outcome after a failed COMMIT closes the connection
before each try, and keeps trying for ``CLAIM_VERIFY_SECONDS``."""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg import OperationalError
from psycopg_pool import PoolTimeout


class DatabaseWrapper(base.DatabaseWrapper):
    pool_timed_out = False

    def get_new_connection(self, conn_params):
        if self.pool_timed_out:
            raise OperationalError("no database connection for this request (the pool timed out)")
        try:
            return super().get_new_connection(conn_params)
        except PoolTimeout:
            self.pool_timed_out = True
            raise

    def close(self):
        self.pool_timed_out = False
        super().close()

    def close_if_unusable_or_obsolete(self):
        """Called as a request starts and ends: a new request may ask the pool again."""
        self.pool_timed_out = False
        super().close_if_unusable_or_obsolete()
