"""Technician and site pages. Scope comes from ``technicians.selectors``; writes from services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from careerladder.core import versions
from careerladder.core.api import CachedCountPaginator
from careerladder.core.dates import months_between
from careerladder.core.views import error_to_form, require, technician_or_404
from competencies.badges import signoff_sheet_qr_svg
from competencies.permissions import can_see_signoff_qr, can_sign_off
from progress.history import technician_history as audit_trail
from progress.selectors import technician_progress
from technicians import selectors, services
from technicians.filters import technicians_filtered
from technicians.forms import SiteCompoundingForm, TechnicianFilterForm, TechnicianForm
from technicians.models import Technician
from technicians.permissions import can_manage_site, can_manage_technician, can_read_history, is_org_wide
from technicians.roles import MANAGERS, Role
from tiers import selectors as ladder_selectors
from tiers import services as tiers_services
from tiers.models import Tier
from tiers.selectors import is_stalled, ladder_standing
from training.selectors import duty_standings

PAGE_SIZE = 50
# Stands for the CSRF token in cached page bodies; replaced by the request's token on the way out.
CSRF_PLACEHOLDER = "csrf-placeholder-3c9e1b"


def _get_technician(request, pk) -> Technician:
    try:
        return ladder_selectors.technician_get(viewer=request.user, pk=pk)
    except Technician.DoesNotExist:
        raise Http404("No such technician.") from None


def _technician_context(tech: Technician) -> dict:
    today = timezone.localdate()
    history = list(ladder_selectors.tier_history(technician=tech))
    current = history[0] if history and history[0].end_date is None else None
    # The ladder is read whether or not there is a current tier: the same queries for everyone.
    ladder = list(Tier.objects.order_by("rank"))
    next_tier = next((t for t in ladder if t.rank > current.tier.rank), None) if current is not None else None
    as_of = tech.termination_date or today
    months_in_tier = months_between(current.start_date, as_of) if current else None
    for row in history:
        row.months = months_between(row.start_date, row.end_date or as_of)
    return {
        "technician": tech,
        "history": history,
        "current": current,
        "next_tier": next_tier,
        "months_in_tier": months_in_tier,
        "stalled": is_stalled(tier=current.tier if current else None, months_in_tier=months_in_tier),
        "tenure_months": months_between(tech.hire_date, as_of),
        "mentees": list(tech.mentees.filter(status=Technician.Status.ACTIVE).order_by("last_name")),
    }


@login_required
def me(request):
    """The technician's own progress page."""
    if not request.user.technician_id:
        raise Http404("This login is not linked to a technician record.")
    tech = _get_technician(request, request.user.technician_id)

    def render_body() -> str:
        context = _technician_context(tech)
        # The career map tag reads the ladder part itself (templates/technicians/_me_body.html).
        context["progress"] = technician_progress(technician=tech, ladder=False)
        context["csrf_token"] = CSRF_PLACEHOLDER
        return render_to_string("technicians/_me_body.html", context, request=request)

    # Kept in the cache under the data versions of the technician's site and their mentor's,
    # whose name the page shows (careerladder/core/versions.py: a mentor deleted at another site
    # clears the mentee's mentor without a signal); the forms get this request's CSRF token.
    body = versions.cached(
        "me",
        scope=selectors.viewer_scope(request.user),
        site_ids=[tech.site_id, *([tech.mentor.site_id] if tech.mentor_id else [])],
        parts=[tech.pk, timezone.localdate()],
        compute=render_body,
    )
    body = mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our own rendered template
    return render(request, "technicians/me.html", {"technician": tech, "body": body})


# What the career map shows besides tiers and competencies.
CAREER_MAP_RECORDS = (
    selectors.Record.EVALUATIONS,
    selectors.Record.PROMOTIONS,
    selectors.Record.CERTIFICATIONS,
    selectors.Record.ENROLMENTS,
)


@login_required
def technician_detail(request, pk: int):
    tech = _get_technician(request, pk)
    # Separation and exit-interview fields emptied for a viewer who may not read them.
    context = _technician_context(selectors.technician_as_seen(viewer=request.user, technician=tech))
    context["can_edit"] = can_manage_technician(request.user, tech)
    context["can_read_history"] = can_read_history(request.user)
    # The career map also shows evaluations, a pending promotion, certificates and tracks: a
    # viewer who reads only the tier and competencies (an evaluator, of a colleague) gets those.
    context["full_record"] = all(
        selectors.may_read(viewer=request.user, technician=tech, record=record) for record in CAREER_MAP_RECORDS
    )
    if context["full_record"]:
        # Authorised duties rest on certificates too: shown to whoever reads the full record.
        context["duties"] = duty_standings(technicians=[tech], on=timezone.localdate())[tech.pk]
    if not context["full_record"]:
        standing = ladder_standing(technician=tech, today=timezone.localdate())
        context["standing"] = standing
        context["competency_rows"] = standing.competency_rows()
        context["may_sign_off"] = can_sign_off(request.user, tech)
    if can_see_signoff_qr(request.user, tech):
        context["signoff_qr"] = signoff_sheet_qr_svg(technician=tech)
    return render(request, "technicians/technician_detail.html", context)


@login_required
@require_GET
def technician_badge(request, pk: int):
    """A printable badge whose QR code opens the technician's sign-off sheet on an evaluator's
    phone (skills fairs). For whoever reads the technician: themself, the evaluators and managers
    of their site, hr and admin; to anyone else the technician is not there (404)."""
    tech = technician_or_404(request, pk)
    return render(
        request,
        "technicians/badge.html",
        {"technician": tech, "signoff_qr": signoff_sheet_qr_svg(technician=tech), "printed_on": timezone.localdate()},
    )


@login_required
@require_GET
def technician_history(request, pk: int):
    """The technician's audit trail (hr and admin; everyone else gets a 404)."""
    if not can_read_history(request.user):
        raise Http404
    tech = _get_technician(request, pk)
    page = audit_trail(technician=tech, viewer=request.user, page=request.GET.get("page"))
    return render(request, "technicians/history.html", {"technician": tech, "page": page})


def _filtered_list(request, *, site=None):
    form = TechnicianFilterForm(request.GET or None, viewer=request.user, fixed_site=site)
    filters = form.cleaned_filters() if form.is_bound and form.is_valid() else {"status": "active"}
    if site is not None:
        filters["site"] = site.pk
    qs = technicians_filtered(ladder_selectors.technician_list(viewer=request.user), **filters)
    qs = qs.order_by("last_name", "first_name", "id")
    # The total (COUNT over a health system's technicians) is kept under the data versions.
    count_key = (selectors.viewer_scope(request.user), ["technician-list", sorted(filters.items())])
    page = CachedCountPaginator(qs, PAGE_SIZE, count_key=count_key).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return form, page, query.urlencode()


@login_required
def technician_list(request):
    if selectors.role_of(request.user) == Role.TECHNICIAN:
        raise Http404
    form, page, query = _filtered_list(request)
    return render(
        request,
        "technicians/technician_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_add": selectors.role_of(request.user) in MANAGERS,
        },
    )


@login_required
def site_list(request):
    if selectors.role_of(request.user) == Role.TECHNICIAN:
        raise Http404
    sites = selectors.site_headcounts(viewer=request.user).order_by("code")
    page = Paginator(sites, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "technicians/site_list.html", {"page": page})


@login_required
def site_detail(request, pk: int):
    if selectors.role_of(request.user) == Role.TECHNICIAN:
        raise Http404
    site = selectors.site_headcounts(viewer=request.user).filter(pk=pk).first()
    if site is None:
        raise Http404("No such site.")
    may_set_category = is_org_wide(request.user)
    category_form = SiteCompoundingForm(
        request.POST if request.method == "POST" else None,
        initial={"compounding_category": site.compounding_category},
    )
    if request.method == "POST":
        require(may_set_category, "Only HR sets a site's compounding category.")
        if category_form.is_valid():
            try:
                saved = services.site_update(site=site, data=category_form.cleaned_data, updated_by=request.user)
            except ValidationError as exc:
                error_to_form(category_form, exc)
            else:
                messages.success(
                    request, f"{saved.code} now compounds at {saved.get_compounding_category_display().lower()}."
                )
                return redirect("technicians:site-detail", pk=site.pk)
    form, page, query = _filtered_list(request, site=site)
    return render(
        request,
        "technicians/site_detail.html",
        {
            "site": site,
            "form": form,
            "page": page,
            "query": query,
            "can_add": can_manage_site(request.user, site.pk),
            "compounding_overrides": list(selectors.compounding_overrides(viewer=request.user, site=site)),
            "category_form": category_form if may_set_category else None,
        },
    )


@login_required
def technician_create(request):
    if selectors.role_of(request.user) not in MANAGERS:
        raise Http404
    form = TechnicianForm(
        request.POST or None,
        viewer=request.user,
        initial={"hire_date": dt.date.today(), "site": request.GET.get("site")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            tech = tiers_services.technician_create(
                employee_id=data["employee_id"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                site=data["site"],
                hire_date=data["hire_date"],
                tier_code=data["tier"].code,
                mentor=data.get("mentor"),
                compounding_category=data.get("compounding_category", ""),
                created_by=request.user,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"{tech.full_name} was added.")
            return redirect("technicians:detail", pk=tech.pk)
    return render(request, "technicians/technician_form.html", {"form": form, "title": "Add a technician"})


@login_required
def technician_edit(request, pk: int):
    tech = _get_technician(request, pk)
    if not can_manage_technician(request.user, tech):
        raise Http404
    form = TechnicianForm(request.POST or None, instance=tech, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data and k != "tier"}
        try:
            tiers_services.technician_update(technician=tech, data=data, updated_by=request.user)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("technicians:detail", pk=tech.pk)
    return render(
        request,
        "technicians/technician_form.html",
        {
            "form": form,
            "title": f"Edit {tech.full_name}",
            "technician": tech,
        },
    )


def _attach_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
