"""Ladder pages. Every technician-owned object is fetched through the scoping selectors (out
of scope: 404); a page that is not for a role answers 404, a forbidden action on a visible
object 403; every change goes through ``tiers.services``."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from careerladder.core.errors import ApplicationError
from careerladder.core.validators import MAX_DATABASE_ID
from competencies.models import ChecklistItem, Competency
from technicians import selectors as technician_selectors
from technicians.models import Technician
from tiers import forms, selectors, services
from tiers.models import RUBRIC, Promotion, Tier
from tiers.permissions import (
    can_decide_promotion,
    can_enrol,
    can_evaluate,
    can_manage_ladder,
    can_record_meeting,
    can_sign_off,
)
from tracks.models import Enrolment, Track, TrackPosition

PAGE_SIZE = 50
MANAGERS = ("manager", "hr", "admin")


def _role(request) -> str | None:
    return technician_selectors.role_of(request.user)


def _technician(request, pk, record: str = technician_selectors.Record.TECHNICIANS) -> Technician:
    try:
        return technician_selectors.technician_get(viewer=request.user, pk=pk, record=record)
    except Technician.DoesNotExist:
        raise Http404("No such technician.") from None


def _form_problem(form) -> str:
    """The messages of an invalid one-field form posted from another page (it redirects, so
    the messages go to the top of that page): "Justification: Ensure this value has …"."""
    return " ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


def _error_to_form(form, exc: Exception) -> None:
    if isinstance(exc, ApplicationError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "messages", [str(exc)]))


# ---------------------------------------------------------------------------------------------
# The ladder itself (everyone reads; hr edits)
# ---------------------------------------------------------------------------------------------


@login_required
def ladder(request):
    """The tiers with their requirements, and every competency with its checklist."""
    competencies = list(selectors.competency_list(active_only=not can_manage_ladder(request.user)))
    return render(
        request,
        "tiers/ladder.html",
        {
            "tiers": selectors.ladder_tiers(),
            "competencies": competencies,
            "can_edit": can_manage_ladder(request.user),
            "show_mentoring": _role(request) in MANAGERS or selectors.mentee_list(viewer=request.user).exists(),
        },
    )


@login_required
def tier_edit(request, pk: int):
    if not can_manage_ladder(request.user):
        raise Http404
    tier = get_object_or_404(Tier, pk=pk)
    form = forms.TierRequirementsForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.tier_requirements_set(
                tier=tier,
                required_competencies=list(data["required_competencies"]),
                specialty_competencies=list(data["specialty_competencies"]),
                min_specialty_competencies=data["min_specialty_competencies"],
                required_certifications=list(data["required_certifications"]),
                min_evaluation_average=data["min_evaluation_average"],
                min_months_in_prior_tier=data["min_months_in_prior_tier"],
                expected_months=data["expected_months"],
                duties=data["duties"],
            )
        except (ApplicationError, ValidationError) as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, f"The requirements of {tier.name} were saved.")
            return redirect("tiers:ladder")
    return render(request, "tiers/tier_form.html", {"form": form, "tier": tier})


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
                "tct_min_checks": i.tct_min_checks,
                "tct_min_days": i.tct_min_days,
                "tct_min_accuracy": i.tct_min_accuracy,
            }
            for i in competency.items.filter(active=True).order_by("position", "id")
        ]
    form = forms.CompetencyForm(request.POST or None, instance=competency)
    formset = forms.ChecklistItemFormSet(request.POST or None, initial=initial_items, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        items = []
        for item_form in formset:
            data = item_form.cleaned_data
            if not data or data.get("DELETE") or not (data.get("text") or "").strip():
                continue
            items.append({k: v for k, v in data.items() if k != "DELETE"} | {"measure": data.get("measure") or ""})
        try:
            saved = services.competency_save(competency=competency, items=items, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, f"{saved.name} was saved.")
            return redirect(f"{reverse('tiers:ladder')}#competency-{saved.code}")
    return render(
        request,
        "tiers/competency_form.html",
        {"form": form, "formset": formset, "competency": competency, "measures": ChecklistItem.Measure},
    )


@login_required
def competency_create(request):
    return _competency_form_page(request, None)


@login_required
def competency_edit(request, pk: int):
    return _competency_form_page(request, get_object_or_404(Competency, pk=pk))


# ---------------------------------------------------------------------------------------------
# The sign-off screen
# ---------------------------------------------------------------------------------------------


@login_required
def signoff_sheet(request, pk: int):
    """Sign off many checklist items of one technician in one go."""
    technician = _technician(request, pk)
    if not can_sign_off(request.user, technician):
        raise Http404
    form = forms.SignOffSheetForm(request.POST or None)
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
                    services.SignOffInput(
                        item=item,
                        result=result,
                        measurement=Decimal(measurement) if measurement is not None else None,
                    )
                )
            created = services.signoff_record_many(
                technician=technician,
                evaluator=request.user,
                entries=entries,
                signed_on=form.cleaned_data["signed_on"],
                method=form.cleaned_data["method"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            _error_to_form(form, exc)
        else:
            passed = sum(1 for s in created if s.result == "pass")
            failed = len(created) - passed
            text = f"{len(created)} sign-off{'s' if len(created) != 1 else ''} recorded for {technician.full_name}"
            text += f" ({failed} failed)." if failed else "."
            messages.success(request, text)
            return redirect("tiers:signoffs", pk=technician.pk)
    today = timezone.localdate()
    sheet = selectors.signoff_sheet(technician=technician, today=today)
    return render(
        request,
        "tiers/signoffs.html",
        {"technician": technician, "form": form, "today": today, **sheet},
    )


# ---------------------------------------------------------------------------------------------
# Evaluations
# ---------------------------------------------------------------------------------------------


@login_required
def evaluations(request, pk: int):
    """A technician's monthly evaluations; managers and hr record a new one here."""
    technician = _technician(request, pk, record=technician_selectors.Record.EVALUATIONS)
    may_evaluate = can_evaluate(request.user, technician)
    form = forms.EvaluationForm(request.POST or None) if may_evaluate else None
    if request.method == "POST":
        if not may_evaluate:
            raise PermissionDenied("Only the technician's managers and HR record evaluations.")
        if form.is_valid():
            try:
                services.evaluation_create(
                    technician=technician,
                    evaluator=request.user,
                    month=form.cleaned_data["month"],
                    scores={name: int(form.cleaned_data[name]) for name in RUBRIC},
                    comments=form.cleaned_data["comments"],
                )
            except ApplicationError as exc:
                _error_to_form(form, exc)
            else:
                messages.success(
                    request, "The evaluation was recorded; the technician will be asked to acknowledge it."
                )
                return redirect("tiers:evaluations", pk=technician.pk)
    rows = list(selectors.evaluation_list(viewer=request.user).filter(technician=technician).order_by("-month")[:24])
    standing = selectors.ladder_standing(technician=technician, today=timezone.localdate())
    return render(
        request,
        "tiers/evaluations.html",
        {
            "technician": technician,
            "form": form,
            "evaluations": rows,
            "rubric": RUBRIC,
            "standing": standing,
            "is_self": request.user.technician_id == technician.pk,
        },
    )


@login_required
@require_POST
def evaluation_acknowledge(request, pk: int):
    evaluation = get_object_or_404(selectors.evaluation_list(viewer=request.user), pk=pk)
    if request.user.technician_id != evaluation.technician_id:
        raise PermissionDenied("Only the evaluated technician acknowledges an evaluation.")
    form = forms.AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect("me")
    comment = form.cleaned_data["comment"]
    try:
        services.evaluation_acknowledge(evaluation=evaluation, user=request.user, comment=comment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Evaluation for {evaluation.month:%B %Y} acknowledged.")
    return redirect("me")


# ---------------------------------------------------------------------------------------------
# Promotions
# ---------------------------------------------------------------------------------------------


@login_required
def promotion_queue(request):
    """Promotion requests of the viewer's sites, pending first, each with today's eligibility."""
    if _role(request) not in MANAGERS:
        raise Http404
    status = request.GET.get("status") or Promotion.Status.PENDING
    if status not in Promotion.Status.values:
        status = Promotion.Status.PENDING
    qs = selectors.promotion_list(viewer=request.user, status=status).order_by("created_at", "id")
    if status != Promotion.Status.PENDING:
        qs = qs.order_by("-decided_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    standings = {}
    if status == Promotion.Status.PENDING and rows:
        standings = selectors.ladder_standing_many(technicians=[p.technician for p in rows], today=timezone.localdate())
    for promotion in rows:
        promotion.standing = standings.get(promotion.technician_id)
    pending_count = (
        page.paginator.count
        if status == Promotion.Status.PENDING
        else selectors.promotion_list(viewer=request.user, status=Promotion.Status.PENDING).count()
    )
    return render(
        request,
        "tiers/promotion_queue.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": Promotion.Status.choices,
            "pending_count": pending_count,
            "query": f"status={status}",
        },
    )


@login_required
def promotion_ready(request):
    """Active technicians of one site who are eligible for the next tier today."""
    if _role(request) not in MANAGERS:
        raise Http404
    site_ids = technician_selectors.viewer_site_ids(request.user)
    default_site = site_ids[0] if site_ids else None
    if default_site is None:
        first = technician_selectors.site_list(viewer=request.user).order_by("code").first()
        default_site = first.pk if first else None
    form = forms.ReadyFilterForm(request.GET or {"site": default_site}, viewer=request.user)
    site = form.cleaned_data["site"] if form.is_valid() else None
    ready, close = [], []
    if site is not None:
        technicians = list(
            technician_selectors.technician_list(viewer=request.user, site=site.pk, status="active").order_by(
                "last_name", "first_name", "id"
            )
        )
        standings = selectors.ladder_standing_many(technicians=technicians, today=timezone.localdate())
        pending = set(
            selectors.promotion_list(viewer=request.user, status=Promotion.Status.PENDING, site=site.pk).values_list(
                "technician_id", flat=True
            )
        )
        for tech in technicians:
            standing = standings[tech.pk]
            tech.standing = standing
            tech.has_pending = tech.pk in pending
            if standing.next_tier is None:
                continue
            if standing.eligible:
                ready.append(tech)
            elif len(standing.missing) <= 2:
                close.append(tech)
    return render(
        request,
        "tiers/promotion_ready.html",
        {"form": form, "site": site, "ready": ready, "close": close},
    )


@login_required
def promotion_create(request, pk: int):
    technician = _technician(request, pk, record=technician_selectors.Record.PROMOTIONS)
    if not can_decide_promotion(request.user, technician):
        raise Http404
    standing = selectors.ladder_standing(technician=technician, today=timezone.localdate())
    form = forms.NominationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_nominate(
                technician=technician,
                nominated_by=request.user,
                effective_date=form.cleaned_data["effective_date"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, f"Promotion request opened for {technician.full_name}.")
            return redirect("tiers:promotion-detail", pk=promotion.pk)
    return render(request, "tiers/promotion_form.html", {"technician": technician, "form": form, "standing": standing})


def _promotion(request, pk) -> Promotion:
    return get_object_or_404(selectors.promotion_list(viewer=request.user), pk=pk)


@login_required
def promotion_detail(request, pk: int):
    promotion = _promotion(request, pk)
    standing = None
    if promotion.status == Promotion.Status.PENDING:
        standing = selectors.ladder_standing(technician=promotion.technician, today=timezone.localdate())
    may_decide = promotion.status == Promotion.Status.PENDING and can_decide_promotion(
        request.user, promotion.technician
    )
    return render(
        request,
        "tiers/promotion_detail.html",
        {
            "promotion": promotion,
            "standing": standing,
            "may_decide": may_decide,
            "is_hr": _role(request) in ("hr", "admin"),
            "approve_form": forms.ApproveForm(),
            "reject_form": forms.RejectForm(),
        },
    )


@login_required
@require_POST
def promotion_approve(request, pk: int):
    promotion = _promotion(request, pk)
    if not can_decide_promotion(request.user, promotion.technician):
        raise PermissionDenied("You may not decide this promotion request.")
    form = forms.ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect("tiers:promotion-detail", pk=promotion.pk)
    justification = form.cleaned_data["justification"]
    try:
        services.promotion_approve(promotion=promotion, approver=request.user, justification=justification)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("tiers:promotion-detail", pk=promotion.pk)
    messages.success(
        request,
        f"{promotion.technician.full_name} is now {promotion.to_tier.name} from {promotion.effective_date:%b %-d, %Y}.",
    )
    return redirect("tiers:promotion-queue")


@login_required
@require_POST
def promotion_reject(request, pk: int):
    promotion = _promotion(request, pk)
    if not can_decide_promotion(request.user, promotion.technician):
        raise PermissionDenied("You may not decide this promotion request.")
    form = forms.RejectForm(request.POST)
    if not form.is_valid() and "reason" in form.errors and request.POST.get("reason", "").strip():
        messages.error(request, _form_problem(form))
        return redirect("tiers:promotion-detail", pk=promotion.pk)
    try:
        services.promotion_reject(
            promotion=promotion, decided_by=request.user, reason=form.cleaned_data["reason"] if form.is_valid() else ""
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("tiers:promotion-detail", pk=promotion.pk)
    messages.success(request, f"The request for {promotion.technician.full_name} was rejected.")
    return redirect("tiers:promotion-queue")


# ---------------------------------------------------------------------------------------------
# Tracks
# ---------------------------------------------------------------------------------------------


def _track_positions():
    return TrackPosition.objects.select_related("track", "min_tier").order_by("track__kind", "position")


@login_required
def tracks(request):
    """The clinical and management tracks; a technician enrols here, a manager enrols theirs."""
    track_rows = list(
        Track.objects.prefetch_related(
            "positions__min_tier", "positions__required_competencies", "positions__required_certifications"
        ).order_by("kind", "name")
    )
    own = None
    if request.user.technician_id:
        own = technician_selectors.technician_list(viewer=request.user).filter(pk=request.user.technician_id).first()
    enrolments = []
    if own is not None:
        enrolments = selectors.enrolments_with_progress(technicians=[own], today=timezone.localdate())
    manager_form = None
    if _role(request) in MANAGERS:
        scoped = technician_selectors.technician_list(viewer=request.user, status="active")
        if _role(request) == "manager":
            scoped = scoped.filter(site_id__in=technician_selectors.viewer_site_ids(request.user))
        manager_form = forms.EnrolForm(
            technicians=scoped.order_by("last_name", "first_name"), positions=_track_positions()
        )
    return render(
        request,
        "tiers/tracks.html",
        {
            "tracks": track_rows,
            "own": own,
            "enrolments": enrolments,
            "enrolled_tracks": {e.track_id for e in enrolments if e.status == Enrolment.Status.ACTIVE},
            "manager_form": manager_form,
        },
    )


@login_required
@require_POST
def enrol(request):
    technician_id = request.POST.get("technician") or request.user.technician_id
    if not technician_id or not str(technician_id).isdigit():
        messages.error(request, "Choose the technician to enrol.")
        return redirect("tiers:tracks")
    technician = _technician(request, technician_id)
    if not can_enrol(request.user, technician):
        raise PermissionDenied("You may not enrol this technician.")
    chosen = request.POST.get("position") or ""
    position = (
        TrackPosition.objects.select_related("track").filter(pk=int(chosen)).first()
        if chosen.isdigit() and int(chosen) <= MAX_DATABASE_ID
        else None
    )
    if position is None:
        messages.error(request, "Choose a position to aim for.")
        return redirect("tiers:tracks")
    try:
        services.enrolment_create(technician=technician, position=position, enrolled_by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{technician.full_name} is enrolled on the {position.track.name}: {position.name}.")
    if request.user.technician_id == technician.pk:
        return redirect("me")
    return redirect("technicians:detail", pk=technician.pk)


@login_required
@require_POST
def enrolment_withdraw(request, pk: int):
    enrolment = get_object_or_404(selectors.enrolment_list(viewer=request.user), pk=pk)
    if not can_enrol(request.user, enrolment.technician):
        raise PermissionDenied("You may not change this enrolment.")
    try:
        services.enrolment_withdraw(enrolment=enrolment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Withdrawn from the {enrolment.track.name}.")
    return redirect("tiers:tracks")


@login_required
@require_POST
def enrolment_complete(request, pk: int):
    enrolment = get_object_or_404(selectors.enrolment_list(viewer=request.user), pk=pk)
    if not can_decide_promotion(request.user, enrolment.technician):
        raise PermissionDenied("The technician's manager or HR records that a position was taken up.")
    try:
        services.enrolment_complete(enrolment=enrolment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{enrolment.technician.full_name} took up the position {enrolment.position.name}.")
    return redirect("technicians:detail", pk=enrolment.technician_id)


# ---------------------------------------------------------------------------------------------
# Validation and leadership logs
# ---------------------------------------------------------------------------------------------


@login_required
def logs(request, pk: int):
    """Tech-check-tech validation days and management-track hours of one technician."""
    technician = _technician(request, pk)
    if not can_sign_off(request.user, technician):
        raise Http404
    tct_form = forms.TctLogForm(request.POST if request.POST.get("log") == "tct" else None, prefix="tct")
    hours_form = forms.LeadershipHoursForm(request.POST if request.POST.get("log") == "hours" else None, prefix="hours")
    if request.method == "POST":
        try:
            if request.POST.get("log") == "tct" and tct_form.is_valid():
                data = tct_form.cleaned_data
                services.tct_log_record(
                    technician=technician,
                    audited_by=request.user,
                    checked_on=data["checked_on"],
                    verifications=data["verifications"],
                    errors=data["errors"],
                    note=data["note"],
                )
                messages.success(request, "Validation day logged.")
                return redirect("tiers:logs", pk=technician.pk)
            if request.POST.get("log") == "hours" and hours_form.is_valid():
                data = hours_form.cleaned_data
                services.leadership_hours_log(
                    technician=technician,
                    kind=data["kind"],
                    worked_on=data["worked_on"],
                    hours=data["hours"],
                    activity=data["activity"],
                    recorded_by=request.user,
                )
                messages.success(request, "Hours logged.")
                return redirect("tiers:logs", pk=technician.pk)
        except ApplicationError as exc:
            _error_to_form(tct_form if request.POST.get("log") == "tct" else hours_form, exc)
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
        tct = selectors.tct_summary(technician_id=technician.pk, after=last, until=today)
        tct["met"] = selectors.tct_target_met(tct_item, tct)
        tct["since"] = last
    hours = selectors.hours_logged(technician_ids=[technician.pk], until=today).get(technician.pk, {})
    return render(
        request,
        "tiers/logs.html",
        {
            "technician": technician,
            "tct_form": tct_form,
            "hours_form": hours_form,
            "tct_item": tct_item,
            "tct": tct,
            "tct_logs": selectors.tct_log_list(viewer=request.user).filter(technician=technician)[:30],
            "hour_logs": selectors.leadership_hour_list(viewer=request.user).filter(technician=technician)[:30],
            "shadowing": hours.get("shadowing", 0),
            "leadership": hours.get("rotational_leadership", 0),
        },
    )


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------


@login_required
def mentoring(request):
    """A mentor's mentees and meetings; managers and hr also see the pairs of their sites and
    assign mentors."""
    role = _role(request)
    mentees = list(selectors.mentee_list(viewer=request.user))
    is_manager = role in MANAGERS
    if not mentees and not is_manager:
        raise Http404
    loggable = selectors.mentee_list(viewer=request.user)
    pairs = []
    if is_manager:
        scoped = technician_selectors.technician_list(viewer=request.user, status="active").filter(mentor__isnull=False)
        pairs_page = Paginator(scoped.order_by("last_name", "first_name", "id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        pairs = pairs_page
        loggable = Technician.objects.filter(pk__in=scoped.values("pk")) | Technician.objects.filter(
            pk__in=selectors.mentee_list(viewer=request.user).values("pk")
        )
    meeting_form = forms.MeetingForm(
        request.POST if request.POST.get("form") == "meeting" else None,
        mentees=loggable.order_by("last_name", "first_name"),
        prefix="meeting",
    )
    assign_form = (
        forms.MentorAssignForm(
            request.POST if request.POST.get("form") == "assign" else None, viewer=request.user, prefix="assign"
        )
        if is_manager
        else None
    )
    if request.method == "POST":
        if request.POST.get("form") == "meeting" and meeting_form.is_valid():
            data = meeting_form.cleaned_data
            if not can_record_meeting(request.user, data["mentee"]):
                raise PermissionDenied("Only the mentor, the technician's managers and HR log mentoring meetings.")
            try:
                services.mentoring_meeting_record(
                    mentee=data["mentee"],
                    recorded_by=request.user,
                    met_on=data["met_on"],
                    minutes=data["minutes"],
                    topics=data["topics"],
                    notes=data["notes"],
                    next_steps=data["next_steps"],
                )
            except ApplicationError as exc:
                _error_to_form(meeting_form, exc)
            else:
                messages.success(request, f"Meeting with {data['mentee'].full_name} logged.")
                return redirect("tiers:mentoring")
        elif request.POST.get("form") == "assign" and assign_form is not None and assign_form.is_valid():
            data = assign_form.cleaned_data
            try:
                services.mentor_assign(technician=data["technician"], mentor=data["mentor"], assigned_by=request.user)
            except (ApplicationError, ValidationError) as exc:
                _error_to_form(assign_form, exc)
            else:
                messages.success(request, f"{data['mentor'].full_name} now mentors {data['technician'].full_name}.")
                return redirect("tiers:mentoring")
    standings = selectors.ladder_standing_many(technicians=mentees, today=timezone.localdate()) if mentees else {}
    for mentee in mentees:
        mentee.standing = standings[mentee.pk]
    meetings = selectors.mentoring_meeting_list(viewer=request.user)
    if not is_manager:
        meetings = meetings.filter(mentor_id=request.user.technician_id)
    return render(
        request,
        "tiers/mentoring.html",
        {
            "mentees": mentees,
            "pairs": pairs,
            "meeting_form": meeting_form,
            "assign_form": assign_form,
            "meetings": meetings.order_by("-met_on", "-id")[:30],
            "is_manager": is_manager,
        },
    )
