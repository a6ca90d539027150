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
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber

from careerladder.core import versions
from careerladder.core.dates import add_months, months_between
from certifications.selectors import certification_codes_held
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff
from competencies.selectors import (
    TWO_PLACES,
    CompetencyStanding,
    RoundDates,
    _standing,
    competency_policy_get,
    item_done,
    items_for_round,
    tct_rule_of,
    tct_summary,
    tct_target_met,
)
from technicians.models import Technician
from technicians.selectors import Record, employed_on, scope_to_viewer
from tiers.models import Evaluation, Promotion, Tier, TierAssignment

EVALUATIONS_AVERAGED = 3


# ---------------------------------------------------------------------------------------------
# Small reads
# ---------------------------------------------------------------------------------------------


def current_assignment(*, technician) -> TierAssignment | None:
    return TierAssignment.objects.filter(technician=technician, end_date__isnull=True).select_related("tier").first()


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


# ---------------------------------------------------------------------------------------------
# Competency standing
# ---------------------------------------------------------------------------------------------


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

    @property
    def stalled(self) -> bool:
        return is_stalled(tier=self.tier, months_in_tier=self.months_in_tier)

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
        # The USP <797> policy's "passes in a row" rule, read once for every standing here.
        self.consecutive = competency_policy_get().garbing_consecutive
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

    def checklist_or_empty(self, competency_id: int) -> list[ChecklistItem]:
        """``checklist``, or nothing for a competency no longer active."""
        return self._items.get(competency_id, [])

    def competency_standings(self, technician_id: int) -> dict[int, CompetencyStanding]:
        out = {}
        for pk, competency in self.competencies.items():
            rounds = self.rounds.get((technician_id, pk), [])
            open_round = next((r for r in rounds if r.achieved_on is None), None)
            signoffs = self.open_signoffs.get(open_round.pk, {}) if open_round else {}
            out[pk] = _standing(
                competency, rounds, signoffs, self.today, items=self._items[pk], consecutive=self.consecutive
            )
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
        missing.append(competency_missing(standing))
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


def competency_missing(standing: CompetencyStanding) -> dict:
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


# ---------------------------------------------------------------------------------------------
# The ladder part of technicians/{id}/progress/
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Lists with the viewer's scope
# ---------------------------------------------------------------------------------------------


def promotion_list(*, viewer) -> QuerySet[Promotion]:
    """Promotion requests in scope; lists filter it with ``tiers.filters.PromotionFilterSet``."""
    return scope_to_viewer(
        Promotion.objects.select_related(
            "technician", "technician__site", "from_tier", "to_tier", "nominated_by", "decided_by"
        ),
        viewer=viewer,
        record=Record.PROMOTIONS,
    )


def evaluation_list(*, viewer) -> QuerySet[Evaluation]:

    return scope_to_viewer(
        Evaluation.objects.select_related("technician", "evaluator"), viewer=viewer, record=Record.EVALUATIONS
    )


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
    failed: bool = False  # the round's latest result for this item is a fail (it holds the round back)

    @property
    def failure(self) -> str:
        """What failed, in the evaluator's words: "fail: 5 CFU, limit 3"."""
        if not self.failed or self.last is None:
            return ""
        if self.item.measure == ChecklistItem.Measure.CFU and self.last.measurement is not None:
            return f"fail: {self.last.measurement:.0f} CFU, limit {self.item.max_cfu}"
        return "fail"


@dataclass
class SheetCompetency:
    standing: CompetencyStanding
    role: str  # required, specialty, other
    items: list[SheetItem]

    @property
    def competency(self) -> Competency:
        return self.standing.competency

    @property
    def failed_items(self) -> list[SheetItem]:
        """Items of the round under way whose latest result failed: a media fill is passed only
        when the media fill, the gloved-fingertip sample and the surface sample all pass."""
        return [row for row in self.items if row.failed]


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
    tct_rule = None
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
                state = "done" if item_done(item, signoffs, consecutive=facts.consecutive) else "to_sign"
            tct = None
            if item.measure == ChecklistItem.Measure.TCT:
                if item.pk not in tct_cache:
                    after = last_achieved.achieved_on if last_achieved else None
                    tct_cache[item.pk] = tct_summary(technician_id=technician.pk, after=after, until=today)
                tct_rule = tct_rule or tct_rule_of(technician)
                tct = {**tct_cache[item.pk], "met": tct_target_met(tct_rule, tct_cache[item.pk]), "rule": tct_rule}
            failed = bool(signoffs) and signoffs[-1].result == SignOff.Result.FAIL and state == "to_sign"
            rows.append(
                SheetItem(item=item, state=state, last=latest.get(item.pk), streak=streak, tct=tct, failed=failed)
            )
        role = "required" if pk in required else "specialty" if pk in specialty else "other"
        sheet.append(SheetCompetency(standing=comp_standing, role=role, items=rows))
    order = {"required": 0, "specialty": 1, "other": 2}
    sheet.sort(key=lambda c: (order[c.role], c.competency.category, c.competency.name))
    return {"standing": standing, "competencies": sheet}


def with_current_tier(qs: QuerySet[Technician]) -> QuerySet[Technician]:
    """Annotate the current tier (the open assignment) without storing it twice."""
    open_assignment = TierAssignment.objects.filter(technician=OuterRef("pk"), end_date__isnull=True)
    return qs.annotate(
        current_tier_id=Subquery(open_assignment.values("tier_id")[:1]),
        current_tier_code=Subquery(open_assignment.values("tier__code")[:1]),
        current_tier_name=Subquery(open_assignment.values("tier__name")[:1]),
        current_tier_since=Subquery(open_assignment.values("start_date")[:1]),
    )


def technician_list(*, viewer, record: str = Record.TECHNICIANS) -> QuerySet[Technician]:
    """Technicians in scope, with their current tier; ``record`` narrows them to those whose
    records of that kind the viewer reads (an evaluator's colleagues for ``Record.TECHNICIANS``,
    only themselves for ``Record.EVALUATIONS``). Lists filter it with
    ``technicians.filters.TechnicianFilterSet``."""
    qs = scope_to_viewer(
        Technician.objects.select_related("site", "mentor"), viewer=viewer, technician_field="", record=record
    )
    return with_current_tier(qs)


def technician_get(*, viewer, pk, record: str = Record.TECHNICIANS) -> Technician:
    """One technician in scope (for ``record``: a page of their evaluations asks for
    ``Record.EVALUATIONS``); raises ``Technician.DoesNotExist`` otherwise (a 404)."""
    return technician_list(viewer=viewer, record=record).get(pk=pk)


def tier_history(*, technician: Technician) -> QuerySet[TierAssignment]:
    return technician.tier_assignments.select_related("tier", "recorded_by").order_by("-start_date")


def promotions_in(start: dt.date, end: dt.date) -> QuerySet[TierAssignment]:
    """Tier assignments effective in ``[start, end]`` whose tier ranks above the technician's
    previous assignment, annotated with ``prior_start`` and ``prior_tier_code``."""
    previous = TierAssignment.objects.filter(
        technician=OuterRef("technician"), start_date__lt=OuterRef("start_date")
    ).order_by("-start_date")
    return (
        TierAssignment.objects.filter(start_date__gte=start, start_date__lte=end)
        .annotate(
            prior_rank=Subquery(previous.values("tier__rank")[:1]),
            prior_start=Subquery(previous.values("start_date")[:1]),
            prior_tier_code=Subquery(previous.values("tier__code")[:1]),
        )
        .filter(prior_rank__lt=F("tier__rank"))
    )


# ---------------------------------------------------------------------------------------------
# Stalled and ready: the one definition of each
# ---------------------------------------------------------------------------------------------


def is_stalled(*, tier: Tier | None, months_in_tier: float | None) -> bool:
    """PRODUCT.md section 3's "stalled" for one technician: more months in their tier than the
    tier expects (``months_between`` from the assignment's start). ``stalled_on`` is the same
    rule as SQL for counting many; tests/ladder/test_stalled_and_ready.py runs both on the same
    rows."""
    return bool(tier is not None and months_in_tier is not None and months_in_tier > tier.expected_months)


def promotion_candidates(*, viewer, today: dt.date, site_id: int | None = None) -> QuerySet[Technician]:
    """Who "ready for promotion" is asked of, on the dashboard and the ready page alike: the
    technicians whose promotions the viewer reads, employed today (on leave included), with
    their current tier. A candidate is *ready* when their ladder standing is eligible
    (``standings_ready``)."""
    qs = scope_to_viewer(Technician.objects.all(), viewer=viewer, technician_field="", record=Record.PROMOTIONS)
    qs = qs.filter(employed_on(today)).select_related("site")
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    return with_current_tier(qs)


def standings_ready(standings: Iterable[Standing]) -> list[Standing]:
    """The standings that are ready: eligible for the next tier today (the ladder rule,
    ``LadderFacts.standing``)."""
    return [standing for standing in standings if standing.eligible]


def stalled_start_threshold(*, expected_months: int, on: dt.date) -> dt.date:
    """The first tier start date ``s`` with ``add_months(s, expected_months) >= on``.

    ``months_between(s, on) > expected_months`` holds exactly when ``s`` is before it, because
    ``add_months`` never decreases and ``months_between(s, add_months(s, m)) == m``.
    """
    threshold = add_months(on, -expected_months)
    while add_months(threshold, expected_months) < on:  # at most 3 days past a clamped month end
        threshold += dt.timedelta(days=1)
    while add_months(threshold - dt.timedelta(days=1), expected_months) >= on:
        threshold -= dt.timedelta(days=1)
    return threshold


def stalled_on(day: dt.date, tiers: Iterable[Tier] | None = None) -> Exists:
    """``Exists``: the technician's assignment covering ``day`` started more than its tier's
    expected months before ``day``. Tiers are few (the ladder), so one OR branch per tier."""
    tiers = list(tiers if tiers is not None else Tier.objects.all())
    too_long = Q(pk__in=[])
    for tier in tiers:
        threshold = stalled_start_threshold(expected_months=tier.expected_months, on=day)
        too_long |= Q(tier_id=tier.pk, start_date__lt=threshold)
    covering = TierAssignment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=day),
        too_long,
        technician=OuterRef("pk"),
        start_date__lte=day,
    )
    return Exists(covering)
