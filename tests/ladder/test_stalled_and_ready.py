"""*Stalled* and *ready*, each defined once in ``tiers.selectors`` and read in two places.

Stalled (PRODUCT.md section 3: more months in the tier than it expects) has a Python form for
one technician whose standing is loaded (``is_stalled``, through ``Standing.stalled``: the
technician page and the career map) and an SQL form for counting (``stalled_on``: the KPI and
the dashboard's list). They are run here on the same rows, at the edges worked out by hand.

Ready (``promotion_candidates`` + ``standings_ready``) is read by the dashboard's "ready for
promotion" list and by the ready page ``/promotions/ready/``: both list the same technicians
for the same site.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careerladder.core.dates import add_months, months_between
from metrics import kpis
from metrics import selectors as metrics_selectors
from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, set_requirements
from tests.metrics.factories import tier_history
from tiers import selectors
from tiers.models import Tier

D = dt.date
pytestmark = pytest.mark.django_db

DAYS = (D(2026, 2, 27), D(2026, 2, 28), D(2026, 3, 1))
F, T = False, True


@pytest.fixture
def stalled_rows(db):
    """name -> (technician, stalled on each of ``DAYS``, by hand). Expected months: TECH1 12,
    TECH2 24, LEAD set to 13 here so that a tier started on the 31st ends its expected months on
    a clamped day (2025-01-31 + 13 months = 2026-02-28). Each technician has a site of its own,
    so a site's KPI is that row's count."""
    lead = Tier.objects.get(code="LEAD")
    lead.expected_months = 13
    lead.save()
    cases = {
        "TECH1 exactly 12 months on 28 Feb": ([("TECH1", D(2025, 2, 28))], {}, (F, F, T)),
        "TECH1 12 months and a day on 28 Feb": ([("TECH1", D(2025, 2, 27))], {}, (F, T, T)),
        "TECH1 exactly 12 months on 1 Mar": ([("TECH1", D(2025, 3, 1))], {}, (F, F, F)),
        "TECH2 since a leap day: 24 months on 28 Feb (clamped)": ([("TECH2", D(2024, 2, 29))], {}, (F, F, T)),
        "TECH2 exactly 24 months on 28 Feb": ([("TECH2", D(2024, 2, 28))], {}, (F, F, T)),
        "TECH2 24 months and a day on 28 Feb": ([("TECH2", D(2024, 2, 27))], {}, (F, T, T)),
        "LEAD since the 31st: 13 months on 28 Feb (clamped)": ([("LEAD", D(2025, 1, 31))], {}, (F, F, T)),
        "LEAD 13 months on 27 Feb": ([("LEAD", D(2025, 1, 27))], {}, (F, T, T)),
        "promoted after years in TECH1": ([("TECH1", D(2019, 1, 1)), ("TECH2", D(2025, 9, 1))], {}, (F, F, F)),
        "no tier": ([], {}, (F, F, F)),
        "tier started on 28 Feb": ([("TECH1", D(2026, 2, 28))], {}, (F, F, F)),
        "on leave, years in TECH1": ([("TECH1", D(2020, 1, 6))], {"status": Technician.Status.LEAVE}, (T, T, T)),
        "hired on 1 Mar": ([("TECH1", D(2026, 3, 1))], {}, (F, F, F)),
    }
    rows = {}
    for name, (steps, extra, expected) in cases.items():
        hire = steps[0][1] if steps else D(2024, 5, 6)
        technician = TechnicianFactory(site=SiteFactory(), hire_date=hire, last_name=name[:80], **extra)
        tier_history(
            technician, *[(code, start, "hire" if i == 0 else "promotion") for i, (code, start) in enumerate(steps)]
        )
        rows[name] = (technician, expected)
    return rows


def stalled_forms(rows: dict, day: dt.date, viewer) -> dict[str, dict[str, bool]]:
    technicians = [t for t, _ in rows.values()]
    standings = selectors.ladder_standing_many(technicians=technicians, today=day)
    sql = dict(Technician.objects.annotate(stalled=selectors.stalled_on(day)).values_list("pk", "stalled"))
    listed = {t.pk for t in metrics_selectors.stalled_technicians(viewer=viewer, today=day, limit=100)["rows"]}
    by_site = kpis.kpis_by_site(start=day, end=day)
    forms = {"Standing.stalled": {}, "is_stalled": {}, "stalled_on": {}, "dashboard list": {}, "KPI": {}}
    for name, (t, _) in rows.items():
        standing = standings[t.pk]
        months = months_between(standing.assignment.start_date, day) if standing.assignment else None
        forms["Standing.stalled"][name] = standing.stalled
        forms["is_stalled"][name] = selectors.is_stalled(tier=standing.tier, months_in_tier=months)
        forms["stalled_on"][name] = bool(sql[t.pk])
        # The dashboard and the KPI count the employed only (everyone here is, once hired).
        forms["dashboard list"][name] = t.pk in listed
        forms["KPI"][name] = by_site.get(t.site_id, {}).get("stalled", 0) == 1
    return forms


@pytest.mark.parametrize("index", range(len(DAYS)), ids=[f"{d:%Y-%m-%d}" for d in DAYS])
def test_stalled_is_the_same_in_python_and_sql_on_every_row(stalled_rows, hr_user, index):
    day = DAYS[index]

    forms = stalled_forms(stalled_rows, day, hr_user)

    expected = {name: want[index] for name, (_, want) in stalled_rows.items()}
    problems = [
        f"{name} on {day}: {form} says {values[name]}, expected {expected[name]}"
        for form, values in forms.items()
        for name in expected
        if values[name] != expected[name]
    ]
    assert problems == []


def test_the_sql_threshold_is_the_python_rule_for_every_start_around_it(db):
    """``stalled_on`` compares the tier's start with ``stalled_start_threshold``; ``is_stalled``
    compares ``months_between`` with the expected months: one agrees with the other for every
    start within 40 days of the boundary, at month ends and on a leap day."""
    for expected_months in (1, 12, 13, 24):
        for on in (D(2026, 2, 28), D(2024, 2, 29), D(2025, 3, 31), D(2025, 4, 30)):
            threshold = selectors.stalled_start_threshold(expected_months=expected_months, on=on)
            around = add_months(on, -expected_months)
            for offset in range(-40, 41):
                start = around + dt.timedelta(days=offset)
                python = selectors.is_stalled(
                    tier=Tier(expected_months=expected_months), months_in_tier=months_between(start, on)
                )
                assert (start < threshold) == python, (expected_months, on, start)


# --- Ready for promotion: the dashboard and the ready page ------------------------------------


@pytest.fixture
def ready_world(site_a, site_b, evaluator_user, manager_user, admin_user, tech_a):
    """Tech II asks for one competency, a CPhT, an average of 3.00 and 6 months in Tech I. At
    site A: Rita and Lena (on leave) meet all of it, Tom met it but left yesterday, Alice
    (``tech_a``) lacks the competency, Nora has nothing. At site B: Bob meets all of it."""
    today = timezone.localdate()
    competency = CompetencyFactory(code="READY_X", name="Ready basics", items=2)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)

    def meets_all(technician, signer):
        achieve(technician, signer, competency, today - dt.timedelta(days=1))
        certify(technician, "CPHT", issued_on=today - dt.timedelta(days=60))
        for back in (3, 2, 1):
            evaluate(technician, manager_user, add_months(today.replace(day=1), -back), 3)
        return technician

    people = {
        "rita": meets_all(TechnicianFactory(site=site_a, first_name="Rita", last_name="Ready"), evaluator_user),
        "lena": meets_all(TechnicianFactory(site=site_a, first_name="Lena", last_name="Leave"), evaluator_user),
        "tom": meets_all(TechnicianFactory(site=site_a, first_name="Tom", last_name="Gone"), evaluator_user),
        "nora": TechnicianFactory(site=site_a, first_name="Nora", last_name="New"),
        "alice": tech_a,
        "bob": meets_all(TechnicianFactory(site=site_b, first_name="Bob", last_name="Bee"), admin_user),
    }
    certify(tech_a, "CPHT", issued_on=today - dt.timedelta(days=60))
    Technician.objects.filter(pk=people["lena"].pk).update(status=Technician.Status.LEAVE)
    Technician.objects.filter(pk=people["tom"].pk).update(
        status=Technician.Status.TERMINATED,
        termination_date=today - dt.timedelta(days=1),
        termination_type=Technician.TerminationType.VOLUNTARY,
    )
    return people


def dashboard_ready(client, site) -> list[int]:
    response = client.get("/dashboard/", {"site": site.pk})
    assert response.status_code == 200
    ready = response.context["ready"]
    assert ready["available"] and ready["more"] == 0
    return [standing.technician.pk for standing in ready["rows"]]


def page_ready(client, site) -> list[int]:
    response = client.get("/promotions/ready/", {"site": site.pk})
    assert response.status_code == 200
    return [technician.pk for technician in response.context["ready"]]


def selectors_ready(viewer, site) -> list[int]:
    today = timezone.localdate()
    candidates = selectors.promotion_candidates(viewer=viewer, today=today, site_id=site.pk)
    standings = selectors.ladder_standing_many(
        technicians=candidates.order_by("last_name", "first_name", "id"), today=today
    )
    return [standing.technician.pk for standing in selectors.standings_ready(standings.values())]


def test_the_dashboard_and_the_ready_page_list_the_same_technicians(
    client_for, manager_user, hr_user, ready_world, site_a, site_b
):
    people = ready_world
    at_a = [people["lena"].pk, people["rita"].pk]  # by last name; Tom has left, Alice and Nora are not ready
    at_b = [people["bob"].pk]

    manager = client_for(manager_user)
    assert (
        dashboard_ready(manager, site_a) == page_ready(manager, site_a) == selectors_ready(manager_user, site_a) == at_a
    )

    hr = client_for(hr_user)
    for site, expected in ((site_a, at_a), (site_b, at_b)):
        assert dashboard_ready(hr, site) == page_ready(hr, site) == selectors_ready(hr_user, site) == expected, (
            site.code
        )


def test_a_manager_of_one_site_sees_neither_list_of_another(client_for, manager_user, ready_world, site_b):
    other = UserFactory(username="manager-b", role=User.Role.MANAGER, sites=[site_b])
    assert (
        page_ready(client_for(other), site_b) == dashboard_ready(client_for(other), site_b) == [ready_world["bob"].pk]
    )
    client = client_for(manager_user)
    assert client.get("/dashboard/", {"site": site_b.pk}).status_code == 404
    assert page_ready(client, site_b) == []
