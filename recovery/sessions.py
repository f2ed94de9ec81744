"""Sessions read from Redis and written through to the database, still working without Redis.

Django's cached_db store falls back to the database when a cache read fails, but not when the
cache write after it fails, nor in `exists` or `delete`: with Redis down every signed-in page
answered 500. Here every cache call is optional; the database stays the record.

A sign-out while Redis is unreachable deletes the session from the database but cannot delete
the cached copy: if the same Redis comes back with its memory intact, that copy answers until it
expires, and at most for the role's idle limit (recovery.middleware.SessionTimeoutMiddleware
reads the last-seen time inside the session). The failure is logged as an error.

The last-seen time itself is written to Redis only (`touch`): at most once a minute per signed-in
user, it was a database UPDATE (and its transaction) on an ordinary page view. If Redis loses the
copy, the database's older time is read instead, and that can only end a session sooner.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            log.warning("session cache unavailable (get); reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            log.warning("session cache unavailable (set)", exc_info=True)
        return data

    def exists(self, session_key):
        if session_key:
            try:
                if (self.cache_key_prefix + session_key) in self._cache:
                    return True
            except Exception:
                log.warning("session cache unavailable (exists)", exc_info=True)
        return DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            log.error(
                "session cache unavailable (delete): a signed-out session stays cached until "
                "it expires or idles out",
                exc_info=True,
            )

    def touch(self, key: str, value) -> None:
        """Set `key` in the cached copy only; the database keeps its older value.

        For bookkeeping that may be lost (the last-seen time): without Redis it is saved like
        any change. A later change in the same request saves everything, this value included.
        """
        self._session[key] = value
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:
            log.warning("session cache unavailable (touch); saving to the database", exc_info=True)
            self.modified = True
