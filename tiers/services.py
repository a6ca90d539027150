"""Every write of the ladder: the tiers and their requirements (hr), a technician's place on it
(hiring onto the ladder with a first tier, profile changes that move the first tier or the
mentor, tier history), evaluations and promotions. Views, the API, imports, the admin,
commands and the demo all call these.

Callers check who may act with ``tiers.permissions`` first (for the page's message and the
403). Every rule that reads a row's state before writing (a request still pending, a month not
yet evaluated, the technician's site for the evaluator's scope, the mentee's mentor) is
checked again here after locking that row (``select_for_update``), and the check here decides:
a change that commits between the page's check and the write is seen, never overwritten.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from careerladder.core.audit import attribute
from careerladder.core.dates import check_not_future
from careerladder.core.errors import ApplicationError
from competencies.models import Competency
from technicians.models import Site, Technician, User
from technicians.roles import ORG_WIDE
from technicians.selectors import role_of
from technicians.services import (
    TECHNICIAN_EDITABLE,
    technician_apply_changes,
    technician_check_separation,
    technician_full_clean,
    technician_lock,
    technicians_end_logins,
)
from tiers.models import RUBRIC, Evaluation, Promotion, Tier, TierAssignment
from tiers.permissions import can_decide_promotion
from tiers.selectors import (
    ladder_standing,
)


def tier_get_by_code(code: str) -> Tier:
    try:
        return Tier.objects.get(code=code)
    except Tier.DoesNotExist:
        codes = ", ".join(Tier.objects.order_by("rank").values_list("code", flat=True))
        raise ApplicationError(f"Unknown tier '{code}'. Use one of: {codes}.", field="tier") from None


class TierStart:
    """What ``tier_start_problem`` finds wrong with a tier change's start."""

    NOT_AFTER_CURRENT = "not_after_current"
    BEFORE_HIRE = "before_hire"
    NOT_BEFORE_TERMINATION = "not_before_termination"


def tier_start_problem(
    *, start: dt.date, current_start: dt.date | None, hire_date: dt.date, termination_date: dt.date | None = None
) -> str | None:
    """The one rule for when a new tier assignment may start, for the service below and the
    import's set-based check alike (each words it for its own page): after the current
    assignment began (history is corrected in the admin, not overwritten), not before the hire
    date, and before the termination date. A ``TierStart`` value, or ``None`` when it may."""
    if current_start is not None and start <= current_start:
        return TierStart.NOT_AFTER_CURRENT
    if start < hire_date:
        return TierStart.BEFORE_HIRE
    if termination_date is not None and start >= termination_date:
        return TierStart.NOT_BEFORE_TERMINATION
    return None


@transaction.atomic
def tier_assignment_start(
    *,
    technician,
    tier: Tier,
    start_date: dt.date,
    reason: str,
    recorded_by=None,
    note: str = "",
) -> TierAssignment:
    """Close the open assignment the day ``start_date`` begins and open one in ``tier``.

    Refuses back-dated changes that would start on or before the current assignment's start:
    history is corrected in the admin, not overwritten here.
    """
    technician = technician_lock(technician)  # two first assignments at once: one waits
    current = (
        TierAssignment.objects.select_for_update()
        .filter(technician=technician, end_date__isnull=True)
        .select_related("tier")
        .first()
    )
    if current is not None and current.tier_id == tier.pk:
        raise ApplicationError(f"{technician.full_name} is already in {tier.name}.", field="tier")
    problem = tier_start_problem(
        start=start_date,
        current_start=current.start_date if current else None,
        hire_date=technician.hire_date,
        termination_date=technician.termination_date,
    )
    if problem == TierStart.NOT_AFTER_CURRENT:
        raise ApplicationError(
            f"The change must start after {current.start_date:%Y-%m-%d}, when the current tier began.",
            field="effective_date",
        )
    if problem == TierStart.BEFORE_HIRE:
        raise ApplicationError("A tier cannot start before the hire date.", field="start_date")
    if problem == TierStart.NOT_BEFORE_TERMINATION:
        raise ApplicationError(
            f"A tier cannot start on or after the termination date ({technician.termination_date:%Y-%m-%d}).",
            field="effective_date",
        )
    if current is not None:
        current.end_date = start_date
        attribute(current, recorded_by)
        current.save(update_fields=["end_date", "updated_at"])
    assignment = TierAssignment(
        technician=technician,
        tier=tier,
        start_date=start_date,
        reason=reason,
        recorded_by=recorded_by,
        note=note,
    )
    attribute(assignment, recorded_by)
    assignment.save()
    return assignment


# ---------------------------------------------------------------------------------------------
# Competencies (hr) and tier requirements
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def tier_requirements_set(
    *,
    tier: Tier,
    required_competencies: list[Competency] | None = None,
    specialty_competencies: list[Competency] | None = None,
    min_specialty_competencies: int | None = None,
    required_certifications: list | None = None,
    min_evaluation_average: Decimal | None | object = ...,
    min_months_in_prior_tier: int | None | object = ...,
    expected_months: int | None = None,
    duties: str | None = None,
) -> Tier:
    """Change what promotion into ``tier`` asks for (hr). Arguments left out stay as they are."""
    if min_evaluation_average is not ...:
        tier.min_evaluation_average = min_evaluation_average
    if min_months_in_prior_tier is not ...:
        tier.min_months_in_prior_tier = min_months_in_prior_tier
    if min_specialty_competencies is not None:
        tier.min_specialty_competencies = min_specialty_competencies
    if expected_months is not None:
        tier.expected_months = expected_months
    if duties is not None:
        tier.duties = duties
    tier.full_clean()
    specialties = (
        specialty_competencies if specialty_competencies is not None else list(tier.specialty_competencies.all())
    )
    if tier.min_specialty_competencies > len(specialties):
        raise ApplicationError(
            f"Only {len(specialties)} specialty competencies are listed; at most that many can be required.",
            field="min_specialty_competencies",
        )
    tier.save()
    if required_competencies is not None:
        tier.required_competencies.set(required_competencies)
    if specialty_competencies is not None:
        tier.specialty_competencies.set(specialty_competencies)
    if required_certifications is not None:
        tier.required_certifications.set(required_certifications)
    return tier


# ---------------------------------------------------------------------------------------------
# Sign-offs
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Evaluations
# ---------------------------------------------------------------------------------------------


def evaluation_overall(scores: dict[str, int]) -> Decimal:
    """The mean of the five rubric scores, to two places (3, 4, 4, 3, 5 -> 3.80)."""
    return (Decimal(sum(scores[name] for name in RUBRIC)) / len(RUBRIC)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _check_scores(scores: dict[str, int]) -> None:
    for name in RUBRIC:
        value = scores.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ApplicationError("Score each criterion from 1 to 5.", field=name)


@transaction.atomic
def evaluation_create(
    *, technician, evaluator, month: dt.date, scores: dict[str, int], comments: str = "", today: dt.date | None = None
) -> Evaluation:
    """Record the monthly evaluation (``month`` may be any day of it). One per month: the lock
    on the technician makes a second evaluator of the same month wait and then find it."""
    today = today or timezone.localdate()
    technician = technician_lock(technician)
    month = month.replace(day=1)
    if month > today.replace(day=1):
        raise ApplicationError("A month that has not started cannot be evaluated.", field="month")
    if month < technician.hire_date.replace(day=1):
        raise ApplicationError("The month is before the technician's hire date.", field="month")
    _check_scores(scores)
    if Evaluation.objects.filter(technician=technician, month=month).exists():
        raise ApplicationError(f"{technician.full_name} already has an evaluation for {month:%B %Y}.", field="month")
    evaluation = Evaluation(
        technician=technician,
        month=month,
        **{name: scores[name] for name in RUBRIC},
        overall=evaluation_overall(scores),
        comments=comments,
        evaluator=evaluator,
    )
    attribute(evaluation, evaluator)
    evaluation.save()
    return evaluation


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, scores: dict[str, int] | None = None, comments: str | None = None):
    """Correct an evaluation until the technician has acknowledged it."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.acknowledged_at is not None:
        raise ApplicationError("The technician has acknowledged this evaluation; it can no longer change.")
    if scores:
        merged = {**{name: getattr(evaluation, name) for name in RUBRIC}, **scores}
        _check_scores(merged)
        for name in RUBRIC:
            setattr(evaluation, name, merged[name])
        evaluation.overall = evaluation_overall(merged)
    if comments is not None:
        evaluation.comments = comments
    evaluation.save()
    return evaluation


@transaction.atomic
def evaluation_acknowledge(*, evaluation: Evaluation, user, comment: str = "") -> Evaluation:
    """The evaluated technician confirms having read the evaluation (and may answer it)."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if user.technician_id != evaluation.technician_id:
        raise ApplicationError("Only the evaluated technician acknowledges an evaluation.")
    if evaluation.acknowledged_at is not None:
        raise ApplicationError("This evaluation is already acknowledged.")
    evaluation.acknowledged_at = timezone.now()
    evaluation.technician_comment = comment
    attribute(evaluation, user)
    evaluation.save(update_fields=["acknowledged_at", "technician_comment", "updated_at"])
    return evaluation


# ---------------------------------------------------------------------------------------------
# Promotions
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def promotion_nominate(
    *, technician, nominated_by, effective_date: dt.date, to_tier: Tier | None = None, note: str = ""
) -> Promotion:
    """Open a promotion request to the next tier. It may be opened before every requirement
    holds (the queue shows what is missing); approval decides. ``effective_date`` may be in the
    past (to record history) but not in the future: a promotion is approved on or after the day
    it takes effect, so the tier history never shows a tier that has not begun."""

    technician = technician_lock(technician)
    if nominated_by is not None and not can_decide_promotion(nominated_by, technician):
        raise PermissionDenied("You may not nominate this technician.")
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A separated technician cannot be promoted.", field="technician")
    standing = ladder_standing(technician=technician, today=timezone.localdate())
    if standing.tier is None:
        raise ApplicationError("The technician has no current tier.", field="technician")
    if standing.next_tier is None:
        raise ApplicationError(f"{standing.tier.name} is the top of the ladder.", field="to_tier")
    if to_tier is not None and to_tier.pk != standing.next_tier.pk:
        raise ApplicationError(
            f"Promotion is one step at a time: from {standing.tier.name} the next tier is {standing.next_tier.name}.",
            field="to_tier",
        )
    check_not_future(effective_date, field="effective_date")
    if effective_date <= standing.assignment.start_date:
        raise ApplicationError(
            f"The effective date must be after {standing.assignment.start_date:%Y-%m-%d}, when the current tier began.",
            field="effective_date",
        )
    if Promotion.objects.filter(technician=technician, status=Promotion.Status.PENDING).exists():
        raise ApplicationError(f"{technician.full_name} already has a pending promotion request.", field="technician")
    promotion = Promotion(
        technician=technician,
        from_tier=standing.tier,
        to_tier=standing.next_tier,
        effective_date=effective_date,
        note=note,
        nominated_by=nominated_by,
    )
    attribute(promotion, nominated_by)
    promotion.save()
    return promotion


def _is_hr(user) -> bool:

    return role_of(user) in ORG_WIDE


@transaction.atomic
def promotion_approve(*, promotion: Promotion, approver, justification: str = "") -> TierAssignment:
    """Approve: under row locks on the request and the technician, re-check that the request is
    still pending and the technician eligible for its tier today, then close the current tier
    assignment and open the new one. Two approvals at once, or one after the other, give exactly
    one tier change: the second waits for the lock and then finds the request decided.

    An ineligible request is approved only by hr (or admin) with a written justification, kept
    on the request."""

    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.status != Promotion.Status.PENDING:
        raise ApplicationError(f"This promotion request has already been {promotion.status}.", field="status")
    technician = (
        Technician.objects.select_for_update(of=("self",)).select_related("site").get(pk=promotion.technician_id)
    )
    if not can_decide_promotion(approver, technician):
        raise PermissionDenied("You may not decide this promotion request.")
    standing = ladder_standing(technician=technician, today=timezone.localdate())
    if standing.tier is None or standing.next_tier is None or standing.next_tier.pk != promotion.to_tier_id:
        raise ApplicationError(
            f"{technician.full_name} is no longer one step below {promotion.to_tier.name}; reject this request.",
            field="to_tier",
        )
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A separated technician cannot be promoted.", field="technician")
    justification = (justification or "").strip()
    if not standing.eligible:
        summary = "; ".join(m["detail"] for m in standing.missing)
        if not _is_hr(approver):
            raise ApplicationError(
                f"{technician.full_name} is not eligible for {promotion.to_tier.name}: {summary} "
                "Only HR may approve an ineligible request, with a written justification.",
                field="justification",
            )
        if not justification:
            raise ApplicationError(
                f"{technician.full_name} is not eligible for {promotion.to_tier.name}: {summary} "
                "Write a justification to approve anyway.",
                field="justification",
            )
    assignment = tier_assignment_start(
        technician=technician,
        tier=promotion.to_tier,
        start_date=promotion.effective_date,
        reason=TierAssignment.Reason.PROMOTION,
        recorded_by=approver,
        note=("HR override: " + justification)[:300] if not standing.eligible else "Promotion approved",
    )
    promotion.status = Promotion.Status.APPROVED
    promotion.decided_by = approver
    promotion.decided_at = timezone.now()
    promotion.eligible_at_decision = standing.eligible
    if justification:
        promotion.justification = justification
    promotion.tier_assignment = assignment
    attribute(promotion, approver)
    promotion.save()
    return assignment


@transaction.atomic
def promotion_reject(*, promotion: Promotion, decided_by, reason: str) -> Promotion:
    """Reject a pending request, with the reason. Locks the request, then the technician (the
    order ``promotion_approve`` takes them in), and re-checks both."""

    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.status != Promotion.Status.PENDING:
        raise ApplicationError(f"This promotion request has already been {promotion.status}.", field="status")
    technician = (
        Technician.objects.select_for_update(of=("self",)).select_related("site").get(pk=promotion.technician_id)
    )
    if not can_decide_promotion(decided_by, technician):
        raise PermissionDenied("You may not decide this promotion request.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason for the rejection; the technician and HR will read it.", field="reason")
    promotion.status = Promotion.Status.REJECTED
    promotion.rejection_reason = reason
    promotion.decided_by = decided_by
    promotion.decided_at = timezone.now()
    attribute(promotion, decided_by)
    promotion.save()
    return promotion


# ---------------------------------------------------------------------------------------------
# Tracks
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------


# PRODUCT.md section 2: a mentor is a Tech III or Lead.
MENTOR_TIERS = ("TECH3", "LEAD")


def technician_check_mentor(*, technician: Technician, mentor: Technician | None) -> None:
    """The mentor rule, for every path that sets a mentor (the API, the form, mentoring,
    imports): an active Tech III or Lead technician, never the technician themself. The mentor
    is locked, so a separation or demotion of theirs commits before or after, not during."""
    if mentor is None:
        return
    if technician.pk is not None and mentor.pk == technician.pk:
        raise ApplicationError(errors={"mentor": "A technician cannot mentor themselves."})
    locked = Technician.objects.select_for_update().get(pk=mentor.pk)
    if locked.status != Technician.Status.ACTIVE:
        raise ApplicationError(errors={"mentor": "The mentor must be an active technician."})
    if not TierAssignment.objects.filter(
        technician_id=locked.pk, end_date__isnull=True, tier__code__in=MENTOR_TIERS
    ).exists():
        raise ApplicationError(errors={"mentor": "A mentor is a Tech III or Lead technician."})


@transaction.atomic
def technician_create(
    *,
    employee_id: str,
    first_name: str,
    last_name: str,
    site: Site,
    hire_date: dt.date,
    email: str = "",
    tier_code: str = "TECH1",
    status: str = Technician.Status.ACTIVE,
    termination_date: dt.date | None = None,
    termination_type: str = "",
    mentor: Technician | None = None,
    compounding_category: str = "",
    created_by: User | None = None,
) -> Technician:
    """Hire: the technician plus their first tier assignment, effective from the hire date."""
    tier = tier_get_by_code(tier_code or "TECH1")
    tech = Technician(
        employee_id=employee_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        site=site,
        hire_date=hire_date,
        status=status,
        termination_date=termination_date,
        termination_type=termination_type or "",
        mentor=mentor,
        compounding_category=compounding_category or "",
    )
    technician_check_separation(technician=tech)
    technician_check_mentor(technician=tech, mentor=mentor)
    technician_full_clean(tech)
    tech.save()
    TierAssignment.objects.create(
        technician=tech, tier=tier, start_date=hire_date, reason=TierAssignment.Reason.HIRE, recorded_by=created_by
    )
    return tech


@transaction.atomic
def technician_update(*, technician: Technician, data: dict[str, Any], updated_by: User | None = None) -> Technician:
    """Change profile fields; a separation is recorded by setting status, date and type together.

    Reinstating (terminated -> active) clears the termination fields when they are not given.
    """
    unknown = set(data) - TECHNICIAN_EDITABLE
    if unknown:
        raise ApplicationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    tech = Technician.objects.select_for_update().get(pk=technician.pk)
    was_terminated = tech.status == Technician.Status.TERMINATED
    if "mentor" in data and getattr(data["mentor"], "pk", None) != tech.mentor_id:
        technician_check_mentor(technician=tech, mentor=data["mentor"])
    technician_apply_changes(technician=tech, data=data)
    first = tech.tier_assignments.order_by("start_date").first()
    if "hire_date" in data and hire_assignment_follows(first_assignment=first, hire_date=tech.hire_date):
        first.save(update_fields=["start_date", "updated_at"])
    technician_check_separation(technician=tech)
    technician_full_clean(tech)
    tech.save()
    if tech.status == Technician.Status.TERMINATED and not was_terminated:
        technicians_end_logins(technician_ids=[tech.pk])
    return tech


def hire_assignment_follows(*, first_assignment: TierAssignment | None, hire_date: dt.date) -> bool:
    """The first tier assignment starts on the hire date: move it (not saved) when the hire
    date changes and say whether it moved; refuse a hire date on or after its end (the first
    promotion), which would leave the history upside down."""
    if first_assignment is None or first_assignment.start_date == hire_date:
        return False
    if first_assignment.end_date and hire_date >= first_assignment.end_date:
        raise ApplicationError(errors={"hire_date": "The hire date must be before the first promotion."})
    first_assignment.start_date = hire_date
    return True
