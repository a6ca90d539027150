"""Reads with competency rules: the catalogue, a competency's standing from its rounds (achieved,
expiring, expired; USP <797> re-validation intervals by compounding category), which items a
round covers and when an item is done, tech-check-tech targets, and the scoped lists of
sign-offs and tech-check-tech logs.

A competency is *achieved* while its latest achieved round has not expired (valid through the
day before ``expires_on``); the latest round governs, so a re-validation achieved under a
shorter interval shortens the validity. It is *expiring* within ``EXPIRING_DAYS`` of expiry.
Deactivated competencies drop out of every requirement."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Prefetch, QuerySet

from careerladder.core import versions
from careerladder.core.dates import add_months
from competencies.models import ChecklistItem, Competency, CompetencyPolicy, SignOff, TctRule, TctValidationLog
from technicians.models import Technician
from technicians.permissions import can_read_history
from technicians.selectors import Record, compounding_category_of, scope_to_viewer

EXPIRING_DAYS = 30

# Wis. Admin. Code Phar 7.14: the default tech-check-tech rule when none is stored yet (the
# data migration creates it from the seeded checklist).
DEFAULT_TCT_RULE = {
    "min_checks": 500,
    "min_days": 5,
    "min_accuracy": Decimal("99.80"),
    "ongoing_window_months": 12,
    "idle_months": 6,
}


def competency_policy_get() -> CompetencyPolicy:
    """The USP <797> policy (a copy: callers may change it without touching others'). Kept by
    ``versions.config_memo``: every write to the row moves the configuration's version."""
    return copy.copy(versions.config_memo("competency-policy", lambda: CompetencyPolicy.objects.get_or_create(pk=1)[0]))


def _tct_rules() -> dict[str, TctRule]:
    rules = {rule.state: rule for rule in TctRule.objects.all()}
    if "" not in rules:
        rules[""] = TctRule.objects.get_or_create(state="", defaults=DEFAULT_TCT_RULE)[0]
    return rules


def tct_rule_list() -> list[TctRule]:
    """Every tech-check-tech rule, the default (blank state) first."""
    return sorted(versions.config_memo("tct-rules", _tct_rules).values(), key=lambda r: (r.state != "", r.state))


def tct_rule_for(*, state: str) -> TctRule:
    """The rule of ``state`` (a site's two-letter state), else the default rule."""
    rules = versions.config_memo("tct-rules", _tct_rules)
    return copy.copy(rules.get(state or "") or rules[""])


def tct_rule_of(technician) -> TctRule:
    """The rule a technician is held to: their site's state's."""
    return tct_rule_for(state=technician.site.state if technician.site_id else "")


def competency_list(*, active_only: bool = True) -> QuerySet[Competency]:
    qs = Competency.objects.prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.filter(active=True).order_by("position", "id"))
    ).order_by("category", "name")
    return qs.filter(active=True) if active_only else qs


def revalidation_interval(
    *, competency: Competency, compounding_category: str, policy: CompetencyPolicy | None = None
) -> int | None:
    """Months an achievement of ``competency`` stays valid for a technician who compounds at
    ``compounding_category`` ("" when they do no sterile compounding; see
    ``technicians.selectors.compounding_category_of``), by the USP <797> policy
    (``competency_policy_get``): didactic training at its interval whatever the category,
    garbing and media fill by category; other competencies (and garbing without a category)
    at their own interval."""
    policy = policy or competency_policy_get()
    if competency.usp797_kind == Competency.Usp797Kind.DIDACTIC:
        return policy.didactic_months
    if competency.usp797_kind == Competency.Usp797Kind.GARBING_ASEPTIC and compounding_category:
        return policy.garbing_months(compounding_category) or competency.revalidation_months
    return competency.revalidation_months


def revalidation_interval_for(*, competency: Competency, technician) -> int | None:
    """``revalidation_interval`` for a technician's own (effective) compounding category."""
    return revalidation_interval(competency=competency, compounding_category=compounding_category_of(technician))


def items_for_round(items: Iterable[ChecklistItem], number: int) -> list[ChecklistItem]:
    """The items a round must cover: initial-only items (the 3-in-a-row garbing test) belong
    to round 1 only."""
    return [item for item in items if item.active and (number == 1 or not item.initial_only)]


def item_done(item: ChecklistItem, signoffs: list[SignOff], *, consecutive: bool | None = None) -> bool:
    """``signoffs`` are the item's sign-offs in one round, oldest first: the item is done when
    its last ``passes_required`` results are all passes (a fail breaks a streak).

    When the policy does not ask for consecutive passes (``CompetencyPolicy.garbing_consecutive``
    off; ``consecutive`` None reads it), an item needing several passes is done once the round
    holds that many passes, whatever fails lie between them. A single-pass item is always
    judged on its latest result: a fail after a pass (a media fill's surface sample) stands."""
    needed = item.passes_required
    if consecutive is None:
        consecutive = needed == 1 or competency_policy_get().garbing_consecutive
    if not consecutive and needed > 1:
        return sum(1 for s in signoffs if s.result == SignOff.Result.PASS) >= needed
    last = signoffs[-needed:]
    return len(last) == needed and all(s.result == SignOff.Result.PASS for s in last)


def counted_signoffs(item: ChecklistItem, signoffs: list[SignOff], *, consecutive: bool) -> list[SignOff]:
    """The sign-offs that make a done item done (the achievement date is the latest of them)."""
    if not consecutive and item.passes_required > 1:
        return [s for s in signoffs if s.result == SignOff.Result.PASS][-item.passes_required :]
    return signoffs[-item.passes_required :]


def tct_summary(*, technician_id: int, after: dt.date | None, until: dt.date) -> dict:
    """Tech-check-tech validation logged after ``after`` (the last achievement, if any) up to
    ``until``: checks, errors, distinct days and accuracy (%)."""
    qs = TctValidationLog.objects.filter(technician_id=technician_id, checked_on__lte=until)
    if after is not None:
        qs = qs.filter(checked_on__gt=after)
    rows = list(qs.values_list("checked_on", "verifications", "errors"))
    checks = sum(r[1] for r in rows)
    errors = sum(r[2] for r in rows)
    accuracy = None
    if checks:
        accuracy = (Decimal(checks - errors) * 100 / Decimal(checks)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return {"checks": checks, "errors": errors, "days": len({r[0] for r in rows}), "accuracy": accuracy}


def tct_target_met(rule: TctRule, summary: dict) -> bool:
    """The validation log meets the technician's state rule (``tct_rule_of``)."""
    return (
        summary["checks"] >= rule.min_checks
        and summary["days"] >= rule.min_days
        and summary["accuracy"] is not None
        and summary["accuracy"] >= rule.min_accuracy
    )


def tct_shortfall(rule: TctRule, summary: dict) -> str:
    accuracy = "no checks yet" if summary["accuracy"] is None else f"{summary['accuracy']} % accuracy"
    return (
        f"{summary['checks']} of {rule.min_checks} checks, {summary['days']} of {rule.min_days} days, "
        f"{accuracy} (target {rule.min_accuracy} %)"
    )


@dataclass(frozen=True)
class TctWithdrawal:
    """Why ongoing tech-check-tech competence failed: ``basis`` ``idle`` (no check since
    ``last_check``) or ``accuracy`` (``accuracy`` % over ``window_months`` months, below
    ``target`` %). ``str()`` is the reason in words."""

    basis: str
    last_check: dt.date | None = None
    accuracy: Decimal | None = None
    target: Decimal | None = None
    window_months: int = 12

    def __str__(self) -> str:
        if self.basis == "idle":
            return f"no checks since {self.last_check:%Y-%m-%d}"
        return f"{self.window_months}-month accuracy {self.accuracy} % below {self.target} %"


def tct_withdrawals(*, technicians: Iterable, achieved: dict[int, dt.date], on: dt.date) -> dict[int, TctWithdrawal]:
    """Ongoing tech-check-tech competence (Wis. Admin. Code Phar 7.14 asks for continuing
    quality assurance): for each technician with a current TCT validation achieved on
    ``achieved[technician id]``, the reason their product-verification authority is withdrawn
    on ``on``, if it is.

    Judged on the checks logged after that validation (a re-validation is a fresh start) within
    the rule's rolling window (12 months by default), by the technician's state rule:

    - no check for ``idle_months`` (6) since the latest check, or since the validation when
      none followed it: "no checks since DATE";
    - accuracy over the window below ``min_accuracy``: "12-month accuracy 99.50 % below 99.80 %".

    One query for every technician."""
    technicians = [t for t in technicians if t.pk in achieved]
    if not technicians:
        return {}
    states = dict(Technician.objects.filter(pk__in=[t.pk for t in technicians]).values_list("pk", "site__state"))
    rules = {t.pk: tct_rule_for(state=states.get(t.pk, "")) for t in technicians}
    rows = TctValidationLog.objects.filter(
        technician_id__in=[t.pk for t in technicians],
        checked_on__lte=on,
        checked_on__gt=min(achieved[t.pk] for t in technicians),
    ).values_list("technician_id", "checked_on", "verifications", "errors")
    by_tech: dict[int, list[tuple]] = {}
    for tech_id, day, checks, errors in rows:
        by_tech.setdefault(tech_id, []).append((day, checks, errors))
    out: dict[int, str] = {}
    for technician in technicians:
        rule, since = rules[technician.pk], achieved[technician.pk]
        after = [r for r in by_tech.get(technician.pk, []) if r[0] > since]
        last_check = max((r[0] for r in after), default=since)
        window_start = add_months(on, -rule.ongoing_window_months)
        days = [r for r in after if r[0] > window_start]
        if add_months(last_check, rule.idle_months) <= on:
            out[technician.pk] = TctWithdrawal("idle", last_check=last_check)
            continue
        checks = sum(r[1] for r in days)
        if checks:
            errors = sum(r[2] for r in days)
            accuracy = (Decimal(checks - errors) * 100 / Decimal(checks)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
            if accuracy < rule.min_accuracy:
                out[technician.pk] = TctWithdrawal(
                    "accuracy",
                    accuracy=accuracy,
                    target=rule.min_accuracy,
                    window_months=rule.ongoing_window_months,
                )
    return out


@dataclass
class CompetencyStanding:
    competency: Competency
    status: str  # achieved, expiring, expired, in_progress, not_started
    achieved_on: dt.date | None = None
    expires_on: dt.date | None = None
    round_number: int = 1  # the round now being worked on (or the achieved one)
    items_total: int = 0
    items_signed: int = 0
    items_to_sign: list[ChecklistItem] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return self.status in ("achieved", "expiring")

    def as_dict(self) -> dict:
        return {
            "code": self.competency.code,
            "name": self.competency.name,
            "category": self.competency.category,
            "status": self.status,
            "achieved_on": self.achieved_on,
            "expires_on": self.expires_on,
            "items_signed": self.items_signed,
            "items_total": self.items_total,
            "items_to_sign": [item.text for item in self.items_to_sign],
        }


def _standing(
    competency: Competency,
    rounds: list[RoundDates],
    signoffs: dict[int, list[SignOff]],
    today: dt.date,
    items: list[ChecklistItem] | None = None,
    consecutive: bool | None = None,
) -> CompetencyStanding:
    """``rounds`` of one technician for ``competency``, oldest first; ``signoffs`` by item id for
    the open round; ``items`` the competency's checklist when the caller has listed it;
    ``consecutive`` the policy's ``garbing_consecutive`` when the caller has read it."""
    if items is None:
        items = list(competency.items.all())
    achieved = [r for r in rounds if r.achieved_on is not None and r.achieved_on <= today]
    latest = achieved[-1] if achieved else None
    open_round = next((r for r in rounds if r.achieved_on is None), None)
    standing = CompetencyStanding(competency=competency, status="not_started")
    if latest is not None:
        standing.achieved_on, standing.expires_on = latest.achieved_on, latest.expires_on
        if latest.expires_on is None or latest.expires_on > today:
            expiring = latest.expires_on is not None and (latest.expires_on - today).days <= EXPIRING_DAYS
            standing.status = "expiring" if expiring else "achieved"
        else:
            standing.status = "expired"
    number = open_round.number if open_round else (latest.number + 1 if latest else 1)
    checklist = items
    items = items_for_round(checklist, number)
    if open_round is None and standing.current:
        # Nothing under way: report the achieved round, complete.
        standing.round_number = latest.number
        items = items_for_round(checklist, latest.number)
        standing.items_total = standing.items_signed = len(items)
        return standing
    standing.round_number = number
    standing.items_total = len(items)
    if consecutive is None:
        consecutive = competency_policy_get().garbing_consecutive
    standing.items_to_sign = [
        item for item in items if not item_done(item, signoffs.get(item.pk, []), consecutive=consecutive)
    ]
    standing.items_signed = standing.items_total - len(standing.items_to_sign)
    if standing.status == "not_started" and open_round is not None:
        standing.status = "in_progress"
    return standing


class RoundDates(NamedTuple):
    """What the ladder rules read of a competency round (``LadderFacts.rounds``)."""

    pk: int
    technician_id: int
    competency_id: int
    number: int
    achieved_on: dt.date | None
    expires_on: dt.date | None


def signoff_list(*, viewer) -> QuerySet[SignOff]:

    return scope_to_viewer(
        SignOff.objects.select_related("item", "item__competency", "evaluator", "round"),
        viewer=viewer,
        record=Record.SIGNOFFS,
    )


def tct_log_list(*, viewer) -> QuerySet[TctValidationLog]:

    return scope_to_viewer(TctValidationLog.objects.select_related("audited_by"), viewer=viewer, record=Record.TCT_LOGS)


TWO_PLACES = Decimal("0.01")


POLICY_HISTORY_SHOWN = 30


def competency_policy_history(*, viewer) -> list:
    """The latest changes to the USP <797> policy and the tech-check-tech rules, newest first:
    ``[{"when", "who", "what", "change"}]`` (hr and admin; empty for anyone else). Each change's
    text is the reason the service wrote (the fields changed, old and new values)."""
    if not can_read_history(viewer):
        return []
    rows = []
    for model, what in ((CompetencyPolicy, "USP <797> policy"), (TctRule, "Tech-check-tech rule")):
        for record in model.history.select_related("history_user").order_by("-history_date", "-history_id")[
            :POLICY_HISTORY_SHOWN
        ]:
            user = record.history_user
            rows.append(
                {
                    "when": record.history_date,
                    "who": (user.get_full_name() or user.username) if user else "system",
                    "what": what if model is CompetencyPolicy else f"{what} ({record.state or 'default'})",
                    "change": record.history_change_reason
                    or {"+": "Created", "~": "Changed", "-": "Removed"}[record.history_type],
                }
            )
    rows.sort(key=lambda r: r["when"], reverse=True)
    return rows[:POLICY_HISTORY_SHOWN]
