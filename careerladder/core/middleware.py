"""Security middleware: the absolute session timeout, ``Cache-Control: no-store`` on personal
answers, and logging of refused page requests. Decisions are explained in
``careerladder.core.security``."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404

from careerladder.core.security import API_PREFIX, LOGIN_AT, TRACKED_KEY, log_refusal, user_session_record


class SessionAbsoluteTimeoutMiddleware:
    """Log a session out ``SESSION_ABSOLUTE_AGE`` seconds after its login, however active it
    has been (OWASP ASVS 5.0 V7.3.2). The request then goes on as anonymous: a page redirects
    to the login form (with a message saying why), the API answers 401.

    It also keeps ``UserSession`` right when a session's key changes without a new login
    (``update_session_auth_hash`` cycles it after a password change).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            login_at = request.session.get(LOGIN_AT)
            if login_at is None or time.time() - login_at >= settings.SESSION_ABSOLUTE_AGE:
                logout(request)
                if not request.path.startswith(API_PREFIX):
                    hours = settings.SESSION_ABSOLUTE_AGE / 3600
                    messages.info(
                        request, f"You were logged out: a login lasts at most {hours:g} hours. Please log in again."
                    )
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and session is not None
            and session.session_key
            and session.get(TRACKED_KEY) != session.session_key
        ):
            user_session_record(user=user, session=session)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches) on every
    answer to a logged-in user and on every API answer: personnel data must not stay in the
    browser's cache or a shared proxy after logout (OWASP ASVS 5.0 V14.3). Static files are
    served by WhiteNoise before this runs and keep their long cache lifetimes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class RefusalLoggingMiddleware:
    """Log the pages' refusals: ``PermissionDenied`` (403) and ``Http404`` raised by a view's
    scoping or role check, with the user, the path and the reason. (The API's refusals are
    logged by ``careerladder.core.api.exception_handler``; an unknown URL never reaches a view
    and is not logged.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            log_refusal(request, status=403, reason=str(exception))
        elif isinstance(exception, Http404):
            log_refusal(request, status=404, reason=str(exception) or "not for this login (role or scope)")
        return None
