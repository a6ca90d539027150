"""Every write of competencies: the catalogue and its checklists (hr), sign-offs and the rounds they
open and close, tech-check-tech audit days. Views, the API, commands and the demo all call these.

Every rule that reads a row's state before writing (the technician's site for the evaluator's
scope, the round under way) is checked here after locking the technician's row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from careerladder.core import versions
from careerladder.core.audit import attribute
from careerladder.core.dates import add_months, check_not_future
from careerladder.core.errors import ApplicationError
from careerladder.core.models import full_clean_fields
from competencies.models import (
    ChecklistItem,
    Competency,
    CompetencyPolicy,
    CompetencyRound,
    SignOff,
    TctRule,
    TctValidationLog,
)
from competencies.permissions import can_sign_off
from competencies.selectors import (
    DEFAULT_TCT_RULE,
    competency_policy_get,
    counted_signoffs,
    item_done,
    items_for_round,
    revalidation_interval,
    tct_rule_of,
    tct_shortfall,
    tct_summary,
    tct_target_met,
)
from technicians.models import US_STATES
from technicians.selectors import compounding_category_of
from technicians.services import technician_lock

ITEM_RULE_FIELDS = (
    "measure",
    "max_cfu",
    "passes_required",
    "initial_only",
    "active",
)


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
    """A tech-check-tech item takes its targets from the state rules (``TctRule``), not from
    the item."""
    if item.measure == ChecklistItem.Measure.CFU and item.max_cfu is None:
        raise ApplicationError("A CFU-measured item needs the highest passing count (max_cfu).", field="items")


@dataclass
class SignOffInput:
    item: ChecklistItem
    result: str | None = None  # pass/fail; derived for measured items
    measurement: Decimal | None = None
    method: str | None = None
    comment: str = ""


def signoff_check_not_self(*, evaluator, technician) -> None:
    """The rule that does not depend on scope: nobody signs off their own checklist."""
    if evaluator.technician_id and evaluator.technician_id == technician.pk:
        raise ApplicationError("You cannot sign off your own competencies.", field="technician")


def _signoff_scope_check(*, evaluator, technician) -> None:
    """Evaluators and managers sign off technicians of their own sites only, admin anyone (for
    corrections), hr nobody: it is org-wide but not a designated evaluator
    (``competencies.permissions.can_sign_off``, the rule the pages and the API ask first).
    Checked on the locked technician: a transfer to another site commits before or after the
    sign-off, never between the check and the write."""
    if not can_sign_off(evaluator, technician):
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
    today = today or timezone.localdate()
    signoff_check_not_self(evaluator=evaluator, technician=technician)
    # Lock the technician (and so their rounds of every competency), so that two evaluators
    # signing at once cannot both open a round or both miss its completion, and so that the
    # scope below is checked on the site the technician is at when the sign-off is written.
    technician = technician_lock(technician)
    _signoff_scope_check(evaluator=evaluator, technician=technician)
    if not entries:
        raise ApplicationError("Choose at least one checklist item to sign off.", field="item")
    check_not_future(signed_on, field="signed_on", today=today)
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

    category = compounding_category_of(technician)
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
        rule = tct_rule_of(technician)
        if not tct_target_met(rule, summary):
            raise ApplicationError(
                f"The tech-check-tech validation is not complete: {tct_shortfall(rule, summary)}.", field="item"
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
    policy = competency_policy_get()
    consecutive = policy.garbing_consecutive
    items = items_for_round(competency.items.filter(active=True), round_.number)
    by_item: dict[int, list[SignOff]] = {}
    for signoff in round_.signoffs.order_by("signed_on", "id"):
        by_item.setdefault(signoff.item_id, []).append(signoff)
    if not items or not all(
        item_done(item, by_item.get(item.pk, []), consecutive=consecutive or item.passes_required == 1)
        for item in items
    ):
        return
    counted = [s for item in items for s in counted_signoffs(item, by_item[item.pk], consecutive=consecutive)]
    achieved_on = max(s.signed_on for s in counted)
    interval = revalidation_interval(competency=competency, compounding_category=compounding_category, policy=policy)
    round_.achieved_on = achieved_on
    round_.interval_months = interval
    round_.expires_on = add_months(achieved_on, interval) if interval else None
    round_.save(update_fields=["achieved_on", "interval_months", "expires_on", "updated_at"])


@transaction.atomic
def tct_log_record(
    *, technician, audited_by, checked_on: dt.date, verifications: int, errors: int, note: str = ""
) -> TctValidationLog:
    """A day of tech-check-tech validation, audited by a pharmacist (or the site's evaluator)."""
    signoff_check_not_self(evaluator=audited_by, technician=technician)
    check_not_future(checked_on, field="checked_on")
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


POLICY_FIELDS = (
    "garbing_months_cat1",
    "garbing_months_cat2",
    "garbing_months_cat3",
    "didactic_months",
    "garbing_consecutive",
)
POLICY_LIMITS = {
    "garbing_months_cat1": (1, 24),
    "garbing_months_cat2": (1, 24),
    "garbing_months_cat3": (1, 24),
    "didactic_months": (1, 36),
}
TCT_RULE_FIELDS = ("min_checks", "min_days", "min_accuracy", "ongoing_window_months", "idle_months")
TCT_RULE_LIMITS = {
    "min_checks": (1, 100_000),
    "min_days": (1, 365),
    "min_accuracy": (0, 100),
    "ongoing_window_months": (1, 36),
    "idle_months": (1, 36),
}


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _check_limits(values: dict, limits: dict, model) -> None:
    errors = {}
    for name, (low, high) in limits.items():
        value = values.get(name)
        if value is None or isinstance(value, bool):
            errors[name] = f"{_label(model, name).capitalize()} is required."
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            errors[name] = f"{_label(model, name).capitalize()} must be a number."
            continue
        if not low <= number <= high:
            errors[name] = f"{_label(model, name).capitalize()}: use {low} to {high}."
    if errors:
        raise ApplicationError(errors=errors)


@transaction.atomic
def competency_policy_update(*, data: dict, updated_by=None) -> CompetencyPolicy:
    """Hr changes the USP <797> intervals or the "passes in a row" rule; the history keeps who
    changed what (``CompetencyPolicy.history``, with the changes as the reason). A new interval
    applies to achievements from now on: rounds already achieved keep the expiry they were
    given (``CompetencyRound.interval_months``), as a re-validation under a new rule would."""
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(f"'{sorted(unknown)[0]}' is not a competency policy setting.", field=sorted(unknown)[0])
    policy = CompetencyPolicy.objects.select_for_update().filter(pk=1).first() or CompetencyPolicy(pk=1)
    values = {name: data.get(name, getattr(policy, name)) for name in POLICY_FIELDS}
    _check_limits(values, POLICY_LIMITS, CompetencyPolicy)
    if not isinstance(values["garbing_consecutive"], bool):
        raise ApplicationError(errors={"garbing_consecutive": "Choose yes or no."})
    changes = []
    for name in POLICY_FIELDS:
        value = int(values[name]) if name in POLICY_LIMITS else values[name]
        if getattr(policy, name) != value:
            changes.append(f"{_label(CompetencyPolicy, name)}: {getattr(policy, name)} \u2192 {value}")
        setattr(policy, name, value)
    policy._change_reason = "; ".join(changes) or "Saved without changes"
    policy._history_user = updated_by
    full_clean_fields(policy)
    policy.save()
    return policy


@transaction.atomic
def tct_rule_save(*, state: str, data: dict, updated_by=None) -> TctRule:
    """Create or change the tech-check-tech rule of ``state`` (blank: the default rule that
    every state without its own follows), with history."""
    state = (state or "").strip().upper()
    if state and state not in dict(US_STATES):
        raise ApplicationError(errors={"state": f"'{state}' is not a US state."})
    unknown = set(data) - set(TCT_RULE_FIELDS)
    if unknown:
        raise ApplicationError(f"'{sorted(unknown)[0]}' is not a tech-check-tech rule setting.")
    rule = TctRule.objects.select_for_update().filter(state=state).first()
    created = rule is None
    rule = rule or TctRule(state=state, **DEFAULT_TCT_RULE)
    values = {name: data.get(name, getattr(rule, name)) for name in TCT_RULE_FIELDS}
    _check_limits(values, TCT_RULE_LIMITS, TctRule)
    changes = []
    for name in TCT_RULE_FIELDS:
        value = Decimal(str(values[name])) if name == "min_accuracy" else int(values[name])
        if created or getattr(rule, name) != value:
            changes.append(
                f"{name.replace('_', ' ')}: {value}"
                if created
                else (f"{name.replace('_', ' ')}: {getattr(rule, name)} \u2192 {value}")
            )
        setattr(rule, name, value)
    label = state or "default"
    rule._change_reason = (f"{label} rule created: " if created else f"{label} rule: ") + (
        "; ".join(changes) or "saved without changes"
    )
    rule._history_user = updated_by
    full_clean_fields(rule)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        # Another save created this state's rule a moment ago (no row to lock before it existed).
        raise ApplicationError(
            errors={"state": f"The {label} rule was saved by someone else just now: reload and try again."}
        ) from None
    return rule


@transaction.atomic
def tct_rule_delete(*, rule_id: int, deleted_by=None) -> TctRule | None:
    """Remove a state's own rule (its technicians follow the default again); the default rule
    stays. Checked on the locked row; returns the removed rule, or None when it is gone already."""
    rule = TctRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        return None
    if not rule.state:
        raise ApplicationError("The default tech-check-tech rule cannot be removed; change it instead.")
    rule._change_reason = f"{rule.state} rule removed"
    rule._history_user = deleted_by
    rule.delete()
    return rule
