"""Sessions in the database, read from Redis (``SESSION_ENGINE`` with Redis).

Django's ``cached_db``, with the session cache's copies (``config.cache``): a session's
row is the truth; a new session is copied at once, a changed or ended one (a logout, a
new key at sign-in) drops its copy, and only a read of the row fills it again. So a
request that read a session just before its logout cannot put it back in the cache."""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import transaction


class SessionStore(CachedStore):
    def load(self):
        data = self._cache.read(self.cache_key)
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache.fill(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        return data

    def save(self, must_create=False):
        DatabaseStore.save(self, must_create)
        if must_create:  # a new key: nobody else can have read it yet
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        else:
            self._drop(self.cache_key)

    def delete(self, session_key=None):
        DatabaseStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._drop(self.cache_key_prefix + session_key)

    def _drop(self, key: str) -> None:
        self._cache.drop(key)
        transaction.on_commit(lambda: self._cache.drop(key))
