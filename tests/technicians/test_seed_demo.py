"""``manage.py seed_demo`` and ``technicians.demo``: deterministic, realistic, safe to re-run."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test import RequestFactory

from careerladder.core.dates import add_months, months_between
from careerladder.core.errors import ApplicationError
from technicians.demo import DEMO_PASSWORD, demo_data_create, demo_data_delete
from technicians.models import Site, Technician, User
from tests.factories import UserFactory
from tiers.models import TierAssignment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
RANK = {"TECH1": 1, "TECH2": 2, "TECH3": 3, "LEAD": 4}
DEMO_USERNAMES = ["admin", "hr", "manager", "evaluator", "technician"]
# The login throttle (django-axes) checks every authenticate() against the request it came in.
LOGIN_REQUEST = RequestFactory().post("/accounts/login/")


def create(**overrides):
    arguments = {"technicians": 40, "sites": 3, "years": 3, "seed": 7, "today": TODAY, **overrides}
    return demo_data_create(**arguments)


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, f"--today={TODAY:%Y-%m-%d}", stdout=out)
    return out.getvalue()


def dump() -> tuple[list, list, list]:
    """Every demo row without database ids, in a stable order."""
    sites = list(Site.objects.order_by("code").values_list("code", "name", "kind", "state"))
    technicians = list(
        Technician.objects.order_by("employee_id").values_list(
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "site__code",
            "hire_date",
            "status",
            "termination_date",
            "termination_type",
            "exit_reason",
            "exit_notes",
            "would_rehire",
            "mentor__employee_id",
        )
    )
    tiers = list(
        TierAssignment.objects.order_by("technician__employee_id", "start_date").values_list(
            "technician__employee_id", "tier__code", "start_date", "end_date", "reason", "note"
        )
    )
    return sites, technicians, tiers


def employed(technician: Technician, day: dt.date) -> bool:
    return technician.hire_date <= day and (technician.termination_date is None or day < technician.termination_date)


def open_tier(technician: Technician) -> str:
    return technician.tier_assignments.get(end_date__isnull=True).tier.code


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows():
    create()
    first = dump()
    demo_data_delete()
    assert not Technician.objects.exists() and not Site.objects.exists()

    create()

    assert dump() == first
    assert len(first[1]) == 40 and len(first[2]) > 40  # some promotions


def test_different_seed_gives_different_rows():
    create(seed=7)
    first = dump()
    demo_data_delete()

    create(seed=8)

    second = dump()
    assert second[1] != first[1]
    assert second[2] != first[2]


# --- counts and output -------------------------------------------------------------------------


def test_counts_match_the_arguments_and_the_summary_is_printed():
    output = seed_demo("--technicians=25", "--sites=4", "--years=2", "--seed=3")

    assert Site.objects.count() == 4
    assert Technician.objects.count() == 25
    # Both insertions keep audit history: one "created" row per technician.
    assert Technician.history.count() == 25
    assert "4 sites, 25 technicians" in output
    assert "http://127.0.0.1:8000/" in output
    assert DEMO_PASSWORD in output
    for username in DEMO_USERNAMES:
        assert f"\n  {username} " in output


def test_too_few_technicians_is_refused():
    with pytest.raises(ApplicationError):
        create(technicians=1)
    with pytest.raises(CommandError):
        seed_demo("--technicians=0")
    assert not Technician.objects.exists()


# --- demo logins -------------------------------------------------------------------------------


def test_demo_logins_have_their_roles_sites_and_links():
    create(sites=4)
    first_site, second_site = Site.objects.order_by("code")[:2]

    users = {name: authenticate(LOGIN_REQUEST, username=name, password=DEMO_PASSWORD) for name in DEMO_USERNAMES}

    assert all(users.values()), users
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["admin"].role == User.Role.ADMIN
    assert users["hr"].role == User.Role.HR and not users["hr"].is_superuser
    assert users["manager"].role == User.Role.MANAGER
    assert list(users["manager"].sites.order_by("code")) == [first_site, second_site]
    assert users["manager"].technician is None

    evaluator = users["evaluator"]
    assert evaluator.role == User.Role.EVALUATOR
    assert list(evaluator.sites.all()) == [first_site]
    assert evaluator.technician.site == first_site
    assert evaluator.technician.status == Technician.Status.ACTIVE
    assert open_tier(evaluator.technician) == "LEAD"

    technician = users["technician"]
    assert technician.role == User.Role.TECHNICIAN
    assert technician.technician.site == first_site
    assert technician.technician.status == Technician.Status.ACTIVE
    assert open_tier(technician.technician) in ("TECH1", "TECH2")
    hire_date = technician.technician.hire_date
    assert add_months(TODAY, -8) <= hire_date <= add_months(TODAY, -6)
    # Hired about 7 months ago: the 9-month PTCB deadline is within 60 days ("due soon").
    assert 0 < (add_months(hire_date, 9) - TODAY).days <= 60
    assert technician.technician.mentor is not None


def test_existing_demo_logins_are_reset_not_duplicated():
    UserFactory(username="manager", role=User.Role.HR, password="something-else", is_active=False)
    create()
    demo_data_delete()

    create(seed=8)

    assert User.objects.filter(username__in=DEMO_USERNAMES).count() == 5
    manager = authenticate(LOGIN_REQUEST, username="manager", password=DEMO_PASSWORD)
    assert manager is not None and manager.role == User.Role.MANAGER and manager.is_active
    technician = User.objects.get(username="technician")
    assert technician.technician is not None  # linked to a technician of the new data set
    assert technician.technician.site == Site.objects.order_by("code").first()


# --- constraints and realism -------------------------------------------------------------------


def test_every_tier_history_is_continuous_and_respects_separations():
    create(technicians=150, sites=4, years=5)
    technicians = Technician.objects.select_related("site", "mentor").prefetch_related("tier_assignments__tier")

    # Exactly one open assignment each.
    assert not Technician.objects.annotate(
        open=Count("tier_assignments", filter=Q(tier_assignments__end_date__isnull=True))
    ).exclude(open=1)

    for tech in technicians:
        history = sorted(tech.tier_assignments.all(), key=lambda a: a.start_date)
        assert history[0].start_date == tech.hire_date
        assert history[0].reason == TierAssignment.Reason.HIRE
        for before, after in zip(history, history[1:], strict=False):
            assert before.end_date == after.start_date  # no gap, no overlap
            assert before.end_date > before.start_date
            assert RANK[after.tier.code] == RANK[before.tier.code] + 1
            assert after.reason == TierAssignment.Reason.PROMOTION
        assert history[-1].end_date is None
        assert history[-1].start_date <= TODAY
        assert tech.hire_date <= TODAY

        if tech.status == Technician.Status.TERMINATED:
            assert tech.hire_date <= tech.termination_date <= TODAY
            assert tech.termination_type
            assert history[-1].start_date < tech.termination_date  # promotions only while employed
        else:
            assert tech.termination_date is None and tech.termination_type == ""
        if tech.termination_type == Technician.TerminationType.VOLUNTARY:
            assert tech.exit_reason and tech.exit_notes
        else:
            assert tech.exit_reason == ""

        if tech.mentor is not None:
            assert tech.status != Technician.Status.TERMINATED
            assert tech.mentor.site == tech.site
            assert tech.mentor.status == Technician.Status.ACTIVE
            assert open_tier(tech.mentor) in ("TECH3", "LEAD")


def test_demo_workforce_looks_like_a_pharmacy_department():
    create(technicians=400, sites=6, years=5)
    technicians = list(Technician.objects.select_related("site"))
    window_start = add_months(TODAY, -60)

    assert {site.kind for site in Site.objects.all()} == {"retail", "hospital", "specialty", "clinic"}
    assert len({site.state for site in Site.objects.all()}) >= 4
    employed_today = [t for t in technicians if t.termination_date is None]
    assert {t.site_id for t in employed_today} == set(Site.objects.values_list("id", flat=True))
    assert Counter(t.status for t in technicians)[Technician.Status.LEAVE] >= 1
    # Hires spread over the window, besides the staff already employed when it began.
    assert {t.hire_date.year for t in technicians if t.hire_date >= window_start} == set(range(2020, 2026))

    # Separations: about 20-25 % a year, mostly voluntary, pay and career growth among the top reasons.
    separations = [t for t in technicians if t.termination_date]
    employed_at_start = [t for t in technicians if employed(t, window_start)]
    average_headcount = (len(employed_at_start) + len(employed_today)) / 2
    annual_rate = 100 * len([t for t in separations if t.termination_date >= window_start]) / 5 / average_headcount
    assert 15 <= annual_rate <= 35, annual_rate
    types = Counter(t.termination_type for t in separations)
    assert types["voluntary"] > len(separations) / 2
    assert types["involuntary"] and types["retirement"]
    top_reasons = {reason for reason, _ in Counter(t.exit_reason for t in separations if t.exit_reason).most_common(3)}
    assert {"pay", "career_growth"} <= top_reasons
    assert {t.would_rehire for t in separations if t.termination_type == "voluntary"} == {True, False}

    # Promotions: Tech I -> II after about a year; some reach Lead; some stay past the expected months.
    months_in_tech1 = [
        months_between(start, end)
        for start, end in TierAssignment.objects.filter(tier__code="TECH1", end_date__isnull=False).values_list(
            "start_date", "end_date"
        )
    ]
    assert 9 <= statistics.median(months_in_tech1) <= 18
    open_now = TierAssignment.objects.filter(end_date__isnull=True, technician__termination_date__isnull=True)
    assert open_now.filter(tier__code="LEAD").exists()
    assert any(months_between(a.start_date, TODAY) > a.tier.expected_months for a in open_now.select_related("tier"))
    assert Technician.objects.filter(mentor__isnull=False).exists()


# --- re-running --------------------------------------------------------------------------------


def test_if_empty_on_a_populated_database_changes_nothing():
    create()
    before = dump()
    passwords = dict(User.objects.values_list("username", "password"))

    output = seed_demo("--if-empty", "--technicians=10", "--seed=99")

    assert dump() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "left unchanged" in output
    assert "http://127.0.0.1:8000/" in output
    for username in DEMO_USERNAMES:
        assert f"\n  {username} " in output


def test_if_empty_on_an_empty_database_creates_the_demo():
    seed_demo("--if-empty", "--technicians=12", "--sites=2")

    assert Technician.objects.count() == 12
    assert Site.objects.count() == 2


def test_populated_database_is_refused_without_reset():
    create()
    before = dump()

    with pytest.raises(CommandError, match="--reset"):
        seed_demo("--technicians=10")

    assert dump() == before


def test_reset_replaces_the_data():
    create(technicians=30, sites=3)

    seed_demo("--reset", "--technicians=12", "--sites=2", "--seed=5")

    assert Technician.objects.count() == 12
    assert Site.objects.count() == 2
    assert TierAssignment.objects.filter(end_date__isnull=True).count() == 12
    assert Technician.history.count() == 12  # the old audit rows went with the old data
    evaluator = User.objects.select_related("technician").get(username="evaluator")
    assert evaluator.technician is not None
    assert evaluator.technician.site == Site.objects.order_by("code").first()
