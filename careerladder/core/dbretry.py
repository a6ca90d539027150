"""A database connection dropped in the middle of a request: reads are tried once more, and a
server-side fault is never answered as the caller's mistake.

``CONN_HEALTH_CHECKS`` already replaces a connection that died *between* requests (a database
restart, a proxy closing idle connections). One that dies *during* a request (the server
terminated its backends, a failover) makes the next query raise ``OperationalError`` or
``InterfaceError``. Then:

- ``RetryReadsMiddleware`` (first in ``MIDDLEWARE``): a GET, HEAD or OPTIONS request that
  failed that way is run once more on a fresh connection. Reads change nothing, so running
  one twice is safe; writes are never retried (the first attempt may have committed), they
  answer 500 as before.
- ``SessionStore`` (``SESSION_ENGINE``): Django's database sessions report *any* database
  error while saving a session as "the session was deleted during the request", which the
  session middleware answers with 400 ``SessionInterrupted``. A dropped connection is ours,
  not the caller's: the save reconnects and tries once more, and if that fails too the request
  answers 500.
"""

from __future__ import annotations

import logging
import sys

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger("careerladder.db")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
DROPPED = "_careerladder_connection_dropped"


def _close_broken_connections() -> bool:
    """Close every connection that no longer answers; whether one did not."""
    closed = False
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
            conn.close()
            closed = True
    return closed


def _note_dropped_connection(sender, request=None, **kwargs) -> None:
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, (OperationalError, InterfaceError)):
        setattr(request, DROPPED, True)


got_request_exception.connect(_note_dropped_connection, dispatch_uid="careerladder-dropped-connection")


class RetryReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 500
            and getattr(request, DROPPED, False)
            and request.method in SAFE_METHODS
            and _close_broken_connections()
        ):
            setattr(request, DROPPED, False)
            logger.warning("database connection dropped during %s %s: tried once more", request.method, request.path)
            response = self.get_response(request)
        return response


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            return super().save(must_create=must_create)
        except UpdateError as exc:
            # Django raises UpdateError for any DatabaseError; the row really gone (a logout
            # elsewhere) is "Forced update did not affect any rows", a plain DatabaseError,
            # and keeps Django's 400.
            if not isinstance(exc.__context__, (OperationalError, InterfaceError)):
                raise
        _close_broken_connections()
        try:
            return super().save(must_create=must_create)
        except UpdateError as exc:
            if not isinstance(exc.__context__, (OperationalError, InterfaceError)):
                raise
            raise OperationalError("The session could not be saved: the database cannot be reached.") from None
