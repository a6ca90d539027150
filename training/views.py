"""Training pages. Scope comes from the selectors (out of scope is a 404); changes go through
the services after a check in ``training.permissions`` (refused on a visible record is a 403;
a page that is not for the role at all is a 404)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from careerladder.core import versions
from careerladder.core.errors import ApplicationError
from careerladder.core.exports import spreadsheet_safe
from careerladder.core.views import technician_or_404
from technicians.models import Technician
from technicians.permissions import can_manage_site
from technicians.roles import MANAGERS, SITE_STAFF, STAFF
from technicians.selectors import Record, role_of, site_list, viewer_scope
from training import selectors, services
from training.forms import AssignForm, BulkAssignForm, CompleteForm, MatrixFilterForm, RotationForm
from training.permissions import can_assign, can_record_progress, can_schedule_rotation

MATRIX_PAGE_SIZE = 100


def _require_role(request, roles) -> None:
    if role_of(request.user) not in roles:
        raise Http404("This page is not for your role.")


def _form_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- A technician's training -----------------------------------------------------------------


def _training_page(request, technician: Technician, *, own: bool):
    today = timezone.localdate()
    assignments = list(selectors.assignment_list(viewer=request.user, today=today, technician=technician.pk))
    open_rows = [a for a in assignments if a.status != "completed"]
    done_rows = sorted((a for a in assignments if a.status == "completed"), key=lambda a: a.completed_on, reverse=True)
    rotations = list(
        selectors.rotation_list(viewer=request.user, technician=technician.pk, start=today - dt.timedelta(days=30))
    )
    context = {
        "technician": technician,
        "own": own,
        "today": today,
        "open_rows": open_rows,
        "done_rows": done_rows,
        "rotations": rotations,
        "can_assign": can_assign(request.user, technician),
        "can_progress": own or can_assign(request.user, technician),
        "complete_form": CompleteForm(initial={"completed_on": today}),
    }
    return render(request, "training/technician.html", context)


@login_required
@require_GET
def mine(request):
    """The logged-in technician's own training: what is due, what is done, rotations."""
    if not request.user.technician_id:
        raise Http404("This login is not linked to a technician record.")
    return _training_page(request, technician_or_404(request, request.user.technician_id), own=True)


@login_required
@require_GET
def technician_training(request, pk: int):
    technician = technician_or_404(request, pk, record=Record.TRAINING)
    return _training_page(request, technician, own=request.user.technician_id == technician.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assign(request, pk: int):
    technician = technician_or_404(request, pk)
    if not can_assign(request.user, technician):
        raise PermissionDenied("Only the technician's managers and HR assign training.")
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_create(
                technician=technician,
                program=form.cleaned_data["program"],
                due_on=form.cleaned_data["due_on"],
                note=form.cleaned_data["note"],
                assigned_by=request.user,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{assignment.program.name} assigned, due {assignment.due_on:%Y-%m-%d}.")
            return redirect("training:technician", pk=technician.pk)
    context = {
        "form": form,
        "technician": technician,
        "title": f"Assign training to {technician.full_name}",
        "back": reverse("training:technician", args=[technician.pk]),
    }
    return render(request, "training/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def bulk_assign(request):
    _require_role(request, MANAGERS)
    form = BulkAssignForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        technicians = selectors.matrix_technicians(
            viewer=request.user,
            site=data["site"].pk if data["site"] else None,
            tier=data["tier"].code if data["tier"] else None,
        )
        try:
            result = services.assignment_bulk_create(
                technicians=[t for t in technicians if can_assign(request.user, t)],
                program=data["program"],
                due_on=data["due_on"],
                note=data["note"],
                assigned_by=request.user,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            skipped = f"; {result.skipped} already had it open" if result.skipped else ""
            messages.success(request, f"{data['program'].name} assigned to {len(result.created)} technicians{skipped}.")
            return redirect(reverse("training:matrix") + (f"?site={data['site'].pk}" if data["site"] else ""))
    context = {
        "form": form,
        "title": "Assign training to a site or tier",
        "intro": "Every employed technician of the site and tier chosen gets the programme, with one due date.",
        "back": reverse("training:matrix"),
    }
    return render(request, "training/form.html", context)


def _assignment(request, pk):
    assignment = selectors.assignment_list(viewer=request.user, today=timezone.localdate()).filter(pk=pk).first()
    if assignment is None:
        raise Http404("No such assignment.")
    if not can_record_progress(request.user, assignment):
        raise PermissionDenied("Only the technician and their managers record progress.")
    return assignment


def _back_to(request, assignment):
    if request.user.technician_id == assignment.technician_id:
        return redirect("training:mine")
    return redirect("training:technician", pk=assignment.technician_id)


@login_required
@require_POST
def assignment_start(request, pk: int):
    assignment = _assignment(request, pk)
    try:
        services.assignment_start(assignment=assignment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{assignment.program.name}: marked as started.")
    return _back_to(request, assignment)


@login_required
@require_POST
def assignment_complete(request, pk: int):
    assignment = _assignment(request, pk)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return _back_to(request, assignment)
    try:
        done = services.assignment_complete(
            assignment=assignment,
            completed_by=request.user,
            completed_on=form.cleaned_data["completed_on"],
            uan=form.cleaned_data["uan"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        credit = f" {done.ce_credit.hours} CE hours logged." if done.ce_credit else ""
        if not done.ce_credit and done.program.ce_hours:
            credit = " Log its CE credit from the statement of credit (the programme has no UAN on file)."
        messages.success(request, f"{done.program.name}: completed on {done.completed_on:%Y-%m-%d}.{credit}")
    return _back_to(request, assignment)


# --- The training matrix -------------------------------------------------------------------


def _matrix_query(request):
    form = MatrixFilterForm(request.GET or None, viewer=request.user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    columns = selectors.matrix_columns(
        kind=filters.get("kind") or "", category=filters.get("category") or "", viewer=request.user
    )
    site = filters.get("site")
    technicians = selectors.matrix_technicians(
        viewer=request.user,
        site=site.pk if site else None,
        tier=filters["tier"].code if filters.get("tier") else None,
        track=filters["track"].code if filters.get("track") else None,
    )
    return form, site, columns, technicians


@login_required
@require_GET
def matrix(request):
    """Technicians × competencies, certifications and programmes, a status in every cell, the
    summary row of holders and the site's single points of failure. Query count is constant:
    one page of technicians at a time, every cell loaded per kind of column."""
    _require_role(request, STAFF)
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    role = role_of(request.user)

    def render_page() -> dict:
        form, site, columns, technicians = _matrix_query(request)
        page = Paginator(technicians, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.matrix_rows(viewer=request.user, technicians=page.object_list, columns=columns, today=today)
        groups = []
        for kind, label in selectors.COLUMN_KINDS:
            span = sum(1 for c in columns if c.kind == kind)
            if span:
                groups.append({"label": label, "span": span})
        site_id = site.pk if site else None
        body = {
            "today": today,
            "columns": columns,
            "groups": groups,
            "rows": rows,
            "held": selectors.matrix_held_counts(rows, columns),
            "page": page,
            "query": query.urlencode(),
            "legend": selectors.CellStatus.LEGEND,
            "gaps": selectors.skill_coverage_gaps(viewer=request.user, today=today, site=site_id)[:50],
            "threshold": selectors.COVERAGE_THRESHOLD,
            # Lapsing authorisations for a site (or a manager's sites); org-wide it would walk
            # every technician, so hr picks a site first.
            "lapsing": (
                selectors.duties_lapsing(viewer=request.user, today=today, site=site_id)[:50]
                if site or role in SITE_STAFF
                else None
            ),
            "lapse_days": selectors.LAPSE_WARNING_DAYS,
        }
        return {
            "count": page.paginator.count,
            "form_html": render_to_string("training/_matrix_form.html", {"form": form}),
            "html": render_to_string("training/_matrix_body.html", body),
        }

    # The filters and the matrix are kept in the cache under the data versions of the viewer's
    # sites (careerladder/core/versions.py), keyed by the query: a reload costs a cache read.
    cached = versions.cached(
        "training-matrix-page",
        scope=viewer_scope(request.user),
        parts=[sorted(request.GET.lists()), today],
        compute=render_page,
    )
    context = {
        "today": today,
        "query": query.urlencode(),
        "count": cached["count"],
        "form_html": cached["form_html"],
        "body": cached["html"],
        "can_bulk_assign": role in MANAGERS,
    }
    return render(request, "training/matrix.html", context)


def safe_cell(value) -> str:
    """A matrix cell as text, through the project's one formula guard (a name typed as
    ``=HYPERLINK(…)`` must not run in hr's spreadsheet; careerladder/core/exports.py)."""
    return spreadsheet_safe("" if value is None else str(value))


def _export_header(columns) -> list[str]:
    return ["Employee ID", "Last name", "First name", "Site", *[f"{c.name} ({c.kind})" for c in columns]]


def _export_rows(request, today):
    form, site, columns, technicians = _matrix_query(request)
    technicians = technicians.select_related(None).select_related("site")
    yield _export_header(columns)
    for row in selectors.matrix_iter(viewer=request.user, technicians=technicians, columns=columns, today=today):
        t = row.technician
        yield [t.employee_id, t.last_name, t.first_name, t.site.code, *[cell.status for cell in row.cells]]


class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def matrix_csv(request):
    """The matrix as CSV, streamed chunk by chunk (an org-wide export never sits in memory)."""
    _require_role(request, STAFF)
    today = timezone.localdate()
    writer = csv.writer(_Echo())
    lines = (writer.writerow([safe_cell(v) for v in row]) for row in _export_rows(request, today))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-matrix-{today:%Y-%m-%d}.csv"'
    return response


@login_required
@require_GET
def matrix_xlsx(request):
    """The matrix as XLSX: openpyxl's write-only workbook keeps one row in memory and writes
    to a temporary file, which is streamed back."""
    _require_role(request, STAFF)
    today = timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Training matrix")
    for row in _export_rows(request, today):
        sheet.append([safe_cell(v) for v in row])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"training-matrix-{today:%Y-%m-%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Rotations -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rotations(request):
    """A site's week of rotations (Monday to Sunday) and, for its managers, the form to
    schedule one. ``?site=`` picks the site, ``?week=YYYY-MM-DD`` any day of the week."""
    _require_role(request, STAFF)
    sites = list(site_list(viewer=request.user)[:500])
    site_id = request.GET.get("site") or request.POST.get("site")
    site = next((s for s in sites if str(s.pk) == str(site_id)), sites[0] if sites else None)
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    monday = day - dt.timedelta(days=day.weekday())
    may_schedule = site is not None and can_manage_site(request.user, site.pk)
    form = None
    if may_schedule:
        technicians = selectors.matrix_technicians(viewer=request.user, site=site.pk).select_related(None)
        form = RotationForm(request.POST or None, technicians=technicians)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not can_schedule_rotation(request.user, data["technician"]):
                raise PermissionDenied("Only the technician's managers and HR schedule rotations.")
            try:
                rotation = services.rotation_schedule(scheduled_by=request.user, **data)
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"{rotation.technician.full_name} scheduled: {rotation}.")
                return redirect(f"{reverse('training:rotations')}?site={site.pk}&week={rotation.start:%Y-%m-%d}")
    elif request.method == "POST":
        raise PermissionDenied("Only the site's managers and HR schedule rotations.")
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    context = {
        "sites": sites,
        "site": site,
        "days": days,
        "week": selectors.rotation_week(viewer=request.user, site=site.pk, monday=monday) if site else [],
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "form": form,
    }
    return render(request, "training/rotations.html", context)
