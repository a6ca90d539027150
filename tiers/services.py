"""Every write of the ladder: tier history, competencies, sign-offs, evaluations, promotions,
tracks and mentoring. Views, the API, commands and the demo all call these.

Callers check who may act with ``tiers.permissions`` first (for the page's message and the
403). Every rule that reads a row's state before writing (a request still pending, a month not
yet evaluated, the technician's site for the evaluator's scope, the mentee's mentor) is
checked again here after locking that row (``select_for_update``), and the check here decides:
a change that commits between the page's check and the write is seen, never overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from careerladder.core import versions
from careerladder.core.audit import attribute
from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog
from technicians.permissions import is_org_wide
from tiers.models import RUBRIC, Evaluation, Promotion, Tier, TierAssignment
from tiers.permissions import can_decide_promotion, can_record_meeting, can_sign_off
from tiers.selectors import (
    enrolments_with_progress,
    item_done,
    items_for_round,
    ladder_standing,
    revalidation_interval,
    tct_shortfall,
    tct_summary,
    tct_target_met,
)
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, TrackPosition

ITEM_RULE_FIELDS = (
    "measure",
    "max_cfu",
    "passes_required",
    "initial_only",
    "tct_min_checks",
    "tct_min_days",
    "tct_min_accuracy",
    "active",
)


def _lock_technician(technician):
    """The technician re-read under a row lock (with the site): the one row that serialises
    the writes about them, and the state the rules below are checked on."""
    from technicians.models import Technician

    return Technician.objects.select_for_update(of=("self",)).select_related("site").get(pk=technician.pk)


def tier_get_by_code(code: str) -> Tier:
    try:
        return Tier.objects.get(code=code)
    except Tier.DoesNotExist:
        codes = ", ".join(Tier.objects.order_by("rank").values_list("code", flat=True))
        raise ApplicationError(f"Unknown tier '{code}'. Use one of: {codes}.", field="tier") from None


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
    technician = _lock_technician(technician)  # two first assignments at once: one waits
    current = (
        TierAssignment.objects.select_for_update()
        .filter(technician=technician, end_date__isnull=True)
        .select_related("tier")
        .first()
    )
    if current is not None:
        if current.tier_id == tier.pk:
            raise ApplicationError(f"{technician.full_name} is already in {tier.name}.", field="tier")
        if start_date <= current.start_date:
            raise ApplicationError(
                f"The change must start after {current.start_date:%Y-%m-%d}, when the current tier began.",
                field="effective_date",
            )
        current.end_date = start_date
        attribute(current, recorded_by)
        current.save(update_fields=["end_date", "updated_at"])
    elif start_date < technician.hire_date:
        raise ApplicationError("A tier cannot start before the hire date.", field="start_date")
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


def _today() -> dt.date:
    return timezone.localdate()


def _check_not_future(day: dt.date, *, field: str, today: dt.date | None = None) -> None:
    if day > (today or _today()):
        raise ApplicationError("The date cannot be in the future.", field=field)


# ---------------------------------------------------------------------------------------------
# Competencies (hr) and tier requirements
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def competency_save(
    *,
    competency: Competency | None = None,
    code: str,
    name: str,
    category: str,
    revalidation_months: int | None,
    description: str = "",
    usp797_kind: str = "",
    active: bool = True,
    items: list[dict] | None = None,
) -> Competency:
    """Create or change a competency and, when ``items`` is given, its checklist.

    ``items`` is the whole checklist in order: ``{"id"?, "text", ...measure fields}``. Items
    with an id are updated, new ones added; items left out are deactivated, never deleted
    (their sign-offs are history). Existing achievements are not re-opened by a changed
    checklist: the new list applies from the next round.
    """
    competency = competency or Competency()
    for attr, value in {
        "code": code,
        "name": name,
        "category": category,
        "revalidation_months": revalidation_months,
        "description": description,
        "usp797_kind": usp797_kind or "",
        "active": active,
    }.items():
        setattr(competency, attr, value)
    competency.full_clean()
    competency.save()
    if items is not None:
        if not [i for i in items if i.get("active", True)]:
            raise ApplicationError("A competency needs at least one checklist item.", field="items")
        existing = {i.pk: i for i in competency.items.all()}
        kept = set()
        for position, data in enumerate(items, start=1):
            item = existing.get(data.get("id")) if data.get("id") else None
            if data.get("id") and item is None:
                raise ApplicationError(f"Item {data['id']} does not belong to {competency.code}.", field="items")
            item = item or ChecklistItem(competency=competency)
            item.position = position
            item.text = data["text"]
            for attr in ITEM_RULE_FIELDS:
                if attr in data:
                    setattr(item, attr, data[attr])
            item.measure = item.measure or ""
            item.full_clean(exclude=["competency"])
            _check_item_rule(item)
            item.save()
            kept.add(item.pk)
        competency.items.exclude(pk__in=kept).update(active=False)
        versions.touch_config()  # QuerySet.update sends no signals
    return competency


def _check_item_rule(item: ChecklistItem) -> None:
    if item.measure == ChecklistItem.Measure.CFU and item.max_cfu is None:
        raise ApplicationError("A CFU-measured item needs the highest passing count (max_cfu).", field="items")
    if item.measure == ChecklistItem.Measure.TCT and not (
        item.tct_min_checks and item.tct_min_days and item.tct_min_accuracy is not None
    ):
        raise ApplicationError("A tech-check-tech item needs its targets: checks, days and accuracy.", field="items")


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


@dataclass
class SignOffInput:
    item: ChecklistItem
    result: str | None = None  # pass/fail; derived for measured items
    measurement: Decimal | None = None
    method: str | None = None
    comment: str = ""


def _evaluator_check(*, evaluator, technician) -> None:
    """The rule that does not depend on scope: nobody signs off their own checklist."""
    if evaluator.technician_id and evaluator.technician_id == technician.pk:
        raise ApplicationError("You cannot sign off your own competencies.", field="technician")


def _signoff_scope_check(*, evaluator, technician) -> None:
    """Evaluators and managers sign off technicians of their own sites only
    (``tiers.permissions.can_sign_off``), checked on the locked technician: a transfer to
    another site commits before or after the sign-off, never between the check and the write.
    Org-wide logins (hr, admin) are not limited by site here."""
    if not (can_sign_off(evaluator, technician) or is_org_wide(evaluator)):
        raise PermissionDenied("You may not sign off this technician's competencies.")


@transaction.atomic
def signoff_record_many(
    *,
    technician,
    evaluator,
    entries: list[SignOffInput],
    signed_on: dt.date,
    method: str,
    comment: str = "",
    today: dt.date | None = None,
) -> list[SignOff]:
    """Record several sign-offs for one technician in one go (the sign-off screen), all or
    nothing, then close every round they complete.

    Each sign-off goes into the competency's open round; when there is none, a new round
    starts: round 1 the first time, a re-validation round after an achievement (the old round
    stays, and keeps the competency valid until it expires).

    Results: a CFU-measured item passes at ``max_cfu`` or fewer colony-forming units (USP <797>
    gloved-fingertip sampling: 0 after garbing, at most 3 after a media fill); a tech-check-tech
    item is signed only once the validation log meets its targets (a shortfall is refused, not
    recorded as a fail: the validation is simply not finished); other items take the evaluator's
    pass or fail (default pass). A failed result is kept and breaks a run of passes.
    """
    today = today or _today()
    _evaluator_check(evaluator=evaluator, technician=technician)
    # Lock the technician (and so their rounds of every competency), so that two evaluators
    # signing at once cannot both open a round or both miss its completion, and so that the
    # scope below is checked on the site the technician is at when the sign-off is written.
    technician = _lock_technician(technician)
    _signoff_scope_check(evaluator=evaluator, technician=technician)
    if not entries:
        raise ApplicationError("Choose at least one checklist item to sign off.", field="item")
    _check_not_future(signed_on, field="signed_on", today=today)
    if signed_on < technician.hire_date:
        raise ApplicationError("The sign-off cannot be before the technician's hire date.", field="signed_on")
    if method not in SignOff.Method.values:
        raise ApplicationError(f"Unknown method '{method}'.", field="method")
    seen = set()
    for entry in entries:
        if entry.item.pk in seen:
            raise ApplicationError(f"'{entry.item.text}' was given twice.", field="item")
        seen.add(entry.item.pk)
        if not entry.item.active or not entry.item.competency.active:
            raise ApplicationError(f"'{entry.item.text}' is no longer on an active checklist.", field="item")

    category = technician.site.compounding_category if technician.site_id else ""
    created: list[SignOff] = []
    touched: dict[int, CompetencyRound] = {}
    for entry in entries:
        competency = entry.item.competency
        round_ = touched.get(competency.pk) or _open_round(technician=technician, competency=competency, day=signed_on)
        touched[competency.pk] = round_
        if entry.item.initial_only and round_.number > 1:
            raise ApplicationError(
                f"'{entry.item.text}' belongs to the initial assessment only; re-validation does not repeat it.",
                field="item",
            )
        result, measurement = _result_for(entry, technician=technician, signed_on=signed_on, round_=round_)
        signoff = SignOff(
            round=round_,
            item=entry.item,
            technician=technician,
            evaluator=evaluator,
            evaluator_technician_id=evaluator.technician_id,
            signed_on=signed_on,
            method=entry.method or method,
            result=result,
            measurement=measurement,
            comment=(entry.comment or comment)[:500],
        )
        signoff.full_clean(exclude=["round", "item", "technician", "evaluator", "evaluator_technician"])
        created.append(attribute(signoff, evaluator))
    try:
        with transaction.atomic():
            for signoff in created:
                signoff.save()
    except IntegrityError as exc:  # the database's own guard (self sign-off, bad values)
        raise ApplicationError(f"The sign-off was refused by the database: {exc}") from None
    for round_ in touched.values():
        _round_close_if_complete(round_=round_, compounding_category=category)
    return created


def _open_round(*, technician, competency: Competency, day: dt.date) -> CompetencyRound:
    rounds = list(CompetencyRound.objects.filter(technician=technician, competency=competency).order_by("number"))
    open_round = next((r for r in rounds if r.achieved_on is None), None)
    if open_round is not None:
        if day < open_round.started_on:
            open_round.started_on = day
            open_round.save(update_fields=["started_on", "updated_at"])
        return open_round
    last = rounds[-1] if rounds else None
    if last is not None and day <= last.achieved_on:
        raise ApplicationError(
            f"{competency.name} was achieved on {last.achieved_on:%Y-%m-%d}; a re-validation sign-off must be dated "
            "after that.",
            field="signed_on",
        )
    return CompetencyRound.objects.create(
        technician=technician, competency=competency, number=(last.number + 1 if last else 1), started_on=day
    )


def _result_for(entry: SignOffInput, *, technician, signed_on: dt.date, round_: CompetencyRound):
    item = entry.item
    if item.measure == ChecklistItem.Measure.CFU:
        if entry.measurement is None:
            raise ApplicationError(f"Enter the colony count (CFU) for '{item.text}'.", field="measurement")
        if entry.measurement < 0 or entry.measurement != entry.measurement.to_integral_value():
            raise ApplicationError("A colony count is a whole number, 0 or more.", field="measurement")
        result = SignOff.Result.PASS if entry.measurement <= item.max_cfu else SignOff.Result.FAIL
        if entry.result and entry.result != result:
            raise ApplicationError(
                f"{entry.measurement:.0f} CFU is a {result} for '{item.text}' (pass at {item.max_cfu} CFU or fewer).",
                field="result",
            )
        return result, entry.measurement
    if item.measure == ChecklistItem.Measure.TCT:
        previous = (
            CompetencyRound.objects.filter(
                technician=technician, competency_id=item.competency_id, achieved_on__isnull=False
            )
            .order_by("-number")
            .values_list("achieved_on", flat=True)
            .first()
        )
        summary = tct_summary(technician_id=technician.pk, after=previous, until=signed_on)
        if not tct_target_met(item, summary):
            raise ApplicationError(
                f"The tech-check-tech validation is not complete: {tct_shortfall(item, summary)}.", field="item"
            )
        if entry.result == SignOff.Result.FAIL:
            raise ApplicationError("The validation log meets its targets; record it as a pass.", field="result")
        return SignOff.Result.PASS, summary["accuracy"]
    if entry.measurement is not None:
        raise ApplicationError(f"'{item.text}' takes no measured value.", field="measurement")
    result = entry.result or SignOff.Result.PASS
    if result not in SignOff.Result.values:
        raise ApplicationError(f"Unknown result '{result}'.", field="result")
    return result, None


def _round_close_if_complete(*, round_: CompetencyRound, compounding_category: str) -> None:
    """Mark ``round_`` achieved when every item it covers is done: achieved on the latest of the
    sign-offs that count, expiring that day plus the competency's interval."""
    competency = round_.competency
    items = items_for_round(competency.items.filter(active=True), round_.number)
    by_item: dict[int, list[SignOff]] = {}
    for signoff in round_.signoffs.order_by("signed_on", "id"):
        by_item.setdefault(signoff.item_id, []).append(signoff)
    if not items or not all(item_done(item, by_item.get(item.pk, [])) for item in items):
        return
    counted = [s for item in items for s in by_item[item.pk][-item.passes_required :]]
    achieved_on = max(s.signed_on for s in counted)
    interval = revalidation_interval(competency=competency, compounding_category=compounding_category)
    round_.achieved_on = achieved_on
    round_.interval_months = interval
    round_.expires_on = add_months(achieved_on, interval) if interval else None
    round_.save(update_fields=["achieved_on", "interval_months", "expires_on", "updated_at"])


@transaction.atomic
def tct_log_record(
    *, technician, audited_by, checked_on: dt.date, verifications: int, errors: int, note: str = ""
) -> TctValidationLog:
    """A day of tech-check-tech validation, audited by a pharmacist (or the site's evaluator)."""
    _evaluator_check(evaluator=audited_by, technician=technician)
    _check_not_future(checked_on, field="checked_on")
    if verifications < 1:
        raise ApplicationError("Log at least one verification.", field="verifications")
    if errors < 0 or errors > verifications:
        raise ApplicationError("Errors must be between 0 and the number of verifications.", field="errors")
    return TctValidationLog.objects.create(
        technician=technician,
        checked_on=checked_on,
        verifications=verifications,
        errors=errors,
        audited_by=audited_by,
        note=note,
    )


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
    today = today or _today()
    technician = _lock_technician(technician)
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
    from technicians.models import Technician

    technician = _lock_technician(technician)
    if nominated_by is not None and not can_decide_promotion(nominated_by, technician):
        raise PermissionDenied("You may not nominate this technician.")
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A separated technician cannot be promoted.", field="technician")
    standing = ladder_standing(technician=technician, today=_today())
    if standing.tier is None:
        raise ApplicationError("The technician has no current tier.", field="technician")
    if standing.next_tier is None:
        raise ApplicationError(f"{standing.tier.name} is the top of the ladder.", field="to_tier")
    if to_tier is not None and to_tier.pk != standing.next_tier.pk:
        raise ApplicationError(
            f"Promotion is one step at a time: from {standing.tier.name} the next tier is {standing.next_tier.name}.",
            field="to_tier",
        )
    _check_not_future(effective_date, field="effective_date")
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
    from technicians.selectors import role_of

    return role_of(user) in ("hr", "admin")


@transaction.atomic
def promotion_approve(*, promotion: Promotion, approver, justification: str = "") -> TierAssignment:
    """Approve: under row locks on the request and the technician, re-check that the request is
    still pending and the technician eligible for its tier today, then close the current tier
    assignment and open the new one. Two approvals at once, or one after the other, give exactly
    one tier change: the second waits for the lock and then finds the request decided.

    An ineligible request is approved only by hr (or admin) with a written justification, kept
    on the request."""
    from technicians.models import Technician

    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.status != Promotion.Status.PENDING:
        raise ApplicationError(f"This promotion request has already been {promotion.status}.", field="status")
    technician = (
        Technician.objects.select_for_update(of=("self",)).select_related("site").get(pk=promotion.technician_id)
    )
    if not can_decide_promotion(approver, technician):
        raise PermissionDenied("You may not decide this promotion request.")
    standing = ladder_standing(technician=technician, today=_today())
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
    from technicians.models import Technician

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


@transaction.atomic
def enrolment_create(
    *, technician, position: TrackPosition, enrolled_by, enrolled_on: dt.date | None = None
) -> Enrolment:
    """Enrol a technician on ``position``'s track, aiming at that position. One active
    enrolment per track; another position on the same track means withdrawing first."""
    from technicians.models import Technician

    enrolled_on = enrolled_on or _today()
    technician = _lock_technician(technician)  # two enrolments on one track at once: one waits
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A separated technician cannot enrol.", field="technician")
    _check_not_future(enrolled_on, field="enrolled_on")
    if enrolled_on < technician.hire_date:
        raise ApplicationError("The enrolment cannot be before the hire date.", field="enrolled_on")
    if Enrolment.objects.filter(technician=technician, track=position.track, status=Enrolment.Status.ACTIVE).exists():
        raise ApplicationError(
            f"{technician.full_name} is already enrolled on the {position.track.name}.", field="position"
        )
    return Enrolment.objects.create(
        technician=technician, track=position.track, position=position, enrolled_on=enrolled_on, enrolled_by=enrolled_by
    )


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, on: dt.date | None = None) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ApplicationError("Only an active enrolment can be withdrawn.", field="status")
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.ended_on = max(on or _today(), enrolment.enrolled_on)
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment, on: dt.date | None = None) -> Enrolment:
    """The technician takes up the position: only once every requirement of it holds."""
    enrolment = Enrolment.objects.select_for_update().select_related("technician").get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ApplicationError("Only an active enrolment can be completed.", field="status")
    on = on or _today()
    [progress] = [
        e for e in enrolments_with_progress(technicians=[enrolment.technician], today=on) if e.pk == enrolment.pk
    ]
    if progress.missing:
        raise ApplicationError(
            "Not every requirement of the position holds yet: " + "; ".join(m["detail"] for m in progress.missing),
            field="status",
        )
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.ended_on = max(on, enrolment.enrolled_on)
    enrolment.save()
    return enrolment


@transaction.atomic
def leadership_hours_log(
    *, technician, kind: str, worked_on: dt.date, hours: Decimal, activity: str, recorded_by
) -> LeadershipHourLog:
    """Shadowing or rotational-leadership hours for the management track, recorded by the
    supervising manager or evaluator (never by the technician: logged hours count as verified)."""
    _evaluator_check(evaluator=recorded_by, technician=technician)
    if kind not in LeadershipHourLog.Kind.values:
        raise ApplicationError(f"Unknown kind '{kind}'.", field="kind")
    _check_not_future(worked_on, field="worked_on")
    if worked_on < technician.hire_date:
        raise ApplicationError("The date is before the technician's hire date.", field="worked_on")
    if not (Decimal(0) < hours <= 24):
        raise ApplicationError("Hours in a day are more than 0 and at most 24.", field="hours")
    if not activity.strip():
        raise ApplicationError("Say what the hours were spent on.", field="activity")
    return LeadershipHourLog.objects.create(
        technician=technician,
        kind=kind,
        worked_on=worked_on,
        hours=hours,
        activity=activity.strip(),
        recorded_by=recorded_by,
    )


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def mentor_assign(*, technician, mentor, assigned_by):
    """Give ``technician`` a mentor: an active Tech III or Lead, not themselves (PRODUCT.md
    section 2; the rule is ``technician_check_mentor``, which every path that sets a mentor
    goes through). ``mentor=None`` ends the mentoring. Goes through the technicians service so
    the change lands in the technician's history."""
    from technicians.services import technician_check_mentor, technician_update

    try:
        technician_check_mentor(technician=technician, mentor=mentor)
    except ValidationError as exc:  # this service's callers expect its own error type
        raise ApplicationError(exc.message_dict["mentor"][0], field="mentor") from None
    return technician_update(technician=technician, data={"mentor": mentor}, updated_by=assigned_by)


@transaction.atomic
def mentoring_meeting_record(
    *,
    mentee,
    recorded_by,
    met_on: dt.date,
    minutes: int,
    topics: str,
    notes: str = "",
    next_steps: str = "",
) -> MentoringMeeting:
    """Log a meeting between ``mentee`` and their current mentor: the mentor read from the
    locked mentee, so a meeting is never filed under a mentor just replaced, nor recorded by one
    (``tiers.permissions.can_record_meeting`` on the locked row)."""
    mentee = _lock_technician(mentee)
    if mentee.mentor_id is None:
        raise ApplicationError(f"{mentee.full_name} has no mentor assigned.", field="mentee")
    if recorded_by is not None and not can_record_meeting(recorded_by, mentee):
        raise PermissionDenied("Only the mentor, the technician's managers and HR log mentoring meetings.")
    _check_not_future(met_on, field="met_on")
    if met_on < mentee.hire_date:
        raise ApplicationError("The meeting cannot be before the mentee's hire date.", field="met_on")
    if not 5 <= minutes <= 480:
        raise ApplicationError("A meeting lasts between 5 and 480 minutes.", field="minutes")
    if not topics.strip():
        raise ApplicationError("Say what the meeting covered.", field="topics")
    return MentoringMeeting.objects.create(
        mentee=mentee,
        mentor_id=mentee.mentor_id,
        met_on=met_on,
        minutes=minutes,
        topics=topics.strip(),
        notes=notes,
        next_steps=next_steps,
        recorded_by=recorded_by,
    )
