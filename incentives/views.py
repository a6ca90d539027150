"""Incentive pages: the list in the viewer's scope, awarding, the trigger check and hr's
programme editor."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careerladder.core.errors import ApplicationError
from careerladder.core.views import error_to_form, paginate, query_without, require, require_role, scoped_or_404
from certifications import permissions
from certifications.forms import (
    SiteFilterForm,
)
from incentives import selectors as incentives_selectors
from incentives import services as incentives_services
from incentives.forms import AwardForm, IncentiveProgramForm
from incentives.models import Incentive, IncentiveProgram
from technicians.models import Technician
from technicians.permissions import is_org_wide
from technicians.roles import MANAGERS, ORG_WIDE
from technicians.selectors import Record, scope_to_viewer


@login_required
def incentive_list(request):
    require_role(request, MANAGERS)
    status_field = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Incentive.Status.choices], label="Status"
    )
    form = SiteFilterForm(request.GET or None, viewer=request.user, extra={"status": status_field})
    page = paginate(
        request,
        incentives_selectors.incentive_list(viewer=request.user, site=form.value("site"), status=form.value("status")),
    )
    return render(
        request,
        "incentives/incentive_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without(request),
            "programs": list(incentives_selectors.incentive_program_list()),
            "is_hr": is_org_wide(request.user),
        },
    )


@login_required
def incentive_award(request, pk: int):
    incentive = scoped_or_404(incentives_selectors.incentive_list(viewer=request.user), pk)
    require(
        permissions.can_oversee(request.user, incentive.technician),
        "Only a manager of the technician's site or HR awards incentives.",
    )
    form = AwardForm(request.POST or None, initial={"amount": incentive.amount})
    if request.method == "POST" and form.is_valid():
        try:
            incentives_services.incentive_award(incentive=incentive, awarded_by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, f"{incentive.program.name} awarded to {incentive.technician.full_name}.")
            return redirect("incentives:incentive-list")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": incentive.technician,
            "title": f"Award: {incentive.program.name}",
            "intro": f"{incentive.technician.full_name} became eligible on "
            f"{incentive.eligible_on:%B} {incentive.eligible_on.day}, {incentive.eligible_on.year}: "
            f"{incentive.trigger_detail}.",
            "back": reverse("incentives:incentive-list"),
        },
    )


@login_required
@require_POST
def incentive_check(request):
    require_role(request, MANAGERS)
    ids = list(
        scope_to_viewer(
            Technician.objects.all(), viewer=request.user, technician_field="", record=Record.INCENTIVES
        ).values_list("pk", flat=True)
    )
    created = incentives_services.incentives_evaluate(technician_ids=ids)
    messages.success(
        request,
        f"{created} technician{'s' if created != 1 else ''} became eligible."
        if created
        else "No new eligibility: everyone eligible is listed already.",
    )
    return redirect("incentives:incentive-list")


@login_required
def program_create(request):
    require_role(request, ORG_WIDE)
    return _program_form(request, None)


@login_required
def program_edit(request, pk: int):
    program = scoped_or_404(incentives_selectors.incentive_program_list(), pk)
    require(is_org_wide(request.user), "Only HR edits incentive programmes.")
    return _program_form(request, program)


def _program_form(request, program: IncentiveProgram | None):
    form = IncentiveProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if program is None:
                incentives_services.incentive_program_create(**data)
            else:
                data.pop("code", None)
                incentives_services.incentive_program_update(program=program, data=data)
        except (ValidationError, ApplicationError) as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, "Incentive programme saved.")
            return redirect("incentives:incentive-list")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "title": "Add an incentive programme" if program is None else f"Edit {program.name}",
            "intro": "A technician becomes eligible when the trigger fires on or after the "
            "programme's start; a manager then marks it awarded.",
            "back": reverse("incentives:incentive-list"),
        },
    )
