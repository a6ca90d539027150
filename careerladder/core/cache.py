"""A Redis cache that never fails a page: when Redis cannot be reached, the cache misses.

The cache is an optimisation, never a source of truth (PRODUCT.md section 5). Django's own
``RedisCache`` raises ``redis.ConnectionError`` from every call while Redis is down, which
turned a Redis outage into 500s on most pages (cached reads, the data versions, the API
throttle). ``FailSafeRedisCache`` is that backend with three changes:

- **Every call answers.** A read that cannot reach Redis is a miss (``get`` returns the
  default, ``get_many`` returns ``{}``), a write is dropped, ``incr`` returns ``None``. The
  caller then computes from the database, as it would after an eviction.
- **A breaker.** After a failure the process leaves Redis alone for ``RETRY_SECONDS``, so a
  page that makes ten cache calls pays one connection attempt, not ten (with the short socket
  timeouts set in settings, an unreachable host costs at most one timeout per second).
- **No write is lost for good.** A write dropped during the outage may have been a data
  version's bump (careerladder/core/versions.py): entries stored before the outage could look
  current once Redis is back. So a process that could not reach Redis, for a write or a read,
  remembers it and, before its first call once Redis answers again, sends
  ``cache_recovered``; versions.py moves every version on, so nothing cached before the outage
  is served again. Readers do it too because the process that dropped a bump may not live to
  see Redis return (killed, recycled): any process that served requests during the outage
  repairs for it. A background thread probes Redis every ``PROBE_SECONDS`` meanwhile, so the
  recovery happens within that time even if the process gets no request. (If every process
  that saw the outage is gone, entries still live ``CACHED_READ_SECONDS`` at most, ten
  minutes by default.)

``settings.CACHES`` selects it for every ``redis://`` ``CACHE_URL`` (base settings).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.dispatch import Signal

logger = logging.getLogger("careerladder.cache")

RETRY_SECONDS = 1.0
PROBE_SECONDS = 0.25

# Sent (no arguments) once Redis answers again after this process could not reach it.
cache_recovered = Signal()

FAILURES = (redis.RedisError, OSError)


class _State:
    """One per Redis location and process, shared by the threads' backend instances."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.missed = False
        self.prober: threading.Thread | None = None
        self.prober_pid = 0


_states: dict[str, _State] = {}
_states_lock = threading.Lock()


def _state_for(location: str) -> _State:
    with _states_lock:
        return _states.setdefault(location, _State())


class FailSafeRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._state = _state_for(self._location)

    # ---- the breaker ------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the last call reached Redis (the breaker is closed)."""
        return self._state.down_until <= time.monotonic()

    def _failed(self, exc: BaseException) -> None:
        state = self._state
        with state.lock:
            was_up = state.down_until <= time.monotonic()
            state.down_until = time.monotonic() + RETRY_SECONDS
            # Any failure, a read's too: see "No write is lost for good" above.
            state.missed = True
        if was_up:
            logger.warning("cache unavailable, reading from the database: %s", exc.__class__.__name__)
        if state.missed:
            self._start_prober()

    def _recover(self) -> bool:
        """Send ``cache_recovered`` if this process missed Redis; False if it is still down."""
        state = self._state
        if not state.missed:
            return True
        with state.lock:
            if not state.missed:
                return True
            state.missed = False
        try:
            self._cache.get_client(write=True).ping()
            cache_recovered.send(sender=type(self))
        except FAILURES as exc:
            with state.lock:
                state.missed = True
                state.down_until = time.monotonic() + RETRY_SECONDS
            logger.debug("cache still unavailable: %s", exc.__class__.__name__)
            return False
        logger.warning("cache reachable again: every cached read starts again")
        return True

    def _start_prober(self) -> None:
        state = self._state
        with state.lock:
            alive = state.prober is not None and state.prober.is_alive() and state.prober_pid == os.getpid()
            if alive:
                return
            state.prober = threading.Thread(target=self._probe, name="cache-recovery", daemon=True)
            state.prober_pid = os.getpid()
            state.prober.start()

    def _probe(self) -> None:
        # redis-py's client is thread-safe: the thread may use this instance. After
        # CACHED_READ_SECONDS every entry from before the outage has expired, so there is
        # nothing left to hide a write; the next call still recovers in line.
        from django.conf import settings

        give_up = time.monotonic() + getattr(settings, "CACHED_READ_SECONDS", 600)
        while self._state.missed and time.monotonic() < give_up:
            time.sleep(PROBE_SECONDS)
            if self._state.down_until <= time.monotonic():
                self._recover()

    def _call(self, method: str, default, *args):
        state = self._state
        if state.down_until > time.monotonic():
            return default
        if state.missed and not self._recover():
            return default
        try:
            return getattr(super(), method)(*args)
        except FAILURES as exc:
            self._failed(exc)
            return default

    def ping(self) -> tuple[bool, str]:
        """For /health/: whether Redis answers now (the breaker aside), and why not."""
        try:
            self._cache.get_client(write=True).ping()
        except FAILURES as exc:
            self._failed(exc)
            return False, exc.__class__.__name__
        self._recover()
        return True, "ok"

    # ---- Django's cache API -------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        """The new value, ``None`` when Redis cannot be reached; ``ValueError`` for a missing
        key, as Django's backends raise."""
        return self._call("incr", None, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
