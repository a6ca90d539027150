"""The imports page (hr and admin): upload a file from the HR system, check it or import it.

The page calls the same services as the ``imports/…`` API (``imports.technicians``,
``imports.certifications``). "Check only" is a dry run: nothing is written and the page shows
what would change. An import that was applied redirects to ``/imports/?run=ID`` (so that a
reload does not send the file again), which shows its counts from the ``ImportRun`` record.
Files are not kept between requests: to import after a check, choose the file again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from careerladder.core.errors import ApplicationError
from imports.certifications import CE_CREDIT_COLUMNS, CERTIFICATION_COLUMNS, ce_credits_import, certifications_import
from imports.framework import Columns, ImportResult, import_run_get, recent_imports, template_csv
from imports.models import ImportRun
from imports.technicians import TECHNICIAN_COLUMNS, technicians_import
from technicians.forms import ImportForm
from technicians.permissions import is_org_wide

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportKind:
    label: str
    columns: Columns
    run: object
    notes: str


IMPORT_KINDS = {
    ImportRun.Kind.TECHNICIANS.value: ImportKind(
        "Technicians",
        TECHNICIAN_COLUMNS,
        technicians_import,
        "Upserted by employee_id. A different tier becomes a dated tier change (today, or tier_effective_date); "
        "a termination date and type record a separation.",
    ),
    ImportRun.Kind.CERTIFICATIONS.value: ImportKind(
        "Certifications",
        CERTIFICATION_COLUMNS,
        certifications_import,
        "Matched by employee_id, type and issued_on. Leave expires_on empty to use the type's validity.",
    ),
    ImportRun.Kind.CE_CREDITS.value: ImportKind(
        "CE credits",
        CE_CREDIT_COLUMNS,
        ce_credits_import,
        "Matched by employee_id and UAN; topic and audience are read from the UAN.",
    ),
}
SAMPLE_TITLES = {
    "created": "New",
    "updated": "Changed",
    "tier_changes": "Tier changes",
    "separations": "Separations",
}


def _require_org_wide(request) -> None:
    if not is_org_wide(request.user):
        raise Http404


def _cell(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


def _sample_tables(result: ImportResult) -> list[dict]:
    """The first rows of each kind of change, as tables the template can print."""
    tables = []
    for kind, title in SAMPLE_TITLES.items():
        rows = result.samples.get(kind) or []
        if not rows:
            continue
        headers = [key.replace("_", " ").capitalize() for key in rows[0]]
        total = getattr(result, kind)
        tables.append(
            {
                "title": title,
                "total": total,
                "headers": headers,
                "rows": [[_cell(v) for v in row.values()] for row in rows],
                "more": total - len(rows),
            }
        )
    return tables


@login_required
def imports(request):
    _require_org_wide(request)
    kind = request.GET.get("kind") if request.GET.get("kind") in IMPORT_KINDS else ImportRun.Kind.TECHNICIANS.value
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": kind})
    result = None
    if request.method == "POST" and form.is_valid():
        chosen = IMPORT_KINDS[form.cleaned_data["kind"]]
        dry_run = request.POST.get("action") != "import"
        try:
            result = chosen.run(upload=form.cleaned_data["file"], user=request.user, dry_run=dry_run)
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        except DatabaseError:
            logger.exception("Import from the page failed on a database error; rolled back")
            form.add_error(None, "The import failed on a database error and was rolled back: nothing was written.")
        else:
            if result.ok and not dry_run:
                return redirect(f"{reverse('imports:imports')}?run={result.run.pk}&kind={result.kind}")
    done = None
    if request.GET.get("run", "").isdigit():
        done = import_run_get(int(request.GET["run"]))
    return render(
        request,
        "imports/imports.html",
        {
            "form": form,
            "result": result,
            "samples": _sample_tables(result) if result is not None and result.ok else [],
            "done": done,
            "kinds": list(IMPORT_KINDS.items()),
            "recent": recent_imports(),
        },
    )


@login_required
@require_GET
def import_template(request):
    """An empty import file (the header row) for ``?kind=`` (technicians by default)."""
    _require_org_wide(request)
    kind = request.GET.get("kind") or ImportRun.Kind.TECHNICIANS.value
    if kind not in IMPORT_KINDS:
        raise Http404("No such import.")
    response = HttpResponse(template_csv(IMPORT_KINDS[kind].columns), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="careerladder-{kind.replace("_", "-")}-import.csv"'
    return response
