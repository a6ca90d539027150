"""Reads with competency rules: the catalogue, a competency's standing from its rounds (achieved,
expiring, expired; USP <797> re-validation intervals by compounding category), which items a
round covers and when an item is done, tech-check-tech targets, and the scoped lists of
sign-offs and tech-check-tech logs.

A competency is *achieved* while its latest achieved round has not expired (valid through the
day before ``expires_on``); the latest round governs, so a re-validation achieved under a
shorter interval shortens the validity. It is *expiring* within ``EXPIRING_DAYS`` of expiry.
Deactivated competencies drop out of every requirement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Prefetch, QuerySet

from competencies.models import ChecklistItem, Competency, SignOff, TctValidationLog
from technicians.selectors import Record, scope_to_viewer

EXPIRING_DAYS = 30


# USP <797> (2023): garbing/gloved-fingertip and media-fill re-assessment every 6 months for
# Category 1 and 2, every 3 months for Category 3; didactic training every 12 months.
USP797_GARBING_MONTHS = {"1": 6, "2": 6, "3": 3}


USP797_DIDACTIC_MONTHS = 12


def competency_list(*, active_only: bool = True) -> QuerySet[Competency]:
    qs = Competency.objects.prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.filter(active=True).order_by("position", "id"))
    ).order_by("category", "name")
    return qs.filter(active=True) if active_only else qs


def revalidation_interval(*, competency: Competency, compounding_category: str) -> int | None:
    """Months an achievement of ``competency`` stays valid for a technician whose site
    compounds at ``compounding_category`` ("" when it does no sterile compounding)."""
    if competency.usp797_kind == Competency.Usp797Kind.DIDACTIC:
        return USP797_DIDACTIC_MONTHS
    if competency.usp797_kind == Competency.Usp797Kind.GARBING_ASEPTIC and compounding_category:
        return USP797_GARBING_MONTHS[compounding_category]
    return competency.revalidation_months


def items_for_round(items: Iterable[ChecklistItem], number: int) -> list[ChecklistItem]:
    """The items a round must cover: initial-only items (the 3-in-a-row garbing test) belong
    to round 1 only."""
    return [item for item in items if item.active and (number == 1 or not item.initial_only)]


def item_done(item: ChecklistItem, signoffs: list[SignOff]) -> bool:
    """``signoffs`` are the item's sign-offs in one round, oldest first: the item is done when
    its last ``passes_required`` results are all passes (a fail breaks a streak)."""
    needed = item.passes_required
    last = signoffs[-needed:]
    return len(last) == needed and all(s.result == SignOff.Result.PASS for s in last)


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


def tct_target_met(item: ChecklistItem, summary: dict) -> bool:
    return (
        summary["checks"] >= item.tct_min_checks
        and summary["days"] >= item.tct_min_days
        and summary["accuracy"] is not None
        and summary["accuracy"] >= item.tct_min_accuracy
    )


def tct_shortfall(item: ChecklistItem, summary: dict) -> str:
    accuracy = "no checks yet" if summary["accuracy"] is None else f"{summary['accuracy']} % accuracy"
    return (
        f"{summary['checks']} of {item.tct_min_checks} checks, {summary['days']} of {item.tct_min_days} days, "
        f"{accuracy} (target {item.tct_min_accuracy} %)"
    )


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
) -> CompetencyStanding:
    """``rounds`` of one technician for ``competency``, oldest first; ``signoffs`` by item id for
    the open round; ``items`` the competency's checklist when the caller has listed it."""
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
    standing.items_to_sign = [item for item in items if not item_done(item, signoffs.get(item.pk, []))]
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
