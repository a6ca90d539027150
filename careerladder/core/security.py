"""Login security: session bookkeeping, ending a login's sessions, lockout answers, and the
``careerladder.security`` log.

Sessions (OWASP ASVS 5.0 V7):

- A new session key at every login: Django's ``login()`` cycles the key (or flushes the session
  when another user was logged in), so a key planted before login is worthless afterwards.
- Idle timeout: ``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST`` (every request
  pushes the expiry forward; a session left alone that long is gone).
- Absolute timeout: the login time is stored in the session here (``user_logged_in``) and
  ``careerladder.core.middleware.SessionAbsoluteTimeoutMiddleware`` logs the session out once
  it is ``SESSION_ABSOLUTE_AGE`` old, however busy. A session without a login time (one that
  existed before this was introduced) is logged out at its next request, so no session of
  unknown age survives.
- Logout (a POST) flushes the session on the server; the old cookie names nothing.
- Ending every session of a login: each login writes a ``UserSession`` row, so
  ``user_sessions_end`` deletes that login's sessions and API tokens in a fixed number of
  queries. It runs when a technician is separated (``technicians.services``) and whenever a
  login is saved inactive (the ``post_save`` handler below; it covers the admin, the user API
  and any other ``save()``). A bulk ``QuerySet.update(is_active=False)`` sends no signal, which
  is why the separation service calls ``user_sessions_end`` itself. Even a session that escaped
  deletion would not work: Django's ``ModelBackend`` and DRF's token check both refuse inactive
  users on every request. Sessions older than this bookkeeping carry no login time and end at
  their next request (above), so no scan of the session table is ever needed.
- A new password ends them too, by whatever path it is set (the user API and service, the
  Django admin's password form, ``manage.py changepassword``, any ``set_password()`` and
  ``save()``): the same ``post_save`` handler sees Django's marker of a password set since the
  login was loaded. Django's re-hashing of a password at login (a stronger hasher) is not a
  change and ends nothing. The session that changed its own password through the API stays
  logged in under a new key (``update_session_auth_hash``), as with Django's own form. A new
  role ends them as well (``technicians.services.user_update``).
- Logging out of the web (``/accounts/logout/``) ends that browser's session only; an API
  client logs out with ``DELETE /api/v1/auth/token/``, which revokes its token.

API tokens (DRF's ``Token``, one per login): ``ExpiringTokenAuthentication`` refuses (401) and
deletes a token older than ``API_TOKEN_TTL_HOURS`` (default 12, the absolute session timeout),
so a token is no longer a login that never ends. The token endpoint gives the login's token
while it is fresh and a new one after it expired or was revoked; the nightly housekeeping
deletes expired tokens nobody used again.

Logging: failed logins (username and client address, never the password), lockouts, ended
sessions and refused authorisations (403, and 404 raised by the scoping checks) go to the
``careerladder.security`` logger at WARNING (ended sessions at INFO).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import time_format
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import ScopedRateThrottle

from careerladder.core.models import UserSession

logger = logging.getLogger("careerladder.security")

LOGIN_AT = "_careerladder_login_at"  # epoch seconds of the login that started this session
TRACKED_KEY = "_careerladder_tracked_key"  # the session key last written to UserSession
API_PREFIX = "/api/"


def sessions_in_database() -> bool:
    """Whether ``SESSION_ENGINE`` keeps sessions in Django's session table: the database engine
    or one built on it (``careerladder.core.dbretry``), so that they can be found by query."""
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    return issubclass(import_module(settings.SESSION_ENGINE).SessionStore, DatabaseSessionStore)


# --- The client's address ----------------------------------------------------------------------


def client_ip(request) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies that
    each append to ``X-Forwarded-For``, the entry that many places from the right (entries
    further left are whatever the client sent and cannot be trusted). Also axes'
    ``AXES_CLIENT_IP_CALLABLE``."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return meta.get("REMOTE_ADDR") or None


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return f"{user.get_username()!r} (id {user.pk})"


# --- Session bookkeeping -----------------------------------------------------------------------


def user_session_record(*, user, session) -> None:
    """Remember that ``session`` belongs to ``user`` (called at login and when a session's key
    changes, e.g. Django's ``update_session_auth_hash`` after a password change)."""
    if session.session_key is None:
        session.save()  # a flushed session gets its new key only when saved
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})
    session[TRACKED_KEY] = session.session_key


def user_sessions_end(*, user_ids) -> int:
    """End every session and delete every API token of these logins, at once; returns the
    number of sessions ended. Safe to call twice."""
    from rest_framework.authtoken.models import Token

    user_ids = list(user_ids)
    if not user_ids:
        return 0
    rows = UserSession.objects.filter(user_id__in=user_ids)
    keys = list(rows.values_list("session_key", flat=True))
    if keys:
        if sessions_in_database():
            from django.contrib.sessions.models import Session

            Session.objects.filter(session_key__in=keys).delete()
        else:  # cache-backed engines: each key has its own entry
            store = import_module(settings.SESSION_ENGINE).SessionStore
            for key in keys:
                store().delete(key)
        rows.delete()
    Token.objects.filter(user_id__in=user_ids).delete()
    logger.info("ended %d session(s) and the API tokens of user id(s) %s", len(keys), sorted(user_ids))
    return len(keys)


def sessions_clear_expired() -> int:
    """Nightly housekeeping (``careerladder.core.tasks``): delete sessions past their idle
    expiry (Django's ``clearsessions``), sessions older than the absolute timeout with their
    ``UserSession`` rows (the middleware would refuse them anyway), and expired API tokens;
    returns the number of ``UserSession`` rows removed."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SESSION_ABSOLUTE_AGE)
    stale = UserSession.objects.filter(created_at__lt=cutoff)
    keys = list(stale.values_list("session_key", flat=True))
    if sessions_in_database():
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=keys).delete()
        # Rows whose session ended some other way (idle expiry, a flush elsewhere).
        gone = UserSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
        keys += list(gone.values_list("session_key", flat=True))
    else:
        for key in keys:
            engine.SessionStore().delete(key)
    removed, _ = UserSession.objects.filter(session_key__in=keys).delete()
    tokens_delete_expired()
    return removed


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Start the absolute-timeout clock and record the session against the user."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[LOGIN_AT] = int(time.time())
    user_session_record(user=user, session=session)
    # Rows older than the absolute timeout name sessions that can no longer be used.
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SESSION_ABSOLUTE_AGE)
    UserSession.objects.filter(user=user, created_at__lt=cutoff).delete()


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def on_user_saved(sender, instance, created, **kwargs) -> None:
    """A login saved inactive, or with a new password, loses its sessions and tokens at once,
    whatever saved it. ``_password`` is Django's own marker (``AbstractBaseUser``): set by
    ``set_password()`` until the save that follows, and cleared on purpose for the re-hash at
    login, which is no password change."""
    if created:
        return
    if not instance.is_active or getattr(instance, "_password", None) is not None:
        user_sessions_end(user_ids=[instance.pk])


# --- API tokens --------------------------------------------------------------------------------


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_is_expired(token, *, now: dt.datetime | None = None) -> bool:
    return token.created <= (now or timezone.now()) - token_lifetime()


@transaction.atomic
def token_issue(*, user):
    """The login's API token: the one it holds while that is fresh, else a new one. The login's
    row is locked, so that the workers of an integration all asking again the moment their
    token expired get one new token between them, not a clash of inserts."""
    from rest_framework.authtoken.models import Token

    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    token = Token.objects.filter(user=user).first()
    if token is not None and token_is_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


def token_revoke(*, user) -> int:
    """Log the API out: delete the login's token (there is at most one); returns how many."""
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        logger.info("revoked the API token of user id %s", user.pk)
    return deleted


def tokens_delete_expired() -> int:
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(created__lte=timezone.now() - token_lifetime()).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, plus an expiry: a token older than ``API_TOKEN_TTL_HOURS``
    answers 401 (``WWW-Authenticate: Token``) and is deleted, so the next exchange issues a new
    one."""

    expired_message = "Token has expired; ask for a new one."

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            token.delete()
            logger.info("expired API token of user id %s refused and deleted", user.pk)
            raise exceptions.AuthenticationFailed(self.expired_message)
        return user, token


# --- Failed logins and lockout -----------------------------------------------------------------


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Log a failed login: who was tried, from where. Django has already masked the password
    in ``credentials``; it is never logged anyway."""
    username = str(credentials.get("username", ""))[:150]
    path = getattr(request, "path", "")
    logger.warning("failed login for username %r from %s on %s", username, client_ip(request), path)


def token_login_succeeded(*, request, user) -> None:
    """The API token endpoint authenticates without ``login()``, so axes' reset-on-success
    (a ``user_logged_in`` receiver) never runs for it: clear this username's failures from this
    address here, as a successful page login does."""
    from axes.utils import reset

    reset(ip=client_ip(request), username=user.get_username())


def lockout_ends_at(request, credentials) -> dt.datetime:
    """When the caller may try again: the last counted failure of this username from this
    address plus ``AXES_COOLOFF_TIME`` (failures while locked out are not counted, so this
    does not move while the person waits)."""
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(ip_address=getattr(request, "axes_ip_address", client_ip(request)))
    username = get_client_username(request, credentials)
    if username is not None:
        attempts = attempts.filter(username=username)
    last = attempts.aggregate(last=Max("attempt_time"))["last"] or timezone.now()
    return last + settings.AXES_COOLOFF_TIME


def lockout_response(request, original_response=None, credentials=None):
    """axes' ``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``; JSON (``detail``) for the API,
    otherwise the lockout page saying when to try again."""
    until = lockout_ends_at(request, credentials)
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    local = timezone.localtime(until)
    logger.warning(
        "login locked out for username %r from %s until %s",
        str((credentials or {}).get("username", ""))[:150],
        client_ip(request),
        local.isoformat(timespec="seconds"),
    )
    message = (
        f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        f"after {time_format(local, 'g:i A')}."
    )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": message, "retry_after": seconds}, status=429)
    else:
        context = {"until": local, "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- Refused authorisations --------------------------------------------------------------------


def log_refusal(request, *, status: int, reason: str) -> None:
    """Log a refused request (403, or the 404 a scoping check answers for an object outside
    the caller's scope) with who, what and why."""
    logger.warning(
        "refused %s %s %s for %s from %s: %s",
        status,
        request.method,
        request.get_full_path()[:500],
        _who(request),
        client_ip(request),
        reason or "no reason given",
    )


class _ThrottleHistory:
    """Where the throttle keeps who asked when: the shared cache, and a copy in this process
    that answers while the cache cannot be reached (careerladder/core/cache.py makes an
    outage a miss, which would otherwise wipe every caller's history and lift the limit)."""

    _missing = object()

    def __init__(self) -> None:
        from django.core.cache.backends.locmem import LocMemCache

        self.local = LocMemCache("careerladder-throttle", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def get(self, key, default=None):
        from django.core.cache import cache

        value = cache.get(key, self._missing)
        if value is self._missing:
            return self.local.get(key, default) if not getattr(cache, "available", True) else default
        return value

    def set(self, key, value, timeout=None):
        from django.core.cache import cache

        cache.set(key, value, timeout)
        self.local.set(key, value, timeout)


class OutageSafeScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle whose limit holds while Redis is down (per process then, each
    process counting its own callers)."""

    cache = _ThrottleHistory()
