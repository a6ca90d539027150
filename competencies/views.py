"""Competency pages: the sign-off sheet, the tech-check-tech and leadership-hour logs of a
technician, and hr's competency editor."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from careerladder.core.views import error_to_form, require, require_role, technician_or_404
from competencies import forms as competencies_forms
from competencies import selectors as competencies_selectors
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency
from competencies.permissions import can_sign_off
from technicians.roles import STAFF
from tiers import selectors
from tiers.permissions import can_manage_ladder
from tracks import forms as tracks_forms
from tracks import selectors as tracks_selectors
from tracks import services as tracks_services


def _competency_form_page(request, competency: Competency | None):
    if not can_manage_ladder(request.user):
        raise Http404
    initial_items = []
    if competency is not None:
        initial_items = [
            {
                "id": i.pk,
                "text": i.text,
                "measure": i.measure,
                "max_cfu": i.max_cfu,
                "passes_required": i.passes_required,
                "initial_only": i.initial_only,
            }
            for i in competency.items.filter(active=True).order_by("position", "id")
        ]
    form = competencies_forms.CompetencyForm(request.POST or None, instance=competency)
    formset = competencies_forms.ChecklistItemFormSet(request.POST or None, initial=initial_items, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        items = []
        for item_form in formset:
            data = item_form.cleaned_data
            if not data or data.get("DELETE") or not (data.get("text") or "").strip():
                continue
            items.append({k: v for k, v in data.items() if k != "DELETE"} | {"measure": data.get("measure") or ""})
        try:
            saved = competencies_services.competency_save(competency=competency, items=items, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, f"{saved.name} was saved.")
            return redirect(f"{reverse('tiers:ladder')}#competency-{saved.code}")
    return render(
        request,
        "competencies/competency_form.html",
        {"form": form, "formset": formset, "competency": competency, "measures": ChecklistItem.Measure},
    )


@login_required
def competency_create(request):
    return _competency_form_page(request, None)


@login_required
def competency_edit(request, pk: int):
    return _competency_form_page(request, get_object_or_404(Competency, pk=pk))


@login_required
def signoff_sheet(request, pk: int):
    """Sign off many checklist items of one technician in one go."""
    technician = technician_or_404(request, pk)
    if not can_sign_off(request.user, technician):
        raise Http404
    form = competencies_forms.SignOffSheetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = [int(v) for v in request.POST.getlist("item") if v.isdigit()]
        items = {
            i.pk: i
            for i in ChecklistItem.objects.filter(pk__in=chosen, active=True, competency__active=True).select_related(
                "competency"
            )
        }
        entries = []
        try:
            for item_id in chosen:
                item = items.get(item_id)
                if item is None:
                    raise ApplicationError("One of the chosen items is no longer on a checklist.", field="item")
                measurement = None
                if item.measure == ChecklistItem.Measure.CFU:
                    raw = request.POST.get(f"measurement-{item.pk}", "").strip()
                    if not raw.isdigit():
                        raise ApplicationError(f"Enter the colony count (CFU) for '{item.text}'.")
                    measurement = int(raw)
                    result = None
                elif item.measure == ChecklistItem.Measure.TCT:
                    result = None
                else:
                    result = form.cleaned_data["result"]
                entries.append(
                    competencies_services.SignOffInput(
                        item=item,
                        result=result,
                        measurement=Decimal(measurement) if measurement is not None else None,
                    )
                )
            created = competencies_services.signoff_record_many(
                technician=technician,
                evaluator=request.user,
                entries=entries,
                signed_on=form.cleaned_data["signed_on"],
                method=form.cleaned_data["method"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            passed = sum(1 for s in created if s.result == "pass")
            failed = len(created) - passed
            text = f"{len(created)} sign-off{'s' if len(created) != 1 else ''} recorded for {technician.full_name}"
            text += f" ({failed} failed)." if failed else "."
            messages.success(request, text)
            return redirect("competencies:signoffs", pk=technician.pk)
    today = timezone.localdate()
    sheet = selectors.signoff_sheet(technician=technician, today=today)
    return render(
        request,
        "competencies/signoffs.html",
        {"technician": technician, "form": form, "today": today, **sheet},
    )


@login_required
def logs(request, pk: int):
    """Tech-check-tech validation days and management-track hours of one technician."""
    technician = technician_or_404(request, pk)
    if not can_sign_off(request.user, technician):
        raise Http404
    tct_form = competencies_forms.TctLogForm(request.POST if request.POST.get("log") == "tct" else None, prefix="tct")
    hours_form = tracks_forms.LeadershipHoursForm(
        request.POST if request.POST.get("log") == "hours" else None, prefix="hours"
    )
    if request.method == "POST":
        try:
            if request.POST.get("log") == "tct" and tct_form.is_valid():
                data = tct_form.cleaned_data
                competencies_services.tct_log_record(
                    technician=technician,
                    audited_by=request.user,
                    checked_on=data["checked_on"],
                    verifications=data["verifications"],
                    errors=data["errors"],
                    note=data["note"],
                )
                messages.success(request, "Validation day logged.")
                return redirect("competencies:logs", pk=technician.pk)
            if request.POST.get("log") == "hours" and hours_form.is_valid():
                data = hours_form.cleaned_data
                tracks_services.leadership_hours_log(
                    technician=technician,
                    kind=data["kind"],
                    worked_on=data["worked_on"],
                    hours=data["hours"],
                    activity=data["activity"],
                    recorded_by=request.user,
                )
                messages.success(request, "Hours logged.")
                return redirect("competencies:logs", pk=technician.pk)
        except ApplicationError as exc:
            error_to_form(tct_form if request.POST.get("log") == "tct" else hours_form, exc)
    today = timezone.localdate()
    tct_item = (
        ChecklistItem.objects.filter(measure=ChecklistItem.Measure.TCT, active=True)
        .select_related("competency")
        .first()
    )
    tct = None
    if tct_item is not None:
        last = (
            technician.competency_rounds.filter(competency=tct_item.competency, achieved_on__isnull=False)
            .order_by("-number")
            .values_list("achieved_on", flat=True)
            .first()
        )
        tct = competencies_selectors.tct_summary(technician_id=technician.pk, after=last, until=today)
        tct["rule"] = competencies_selectors.tct_rule_of(technician)
        tct["met"] = competencies_selectors.tct_target_met(tct["rule"], tct)
        tct["since"] = last
    hours = tracks_selectors.hours_logged(technician_ids=[technician.pk], until=today).get(technician.pk, {})
    return render(
        request,
        "competencies/logs.html",
        {
            "technician": technician,
            "tct_form": tct_form,
            "hours_form": hours_form,
            "tct_item": tct_item,
            "tct": tct,
            "tct_logs": competencies_selectors.tct_log_list(viewer=request.user).filter(technician=technician)[:30],
            "hour_logs": tracks_selectors.leadership_hour_list(viewer=request.user).filter(technician=technician)[:30],
            "shadowing": hours.get("shadowing", 0),
            "leadership": hours.get("rotational_leadership", 0),
        },
    )


def _errors_to_form(form, exc: ValidationError) -> None:
    """Every field's message under its field (a service may refuse several at once)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        error_to_form(form, exc)


@login_required
def policy(request):
    """The USP <797> re-assessment policy and the tech-check-tech rules by state: staff read
    them, hr (and admin) change them, with the history of changes below (hr and admin).

    One page, three actions (``action``): ``policy`` saves the intervals and the "passes in a
    row" rule; ``rule`` creates or changes the rule of the state chosen (blank: the default);
    ``delete-rule`` removes a state's rule (its technicians follow the default again)."""
    require_role(request, STAFF)
    editable = can_manage_ladder(request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        require(editable, "Only HR changes the competency policy.")
    policy_obj = competencies_selectors.competency_policy_get()
    policy_form = competencies_forms.CompetencyPolicyForm(
        request.POST if action == "policy" else None, instance=policy_obj, prefix="policy"
    )
    rule_form = competencies_forms.TctRuleForm(
        request.POST if action == "rule" else None,
        prefix="rule",
        initial=dict(competencies_selectors.DEFAULT_TCT_RULE),
    )
    if not editable:
        for field in policy_form.fields.values():
            field.disabled = True
    try:
        if action == "policy" and policy_form.is_valid():
            data = {k: policy_form.cleaned_data[k] for k in competencies_services.POLICY_FIELDS}
            competencies_services.competency_policy_update(data=data, updated_by=request.user)
            messages.success(request, "Policy saved. Competencies achieved from now on follow the new intervals.")
            return redirect("competencies:policy")
        if action == "rule" and rule_form.is_valid():
            data = {k: rule_form.cleaned_data[k] for k in competencies_services.TCT_RULE_FIELDS}
            rule = competencies_services.tct_rule_save(
                state=rule_form.cleaned_data["state"], data=data, updated_by=request.user
            )
            messages.success(request, f"Tech-check-tech rule {rule.state or 'default'} saved.")
            return redirect("competencies:policy")
        if action == "delete-rule":
            raw = request.POST.get("rule", "")
            removed = None
            if raw.isascii() and raw.isdecimal():
                removed = competencies_services.tct_rule_delete(rule_id=int(raw), deleted_by=request.user)
            if removed is None:
                messages.error(request, "That tech-check-tech rule no longer exists.")
            else:
                messages.success(request, f"Tech-check-tech rule {removed.state} removed.")
            return redirect("competencies:policy")
    except ApplicationError as exc:
        if action == "delete-rule":
            messages.error(request, exc.message)
            return redirect("competencies:policy")
        _errors_to_form(policy_form if action == "policy" else rule_form, exc)
    return render(
        request,
        "competencies/policy.html",
        {
            "policy": policy_obj,
            "policy_form": policy_form,
            "rule_form": rule_form,
            "rules": competencies_selectors.tct_rule_list(),
            "editable": editable,
            "history": competencies_selectors.competency_policy_history(viewer=request.user),
        },
    )
