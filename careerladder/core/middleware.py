"""Security middleware: the absolute session timeout, ``Cache-Control: no-store`` on personal
answers, logging of refused page requests (decisions explained in
``careerladder.core.security``), and the guard that refuses control characters in any input
(rules in ``careerladder.core.validators``)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template import engines
from django.utils.datastructures import MultiValueDict
from rest_framework.exceptions import ValidationError

from careerladder.core.security import API_PREFIX, LOGIN_AT, TRACKED_KEY, log_refusal, user_session_record
from careerladder.core.validators import control_character, control_character_message, printable

# Paging parameters are only ever read as numbers (a bad one is page 1, or "no such page").
PAGING_PARAMETERS = frozenset({"page", "page_size"})


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


_JSON_TYPE = re.compile(r"^application/(?:[\w.-]+\+)?json$")

_REFUSAL_PAGE = """{% extends "base.html" %}
{% block title %}Nothing was saved{% endblock %}
{% block content %}
<div class="alert alert-danger" role="alert">
  <h1 class="h4">Nothing was saved: {{ problems|length }} field{{ problems|length|pluralize }} cannot be read</h1>
  <ul class="mb-0">
    {% for problem in problems %}<li><strong>“{{ problem.path }}”</strong>: {{ problem.message }}</li>{% endfor %}
  </ul>
</div>
<p>Go back, remove the character from the field (it often comes in unseen with pasted text) and send it again.</p>
{% endblock %}
"""


@dataclass(frozen=True)
class ControlCharacterProblem:
    field: str  # the top-level name the answer is keyed by, printable
    path: str  # the whole path of a nested value (``items.0.text``), printable
    message: str


def _problem(path: tuple, char: str, *, multiline: bool) -> ControlCharacterProblem:
    names = [printable(str(part)) for part in path] or ["non_field_errors"]
    field = names[0] if isinstance(path[0], str) else "non_field_errors"
    return ControlCharacterProblem(field, ".".join(names), control_character_message(char, multiline=multiline))


def _check(path: tuple, text: str, *, multiline: bool) -> list[ControlCharacterProblem]:
    char = control_character(text, multiline=multiline)
    return [] if char is None else [_problem(path, char, multiline=multiline)]


def _check_fields(items, *, multiline: bool) -> list[ControlCharacterProblem]:
    """Names and values of a ``QueryDict``'s ``lists()``."""
    problems = []
    for name, values in items:
        found = _check((name,), name, multiline=multiline)
        for value in values:
            found = found or _check((name,), value, multiline=multiline)
        problems += found
    return problems


def _check_json(value, path: tuple = ()) -> list[ControlCharacterProblem]:
    if isinstance(value, str):
        return _check(path or ("non_field_errors",), value, multiline=True)
    problems = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found = _check((*path, key), key, multiline=True)
            problems += found or _check_json(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            problems += _check_json(inner, (*path, index))
    return problems


class ControlCharacterRefused(ValidationError):
    """A control character in an input a view read: 400. DRF answers it as any validation
    error (``{field: [message]}``); for a page the middleware answers it."""

    def __init__(self, problems: list[ControlCharacterProblem]):
        self.problems = problems
        super().__init__(_as_errors(problems))


def _as_errors(problems: list[ControlCharacterProblem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        message = problem.message if problem.path == problem.field else f"{problem.path}: {problem.message}"
        errors.setdefault(problem.field, []).append(message)
    return errors


class CheckedQueryDict(QueryDict):
    """The query string, refusing a control character in a parameter when it is read (``get``,
    ``[]``, ``getlist``) rather than when it is sent: a parameter no view reads (an unknown
    one, or paging, which is only ever a number) is ignored as before, so that answers stay the
    ones each endpoint documents. ``lists()`` and ``urlencode()`` (cache keys, page links) give
    the raw values."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if isinstance(value, str) and key not in PAGING_PARAMETERS:
            self._refuse(key, [value])
        return value

    def getlist(self, key, default=None):
        if key in self and key not in PAGING_PARAMETERS:
            self._refuse(key, [v for v in super().getlist(key) if isinstance(v, str)])
        return super().getlist(key, default)

    @staticmethod
    def _refuse(key, values: list[str]) -> None:
        problems = _check_fields([(key, values)], multiline=False)
        if problems:
            raise ControlCharacterRefused(problems)


@cache
def _refusal_template():
    return engines["django"].from_string(_REFUSAL_PAGE)


class ControlCharacterMiddleware:
    """Refuse a control character in any input a view is given: the one place the rule of
    ``careerladder.core.validators`` is applied to requests (its docstring says why here).

    - the path: 404 (no record is named so);
    - query parameters, names and values: none at all (a filter, a code, a search is one line),
      checked as a view reads each one (``CheckedQueryDict``), so that one nobody reads is
      ignored as any unknown parameter is;
    - form (url-encoded or multipart) and JSON bodies of writes, at any depth, keys and values:
      none but tab, line feed and carriage return, checked before the view runs. File names
      are not checked: Django drops their unprintable characters, and evidence and imports
      keep none of them anyway.

    The API answers 400 ``{field: [message]}``; a page answers 400 with a page that names the
    fields. A multipart PUT or PATCH is parsed here as Django parses a POST, and left on the
    request for DRF, so the body is read once.

    It runs once the URL has named a view (an unknown address reads no input) and before it. A
    view whose only input is checked on its own says so with ``control_characters_checked =
    True`` (the imports: their one input is the file, whose every cell the reader checks, and
    they answer every refusal in their own documented shape)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if control_character(request.path_info):
            raise Http404("No such page.")
        view = getattr(view_func, "cls", view_func)  # a DRF view's class, or the function
        if getattr(view, "control_characters_checked", False):
            return None
        if request.META.get("QUERY_STRING"):
            request.GET = CheckedQueryDict(request.GET.urlencode(), encoding=request.encoding)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        try:
            problems = self._body_problems(request)
        except MultiPartParserError as exc:
            if not request.path.startswith(API_PREFIX):
                raise
            return JsonResponse({"detail": f"Multipart form parse error - {exc}"}, status=400)
        if problems:
            return self._refusal(request, problems)
        return None

    @staticmethod
    def _body_problems(request) -> list[ControlCharacterProblem]:
        content_type = request.content_type or ""
        if content_type == "multipart/form-data":
            if request.method != "POST":
                # Django parses a multipart body only for POST; DRF takes these (``_post``
                # present) instead of reading the stream again.
                try:
                    request._post, request._files = request.parse_file_upload(request.META, request)
                except MultiPartParserError:
                    request._post, request._files = QueryDict(encoding=request.encoding), MultiValueDict()
                    raise
            return _check_fields(request.POST.lists(), multiline=True)
        # The body is read in the charset it declares, as Django and DRF read it: a NUL sent
        # as UTF-16 or UTF-7 is a NUL all the same.
        charset = request.content_params.get("charset") or "utf-8"
        if content_type == "application/x-www-form-urlencoded":
            try:
                data = request.POST if request.method == "POST" else QueryDict(request.body, encoding=charset)
            except LookupError:
                return []  # an unknown charset: the view answers its own error
            return _check_fields(data.lists(), multiline=True)
        if _JSON_TYPE.match(content_type):
            try:
                data = json.loads(request.body.decode(charset))
            except (LookupError, UnicodeDecodeError, ValueError):
                return []  # the view answers its own parse error
            return _check_json(data)
        return []

    def process_exception(self, request, exception):
        """A page view read a query parameter holding a control character (the API's views
        answer ``ControlCharacterRefused`` themselves, as DRF answers any validation error)."""
        if isinstance(exception, ControlCharacterRefused):
            return self._refusal(request, exception.problems)
        return None

    @staticmethod
    def _refusal(request, problems: list[ControlCharacterProblem]):
        if request.path.startswith(API_PREFIX):
            return JsonResponse(_as_errors(problems), status=400)
        page = _refusal_template().render({"problems": problems}, request)
        return HttpResponseBadRequest(page)
