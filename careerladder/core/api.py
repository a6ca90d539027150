"""Shared API pieces: pagination, the error format (400 with field names as keys) and the
OpenAPI description of those errors."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.http import Http404, JsonResponse
from django.utils.functional import cached_property
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from careerladder.core import versions
from careerladder.core.errors import ApplicationError
from careerladder.core.filters import IdFilter  # noqa: F401  (the API's id filter, re-exported)
from careerladder.core.security import log_refusal
from tiers.selectors import technician_list

# Refusals logged on careerladder.security: a role or object check said no (403), an object
# outside the caller's scope (404), or credentials that did not check out (401). A request
# without any credentials (NotAuthenticated) is just a login to ask for, not logged.
_REFUSALS = (
    (DjangoPermissionDenied, 403),
    (exceptions.PermissionDenied, 403),
    (Http404, 404),
    (exceptions.NotFound, 404),
    (exceptions.AuthenticationFailed, 401),
)


def _log_refusal(exc, context) -> None:
    request = context.get("request")
    if request is None:
        return
    for kind, code in _REFUSALS:
        if isinstance(exc, kind):
            reason = getattr(exc, "detail", None) or str(exc)
            log_refusal(request, status=code, reason=str(reason))
            return


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CachedCountPaginator(DjangoPaginator):
    """A paginator whose total comes from the cache while no career data changed
    (``careerladder.core.versions``, organisation-wide versions): ``COUNT(*)`` over a hundred
    thousand technicians costs more than the page itself. Only for querysets over the career
    apps' models, whose every write moves those versions. ``count_key`` names the list (the
    viewer's ``ViewerScope`` and the list's name and filters, as ``(scope, [parts])``); without
    one the count is taken as usual."""

    def __init__(self, *args, count_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        if self.count_key is None:
            return super().count
        scope, key = self.count_key
        return versions.cached("count", scope=scope, site_ids=None, parts=key, compute=self.object_list.count)


class CachedCountPagination(StandardPagination):
    """``StandardPagination`` with ``CachedCountPaginator``, keyed by the viewer, their scope
    and the query's filters (large lists of career data)."""

    def paginate_queryset(self, queryset, request, view=None):
        from technicians.selectors import viewer_scope

        filters = sorted(
            (key, value)
            for key, values in request.query_params.lists()
            if key not in (self.page_query_param, self.page_size_query_param)
            for value in values
        )
        key = (viewer_scope(request.user), [getattr(view, "basename", ""), filters])
        self.django_paginator_class = functools.partial(CachedCountPaginator, count_key=key)
        return super().paginate_queryset(queryset, request, view)


def not_found(request, exception=None):
    """``handler404``: an unknown URL under /api/ answers JSON like every API error (a path
    such as ``/api/v1/sites/abc/`` never reaches a view); pages keep the HTML 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def exception_handler(exc, context):
    _log_refusal(exc, context)
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
            data = {("non_field_errors" if k == "__all__" else k): v for k, v in data.items()}
        else:
            data = {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


# --- The error answers in the OpenAPI document -------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    """401, 403, 404 and 429 answers: one sentence saying why."""

    detail = serializers.CharField()


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "The request was refused (400). Keys are the offending field names, each with a list of "
        "messages (a nested object, or a list of per-item objects, for nested fields); "
        "``non_field_errors`` or ``detail`` when the problem is not one field's."
    ),
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}
ERROR_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: field names as keys, each with its messages.",
    "401": "Not logged in: no or an invalid token or session.",
    "403": "Logged in, but this role may not do this (or not to this object).",
    "404": "No such object, or not in your scope (ids cannot be probed); or no such page.",
    "415": "The body is not JSON, a form or multipart form data (or cannot be read as one).",
    "429": "Too many attempts; wait before trying again.",
}
PAGING_PARAMETERS = {"page", "page_size"}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: declare the error answers every operation can give,
    in the shapes ``exception_handler`` produces, so that clients (and the schema fuzz test)
    know them. An answer a view declares itself is left as it is.

    - 400 (``ValidationError``) where there is input to refuse: every write (services refuse
      what breaks a business rule), and reads with query parameters other than paging;
    - 401 and 403 on every operation that needs a login; 429 on those that do not (the token
      endpoint is throttled);
    - 404 where an object is named in the path, and on paginated lists (a page out of range);
    - 415 on every operation that takes a body (DRF refuses a body it has no parser for, and
      a multipart body whose boundary cannot be found).
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    schemas.setdefault("ErrorDetail", ERROR_DETAIL_SCHEMA)
    refs = {
        "400": "#/components/schemas/ValidationError",
        **dict.fromkeys(("401", "403", "404", "415", "429"), "#/components/schemas/ErrorDetail"),
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            codes = []
            if method != "get" or query - PAGING_PARAMETERS:
                codes.append("400")
            codes += ["401", "403"] if operation.get("security") else ["429"]
            if "{" in path or "page" in query:
                codes.append("404")
            if method in ("post", "put", "patch"):
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": {"$ref": refs[code]}}},
                    },
                )
    return result


class TechnicianScopedMixin:
    """Gives serializers the technicians the caller may see, for ``technician`` fields."""

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("technician_queryset", technician_list(viewer=self.request.user))
        return super().get_serializer(*args, **kwargs)


def person_name(user) -> str:
    """A login as people know it: full name, else the login name."""
    return user.get_full_name() or user.username
