"""Reads with ladder rules: where technicians stand and what the next tier (or a track position)
still asks of them.

One computation, ``ladder_standing``, answers eligibility for any number of technicians in a
fixed number of queries (it is what the progress endpoint, the career map, the promotion queue,
the "ready for promotion" list and promotion approval all use). The rules, from PRODUCT.md
section 2 and the issue:

- a technician is *eligible* for the next tier when every requirement of that tier holds today:
  each required competency achieved and not expired, at least ``min_specialty_competencies``
  of the tier's specialty competencies achieved and not expired, each required certification
  held (verified, issued, unexpired: ``certifications.selectors``), the average of the last 3
  monthly evaluations at or above the floor, and at least ``min_months_in_prior_tier`` months
  in the current tier;
- tenure alone never makes anyone eligible: a tier whose only requirement is time in tier
  makes nobody eligible (hr must define its requirements first);
- terminated technicians are never eligible; the top tier has no next tier.

Competency standing: a competency is *achieved* while its latest achieved round has not
expired (valid through the day before ``expires_on``); the latest round governs, so a
re-validation achieved under a shorter interval shortens the validity. It is *expiring* within
``EXPIRING_DAYS`` of expiry. Deactivated competencies drop out of every requirement.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import F, Prefetch, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from careerladder.core import versions
from careerladder.core.dates import add_months, months_between
from certifications.selectors import certification_codes_held
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog
from tiers.models import Evaluation, Promotion, Tier, TierAssignment
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, TrackPosition

EXPIRING_DAYS = 30
EVALUATIONS_AVERAGED = 3
TWO_PLACES = Decimal("0.01")

# USP <797> (2023): garbing/gloved-fingertip and media-fill re-assessment every 6 months for
# Category 1 and 2, every 3 months for Category 3; didactic training every 12 months.
USP797_GARBING_MONTHS = {"1": 6, "2": 6, "3": 3}
USP797_DIDACTIC_MONTHS = 12


# ---------------------------------------------------------------------------------------------
# Small reads
# ---------------------------------------------------------------------------------------------


def current_assignment(*, technician) -> TierAssignment | None:
    return TierAssignment.objects.filter(technician=technician, end_date__isnull=True).select_related("tier").first()


def next_tier_for(tier: Tier | None) -> Tier | None:
    if tier is None:
        return None
    return Tier.objects.filter(rank__gt=tier.rank).order_by("rank").first()


def competency_list(*, active_only: bool = True) -> QuerySet[Competency]:
    qs = Competency.objects.prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.filter(active=True).order_by("position", "id"))
    ).order_by("category", "name")
    return qs.filter(active=True) if active_only else qs


def ladder_tiers() -> QuerySet[Tier]:
    """The ladder with every requirement loaded (four queries, whatever its size)."""
    return Tier.objects.order_by("rank").prefetch_related(
        Prefetch("required_competencies", queryset=Competency.objects.filter(active=True).order_by("name")),
        Prefetch("specialty_competencies", queryset=Competency.objects.filter(active=True).order_by("name")),
        "required_certifications",
    )


class LadderConfig(NamedTuple):
    """The ladder as configured: tiers with their requirements, the active competencies and
    their active checklists. Shared by every reader in the process (``ladder_config``):
    read-only."""

    tiers: list[Tier]
    competencies: dict[int, Competency]
    items: dict[int, list[ChecklistItem]]


def _ladder_config_load() -> LadderConfig:
    tiers = list(ladder_tiers())
    # The active competencies and their active checklists, in two plain queries (a prefetch
    # would clone a queryset per competency, which cost more than the rest of the rules).
    competencies = {c.pk: c for c in Competency.objects.filter(active=True).order_by("category", "name")}
    items: dict[int, list[ChecklistItem]] = {pk: [] for pk in competencies}
    for item in ChecklistItem.objects.filter(active=True, competency__active=True).order_by("position", "id"):
        items[item.competency_id].append(item)
    return LadderConfig(tiers, competencies, items)


def ladder_config() -> LadderConfig:
    """``LadderConfig``, loaded once per process and configuration version
    (``careerladder.core.versions.config_memo``): six queries when the ladder changes, none
    otherwise."""
    return versions.config_memo("ladder", _ladder_config_load)


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


# ---------------------------------------------------------------------------------------------
# Competency standing
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# The one eligibility computation
# ---------------------------------------------------------------------------------------------


@dataclass
class Standing:
    """Where one technician stands today."""

    technician: object
    assignment: TierAssignment | None
    next_tier: Tier | None
    eligible: bool
    missing: list[dict]
    competencies: dict[int, CompetencyStanding]
    certifications: set[str]
    evaluation_average: Decimal | None
    evaluations_counted: int
    months_in_tier: float | None

    @property
    def tier(self) -> Tier | None:
        return self.assignment.tier if self.assignment else None

    def competency_rows(self) -> list[CompetencyStanding]:
        """The competencies worth showing: those the next tier asks for and any under way."""
        wanted: list[CompetencyStanding] = []
        seen: set[int] = set()
        if self.next_tier is not None:
            for competency in [
                *self.next_tier.required_competencies.all(),
                *self.next_tier.specialty_competencies.all(),
            ]:
                if competency.pk in self.competencies and competency.pk not in seen:
                    wanted.append(self.competencies[competency.pk])
                    seen.add(competency.pk)
        others = [s for pk, s in self.competencies.items() if pk not in seen and s.status != "not_started"]
        return wanted + sorted(others, key=lambda s: (s.competency.category, s.competency.name))


class RoundDates(NamedTuple):
    """What the ladder rules read of a competency round (``LadderFacts.rounds``)."""

    pk: int
    technician_id: int
    competency_id: int
    number: int
    achieved_on: dt.date | None
    expires_on: dt.date | None


class LadderFacts:
    """Everything the ladder rules read for a set of technicians, loaded in a fixed number of
    queries: tier assignments, the ladder, competencies, rounds and open-round sign-offs,
    certifications and the last three evaluations."""

    def __init__(self, technicians: Iterable, today: dt.date, *, competencies_only: bool = False):
        """``competencies_only`` loads only what ``competency_standings`` reads (competencies,
        the rounds' dates and the open rounds' sign-offs): the training matrix and the duty
        authorisations need nothing else, and skip the tiers, assignments, certifications and
        evaluations. ``standing()`` needs the full load."""
        self.today = today
        self.technicians = list(technicians)
        self.competencies_only = competencies_only
        ids = [t.pk for t in self.technicians]
        self.assignments = {}
        self.tiers = []
        self.certifications: dict[int, set[str]] = {}
        self.evaluations: dict[int, list[Decimal]] = defaultdict(list)
        if not competencies_only:
            self.assignments = {
                a.technician_id: a
                for a in TierAssignment.objects.filter(technician_id__in=ids, end_date__isnull=True).select_related(
                    "tier"
                )
            }
            self.tiers = ladder_config().tiers
        # Read a checklist with ``checklist(pk)``: ``competency.items`` is not loaded here.
        config = ladder_config()
        self.competencies = config.competencies
        self._items: dict[int, list[ChecklistItem]] = config.items
        self.rounds: dict[tuple[int, int], list[RoundDates]] = defaultdict(list)
        # Plain tuples, not model instances: years of re-validation make thousands of rounds at
        # a big site, and the rules read only their numbers and dates.
        rounds = CompetencyRound.objects.filter(technician_id__in=ids, competency__active=True).order_by("number")
        for r in map(RoundDates._make, rounds.values_list(*RoundDates._fields)):
            self.rounds[(r.technician_id, r.competency_id)].append(r)
        self.open_signoffs: dict[int, dict[int, list[SignOff]]] = defaultdict(lambda: defaultdict(list))
        # The open rounds' sign-offs, selected through a join on the rounds rather than by their
        # ids, so the query runs (and the count stays the same) when nobody has a round open.
        open_signoffs = SignOff.objects.filter(
            round__technician_id__in=ids, round__competency__active=True, round__achieved_on__isnull=True
        )
        for s in open_signoffs.order_by("signed_on", "id"):
            self.open_signoffs[s.round_id][s.item_id].append(s)
        if competencies_only:
            return
        self.certifications = certification_codes_held(technician_ids=ids, on=today)
        last_three = (
            Evaluation.objects.filter(technician_id__in=ids, month__lte=today)
            .annotate(recency=Window(RowNumber(), partition_by=F("technician_id"), order_by=F("month").desc()))
            .filter(recency__lte=EVALUATIONS_AVERAGED)
            .values_list("technician_id", "overall")
        )
        for tech_id, overall in last_three:
            self.evaluations[tech_id].append(overall)

    def next_tier(self, tier: Tier | None) -> Tier | None:
        if tier is None:
            return None
        return next((t for t in self.tiers if t.rank > tier.rank), None)

    def checklist(self, competency_id: int) -> list[ChecklistItem]:
        """The competency's active checklist items, in order."""
        return self._items[competency_id]

    def competency_standings(self, technician_id: int) -> dict[int, CompetencyStanding]:
        out = {}
        for pk, competency in self.competencies.items():
            rounds = self.rounds.get((technician_id, pk), [])
            open_round = next((r for r in rounds if r.achieved_on is None), None)
            signoffs = self.open_signoffs.get(open_round.pk, {}) if open_round else {}
            out[pk] = _standing(competency, rounds, signoffs, self.today, items=self._items[pk])
        return out

    def standing(self, technician) -> Standing:
        if self.competencies_only:
            raise ValueError("LadderFacts(competencies_only=True) has no ladder standing.")
        today = self.today
        assignment = self.assignments.get(technician.pk)
        tier = assignment.tier if assignment else None
        # The ladder loaded here carries the requirements (prefetched), so use its instances.
        nxt = self.next_tier(tier)
        competencies = self.competency_standings(technician.pk)
        held = self.certifications.get(technician.pk, set())
        overalls = self.evaluations.get(technician.pk, [])
        average = None
        if overalls:
            average = (sum(overalls) / len(overalls)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        months = months_between(assignment.start_date, today) if assignment else None
        missing: list[dict] = []
        if nxt is not None and assignment is not None:
            missing = _missing_for_tier(
                tier=tier,
                nxt=nxt,
                assignment=assignment,
                competencies=competencies,
                held=held,
                overalls=overalls,
                average=average,
                months=months,
                today=today,
            )
        eligible = nxt is not None and assignment is not None and not missing and technician.status != "terminated"
        return Standing(
            technician=technician,
            assignment=assignment,
            next_tier=nxt,
            eligible=eligible,
            missing=missing,
            competencies=competencies,
            certifications=held,
            evaluation_average=average,
            evaluations_counted=len(overalls),
            months_in_tier=months,
        )


def _floor1(value: float) -> str:
    """One decimal, rounded down: 5.97 months is "5.9", never "6.0" of 6."""
    return f"{math.floor(value * 10) / 10:.1f}"


def _missing_for_tier(*, tier, nxt, assignment, competencies, held, overalls, average, months, today) -> list[dict]:
    missing: list[dict] = []
    required = list(nxt.required_competencies.all())
    specialties = list(nxt.specialty_competencies.all())
    certification_types = list(nxt.required_certifications.all())
    min_specialties = min(nxt.min_specialty_competencies, len(specialties))
    if not required and not min_specialties and not certification_types and nxt.min_evaluation_average is None:
        missing.append(
            {
                "kind": "competency",
                "code": nxt.code,
                "detail": f"{nxt.name} has no requirements besides time in tier, and tenure alone never makes "
                "anyone eligible: HR must set its competencies, certifications or evaluation floor first.",
                "todo": [],
                "hint": "Ask HR to define the tier's requirements.",
            }
        )
    for competency in required:
        standing = competencies[competency.pk]
        if standing.current:
            continue
        missing.append(_competency_missing(standing))
    if min_specialties:
        current = [c for c in specialties if competencies[c.pk].current]
        if len(current) < min_specialties:
            under_way = sorted(
                (competencies[c.pk] for c in specialties if competencies[c.pk].status in ("in_progress", "expired")),
                key=lambda s: -s.items_signed,
            )
            needed = min_specialties - len(current)
            names = ", ".join(c.name for c in specialties)
            detail = (
                f"{needed} more specialty competenc{'y' if needed == 1 else 'ies'} needed "
                f"({len(current)} of {min_specialties} achieved); choose from: {names}."
            )
            if under_way:
                best = under_way[0]
                detail += f" Closest: {best.competency.name}, {best.items_signed} of {best.items_total} items signed."
            missing.append(
                {
                    "kind": "competency",
                    "code": "SPECIALTY",
                    "detail": detail,
                    "todo": [c.name for c in specialties if not competencies[c.pk].current],
                    "hint": "Pick a specialty with your manager and work through its checklist.",
                }
            )
    for cert_type in certification_types:
        if cert_type.code in held:
            continue
        missing.append(
            {
                "kind": "certification",
                "code": cert_type.code,
                "detail": f"No current, verified {cert_type.name} on record.",
                "todo": [],
                "hint": "Earn or renew it, upload the certificate and ask your manager to verify it.",
            }
        )
    floor_average = nxt.min_evaluation_average
    if floor_average is not None:
        if len(overalls) < EVALUATIONS_AVERAGED:
            so_far = f" (average so far {average})" if average is not None else ""
            missing.append(
                {
                    "kind": "evaluation",
                    "code": "EVAL_AVG",
                    "detail": f"{len(overalls)} of the {EVALUATIONS_AVERAGED} monthly evaluations needed are on "
                    f"record{so_far}; {nxt.name} needs an average of at least {floor_average} over the last "
                    f"{EVALUATIONS_AVERAGED}.",
                    "todo": [],
                    "hint": "Your manager records one evaluation a month.",
                }
            )
        elif average < floor_average:
            missing.append(
                {
                    "kind": "evaluation",
                    "code": "EVAL_AVG",
                    "detail": f"Average of the last {EVALUATIONS_AVERAGED} monthly evaluations is {average}; "
                    f"{nxt.name} needs at least {floor_average}.",
                    "todo": [],
                    "hint": "Talk with your manager about the lowest-scored criteria.",
                }
            )
    floor_months = nxt.min_months_in_prior_tier
    if floor_months and months < floor_months:
        reached = add_months(assignment.start_date, floor_months)
        missing.append(
            {
                "kind": "tenure",
                "code": tier.code,
                "detail": f"{_floor1(months)} of the {floor_months} months required as {tier.name}; "
                f"the floor is reached on {reached:%Y-%m-%d}.",
                "todo": [],
                "hint": f"Nothing to do but keep going: the time floor is reached on {reached:%b %-d, %Y}.",
            }
        )
    return missing


def _competency_missing(standing: CompetencyStanding) -> dict:
    competency = standing.competency
    to_sign = [item.text for item in standing.items_to_sign]
    progress = f"{standing.items_signed} of {standing.items_total} checklist items signed off"
    if standing.status == "expired":
        detail = f"{competency.name}: expired on {standing.expires_on:%Y-%m-%d}; re-validation {progress}."
        hint = "Ask your evaluator for the re-validation sign-offs."
    else:
        detail = f"{competency.name}: {progress}."
        hint = "Ask your evaluator to observe and sign off the remaining items."
    if to_sign:
        detail += " Still to sign: " + "; ".join(to_sign) + "."
    return {"kind": "competency", "code": competency.code, "detail": detail, "todo": to_sign, "hint": hint}


def ladder_standing_many(*, technicians: Iterable, today: dt.date) -> dict[int, Standing]:
    """Standing of each technician, keyed by id, in a fixed number of queries."""
    facts = LadderFacts(technicians, today)
    return {t.pk: facts.standing(t) for t in facts.technicians}


def ladder_standing(*, technician, today: dt.date) -> Standing:
    return ladder_standing_many(technicians=[technician], today=today)[technician.pk]


# ---------------------------------------------------------------------------------------------
# Tracks
# ---------------------------------------------------------------------------------------------


def hours_logged(*, technician_ids: Iterable[int], until: dt.date) -> dict[int, dict[str, Decimal]]:
    rows = (
        LeadershipHourLog.objects.filter(technician_id__in=list(technician_ids), worked_on__lte=until)
        .values_list("technician_id", "kind")
        .annotate(total=Sum("hours"))
    )
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for tech_id, kind, total in rows:
        out[tech_id][kind] = total
    return out


def position_missing(*, position: TrackPosition, standing: Standing, hours: dict[str, Decimal]) -> list[dict]:
    """What a track position still asks of a technician (kinds: tier, competency,
    certification, hours)."""
    missing: list[dict] = []
    tier = standing.tier
    if position.min_tier is not None and (tier is None or tier.rank < position.min_tier.rank):
        missing.append(
            {
                "kind": "tier",
                "code": position.min_tier.code,
                "detail": f"Needs {position.min_tier.name} or above.",
            }
        )
    for competency in position.required_competencies.all():
        competency_standing = standing.competencies.get(competency.pk)
        if competency_standing is None or competency_standing.current:
            continue
        entry = _competency_missing(competency_standing)
        missing.append({k: entry[k] for k in ("kind", "code", "detail")})
    for cert_type in position.required_certifications.all():
        if cert_type.code not in standing.certifications:
            missing.append(
                {
                    "kind": "certification",
                    "code": cert_type.code,
                    "detail": f"No current, verified {cert_type.name} on record.",
                }
            )
    for kind, needed in (
        (LeadershipHourLog.Kind.SHADOWING, position.min_shadowing_hours),
        (LeadershipHourLog.Kind.ROTATIONAL_LEADERSHIP, position.min_leadership_hours),
    ):
        have = hours.get(kind, Decimal(0))
        if needed and have < needed:
            missing.append(
                {
                    "kind": "hours",
                    "code": kind.value.upper(),
                    "detail": f"{have} of {needed} {kind.label.lower()} hours logged.",
                }
            )
    return missing


def enrolments_with_progress(*, technicians: Iterable, today: dt.date, standings: dict[int, Standing] | None = None):
    """Enrolments of ``technicians`` (active and completed, newest first), each with ``missing``
    and ``ready`` for its target position."""
    technicians = list(technicians)
    ids = [t.pk for t in technicians]
    if standings is None:
        standings = ladder_standing_many(technicians=technicians, today=today)
    # Every position of every track with its requirements (a short catalogue), so the queries
    # are the same whether or not anyone is enrolled.
    positions = {
        p.pk: p
        for p in TrackPosition.objects.select_related("min_tier").prefetch_related(
            "required_competencies", "required_certifications"
        )
    }
    enrolments = list(
        Enrolment.objects.filter(technician_id__in=ids)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("track")
        .order_by("status", "-enrolled_on", "-id")
    )
    for enrolment in enrolments:
        enrolment.position = positions[enrolment.position_id]
    hours = hours_logged(technician_ids=ids, until=today)
    for enrolment in enrolments:
        enrolment.missing = position_missing(
            position=enrolment.position,
            standing=standings[enrolment.technician_id],
            hours=hours.get(enrolment.technician_id, {}),
        )
        enrolment.ready = not enrolment.missing
        enrolment.hours = hours.get(enrolment.technician_id, {})
    return enrolments


# ---------------------------------------------------------------------------------------------
# The ladder part of technicians/{id}/progress/
# ---------------------------------------------------------------------------------------------


def ladder_progress(*, technician, today: dt.date) -> dict:
    """The ladder part of ``technicians/{id}/progress/``: current and next tier, eligibility and
    what is missing, the competencies that matter and the technician's tracks."""
    standing = ladder_standing(technician=technician, today=today)
    enrolments = enrolments_with_progress(technicians=[technician], today=today, standings={technician.pk: standing})
    return {
        "tier": standing.tier.code if standing.tier else None,
        "next_tier": standing.next_tier.code if standing.next_tier else None,
        "eligible": standing.eligible,
        "missing": standing.missing,
        "evaluation_average": standing.evaluation_average,
        "months_in_tier": round(standing.months_in_tier, 1) if standing.months_in_tier is not None else None,
        "competencies": [row.as_dict() for row in standing.competency_rows()],
        "tracks": [enrolment_progress_dict(e) for e in enrolments],
    }


def enrolment_progress_dict(enrolment: Enrolment) -> dict:
    return {
        "id": enrolment.pk,
        "track": enrolment.track.code,
        "position": enrolment.position.code,
        "position_name": enrolment.position.name,
        "status": enrolment.status,
        "enrolled_on": enrolment.enrolled_on,
        "ready": enrolment.ready,
        "missing": enrolment.missing,
    }


# ---------------------------------------------------------------------------------------------
# Lists with the viewer's scope
# ---------------------------------------------------------------------------------------------


def promotion_list(*, viewer, status: str | None = None, site: int | None = None) -> QuerySet[Promotion]:
    from technicians.selectors import Record, scope_to_viewer

    qs = scope_to_viewer(
        Promotion.objects.select_related(
            "technician", "technician__site", "from_tier", "to_tier", "nominated_by", "decided_by"
        ),
        viewer=viewer,
        record=Record.PROMOTIONS,
    )
    if status:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(technician__site_id=site)
    return qs


def signoff_list(*, viewer) -> QuerySet[SignOff]:
    from technicians.selectors import Record, scope_to_viewer

    return scope_to_viewer(
        SignOff.objects.select_related("item", "item__competency", "evaluator", "round"),
        viewer=viewer,
        record=Record.SIGNOFFS,
    )


def evaluation_list(*, viewer) -> QuerySet[Evaluation]:
    from technicians.selectors import Record, scope_to_viewer

    return scope_to_viewer(
        Evaluation.objects.select_related("technician", "evaluator"), viewer=viewer, record=Record.EVALUATIONS
    )


def enrolment_list(*, viewer) -> QuerySet[Enrolment]:
    from technicians.selectors import Record, scope_to_viewer

    return scope_to_viewer(
        Enrolment.objects.select_related("technician", "track", "position", "position__min_tier"),
        viewer=viewer,
        record=Record.ENROLMENTS,
    )


def tct_log_list(*, viewer) -> QuerySet[TctValidationLog]:
    from technicians.selectors import Record, scope_to_viewer

    return scope_to_viewer(TctValidationLog.objects.select_related("audited_by"), viewer=viewer, record=Record.TCT_LOGS)


def leadership_hour_list(*, viewer) -> QuerySet[LeadershipHourLog]:
    from technicians.selectors import Record, scope_to_viewer

    return scope_to_viewer(
        LeadershipHourLog.objects.select_related("recorded_by"), viewer=viewer, record=Record.LEADERSHIP_HOURS
    )


def mentee_list(*, viewer):
    """The active mentees of the viewer's own technician record.

    A deliberate, narrow widening of ``technicians.selectors``' scope (decided for the issue's
    "the mentor sees mentees"): a mentor sees the names, tiers and ladder progress of the
    technicians they mentor, and the meetings with them, even when the mentor's login is a
    plain technician one. Nothing else about the mentees is opened.
    """
    from technicians.models import Technician
    from technicians.selectors import with_current_tier

    if not getattr(viewer, "technician_id", None):
        return Technician.objects.none()
    return with_current_tier(
        Technician.objects.filter(mentor_id=viewer.technician_id, status__in=["active", "leave"]).select_related("site")
    ).order_by("last_name", "first_name")


def mentoring_meeting_list(*, viewer) -> QuerySet[MentoringMeeting]:
    """Meetings the viewer may read: those of technicians in scope, plus (for a mentor) the
    meetings they held with their mentees."""
    from django.db.models import Q

    from technicians.selectors import Record, scope_to_viewer

    qs = MentoringMeeting.objects.select_related("mentee", "mentor", "recorded_by")
    scoped = scope_to_viewer(qs, viewer=viewer, technician_field="mentee", record=Record.MENTORING_MEETINGS)
    own_technician = getattr(viewer, "technician_id", None)
    if own_technician:
        return qs.filter(Q(pk__in=scoped.values("pk")) | Q(mentor_id=own_technician))
    return scoped


# ---------------------------------------------------------------------------------------------
# The sign-off screen
# ---------------------------------------------------------------------------------------------


@dataclass
class SheetItem:
    item: ChecklistItem
    state: str  # done, to_sign, not_in_round
    last: SignOff | None
    streak: int  # passes in a row in the open round (for items needing several)
    tct: dict | None = None


@dataclass
class SheetCompetency:
    standing: CompetencyStanding
    role: str  # required, specialty, other
    items: list[SheetItem]

    @property
    def competency(self) -> Competency:
        return self.standing.competency


def signoff_sheet(*, technician, today: dt.date) -> dict:
    """Everything the sign-off screen shows for one technician, in a fixed number of queries:
    every active competency (the next tier's first), each item's state in the round under way,
    its latest sign-off and, for tech-check-tech, the validation log so far."""
    facts = LadderFacts([technician], today)
    standing = facts.standing(technician)
    nxt = standing.next_tier
    required = {c.pk for c in nxt.required_competencies.all()} if nxt else set()
    specialty = {c.pk for c in nxt.specialty_competencies.all()} if nxt else set()
    latest: dict[int, SignOff] = {}
    by_round_item: dict[tuple[int, int], list[SignOff]] = defaultdict(list)
    for s in SignOff.objects.filter(technician=technician).select_related("evaluator").order_by("signed_on", "id"):
        latest[s.item_id] = s
        by_round_item[(s.round_id, s.item_id)].append(s)
    rounds = facts.rounds
    tct_cache: dict[int, dict] = {}
    sheet: list[SheetCompetency] = []
    for pk in facts.competencies:
        comp_standing = standing.competencies[pk]
        comp_rounds = rounds.get((technician.pk, pk), [])
        open_round = next((r for r in comp_rounds if r.achieved_on is None), None)
        last_achieved = next((r for r in reversed(comp_rounds) if r.achieved_on is not None), None)
        number = open_round.number if open_round else (last_achieved.number + 1 if last_achieved else 1)
        checklist = facts.checklist(pk)
        in_round = {i.pk for i in items_for_round(checklist, number)}
        rows = []
        for item in checklist:
            signoffs = by_round_item.get((open_round.pk, item.pk), []) if open_round else []
            streak = 0
            for s in reversed(signoffs):
                if s.result != SignOff.Result.PASS:
                    break
                streak += 1
            if item.pk not in in_round:
                state = "not_in_round"
            elif open_round is None and comp_standing.current:
                state = "done"
            else:
                state = "done" if item_done(item, signoffs) else "to_sign"
            tct = None
            if item.measure == ChecklistItem.Measure.TCT:
                if item.pk not in tct_cache:
                    after = last_achieved.achieved_on if last_achieved else None
                    tct_cache[item.pk] = tct_summary(technician_id=technician.pk, after=after, until=today)
                tct = {**tct_cache[item.pk], "met": tct_target_met(item, tct_cache[item.pk])}
            rows.append(SheetItem(item=item, state=state, last=latest.get(item.pk), streak=streak, tct=tct))
        role = "required" if pk in required else "specialty" if pk in specialty else "other"
        sheet.append(SheetCompetency(standing=comp_standing, role=role, items=rows))
    order = {"required": 0, "specialty": 1, "other": 2}
    sheet.sort(key=lambda c: (order[c.role], c.competency.category, c.competency.name))
    return {"standing": standing, "competencies": sheet}
