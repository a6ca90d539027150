"""Demo data of the ladder for ``manage.py seed_demo``: sign-offs, evaluations, promotions,
enrolments, validation and leadership logs, mentoring meetings. Demo data only: migrations
never call this module.

Call ``demo_ladder_create(rng=..., today=...)`` after the technicians, their tier histories and
the demo logins exist (sign-offs need an evaluator or manager login of each site; the
``technician`` login gets its own scenario). ``demo_ladder_delete()`` removes every ladder row
that points at a technician, for ``seed_demo --reset`` (call it before deleting technicians).

What it creates, deterministically from ``rng`` and ``today``:

- every competency a technician's tier history implies (the requirements of each tier they were
  promoted into, specialties picked at random), signed off shortly before the promotion and
  re-validated at its interval since, with a few lapsed re-validations (expired competencies)
  and USP <797> gloved-fingertip counts and tech-check-tech validation logs where the checklist
  asks for them;
- progress towards the next tier for most active technicians (some competencies done, some
  half-way);
- monthly evaluations for the last six months (rubric 1-5 around "meets", a few stronger or
  weaker performers), most of them acknowledged;
- the approved promotion behind each promotion of the last year, and a few pending requests
  (eligible technicians first, then near-eligible ones) in the managers' queues;
- enrolments on the clinical and management tracks, with shadowing and rotational-leadership
  hours for the management track;
- mentoring meetings for technicians who have a mentor.

The ``technician`` demo login (a Tech I hired about 7 months ago) meets every Tech II
requirement this module controls except the last insurance-billing item, so its career map
shows one clearly missing checklist item (plus the CPhT, if the certification demo has not
given it one).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from careerladder.core import versions
from careerladder.core.dates import add_months
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog
from competencies.selectors import competency_list, items_for_round, revalidation_interval
from technicians.models import Technician, User
from technicians.roles import ORG_WIDE, SITE_STAFF
from technicians.selectors import compounding_category_of
from tiers.models import RUBRIC, Evaluation, Promotion, TierAssignment
from tiers.selectors import ladder_standing_many, ladder_tiers
from tiers.services import evaluation_overall
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, TrackPosition

HISTORY_REASON = "Demo data (seed_demo)"
BATCH = 2000
EVALUATION_MONTHS = 6
PENDING_MAX = 8
SHARE_LAPSED = 0.06  # re-validations that were missed: the competency shows as expired
SHARE_ENROLLED = 0.15
DEMO_TECHNICIAN_MISSING = "BILLING"  # the competency whose last item the technician login still needs


@dataclass
class LadderDemoSummary:
    rounds: int = 0
    signoffs: int = 0
    evaluations: int = 0
    promotions_pending: int = 0
    promotions_approved: int = 0
    enrolments: int = 0
    tct_logs: int = 0
    leadership_hours: int = 0
    meetings: int = 0
    # The USP <797> and tech-check-tech cases (``_usp797_and_tct_cases``): technician ids.
    category3_technician: int | None = None
    surface_sample_failed: int | None = None
    tct_idle: int | None = None


@dataclass
class _Plan:
    """Rows to insert, built in memory and written with bulk inserts."""

    rounds: list[CompetencyRound] = field(default_factory=list)
    planned: set[tuple[int, int]] = field(default_factory=set)  # (technician, competency)
    signoffs: list[tuple[CompetencyRound, SignOff]] = field(default_factory=list)
    tct_logs: list[TctValidationLog] = field(default_factory=list)


def demo_ladder_create(
    *, rng: random.Random, today: dt.date, technician_login: Technician | None = None
) -> LadderDemoSummary:
    """Create the ladder's demo rows (see the module docstring). Returns what was created."""
    with transaction.atomic():
        ctx = _Context.load(rng=rng, today=today, technician_login=technician_login)
        summary = LadderDemoSummary()
        if not ctx.technicians or not ctx.supervisors_by_site:
            return summary
        plan = _Plan()
        for tech in ctx.technicians:
            if ctx.login is not None and tech.pk == ctx.login.pk:
                _login_scenario(ctx, plan, tech)
            else:
                _competencies_for(ctx, plan, tech)
        _write_competencies(plan, summary)
        _usp797_and_tct_cases(ctx, plan, summary)
        summary.evaluations = _evaluations(ctx)
        summary.promotions_approved = _approved_promotions(ctx)
        summary.promotions_pending = _pending_promotions(ctx)
        summary.enrolments, summary.leadership_hours = _enrolments(ctx)
        summary.meetings = _meetings(ctx)
        return summary


@transaction.atomic
def demo_ladder_delete() -> None:
    """Delete every ladder row that points at a technician (and its audit history)."""
    for model in (SignOff, CompetencyRound, Evaluation, Promotion, Enrolment):
        model.history.model.objects.all().delete()
    for model in (
        SignOff,
        CompetencyRound,
        TctValidationLog,
        Evaluation,
        Promotion,
        Enrolment,
        LeadershipHourLog,
        MentoringMeeting,
    ):
        model.objects.all()._raw_delete(model.objects.db)


# ---------------------------------------------------------------------------------------------
# Context
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    today: dt.date
    technicians: list[Technician]
    history: dict[int, list[TierAssignment]]
    tiers: list
    competencies: dict[int, Competency]
    supervisors_by_site: dict[int, list[User]]
    managers_by_site: dict[int, list[User]]
    fallback_manager: User | None
    login: Technician | None
    now: dt.datetime

    @classmethod
    def load(cls, *, rng, today, technician_login):
        technicians = list(
            Technician.objects.exclude(status=Technician.Status.TERMINATED).select_related("site").order_by("pk")
        )
        history: dict[int, list[TierAssignment]] = defaultdict(list)
        for assignment in TierAssignment.objects.select_related("tier").order_by("technician_id", "start_date"):
            history[assignment.technician_id].append(assignment)
        supervisors: dict[int, list[User]] = defaultdict(list)
        managers: dict[int, list[User]] = defaultdict(list)
        staff = User.objects.filter(is_active=True, role__in=SITE_STAFF).prefetch_related("sites")
        for user in staff.order_by("pk"):
            for site in user.sites.all():
                supervisors[site.pk].append(user)
                if user.role == User.Role.MANAGER:
                    managers[site.pk].append(user)
        fallback = (
            User.objects.filter(Q(role__in=ORG_WIDE) | Q(is_superuser=True), is_active=True).order_by("pk").first()
        )
        # Sites without their own evaluator or manager are signed off by an hr/admin login.
        if fallback is not None:
            for tech in technicians:
                supervisors.setdefault(tech.site_id, [fallback])
        if technician_login is None:
            login_user = User.objects.filter(username="technician").select_related("technician").first()
            technician_login = login_user.technician if login_user else None
        return cls(
            rng=rng,
            today=today,
            technicians=technicians,
            history=history,
            tiers=list(ladder_tiers()),
            competencies={c.pk: c for c in competency_list()},
            supervisors_by_site=supervisors,
            managers_by_site=managers,
            fallback_manager=fallback,
            login=technician_login,
            now=timezone.now(),
        )

    def supervisor_for(self, tech: Technician) -> User | None:
        candidates = [u for u in self.supervisors_by_site.get(tech.site_id, []) if u.technician_id != tech.pk]
        return self.rng.choice(candidates) if candidates else None

    def manager_for(self, tech: Technician) -> User | None:
        candidates = self.managers_by_site.get(tech.site_id) or (
            [self.fallback_manager] if self.fallback_manager else []
        )
        return self.rng.choice(candidates) if candidates else None


# ---------------------------------------------------------------------------------------------
# Competencies: rounds and sign-offs
# ---------------------------------------------------------------------------------------------


def _competencies_for(ctx: _Context, plan: _Plan, tech: Technician) -> None:
    rng = ctx.rng
    history = ctx.history.get(tech.pk, [])
    if not history:
        return
    evaluator = ctx.supervisor_for(tech)
    if evaluator is None:
        return
    # What each tier reached asked for, achieved shortly before that tier began.
    for assignment in history:
        tier = next((t for t in ctx.tiers if t.pk == assignment.tier_id), None)
        if tier is None or tier.rank == 1:
            continue
        wanted = list(tier.required_competencies.all())
        specialties = list(tier.specialty_competencies.all())
        wanted += rng.sample(specialties, min(tier.min_specialty_competencies, len(specialties)))
        for competency in wanted:
            first = assignment.start_date - dt.timedelta(days=rng.randint(7, 60))
            first = min(max(first, tech.hire_date + dt.timedelta(days=14)), ctx.today)
            _achievement_chain(ctx, plan, tech, evaluator, ctx.competencies[competency.pk], first)
    # Work towards the next tier.
    current = history[-1]
    if tech.status != Technician.Status.ACTIVE or current.end_date is not None:
        return
    nxt = next((t for t in ctx.tiers if t.rank > current.tier.rank), None)
    if nxt is None:
        return
    towards = list(nxt.required_competencies.all())
    specialties = list(nxt.specialty_competencies.all())
    if specialties and nxt.min_specialty_competencies:
        towards += rng.sample(specialties, min(len(specialties), nxt.min_specialty_competencies))
    since = max(current.start_date, ctx.today - dt.timedelta(days=240))
    span = max((ctx.today - since).days, 1)
    for competency in towards:
        roll = rng.random()
        day = since + dt.timedelta(days=rng.randint(0, span))
        if roll < 0.45:
            _achievement_chain(ctx, plan, tech, evaluator, ctx.competencies[competency.pk], day)
        elif roll < 0.75:
            _partial_round(ctx, plan, tech, evaluator, ctx.competencies[competency.pk], day)


def _achievement_chain(ctx, plan, tech, evaluator, competency: Competency, first: dt.date) -> None:
    """Round 1 achieved on ``first``, then a re-validation round each interval until today
    (a few chains stop early: the competency lapsed)."""
    if (tech.pk, competency.pk) in plan.planned:
        return  # already planned for this technician (a competency several tiers ask for)
    plan.planned.add((tech.pk, competency.pk))
    interval = revalidation_interval(competency=competency, compounding_category=compounding_category_of(tech))
    achieved, number = first, 1
    while achieved <= ctx.today:
        achieved = _round(ctx, plan, tech, evaluator, competency, number, achieved, interval)
        if achieved is None or not interval:
            return
        due = add_months(achieved, interval)
        if due > ctx.today or ctx.rng.random() < SHARE_LAPSED:
            return
        achieved = due - dt.timedelta(days=ctx.rng.randint(0, 21))
        number += 1


def _round(ctx, plan, tech, evaluator, competency, number, achieved, interval) -> dt.date | None:
    """An achieved round: every item signed in the two weeks up to ``achieved``; returns the day
    it was achieved (its latest sign-off), or None when that would fall after today."""
    rng = ctx.rng
    earliest = tech.hire_date
    if plan.rounds and plan.rounds[-1].technician_id == tech.pk and plan.rounds[-1].competency_id == competency.pk:
        earliest = plan.rounds[-1].achieved_on + dt.timedelta(days=1)
    achieved = max(achieved, earliest)
    if achieved > ctx.today:
        return None
    round_ = CompetencyRound(technician_id=tech.pk, competency_id=competency.pk, number=number, started_on=achieved)
    days = []
    for item in items_for_round(competency.items.all(), number):
        for offset in _signoff_days(rng, item):
            day = max(achieved - dt.timedelta(days=offset), earliest)
            days.append(day)
            plan.signoffs.append((round_, _signoff(rng, tech, evaluator, item, day)))
            if item.measure == ChecklistItem.Measure.TCT:
                plan.tct_logs += _tct_days(rng, tech, evaluator, before=day, earliest=earliest)
    if not days:
        return None
    round_.started_on, round_.achieved_on = min(days), max(days)
    round_.interval_months = interval
    round_.expires_on = add_months(round_.achieved_on, interval) if interval else None
    plan.rounds.append(round_)
    return round_.achieved_on


def _partial_round(ctx, plan, tech, evaluator, competency, started: dt.date) -> None:
    """An open round with some of its items signed."""
    if (tech.pk, competency.pk) in plan.planned:
        return
    plan.planned.add((tech.pk, competency.pk))
    rng = ctx.rng
    items = [i for i in items_for_round(competency.items.all(), 1) if i.measure != ChecklistItem.Measure.TCT]
    if len(items) < 2:
        return
    chosen = rng.sample(items, rng.randint(1, len(items) - 1))
    started = max(started, tech.hire_date)
    round_ = CompetencyRound(technician_id=tech.pk, competency_id=competency.pk, number=1, started_on=started)
    for item in chosen:
        day = min(started + dt.timedelta(days=rng.randint(0, 20)), ctx.today)
        if item.passes_required > 1:
            day = started  # one pass of a run of three
        plan.signoffs.append((round_, _signoff(rng, tech, evaluator, item, day)))
    plan.rounds.append(round_)


def _signoff_days(rng: random.Random, item: ChecklistItem) -> list[int]:
    """Days before the achievement on which ``item`` was signed (a run of passes for the
    initial garbing test, spread over a week)."""
    if item.passes_required > 1:
        return sorted(rng.sample(range(0, 10), item.passes_required), reverse=True)
    return [rng.randint(0, 14)]


def _signoff(rng, tech, evaluator, item: ChecklistItem, day: dt.date) -> SignOff:
    method = SignOff.Method.OBSERVATION
    if item.text.lower().startswith("written test"):
        method = SignOff.Method.WRITTEN_TEST
    elif item.measure == "":
        method = rng.choice([SignOff.Method.OBSERVATION, SignOff.Method.OBSERVATION, SignOff.Method.DEMONSTRATION])
    measurement = None
    if item.measure == ChecklistItem.Measure.CFU:
        measurement = Decimal(rng.randint(0, item.max_cfu))
    elif item.measure == ChecklistItem.Measure.TCT:
        measurement = Decimal("100.00")
    return SignOff(
        item_id=item.pk,
        technician_id=tech.pk,
        evaluator_id=evaluator.pk,
        evaluator_technician_id=evaluator.technician_id,
        signed_on=day,
        method=method,
        result=SignOff.Result.PASS,
        measurement=measurement,
    )


def _tct_days(rng, tech, evaluator, *, before: dt.date, earliest: dt.date) -> list[TctValidationLog]:
    """Five to seven validation days of about 100 checks, without errors, before the sign-off."""
    days = rng.randint(5, 7)
    rows = []
    for n in range(days):
        day = before - dt.timedelta(days=days - n)
        if day < earliest:
            day = earliest
        rows.append(
            TctValidationLog(
                technician_id=tech.pk,
                checked_on=day,
                verifications=rng.randint(95, 120),
                errors=0,
                audited_by_id=evaluator.pk,
                note="Pharmacist audited every check.",
            )
        )
    return rows


def _write_competencies(plan: _Plan, summary: LadderDemoSummary) -> None:
    # Postgres and SQLite (3.35+) hand the new primary keys back to the objects themselves.
    bulk_create_with_history(plan.rounds, CompetencyRound, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    for round_, signoff in plan.signoffs:
        signoff.round_id = round_.pk
    bulk_create_with_history(
        [s for _, s in plan.signoffs], SignOff, batch_size=BATCH, default_change_reason=HISTORY_REASON
    )
    TctValidationLog.objects.bulk_create(plan.tct_logs, batch_size=BATCH)
    summary.rounds, summary.signoffs, summary.tct_logs = len(plan.rounds), len(plan.signoffs), len(plan.tct_logs)


# ---------------------------------------------------------------------------------------------
# The technician login: one checklist item away from Tech II
# ---------------------------------------------------------------------------------------------


def _usp797_and_tct_cases(ctx: _Context, plan: _Plan, summary: LadderDemoSummary) -> None:
    """One technician of each USP <797> / tech-check-tech case, recorded through the services
    (so the rules that decide them are the product's own):

    - a Category 3 compounder at a Category 2 site (the first hospital's default is set to
      Category 2 when it has none), sterile compounding achieved 20 days ago and due 3 months
      after it;
    - a colleague whose media fill failed on its surface sample (5 CFU, limit 3): the
      competency stays in progress;
    - a technician validated for tech-check-tech about 8 months ago with no check since: the
      product-verification duty is withdrawn (6 idle months).

    Each is a technician of at least a year's service with no round of the competency yet and
    an evaluator at their site; a case without such a technician is skipped."""
    sterile = next((c for c in ctx.competencies.values() if c.code == "STERILE_797"), None)
    tct = next((c for c in ctx.competencies.values() if c.code == "TCT"), None)
    hospital = next((t.site for t in ctx.technicians if t.site.kind == t.site.Kind.HOSPITAL), None)
    if hospital is None and ctx.technicians:
        hospital = ctx.technicians[0].site
    year_ago = ctx.today - dt.timedelta(days=400)
    used: set[int] = {ctx.login.pk} if ctx.login is not None else set()

    def pick(competency, site=None):
        for tech in ctx.technicians:
            if tech.pk in used or tech.hire_date > year_ago or (site is not None and tech.site_id != site.pk):
                continue
            if (tech.pk, competency.pk) in plan.planned or ctx.supervisor_for(tech) is None:
                continue
            if CompetencyRound.objects.filter(technician=tech, competency=competency).exists():
                continue
            used.add(tech.pk)
            return tech
        return None

    def sign(tech, items, day, *, cfu=None):
        entries = [
            competencies_services.SignOffInput(item=item, measurement=Decimal(cfu) if cfu is not None else None)
            for item in items
        ]
        summary.signoffs += len(
            competencies_services.signoff_record_many(
                technician=tech,
                evaluator=ctx.supervisor_for(tech),
                entries=entries,
                signed_on=day,
                method=SignOff.Method.OBSERVATION,
                today=ctx.today,
            )
        )

    def sterile_round(tech, day, *, surface_cfu):
        items = list(items_for_round(sterile.items.filter(active=True).order_by("position", "id"), 1))
        cfu_items = [i for i in items if i.measure == ChecklistItem.Measure.CFU]
        for item in cfu_items:
            days = [day - dt.timedelta(days=n) for n in range(item.passes_required, 0, -1)] or [day]
            for signed in days:
                cfu = surface_cfu if "surface" in item.text.lower() else 0
                sign(tech, [item], signed, cfu=cfu)
        sign(tech, [i for i in items if not i.measure], day)

    if sterile is not None and hospital is not None:
        if not hospital.compounding_category:
            hospital.compounding_category = "2"
            hospital.save(update_fields=["compounding_category", "updated_at"])
        tech = pick(sterile, hospital)
        if tech is not None:
            # Written as part of the technician's demo record (no "changed" history row: the
            # demo's audit trail holds one "created" row per technician).
            tech.compounding_category = "3"
            type(tech).objects.filter(pk=tech.pk).update(compounding_category="3")
            sterile_round(tech, ctx.today - dt.timedelta(days=20), surface_cfu=0)
            summary.category3_technician = tech.pk
            summary.rounds += 1
        tech = pick(sterile, hospital)
        if tech is not None:
            sterile_round(tech, ctx.today - dt.timedelta(days=12), surface_cfu=5)
            summary.surface_sample_failed = tech.pk
            summary.rounds += 1
    if tct is not None:
        tech = pick(tct)
        if tech is not None:
            validated = ctx.today - dt.timedelta(days=245)
            TctValidationLog.objects.bulk_create(
                [
                    TctValidationLog(
                        technician=tech,
                        checked_on=validated - dt.timedelta(days=n),
                        verifications=110,
                        errors=0,
                        audited_by=ctx.supervisor_for(tech),
                    )
                    for n in range(5, 0, -1)
                ]
            )
            versions.touch_sites([tech.site_id])
            sign(tech, list(items_for_round(tct.items.filter(active=True), 1)), validated)
            summary.tct_idle = tech.pk
            summary.rounds += 1
            summary.tct_logs += 5


def _login_scenario(ctx: _Context, plan: _Plan, tech: Technician) -> None:
    evaluator = ctx.supervisor_for(tech)
    history = ctx.history.get(tech.pk, [])
    if evaluator is None or not history:
        return
    nxt = next((t for t in ctx.tiers if t.rank > history[-1].tier.rank), None)
    if nxt is None:
        return
    start = max(history[-1].start_date, ctx.today - dt.timedelta(days=150))
    span = max((ctx.today - start).days - 7, 1)
    for n, competency in enumerate(nxt.required_competencies.all()):
        competency = ctx.competencies[competency.pk]
        day = min(start + dt.timedelta(days=(n * 23) % span), ctx.today - dt.timedelta(days=3))
        if competency.code == DEMO_TECHNICIAN_MISSING:
            items = items_for_round(competency.items.all(), 1)
            round_ = CompetencyRound(technician_id=tech.pk, competency_id=competency.pk, number=1, started_on=day)
            for item in items[:-1]:
                plan.signoffs.append((round_, _signoff(ctx.rng, tech, evaluator, item, day)))
            plan.rounds.append(round_)
        else:
            interval = revalidation_interval(competency=competency, compounding_category=compounding_category_of(tech))
            _round(ctx, plan, tech, evaluator, competency, 1, day, interval)


# ---------------------------------------------------------------------------------------------
# Evaluations, promotions, tracks, mentoring
# ---------------------------------------------------------------------------------------------


def _scores(rng: random.Random, level: float) -> dict[str, int]:
    return {name: max(1, min(5, round(rng.gauss(level, 0.6)))) for name in RUBRIC}


def _evaluations(ctx: _Context) -> int:
    rng = ctx.rng
    first_month = add_months(ctx.today.replace(day=1), -EVALUATION_MONTHS)
    rows = []
    for tech in ctx.technicians:
        manager = ctx.manager_for(tech)
        if manager is None:
            continue
        level = 3.8 if ctx.login is not None and tech.pk == ctx.login.pk else rng.choice([2.8, 3.3, 3.5, 3.6, 3.9, 4.3])
        month = max(first_month, add_months(tech.hire_date.replace(day=1), 1))
        while month < ctx.today.replace(day=1):
            scores = _scores(rng, level)
            latest = add_months(month, 1) >= ctx.today.replace(day=1)
            # The technician login has last month's evaluation waiting for its acknowledgement.
            is_login = ctx.login is not None and tech.pk == ctx.login.pk
            acknowledged = not latest or (not is_login and rng.random() < 0.4)
            rows.append(
                Evaluation(
                    technician_id=tech.pk,
                    month=month,
                    **scores,
                    overall=evaluation_overall(scores),
                    comments=_comment(rng, scores),
                    evaluator_id=manager.pk,
                    acknowledged_at=ctx.now if acknowledged else None,
                )
            )
            month = add_months(month, 1)
    bulk_create_with_history(rows, Evaluation, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    return len(rows)


def _comment(rng: random.Random, scores: dict[str, int]) -> str:
    weakest = min(RUBRIC, key=lambda name: scores[name])
    strongest = max(RUBRIC, key=lambda name: scores[name])
    return rng.choice(
        [
            f"Strong {strongest} this month; let's work on {weakest}.",
            f"Good month. Focus for next month: {weakest}.",
            f"Reliable {strongest}. Keep an eye on {weakest}.",
        ]
    )


def _approved_promotions(ctx: _Context) -> int:
    """The decided request behind each promotion of the last year."""
    since = ctx.today - dt.timedelta(days=365)
    rows = []
    for tech in ctx.technicians:
        history = ctx.history.get(tech.pk, [])
        for before, after in zip(history, history[1:], strict=False):
            if after.reason != TierAssignment.Reason.PROMOTION or after.start_date < since:
                continue
            manager = ctx.manager_for(tech)
            if manager is None:
                continue
            decided = timezone.make_aware(dt.datetime.combine(after.start_date, dt.time(10)))
            rows.append(
                Promotion(
                    technician_id=tech.pk,
                    from_tier_id=before.tier_id,
                    to_tier_id=after.tier_id,
                    effective_date=after.start_date,
                    status=Promotion.Status.APPROVED,
                    note="Checklists complete and evaluations above the floor.",
                    nominated_by_id=manager.pk,
                    decided_by_id=manager.pk,
                    decided_at=decided,
                    eligible_at_decision=True,
                    tier_assignment_id=after.pk,
                )
            )
    bulk_create_with_history(rows, Promotion, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    return len(rows)


def _pending_promotions(ctx: _Context) -> int:
    """A few open requests: eligible technicians first, then near-eligible ones (one or two
    requirements away), two per site of the ``manager`` demo login and one elsewhere."""
    active = [
        t for t in ctx.technicians if t.status == Technician.Status.ACTIVE and (not ctx.login or t.pk != ctx.login.pk)
    ]
    standings = ladder_standing_many(technicians=active, today=ctx.today)
    candidates = [t for t in active if standings[t.pk].next_tier and standings[t.pk].assignment.start_date < ctx.today]
    demo_manager = User.objects.filter(username="manager").first()
    showcase = set(demo_manager.sites.values_list("pk", flat=True)) if demo_manager else set()
    candidates.sort(
        key=lambda t: (
            not standings[t.pk].eligible,
            len(standings[t.pk].missing),
            t.site_id not in showcase,
            ctx.rng.random(),
        )
    )
    per_site: dict[int, int] = defaultdict(int)
    rows = []
    for tech in candidates:
        standing = standings[tech.pk]
        if not standing.eligible and len(standing.missing) > 2:
            break
        if per_site[tech.site_id] >= (2 if tech.site_id in showcase else 1) or len(rows) >= PENDING_MAX:
            continue
        manager = ctx.manager_for(tech)
        if manager is None:
            continue
        per_site[tech.site_id] += 1
        rows.append(
            Promotion(
                technician_id=tech.pk,
                from_tier_id=standing.tier.pk,
                to_tier_id=standing.next_tier.pk,
                effective_date=ctx.today,
                note=ctx.rng.choice(
                    [
                        "Consistently strong evaluations; ready for the next step.",
                        "Covers the station without supervision now.",
                        "Finished the checklist ahead of plan.",
                    ]
                ),
                nominated_by_id=manager.pk,
            )
        )
    bulk_create_with_history(rows, Promotion, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    return len(rows)


def _enrolments(ctx: _Context) -> tuple[int, int]:
    rng = ctx.rng
    positions = list(TrackPosition.objects.select_related("track", "min_tier").order_by("pk"))
    enrolments, hours = [], []
    for tech in ctx.technicians:
        history = ctx.history.get(tech.pk, [])
        if tech.status != Technician.Status.ACTIVE or not history or rng.random() >= SHARE_ENROLLED:
            continue
        rank = history[-1].tier.rank
        open_positions = [p for p in positions if p.min_tier is None or p.min_tier.rank <= rank + 1]
        if not open_positions:
            continue
        position = rng.choice(open_positions)
        enrolled_on = max(tech.hire_date, ctx.today - dt.timedelta(days=rng.randint(20, 300)))
        enrolments.append(
            Enrolment(
                technician_id=tech.pk,
                track_id=position.track_id,
                position_id=position.pk,
                enrolled_on=enrolled_on,
                enrolled_by=ctx.manager_for(tech),
            )
        )
        supervisor = ctx.supervisor_for(tech)
        if position.track.kind == "management" and supervisor is not None:
            for _ in range(rng.randint(2, 8)):
                day = enrolled_on + dt.timedelta(days=rng.randint(0, max((ctx.today - enrolled_on).days, 0)))
                kind = rng.choice([LeadershipHourLog.Kind.SHADOWING, LeadershipHourLog.Kind.ROTATIONAL_LEADERSHIP])
                hours.append(
                    LeadershipHourLog(
                        technician_id=tech.pk,
                        kind=kind,
                        worked_on=day,
                        hours=Decimal(rng.choice([2, 4, 4, 6, 8])),
                        activity=rng.choice(
                            [
                                "Shadowed the pharmacy manager building next week's schedule",
                                "Led the evening shift huddle and station assignments",
                                "Shadowed the buyer: wholesaler order and backorder calls",
                                "Ran the controlled-substance count with the pharmacist",
                            ]
                        ),
                        recorded_by_id=supervisor.pk,
                    )
                )
    bulk_create_with_history(enrolments, Enrolment, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    LeadershipHourLog.objects.bulk_create(hours, batch_size=BATCH)
    return len(enrolments), len(hours)


def _meetings(ctx: _Context) -> int:
    rng = ctx.rng
    rows = []
    for tech in ctx.technicians:
        if not tech.mentor_id or tech.status != Technician.Status.ACTIVE:
            continue
        recorder = ctx.manager_for(tech)
        if recorder is None:
            continue
        for back in (3, 2, 1):
            if rng.random() > 0.8:
                continue
            day = add_months(ctx.today, -back) + dt.timedelta(days=rng.randint(0, 10))
            if day < tech.hire_date or day > ctx.today:
                continue
            rows.append(
                MentoringMeeting(
                    mentee_id=tech.pk,
                    mentor_id=tech.mentor_id,
                    met_on=day,
                    minutes=rng.choice([20, 30, 30, 45, 60]),
                    topics=rng.choice(
                        [
                            "Next-tier checklist: what to ask the evaluator for",
                            "PTCE practice test results and study plan",
                            "Handling a difficult patient at pick-up",
                            "Insurance rejects 75 and 79: walk-through",
                        ]
                    ),
                    next_steps=rng.choice(["Shadow the billing lead", "Book the sign-off", "Two practice tests", ""]),
                    recorded_by_id=recorder.pk,
                )
            )
    MentoringMeeting.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
