"""Deterministic, realistic demo data for ``manage.py seed_demo`` (PRODUCT.md section 4).

Demo data only: migrations never call this module.

The workforce is simulated as *positions* (slots) at each site. Every position is held on the
window's first day by a technician hired earlier (tenure of months to decades); when that person
leaves, the position stays vacant for a few weeks and is filled by a new hire, and so on until
today. Hires of the last ``years`` years therefore replace leavers, headcount stays roughly
steady and the KPIs of every month in the window have a sensible denominator. Numbers follow
DOMAIN.md section 5 and the default ladder of section 1.2:

- separations at roughly 20-25 % a year (higher in the first year of employment, lower for
  Tech III and Lead, higher in retail than in hospitals), about four in five voluntary, with the
  exit reasons technicians give most (pay, lack of career growth, workload and staffing);
- Tech I -> Tech II after about 9-18 months, fewer reaching Tech III and Lead, and some who stay
  in a tier well beyond its expected months (the "stalled" KPI);
- mentors are active Tech IIIs or Leads of the mentee's site.

Determinism: every random choice comes from ``random.Random`` instances seeded from ``seed`` and
a stream name (see ``DemoContext.rng``), never from the global generator, Faker or the clock;
"today" is an argument. Each stage has its own stream so that a later stage (certifications,
competencies, training...) can be added to ``demo_data_create`` without changing the rows
earlier stages produce for the same seed.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings
from simple_history.utils import bulk_create_with_history

from careerladder.core import versions
from careerladder.core.dates import add_months, months_between
from careerladder.core.errors import ApplicationError
from technicians.models import Site, Technician, User
from technicians.services import user_create, user_update
from tiers.models import Tier, TierAssignment

# Published in the README and printed by the command: demo logins only, never real accounts.
DEMO_PASSWORD = "careerladder-demo"  # noqa: S105
DEMO_EMAIL_DOMAIN = "example.org"
HISTORY_REASON = "Demo data (seed_demo)"

TECH1, TECH2, TECH3, LEAD = "TECH1", "TECH2", "TECH3", "LEAD"
LADDER = (TECH1, TECH2, TECH3, LEAD)
MENTOR_TIERS = (TECH3, LEAD)

MONDAY, SUNDAY = 0, 6

# --------------------------------------------------------------------------------------------
# Reference lists (embedded so that demo data needs no extra runtime dependency)
# --------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aaliyah", "Adriana", "Aisha", "Alejandro", "Alexis", "Amanda", "Amir", "Ana", "Andre", "Angela",
    "Anh", "Ashley", "Brandon", "Brianna", "Camila", "Carlos", "Chloe", "Chris", "Crystal", "Daniel",
    "Daniela", "Darius", "Deja", "Destiny", "Diego", "Dylan", "Elena", "Emily", "Eric", "Fatima",
    "Gabriel", "Grace", "Hannah", "Hector", "Imani", "Isabel", "Jacob", "Jamal", "Jasmine", "Jason",
    "Jennifer", "Jessica", "Jordan", "Jose", "Joshua", "Kayla", "Kevin", "Keisha", "Kimberly", "Kyle",
    "Latoya", "Lauren", "Linh", "Luis", "Madison", "Marcus", "Maria", "Mariana", "Megan", "Melissa",
    "Michael", "Michelle", "Miguel", "Monique", "Nicole", "Olivia", "Omar", "Priya", "Rachel", "Raj",
    "Ricardo", "Rosa", "Ryan", "Samantha", "Sarah", "Sofia", "Stephanie", "Tamika", "Tiffany", "Tyler",
    "Valeria", "Vanessa", "Victoria", "Wei", "Xavier", "Yesenia", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Adams", "Ahmed", "Allen", "Alvarez", "Anderson", "Baker", "Bell", "Brooks", "Brown", "Campbell",
    "Carter", "Castillo", "Chen", "Clark", "Collins", "Cruz", "Davis", "Diaz", "Edwards", "Evans",
    "Flores", "Foster", "Garcia", "Gomez", "Gonzalez", "Gray", "Green", "Gutierrez", "Hall", "Harris",
    "Hernandez", "Hill", "Hughes", "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kelly", "Khan",
    "Kim", "King", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Mendoza", "Miller", "Mitchell",
    "Moore", "Morales", "Morgan", "Murphy", "Nelson", "Nguyen", "O'Brien", "Okafor", "Ortiz", "Parker",
    "Patel", "Perez", "Phillips", "Price", "Ramirez", "Reed", "Reyes", "Richardson", "Rivera", "Roberts",
    "Robinson", "Rodriguez", "Ross", "Sanchez", "Scott", "Shah", "Singh", "Smith", "Stewart", "Sullivan",
    "Taylor", "Thomas", "Thompson", "Torres", "Tran", "Turner", "Walker", "Washington", "Watson", "White",
    "Williams", "Wilson", "Wright", "Young",
)  # fmt: skip

# Cities with their state, for site names. Sites get distinct cities while the list lasts.
CITIES = (
    ("Columbus", "OH"), ("Pittsburgh", "PA"), ("Nashville", "TN"), ("Phoenix", "AZ"), ("Denver", "CO"),
    ("Raleigh", "NC"), ("Madison", "WI"), ("Sacramento", "CA"), ("Tampa", "FL"), ("Austin", "TX"),
    ("Grand Rapids", "MI"), ("Spokane", "WA"), ("Louisville", "KY"), ("Omaha", "NE"), ("Albany", "NY"),
    ("Richmond", "VA"), ("Boise", "ID"), ("Des Moines", "IA"), ("Tucson", "AZ"), ("Savannah", "GA"),
    ("Portland", "OR"), ("Minneapolis", "MN"), ("St. Louis", "MO"), ("Indianapolis", "IN"),
    ("Charleston", "SC"), ("Albuquerque", "NM"), ("Baltimore", "MD"), ("Hartford", "CT"),
    ("Salt Lake City", "UT"), ("Birmingham", "AL"), ("Little Rock", "AR"), ("Wichita", "KS"),
    ("Cleveland", "OH"), ("Harrisburg", "PA"), ("Knoxville", "TN"), ("Fort Collins", "CO"),
)  # fmt: skip

# The first sites cover every kind; after that the rotation repeats.
SITE_KIND_ROTATION = (
    Site.Kind.HOSPITAL,
    Site.Kind.RETAIL,
    Site.Kind.SPECIALTY,
    Site.Kind.CLINIC,
    Site.Kind.RETAIL,
    Site.Kind.HOSPITAL,
)

SITE_NAME_PATTERNS = {
    Site.Kind.HOSPITAL: (
        "{city} General Hospital Pharmacy",
        "{city} Regional Medical Center Pharmacy",
        "St. Vincent {city} Inpatient Pharmacy",
        "{city} Children's Hospital Pharmacy",
    ),
    Site.Kind.RETAIL: (
        "{city} Community Pharmacy",
        "{city} Main Street Pharmacy",
        "{city} Westside Family Pharmacy",
        "{city} Neighborhood Pharmacy",
    ),
    Site.Kind.SPECIALTY: (
        "{city} Specialty & Mail-Order Pharmacy",
        "{city} Infusion and Specialty Pharmacy",
        "{city} Central Fill & Mail Service Pharmacy",
    ),
    Site.Kind.CLINIC: (
        "{city} Outpatient Clinic Pharmacy",
        "{city} Community Health Center Pharmacy",
        "{city} Cancer Center Pharmacy",
    ),
}

# Relative headcount of a site, and its separation rate relative to the organisation's.
# Retail loses technicians faster than hospitals (DOMAIN.md section 5: 15-20 % vs 25-30 %).
SITE_SIZE = {Site.Kind.HOSPITAL: 1.6, Site.Kind.SPECIALTY: 1.3, Site.Kind.RETAIL: 0.8, Site.Kind.CLINIC: 0.6}
SITE_TURNOVER = {Site.Kind.HOSPITAL: 0.85, Site.Kind.SPECIALTY: 0.95, Site.Kind.RETAIL: 1.2, Site.Kind.CLINIC: 0.9}

# Tier at hire: most start as Tech I; experienced, certified hires start higher.
HIRE_TIER_WEIGHTS = {TECH1: 85, TECH2: 12, TECH3: 3}


@dataclass(frozen=True)
class _PromotionPace:
    """How a technician leaves a tier upward: how many ever do, and after how many months.

    ``usual`` and ``slow`` are (low, high, mode) for a triangular distribution; the slow ones
    stay past the tier's expected months before they move up (DOMAIN.md section 1.2).
    """

    share_promoted: float
    usual: tuple[int, int, int]
    share_slow: float
    slow: tuple[int, int, int]


PROMOTION_PACE = {
    TECH1: _PromotionPace(0.92, (9, 18, 12), 0.15, (18, 32, 22)),
    TECH2: _PromotionPace(0.50, (14, 36, 24), 0.30, (36, 60, 42)),
    TECH3: _PromotionPace(0.30, (18, 48, 30), 0.30, (48, 72, 54)),
}

# Termination types; retirement becomes likely only after long service.
TERMINATION_WEIGHTS = {
    Technician.TerminationType.VOLUNTARY: 78,
    Technician.TerminationType.INVOLUNTARY: 14,
    Technician.TerminationType.RETIREMENT: 4,
    Technician.TerminationType.OTHER: 4,
}
RETIREMENT_WEIGHT_AFTER_LONG_SERVICE = 60
LONG_SERVICE_YEARS = 12
RETIREMENT_WEIGHT_AFTER_SHORT_SERVICE = 1  # a second career near its end
SHORT_SERVICE_YEARS = 5

# Primary exit reason of voluntary leavers, weighted like the reasons technicians give
# (DOMAIN.md section 5: pay 75 %, career opportunities 72 %, workload 71 %, staffing 68 %,
# conditions 61 %); life events make up the rest.
EXIT_REASON_WEIGHTS = {
    Technician.ExitReason.PAY: 75,
    Technician.ExitReason.CAREER_GROWTH: 72,
    Technician.ExitReason.WORKLOAD: 70,
    Technician.ExitReason.CONDITIONS: 30,
    Technician.ExitReason.SCHEDULE: 25,
    Technician.ExitReason.MANAGEMENT: 20,
    Technician.ExitReason.RELOCATION: 18,
    Technician.ExitReason.EDUCATION: 15,
    Technician.ExitReason.PERSONAL: 15,
    Technician.ExitReason.OTHER: 5,
}

EXIT_NOTES = {
    Technician.ExitReason.PAY: (
        "Accepted a technician role at a competing chain for about $2.50/h more.",
        "Left for a hospital position with a higher base rate and shift differentials.",
        "Said pay had not kept up with the cost of living; declined a counter-offer.",
        "Took a pharmacy benefit manager job with a sign-on bonus.",
    ),
    Technician.ExitReason.CAREER_GROWTH: (
        "Wanted sterile compounding experience the site could not offer.",
        "Left to become an inventory buyer at another health system.",
        "Saw no clear next step here; moved to a lead role elsewhere.",
        "Took a prior-authorization specialist role at a clinic.",
    ),
    Technician.ExitReason.WORKLOAD: (
        "Reported consistently short-staffed shifts and a heavy prescription volume.",
        "Burned out after months of covering open shifts.",
        "Said the verification queue and phone volume were unmanageable with the current staffing.",
    ),
    Technician.ExitReason.CONDITIONS: (
        "Cited frequent mandatory overtime and few breaks.",
        "Physical strain of long standing shifts; moved to a desk-based role.",
    ),
    Technician.ExitReason.SCHEDULE: (
        "Needed weekday daytime hours for childcare.",
        "Could not keep working rotating weekends and holidays.",
    ),
    Technician.ExitReason.MANAGEMENT: (
        "Friction with the pharmacy manager over scheduling.",
        "Felt feedback and recognition were lacking.",
    ),
    Technician.ExitReason.RELOCATION: (
        "Spouse relocated out of state.",
        "Moved closer to family.",
    ),
    Technician.ExitReason.EDUCATION: (
        "Enrolled full-time in a PharmD program.",
        "Started nursing school.",
        "Went back to school full-time for a bachelor's degree.",
    ),
    Technician.ExitReason.PERSONAL: (
        "Family caregiving responsibilities.",
        "Left for health reasons.",
    ),
    Technician.ExitReason.OTHER: (
        "Left the healthcare field.",
        "Did not give a reason in the exit interview.",
    ),
}

INVOLUNTARY_NOTES = (
    "Did not obtain PTCB certification within the required window.",
    "Attendance policy: repeated no-call/no-show shifts.",
    "Repeated dispensing errors after a performance improvement plan.",
    "Did not complete the probationary period.",
    "Controlled-substance handling policy violation.",
)
OTHER_TERMINATION_NOTES = (
    "Position eliminated when the site changed its operating hours.",
    "End of a temporary assignment.",
    "Long-term disability.",
)

# Someone past their tier's expected months leaves this much faster, and names career growth
# as the reason this much more often.
STALLED_SEPARATION_FACTOR = 2
STALLED_CAREER_GROWTH_FACTOR = 1.5

SHARE_ON_LEAVE = 0.04
SHARE_TECH1_MENTORED = 0.9
SHARE_TECH2_MENTORED = 0.4

# The demo ``technician`` login belongs to someone hired about 7 months ago, so that their
# PTCB deadline (9 months by default) falls within the next 60 days: status "due soon".
TECHNICIAN_LOGIN_HIRED_MONTHS_AGO = 7
TECHNICIAN_LOGIN_EXTRA_DAYS = 10


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    today: dt.date
    years: int
    sites: int
    technicians: int
    active: int
    on_leave: int
    separations: int
    voluntary_separations: int
    promotions: int
    logins: list[DemoLogin]


# --------------------------------------------------------------------------------------------
# Working state shared by the stages
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)  # compared and hashed by identity: two plans are two people
class DemoHire:
    """One technician as planned (and, once created, with its ``technician`` row)."""

    site: Site
    first_name: str
    last_name: str
    hire_date: dt.date
    tiers: list[tuple[str, dt.date]]  # (tier code, start date), the first at the hire date
    termination_date: dt.date | None = None
    termination_type: str = ""
    exit_reason: str = ""
    exit_notes: str = ""
    would_rehire: bool | None = None
    email: str = ""
    on_leave: bool = False
    mentor: DemoHire | None = None
    employee_id: str = ""
    technician: Technician | None = None

    @property
    def tier_today(self) -> str:
        return self.tiers[-1][0]

    @property
    def status(self) -> str:
        if self.termination_date:
            return Technician.Status.TERMINATED
        return Technician.Status.LEAVE if self.on_leave else Technician.Status.ACTIVE

    def tier_on(self, day: dt.date) -> tuple[str, dt.date]:
        """The tier held on ``day`` and the day it began."""
        current = self.tiers[0]
        for period in self.tiers:
            if period[1] > day:
                break
            current = period
        return current


@dataclass
class DemoContext:
    seed: int
    today: dt.date
    years: int
    window_start: dt.date
    tiers: dict[str, Tier]
    sites: list[Site] = field(default_factory=list)
    hires: list[DemoHire] = field(default_factory=list)
    evaluator_hire: DemoHire | None = None
    technician_hire: DemoHire | None = None

    def rng(self, stream: str) -> random.Random:
        """An independent generator per stage; seeding with a string is stable across runs
        (it does not depend on PYTHONHASHSEED)."""
        return random.Random(f"careerladder-demo:{self.seed}:{stream}")


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def demo_data_present() -> bool:
    return Technician.objects.exists()


def demo_data_create(*, technicians: int, sites: int, years: int, seed: int, today: dt.date) -> DemoSummary:
    """Create ``sites`` sites, ``technicians`` technicians with ``years`` years of history up to
    ``today``, and the demo logins. Refuses when technicians already exist (see
    ``demo_data_delete``). The same arguments always produce the same rows."""
    if technicians < 2:
        raise ApplicationError("Use at least 2 technicians (the evaluator and technician logins need one each).")
    if sites < 1:
        raise ApplicationError("Use at least 1 site.")
    if years < 1:
        raise ApplicationError("Use at least 1 year of history.")
    with transaction.atomic():
        if demo_data_present():
            raise ApplicationError(
                "The database already holds technicians. Use --if-empty to keep them, or --reset to delete "
                "every site, technician and tier history and create the demo data again."
            )
        tiers = {tier.code: tier for tier in Tier.objects.filter(code__in=LADDER)}
        missing = [code for code in LADDER if code not in tiers]
        if missing:
            raise ApplicationError(f"The default ladder is missing {', '.join(missing)}; run the migrations first.")
        ctx = DemoContext(seed=seed, today=today, years=years, window_start=add_months(today, -12 * years), tiers=tiers)
        _sites_create(ctx, count=sites)
        _workforce_plan(ctx, count=technicians)
        _mentors_assign(ctx)
        _technicians_create(ctx)
        _tier_history_create(ctx)
        _demo_logins_upsert(ctx)
        # Each feature adds its demo data from its own random stream, after the logins exist
        # (the ladder's sign-offs need the evaluator and manager logins).
        from certifications.demo import demo_certifications_create
        from metrics.demo import demo_kpis_create
        from notifications.demo import demo_notifications_create
        from tiers.demo import demo_ladder_create
        from training.demo import demo_training_create

        demo_certifications_create(rng=ctx.rng("certifications"), today=ctx.today)
        demo_ladder_create(rng=ctx.rng("ladder"), today=ctx.today)
        demo_training_create(rng=ctx.rng("training"), today=ctx.today)
        # Last: the day's notices come from every feature's deadlines (in-app only, no e-mail).
        demo_notifications_create(today=ctx.today)
        summary = _summary(ctx)
        # Written in bulk (no model signals): cached pages start again (core/versions.py).
        versions.touch_all()
    # Snapshots for the dashboards are computed once the demo rows are committed.
    demo_kpis_create(today=today)
    return summary


@transaction.atomic
def demo_data_delete() -> None:
    """Delete every site, technician and tier history (and their audit history), so that the
    demo can be created again. Logins are kept; their links to technicians are cleared.

    Deleting through the ORM follows every cascade, including those of apps that attach rows
    to technicians and sites. Audit history is switched off meanwhile: it would record a
    "deleted" row per object, one insert at a time, only for the wipe below to remove it.
    """
    from tiers.demo import demo_ladder_delete

    demo_ladder_delete()
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        Technician.objects.all().delete()
        Site.objects.all().delete()
    for model in (Technician, TierAssignment):
        model.history.all().delete()


def demo_logins_describe() -> list[DemoLogin]:
    """The demo logins as they are in the database now (missing ones are left out)."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=DEMO_USERNAMES)
        .select_related("technician", "technician__site")
        .prefetch_related("sites")
    }
    return [_login_describe(users[name]) for name in DEMO_USERNAMES if name in users]


# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------


def _sites_create(ctx: DemoContext, *, count: int) -> None:
    rng = ctx.rng("sites")
    cities = rng.sample(CITIES, k=min(count, len(CITIES)))
    width = max(2, len(str(count)))
    used_names: Counter[str] = Counter()
    rows = []
    for index in range(count):
        kind = SITE_KIND_ROTATION[index % len(SITE_KIND_ROTATION)]
        city, state = cities[index] if index < len(cities) else rng.choice(CITIES)
        name = rng.choice(SITE_NAME_PATTERNS[kind]).format(city=city)
        used_names[name] += 1
        if used_names[name] > 1:
            name = f"{name} #{used_names[name]}"
        # Codes sort in creation order, so "the first sites" are the first ones listed.
        rows.append(Site(code=f"RX{index + 1:0{width}d}-{state}", name=name, kind=kind, state=state))
    ctx.sites = Site.objects.bulk_create(rows)


# --------------------------------------------------------------------------------------------
# Workforce: who was hired when, their tier history and their separation
# --------------------------------------------------------------------------------------------


def _workforce_plan(ctx: DemoContext, *, count: int) -> None:
    rng = ctx.rng("workforce")
    first_site = ctx.sites[0]

    # The evaluator login's technician: a long-serving Lead of the first site.
    lead_hire_date = _monday_on_or_before(add_months(ctx.today, -88))
    lead = _hire_plan(ctx, rng, site=first_site, hire_date=lead_hire_date, observe_separation=False)
    lead.tiers = _forced_tiers(lead_hire_date, ((TECH1, 0), (TECH2, 12), (TECH3, 32), (LEAD, 58)))
    ctx.evaluator_hire = lead

    # The technician login's technician: a Tech I of the first site, hired about 7 months ago.
    recent_hire_date = _monday_on_or_before(
        add_months(ctx.today, -TECHNICIAN_LOGIN_HIRED_MONTHS_AGO) - dt.timedelta(days=TECHNICIAN_LOGIN_EXTRA_DAYS)
    )
    recent = _hire_plan(ctx, rng, site=first_site, hire_date=recent_hire_date, observe_separation=False)
    recent.tiers = [(TECH1, recent_hire_date)]
    ctx.technician_hire = recent

    hires = [lead, recent]
    weights = [SITE_SIZE[site.kind] for site in ctx.sites]
    position = 0
    while len(hires) < count:
        # One position per site first, so that no site is empty when there are enough people.
        site = ctx.sites[position] if position < len(ctx.sites) else rng.choices(ctx.sites, weights)[0]
        hires.extend(_position_holders(ctx, rng, site=site)[: count - len(hires)])
        position += 1

    for hire in hires:
        if hire.termination_date is None and hire not in (lead, recent):
            hire.on_leave = rng.random() < SHARE_ON_LEAVE
    _names_assign(rng, hires)
    # Employee ids follow the order of hire, as an HR system numbers its people.
    hires.sort(key=lambda hire: hire.hire_date)
    for number, hire in enumerate(hires, start=100001):
        hire.employee_id = str(number)
    _emails_assign(hires)
    ctx.hires = hires


def _position_holders(ctx: DemoContext, rng: random.Random, *, site: Site) -> list[DemoHire]:
    """The people who held one position, from before the window until today."""
    tenure_months = 1 + min(int(rng.expovariate(1 / 30)), 360)
    hire_date = _monday_on_or_before(add_months(ctx.window_start, -tenure_months))
    holders = [_hire_plan(ctx, rng, site=site, hire_date=hire_date, observe_separation=True)]
    while holders[-1].termination_date is not None:
        vacancy = dt.timedelta(days=rng.randint(14, 75))
        hire_date = _monday_on_or_before(holders[-1].termination_date + vacancy)
        if hire_date >= ctx.today:
            break
        holders.append(_hire_plan(ctx, rng, site=site, hire_date=hire_date, observe_separation=True))
    return holders


def _hire_plan(
    ctx: DemoContext, rng: random.Random, *, site: Site, hire_date: dt.date, observe_separation: bool
) -> DemoHire:
    hire = DemoHire(site=site, first_name="", last_name="", hire_date=hire_date, tiers=[])
    start_tier = rng.choices(list(HIRE_TIER_WEIGHTS), weights=list(HIRE_TIER_WEIGHTS.values()))[0]
    hire.tiers = _career_tiers(rng, start_tier=start_tier, hire_date=hire_date, today=ctx.today)
    if observe_separation:
        # People hired before the window are known to have stayed until it began.
        _separation_plan(ctx, rng, hire, observe_from=max(hire_date, ctx.window_start))
    return hire


def _career_tiers(
    rng: random.Random, *, start_tier: str, hire_date: dt.date, today: dt.date
) -> list[tuple[str, dt.date]]:
    tiers = [(start_tier, hire_date)]
    while tiers[-1][0] != LEAD:
        code, start = tiers[-1]
        pace = PROMOTION_PACE[code]
        if rng.random() >= pace.share_promoted:
            break
        low, high, mode = pace.slow if rng.random() < pace.share_slow else pace.usual
        months = round(rng.triangular(low, high, mode))
        # Promotions take effect at the start of a pay period (a Sunday).
        effective = _sunday_on_or_after(add_months(start, months) + dt.timedelta(days=rng.randint(0, 20)))
        if effective > today:
            break
        tiers.append((LADDER[LADDER.index(code) + 1], effective))
    return tiers


def _forced_tiers(hire_date: dt.date, steps: tuple[tuple[str, int], ...]) -> list[tuple[str, dt.date]]:
    return [
        (code, hire_date if months == 0 else _sunday_on_or_after(add_months(hire_date, months)))
        for code, months in steps
    ]


def _annual_separation_rate(*, tenure_years: float, tier_code: str, stalled: bool) -> float:
    """Separations per person-year. New hires leave most often (first-year attrition), senior
    tiers least; people stuck in a tier leave faster (lack of career growth is the second most
    given reason, DOMAIN.md section 5)."""
    if tenure_years < 1:
        rate = 0.36
    elif tenure_years < 3:
        rate = 0.19
    else:
        rate = 0.11
    rate *= {TECH1: 1.0, TECH2: 0.9, TECH3: 0.7, LEAD: 0.6}[tier_code]
    return rate * STALLED_SEPARATION_FACTOR if stalled else rate


def _separation_plan(ctx: DemoContext, rng: random.Random, hire: DemoHire, *, observe_from: dt.date) -> None:
    site_factor = SITE_TURNOVER[hire.site.kind]
    day = observe_from
    step = dt.timedelta(days=30)
    while day <= ctx.today:
        tenure_years = (day - hire.hire_date).days / 365.25
        tier_code, tier_since = hire.tier_on(day)
        stalled = add_months(tier_since, ctx.tiers[tier_code].expected_months) < day
        annual = _annual_separation_rate(tenure_years=tenure_years, tier_code=tier_code, stalled=stalled)
        if rng.random() < 1 - (1 - annual * site_factor) ** (1 / 12):
            leaving = max(day + dt.timedelta(days=rng.randrange(30)), hire.hire_date + dt.timedelta(days=14))
            if leaving <= ctx.today:
                _separation_record(rng, hire, leaving, stalled=stalled)
            return
        day += step


def _separation_record(rng: random.Random, hire: DemoHire, termination_date: dt.date, *, stalled: bool) -> None:
    hire.termination_date = termination_date
    # A promotion cannot take effect on or after the last day of employment.
    hire.tiers = [(code, start) for code, start in hire.tiers if start < termination_date]
    years_of_service = (termination_date - hire.hire_date).days / 365.25
    weights = dict(TERMINATION_WEIGHTS)
    if years_of_service >= LONG_SERVICE_YEARS:
        weights[Technician.TerminationType.RETIREMENT] = RETIREMENT_WEIGHT_AFTER_LONG_SERVICE
    elif years_of_service < SHORT_SERVICE_YEARS:
        weights[Technician.TerminationType.RETIREMENT] = RETIREMENT_WEIGHT_AFTER_SHORT_SERVICE
    kind = rng.choices(list(weights), weights=list(weights.values()))[0]
    hire.termination_type = kind
    if kind == Technician.TerminationType.VOLUNTARY:
        reasons = dict(EXIT_REASON_WEIGHTS)
        if stalled:
            reasons[Technician.ExitReason.CAREER_GROWTH] *= STALLED_CAREER_GROWTH_FACTOR
        reason = rng.choices(list(reasons), weights=list(reasons.values()))[0]
        hire.exit_reason = reason
        hire.exit_notes = rng.choice(EXIT_NOTES[reason])
        hire.would_rehire = rng.random() < 0.85
    elif kind == Technician.TerminationType.INVOLUNTARY:
        # Certification deadlines only bite early in employment.
        notes = INVOLUNTARY_NOTES if years_of_service < 1.5 else INVOLUNTARY_NOTES[1:]
        hire.exit_notes = rng.choice(notes)
        hire.would_rehire = False
    elif kind == Technician.TerminationType.RETIREMENT:
        whole_years = int(years_of_service)
        hire.exit_notes = f"Retired after {whole_years} years of service." if whole_years >= 2 else "Retired."
        hire.would_rehire = True
    else:
        hire.exit_notes = rng.choice(OTHER_TERMINATION_NOTES)


def _names_assign(rng: random.Random, hires: list[DemoHire]) -> None:
    for hire in hires:
        hire.first_name = rng.choice(FIRST_NAMES)
        hire.last_name = rng.choice(LAST_NAMES)


def _emails_assign(hires: list[DemoHire]) -> None:
    seen: Counter[str] = Counter()
    for hire in hires:
        local = f"{_ascii_slug(hire.first_name)}.{_ascii_slug(hire.last_name)}"
        seen[local] += 1
        suffix = "" if seen[local] == 1 else str(seen[local])
        hire.email = f"{local}{suffix}@{DEMO_EMAIL_DOMAIN}"


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _mentors_assign(ctx: DemoContext) -> None:
    """Active Tech Is (most) and Tech IIs (some) get an active Tech III or Lead of their site."""
    rng = ctx.rng("mentors")
    mentors_by_site: dict[int, list[DemoHire]] = defaultdict(list)
    for hire in ctx.hires:
        if hire.status == Technician.Status.ACTIVE and hire.tier_today in MENTOR_TIERS:
            mentors_by_site[hire.site.pk].append(hire)
    for hire in ctx.hires:
        mentors = mentors_by_site.get(hire.site.pk)
        if not mentors or hire.termination_date is not None:
            continue
        share = {TECH1: SHARE_TECH1_MENTORED, TECH2: SHARE_TECH2_MENTORED}.get(hire.tier_today, 0.0)
        if hire is ctx.technician_hire or rng.random() < share:
            hire.mentor = rng.choice(mentors)


# --------------------------------------------------------------------------------------------
# Writing the rows
# --------------------------------------------------------------------------------------------


def _technicians_create(ctx: DemoContext) -> None:
    """Two bulk inserts: the mentors first, so that their mentees can point at them."""
    mentor_set = {hire.mentor for hire in ctx.hires if hire.mentor is not None}
    mentors = [hire for hire in ctx.hires if hire in mentor_set]
    others = [hire for hire in ctx.hires if hire not in mentor_set]
    for group in (mentors, others):
        rows = [_technician_row(hire) for hire in group]
        created = bulk_create_with_history(rows, Technician, batch_size=500, default_change_reason=HISTORY_REASON)
        for hire, technician in zip(group, created, strict=True):
            hire.technician = technician


def _technician_row(hire: DemoHire) -> Technician:
    return Technician(
        employee_id=hire.employee_id,
        first_name=hire.first_name,
        last_name=hire.last_name,
        email=hire.email,
        site=hire.site,
        hire_date=hire.hire_date,
        status=hire.status,
        termination_date=hire.termination_date,
        termination_type=hire.termination_type,
        exit_reason=hire.exit_reason,
        exit_notes=hire.exit_notes,
        would_rehire=hire.would_rehire,
        mentor=hire.mentor.technician if hire.mentor else None,
    )


def _tier_history_create(ctx: DemoContext) -> None:
    rows = []
    for hire in ctx.hires:
        for index, (code, start) in enumerate(hire.tiers):
            end = hire.tiers[index + 1][1] if index + 1 < len(hire.tiers) else None
            if index == 0:
                reason = TierAssignment.Reason.HIRE
                note = "" if code == TECH1 else "Experienced hire."
            else:
                previous_code, previous_start = hire.tiers[index - 1]
                reason = TierAssignment.Reason.PROMOTION
                months = int(months_between(previous_start, start))
                note = f"Promoted after {months} months as {ctx.tiers[previous_code].name}."
            rows.append(
                TierAssignment(
                    technician=hire.technician,
                    tier=ctx.tiers[code],
                    start_date=start,
                    end_date=end,
                    reason=reason,
                    note=note,
                )
            )
    bulk_create_with_history(rows, TierAssignment, batch_size=500, default_change_reason=HISTORY_REASON)


# --------------------------------------------------------------------------------------------
# Demo logins
# --------------------------------------------------------------------------------------------

DEMO_USERNAMES = ("admin", "hr", "manager", "evaluator", "technician")


def _demo_logins_upsert(ctx: DemoContext) -> None:
    """Create the five demo logins, or reset them (password, role, links) when they exist."""
    first_site = ctx.sites[0]
    lead, recent = ctx.evaluator_hire.technician, ctx.technician_hire.technician
    specs = {
        "admin": {"role": User.Role.ADMIN, "first_name": "Alex", "last_name": "Admin"},
        "hr": {"role": User.Role.HR, "first_name": "Dana", "last_name": "Whitfield"},
        "manager": {
            "role": User.Role.MANAGER,
            "first_name": "Morgan",
            "last_name": "Ellison",
            "sites": ctx.sites[:2],
        },
        "evaluator": {
            "role": User.Role.EVALUATOR,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "technician": lead,
            "sites": [first_site],
        },
        "technician": {
            "role": User.Role.TECHNICIAN,
            "first_name": recent.first_name,
            "last_name": recent.last_name,
            "technician": recent,
        },
    }
    for username in DEMO_USERNAMES:
        spec = {"technician": None, "sites": [], "email": f"{username}@{DEMO_EMAIL_DOMAIN}", **specs[username]}
        user = User.objects.filter(username=username).first()
        if user is None:
            user_create(username=username, password=DEMO_PASSWORD, **spec)
        else:
            user_update(user=user, data={**spec, "password": DEMO_PASSWORD, "is_active": True})


def _login_describe(user: User) -> DemoLogin:
    role = user.effective_role
    if role == User.Role.ADMIN:
        scope = "everything, and /admin/"
    elif role == User.Role.HR:
        scope = "all sites"
    else:
        parts = []
        site_codes = sorted(site.code for site in user.sites.all())
        if site_codes:
            parts.append(", ".join(site_codes))
        tech = user.technician
        if tech is not None:
            parts.append(f"{tech.full_name} ({tech.employee_id}) at {tech.site.code}, hired {tech.hire_date:%Y-%m-%d}")
        scope = "; ".join(parts) or "-"
    return DemoLogin(username=user.username, role=role, scope=scope)


def _summary(ctx: DemoContext) -> DemoSummary:
    statuses = Counter(hire.status for hire in ctx.hires)
    return DemoSummary(
        seed=ctx.seed,
        today=ctx.today,
        years=ctx.years,
        sites=len(ctx.sites),
        technicians=len(ctx.hires),
        active=statuses[Technician.Status.ACTIVE],
        on_leave=statuses[Technician.Status.LEAVE],
        separations=statuses[Technician.Status.TERMINATED],
        voluntary_separations=sum(
            1 for hire in ctx.hires if hire.termination_type == Technician.TerminationType.VOLUNTARY
        ),
        promotions=sum(len(hire.tiers) - 1 for hire in ctx.hires),
        logins=demo_logins_describe(),
    )


# --------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------


def _monday_on_or_before(day: dt.date) -> dt.date:
    """New hires start on a Monday."""
    return day - dt.timedelta(days=(day.weekday() - MONDAY) % 7)


def _sunday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(SUNDAY - day.weekday()) % 7)
