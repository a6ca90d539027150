"""Ladder pages. Every technician-owned object is fetched through the scoping selectors (out
of scope: 404); a page that is not for a role answers 404, a forbidden action on a visible
object 403; every change goes through ``tiers.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from careerladder.core.errors import ApplicationError
from careerladder.core.views import error_to_form, form_problem, technician_or_404
from competencies import selectors as competencies_selectors
from technicians import selectors as technician_selectors
from technicians.roles import MANAGERS, ORG_WIDE
from technicians.selectors import role_of
from tiers import forms, selectors, services
from tiers.filters import promotions_filtered
from tiers.models import RUBRIC, Promotion, Tier
from tiers.permissions import can_decide_promotion, can_evaluate, can_manage_ladder
from tracks import selectors as tracks_selectors

PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------
# The ladder itself (everyone reads; hr edits)
# ---------------------------------------------------------------------------------------------


@login_required
def ladder(request):
    """The tiers with their requirements, and every competency with its checklist."""
    competencies = list(competencies_selectors.competency_list(active_only=not can_manage_ladder(request.user)))
    return render(
        request,
        "tiers/ladder.html",
        {
            "tiers": selectors.ladder_tiers(),
            "competencies": competencies,
            "can_edit": can_manage_ladder(request.user),
            "tct_rule": competencies_selectors.tct_rule_for(state=""),
            "show_mentoring": role_of(request.user) in MANAGERS
            or tracks_selectors.mentee_list(viewer=request.user).exists(),
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
            error_to_form(form, exc)
        else:
            messages.success(request, f"The requirements of {tier.name} were saved.")
            return redirect("tiers:ladder")
    return render(request, "tiers/tier_form.html", {"form": form, "tier": tier})


# ---------------------------------------------------------------------------------------------
# The sign-off screen
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Evaluations
# ---------------------------------------------------------------------------------------------


@login_required
def evaluations(request, pk: int):
    """A technician's monthly evaluations; managers and hr record a new one here."""
    technician = technician_or_404(request, pk, record=technician_selectors.Record.EVALUATIONS)
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
                error_to_form(form, exc)
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
        messages.error(request, form_problem(form))
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
    if role_of(request.user) not in MANAGERS:
        raise Http404
    status = request.GET.get("status") or Promotion.Status.PENDING
    if status not in Promotion.Status.values:
        status = Promotion.Status.PENDING
    qs = promotions_filtered(selectors.promotion_list(viewer=request.user), status=status).order_by("created_at", "id")
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
        else promotions_filtered(selectors.promotion_list(viewer=request.user), status=Promotion.Status.PENDING).count()
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
    """The technicians of one site who are ready for promotion (``tiers.selectors.promotion_candidates``
    whose standing is ready, as on the dashboard), and those one or two requirements away."""
    if role_of(request.user) not in MANAGERS:
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
            selectors.promotion_candidates(viewer=request.user, today=timezone.localdate(), site_id=site.pk).order_by(
                "last_name", "first_name", "id"
            )
        )
        standings = selectors.ladder_standing_many(technicians=technicians, today=timezone.localdate())
        pending = set(
            promotions_filtered(
                selectors.promotion_list(viewer=request.user), status=Promotion.Status.PENDING, site=site.pk
            ).values_list("technician_id", flat=True)
        )
        for tech in technicians:
            standing = standings[tech.pk]
            tech.standing = standing
            tech.has_pending = tech.pk in pending
            if standing.next_tier is None:
                continue
            if selectors.standings_ready([standing]):
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
    technician = technician_or_404(request, pk, record=technician_selectors.Record.PROMOTIONS)
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
            error_to_form(form, exc)
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
            "is_hr": role_of(request.user) in ORG_WIDE,
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
        messages.error(request, form_problem(form))
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
        messages.error(request, form_problem(form))
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


# ---------------------------------------------------------------------------------------------
# Validation and leadership logs
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------
