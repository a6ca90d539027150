"""Pages that belong to no single app (the role-aware home, the health check) and what every
app's pages share: the technician in the viewer's scope or a 404, and a service's refusal shown on
the form."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from careerladder.core.errors import ApplicationError
from careerladder.core.queue import broker_check
from technicians import selectors as technician_selectors
from technicians.models import Technician
from technicians.roles import Role
from technicians.selectors import role_of
from tiers.selectors import technician_get

# Rows per page of the HTML lists.
PAGE_SIZE = 50

HOME_BY_ROLE = {
    Role.TECHNICIAN: "me",
    Role.EVALUATOR: "technicians:list",
    Role.MANAGER: "dashboard",
    Role.HR: "dashboard",
    Role.ADMIN: "dashboard",
}


@login_required
def home(request):
    """``/`` sends each role to its place."""
    return redirect(HOME_BY_ROLE.get(role_of(request.user), "me"))


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any driver error means "not healthy"
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    if not settings.CELERY_BROKER_URL:
        return True, "in-process (no broker configured)"
    return broker_check(url=settings.CELERY_BROKER_URL, timeout=1.0)


def _cache_ok() -> tuple[bool, str]:
    if not hasattr(cache, "ping"):
        return True, "in-process"
    return cache.ping()


@never_cache
@require_GET
def health(request):
    """For load balancers: 200 while this instance can serve pages (the database answers),
    503 when it cannot.

    The cache and the broker are checked and reported but do not fail the check: every page
    keeps working while Redis is down (cached reads are computed from the database,
    careerladder/core/cache.py; dashboards read stored snapshots; actions that queue work say
    the queue is unavailable, and the reconciler queues it later), so taking every web server
    out of the load balancer because of Redis would turn a slower service into an outage.
    ``status`` is ``ok``, ``degraded`` (database up, cache or broker down: alert on it, keep
    sending traffic) or ``error`` (503: take this instance out). Each check gives up within a
    second or so, well inside a load balancer's probe timeout."""
    db_ok, db_detail = _database_ok()
    cache_ok, cache_detail = _cache_ok()
    broker_ok, broker_detail = _broker_ok()
    body = {
        "status": ("ok" if broker_ok and cache_ok else "degraded") if db_ok else "error",
        "database": db_detail,
        "cache": cache_detail if cache_ok else f"unavailable ({cache_detail})",
        "broker": broker_detail if broker_ok else f"unavailable ({broker_detail})",
    }
    return JsonResponse(body, status=200 if db_ok else 503)


def technician_or_404(request, pk, record: str = technician_selectors.Record.TECHNICIANS) -> Technician:
    try:
        return technician_get(viewer=request.user, pk=pk, record=record)
    except Technician.DoesNotExist:
        raise Http404("No such technician.") from None


def form_problem(form) -> str:
    """The messages of an invalid one-field form posted from another page (it redirects, so
    the messages go to the top of that page): "Justification: Ensure this value has …"."""
    return " ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


def error_to_form(form, exc: Exception) -> None:
    if isinstance(exc, ApplicationError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "messages", [str(exc)]))


def scoped_or_404(queryset, pk):
    """The object ``pk`` of a queryset already scoped to the viewer, or a 404."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def require(allowed: bool, message: str = "You may not do this.") -> None:
    """A visible object the viewer may not change: 403 with ``message``."""
    if not allowed:
        raise PermissionDenied(message)


def require_role(request, roles) -> None:
    """Pages for some roles only (``technicians.roles``): to everyone else they do not exist."""
    if role_of(request.user) not in roles:
        raise Http404


def paginate(request, qs, *, param: str = "page"):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get(param))


def query_without(request, *names: str) -> str:
    """The page's query string without the page number and ``names`` (for sort and filter links)."""
    query = request.GET.copy()
    for name in ("page", *names):
        query.pop(name, None)
    return query.urlencode()
