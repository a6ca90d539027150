"""Technician and site pages, the role-aware home and the dashboard tiles."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import services as metrics_services
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tiers.models import Tier, TierAssignment
from tiers.services import tier_assignment_start


@pytest.fixture
def today_is(monkeypatch):
    """``today_is(date)``: pages compute with this date as today."""
    real_localdate = timezone.localdate

    def freeze(day: dt.date) -> None:
        def localdate(value=None, timezone=None):
            return day if value is None else real_localdate(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return freeze


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def listed_names(response) -> list[str]:
    """The technicians in the page's table, as shown ("Last, First")."""
    return [text(m) for m in re.findall(r'class="fw-medium">(.*?)</a>', response.content.decode(), re.S)]


def tiles(response) -> dict[str, str]:
    """Dashboard / site tiles: label → value as displayed."""
    page = response.content.decode()
    pairs = re.findall(r'class="tile-label[^"]*">(.*?)</div>\s*<div class="tile-value[^"]*">(.*?)</div>', page, re.S)
    return {text(label): text(value).replace(" ", "") for label, value in pairs}


def tiles_with_hints(response) -> dict[str, tuple[str, str]]:
    """Dashboard tiles: label → (value as displayed, the hint under it)."""
    page = response.content.decode()
    found = re.findall(
        r'class="tile-label[^"]*">(.*?)</div>\s*<div class="tile-value[^"]*">(.*?)</div>\s*'
        r'(?:<div class="small text-secondary">(.*?)</div>)?',
        page,
        re.S,
    )
    return {text(label): (text(value).replace(" ", ""), text(hint)) for label, value, hint in found}


def field_errors(response, field: str) -> list[str]:
    """Error messages crispy renders right under ``field``."""
    page = response.content.decode()
    return [text(m) for m in re.findall(rf'<[^>]+id="error_\d+_id_{field}"[^>]*>(.*?)</(?:span|p|div)>', page, re.S)]


# ---- site page and technician list ----------------------------------------------------------


@pytest.fixture
def site_a_roster(site_a, site_b, tech_a, tech_b):
    """Site A: Alice Archer (TECH1, active), Dana Dunn (TECH2, active), Ed Ellis (TECH1, on leave),
    Fay Fox (TECH2, terminated). Site B: Bob Baker."""
    TechnicianFactory(site=site_a, first_name="Dana", last_name="Dunn", employee_id="A-3", tier="TECH2")
    TechnicianFactory(site=site_a, first_name="Ed", last_name="Ellis", employee_id="A-4", status="leave")
    TechnicianFactory(
        site=site_a,
        first_name="Fay",
        last_name="Fox",
        employee_id="A-5",
        tier="TECH2",
        status="terminated",
        termination_date=dt.date(2025, 3, 31),
        termination_type="voluntary",
    )


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", ["Archer, Alice", "Dunn, Dana"]),  # active technicians by default
        ("?q=dunn", ["Dunn, Dana"]),
        ("?q=A-4&status=", ["Ellis, Ed"]),
        ("?status=leave", ["Ellis, Ed"]),
        ("?status=terminated", ["Fox, Fay"]),
        ("?status=", ["Archer, Alice", "Dunn, Dana", "Ellis, Ed", "Fox, Fay"]),
        ("?status=&tier=TECH2", ["Dunn, Dana", "Fox, Fay"]),
        ("?q=baker&status=", []),  # site B's Bob is never on site A's page
    ],
)
def test_site_page_lists_its_technicians_with_search_and_filters(
    manager_user, site_a, site_a_roster, client_for, query, shown
):
    response = client_for(manager_user).get(f"/sites/{site_a.pk}/{query}")

    assert response.status_code == 200
    assert listed_names(response) == shown


def test_site_page_tiles_count_by_status(manager_user, site_a, site_a_roster, client_for):
    response = client_for(manager_user).get(f"/sites/{site_a.pk}/")

    shown = tiles(response)
    assert (shown["Active"], shown["On leave"], shown["Former"]) == ("2", "1", "1")


def test_technician_list_filters_by_site_for_hr(hr_user, site_b, site_a_roster, client_for):
    client = client_for(hr_user)

    assert listed_names(client.get("/technicians/")) == ["Archer, Alice", "Baker, Bob", "Dunn, Dana"]
    assert listed_names(client.get(f"/technicians/?site={site_b.pk}&status=")) == ["Baker, Bob"]


def test_technician_list_is_scoped_for_the_manager(manager_user, site_a_roster, client_for):
    assert listed_names(client_for(manager_user).get("/technicians/?status=")) == [
        "Archer, Alice",
        "Dunn, Dana",
        "Ellis, Ed",
        "Fox, Fay",
    ]


@pytest.mark.parametrize("url", ["/sites/{site}/", "/technicians/"])
def test_list_pages_take_the_same_queries_for_5_and_50(
    manager_user, site_a, client_for, django_assert_num_queries, url, settings
):
    settings.CACHED_READ_SECONDS = 0  # count the computation, not a cached total (tests/test_cached_reads.py)
    # Given 5 technicians at the manager's site, with mentors and at several tiers
    lead = TechnicianFactory(site=site_a, tier="LEAD")
    for i in range(4):
        TechnicianFactory(site=site_a, mentor=lead, tier=("TECH1", "TECH2")[i % 2])
    client = client_for(manager_user)
    url = url.format(site=site_a.pk)
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as five:
        assert len(listed_names(client.get(url))) == 5

    # When there are 50
    for i in range(45):
        TechnicianFactory(site=site_a, mentor=lead, tier=("TECH1", "TECH2", "TECH3")[i % 3])

    # Then the page takes exactly as many queries
    with django_assert_num_queries(len(five)):
        assert len(listed_names(client.get(url))) == 50


# ---- technician page ------------------------------------------------------------------------


@pytest.fixture
def promoted(site_a):
    """Hired 2023-03-01 as Tech I, promoted to Tech II on 2024-03-01, mentored by a Tech III."""
    mentor = TechnicianFactory(site=site_a, first_name="Mona", last_name="Meyer", tier="TECH3")
    tech = TechnicianFactory(
        site=site_a, first_name="Paula", last_name="Price", hire_date=dt.date(2023, 3, 1), mentor=mentor
    )
    tier_assignment_start(
        technician=tech,
        tier=Tier.objects.get(code="TECH2"),
        start_date=dt.date(2024, 3, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    return tech


def test_technician_page_shows_tier_history_and_mentor(manager_user, promoted, client_for, today_is):
    # Given today is 2025-06-16
    today_is(dt.date(2025, 6, 16))

    # When the manager opens Paula's page
    response = client_for(manager_user).get(f"/technicians/{promoted.pk}/")

    # Then the history lists Tech II (2024-03-01 → now: 15 whole months + 15/30 of June = 15.5)
    # above Tech I (2023-03-01 → 2024-03-01: exactly 12 calendar months).
    assert response.status_code == 200
    history = [(a.tier.code, a.start_date, a.end_date, a.months, a.reason) for a in response.context["history"]]
    assert history == [
        ("TECH2", dt.date(2024, 3, 1), None, 15.5, "promotion"),
        ("TECH1", dt.date(2023, 3, 1), dt.date(2024, 3, 1), 12.0, "hire"),
    ]
    assert response.context["tenure_months"] == 27.5  # 2023-03-01 → 2025-06-16
    page = text(response.content.decode())
    table = page[page.index("Tier history") :]
    assert re.search(r"Pharmacy Technician II .*2024-03-01 now 15\.5 Promotion", table)
    assert re.search(r"Pharmacy Technician I .*2023-03-01 2024-03-01 12\.0 Hire", table)
    assert "Mentor Mona Meyer" in page


def test_mentor_page_lists_mentees(manager_user, promoted, client_for):
    response = client_for(manager_user).get(f"/technicians/{promoted.mentor_id}/")

    assert "Mentoring Paula Price" in text(response.content.decode())


def test_separated_technicians_months_stop_at_the_termination_date(manager_user, promoted, client_for):
    Technician.objects.filter(pk=promoted.pk).update(
        status="terminated", termination_date=dt.date(2024, 9, 16), termination_type="voluntary"
    )

    response = client_for(manager_user).get(f"/technicians/{promoted.pk}/")

    # 2024-03-01 → 2024-09-16: 6 whole months + 15 of September's 30 days.
    assert [a.months for a in response.context["history"]] == [6.5, 12.0]
    assert response.context["tenure_months"] == 18.5


# ---- home -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("technician", "/me/"),
        ("evaluator", "/technicians/"),
        ("manager", "/dashboard/"),
        ("hr", "/dashboard/"),
        ("admin", "/dashboard/"),
        ("anonymous", "/accounts/login/?next=/"),
    ],
)
def test_home_sends_each_role_to_its_page(users, client_for, role, home):
    response = client_for(users[role]).get("/")

    assert response.status_code == 302
    assert response["Location"] == home


def test_technician_home_shows_own_progress(technician_user, client_for):
    response = client_for(technician_user).get("/me/")

    assert response.status_code == 200
    assert response.context["technician"].employee_id == "A-1"


# ---- add and edit ---------------------------------------------------------------------------


def test_manager_adds_a_technician_through_the_form(manager_user, site_a, client_for):
    response = client_for(manager_user).post(
        "/technicians/new/",
        {
            "employee_id": "A-200",
            "first_name": "Hana",
            "last_name": "Hill",
            "email": "hana.hill@example.org",
            "site": site_a.pk,
            "hire_date": "2025-04-07",
            "mentor": "",
            "tier": "TECH1",
        },
    )

    tech = Technician.objects.get(employee_id="A-200")
    assert response.status_code == 302
    assert response["Location"] == f"/technicians/{tech.pk}/"
    assert (tech.full_name, tech.site, tech.hire_date, tech.status) == (
        "Hana Hill",
        site_a,
        dt.date(2025, 4, 7),
        "active",
    )
    assert list(tech.tier_assignments.values_list("tier__code", "start_date", "reason", "recorded_by")) == [
        ("TECH1", dt.date(2025, 4, 7), "hire", manager_user.pk)
    ]


def test_manager_cannot_add_at_another_site_through_the_form(manager_user, site_b, client_for):
    response = client_for(manager_user).post(
        "/technicians/new/",
        {
            "employee_id": "B-9",
            "first_name": "X",
            "last_name": "Y",
            "site": site_b.pk,
            "hire_date": "2025-04-07",
            "tier": "TECH1",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "site")
    assert not Technician.objects.filter(employee_id="B-9").exists()


def test_duplicate_employee_id_is_shown_next_to_the_field(manager_user, site_a, tech_a, client_for):
    before = Technician.objects.count()

    response = client_for(manager_user).post(
        "/technicians/new/",
        {
            "employee_id": "A-1",
            "first_name": "X",
            "last_name": "Y",
            "site": site_a.pk,
            "hire_date": "2025-04-07",
            "tier": "TECH1",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "employee_id") == ["Technician with this Employee id already exists."]
    assert Technician.objects.count() == before


def edit_form(tech: Technician, **changes) -> dict:
    data = {
        "employee_id": tech.employee_id,
        "first_name": tech.first_name,
        "last_name": tech.last_name,
        "email": tech.email,
        "site": tech.site_id,
        "hire_date": tech.hire_date.isoformat(),
        "mentor": tech.mentor_id or "",
        "status": tech.status,
        "termination_date": "",
        "termination_type": "",
        "exit_reason": "",
        "exit_notes": "",
        "would_rehire": "unknown",
    }
    return {**data, **changes}


def test_manager_records_a_separation_through_the_edit_form(manager_user, technician_user, tech_a, client_for):
    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/edit/",
        edit_form(
            tech_a,
            status="terminated",
            termination_date="2025-05-30",
            termination_type="voluntary",
            exit_reason="career_growth",
            exit_notes="Left for a hospital Tech II role.",
            would_rehire="true",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/technicians/{tech_a.pk}/"
    tech_a.refresh_from_db()
    assert (
        tech_a.status,
        tech_a.termination_date,
        tech_a.termination_type,
        tech_a.exit_reason,
        tech_a.would_rehire,
    ) == ("terminated", dt.date(2025, 5, 30), "voluntary", "career_growth", True)
    technician_user.refresh_from_db()
    assert technician_user.is_active is False


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"status": "terminated"},
            {
                "termination_date": ["A terminated technician needs a termination date."],
                "termination_type": ["A terminated technician needs a termination type."],
            },
        ),
        (
            {"status": "terminated", "termination_date": "2023-12-31", "termination_type": "voluntary"},
            {"termination_date": ["The termination date cannot be before the hire date."]},
        ),
        (
            {"termination_date": "2025-05-30"},
            {"status": ["Set status to 'terminated' when giving a termination date."]},
        ),
        ({"hire_date": "30/05/2025"}, {"hire_date": ["Enter a valid date."]}),
    ],
)
def test_invalid_edit_shows_the_error_next_to_the_field_and_changes_nothing(
    manager_user, tech_a, client_for, changes, errors
):
    before = Technician.objects.values().get(pk=tech_a.pk)

    response = client_for(manager_user).post(f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, **changes))

    assert response.status_code == 200
    assert {field: field_errors(response, field) for field in errors} == errors
    assert response.context["form"].non_field_errors() == []
    assert Technician.objects.values().get(pk=tech_a.pk) == before


# ---- dashboard ------------------------------------------------------------------------------


@pytest.fixture
def june_2025(site_a, site_b, tech_a, tech_b, today_is):
    """Today is 2025-06-16: June's snapshot covers 2025-06-01 … 2025-06-16 (16 days).

    Site A:
      Alice  hired 2024-01-15, active                     employed on the 1st and the 16th
      Dana   hired 2022-05-01, Tech II from 2025-06-02    employed on both; a promotion after
                                                          37 months + 1 of June's 30 days as Tech I
      Ed     hired 2025-06-09                             employed on the 16th only
      Fay    hired 2023-02-01, left 2025-06-05 voluntarily    employed on the 1st; a voluntary exit
      Gus    hired 2024-08-01, left 2025-06-10 involuntarily  employed on the 1st; not voluntary
      Hal    hired 2021-01-04, left 2025-05-30 voluntarily    gone before June
    Site B:
      Bob    hired 2024-01-15, active                     employed on both days
      Ivy    hired 2024-12-01, left 2025-06-12 voluntarily    employed on the 1st; a voluntary exit
    Nobody's PTCB deadline (hire + 9 months) falls in June 1-16 and no training is due.
    """
    today_is(dt.date(2025, 6, 16))

    def gone(site, name, hired, left, kind):
        first, last = name.split()
        TechnicianFactory(
            site=site,
            first_name=first,
            last_name=last,
            hire_date=hired,
            status="terminated",
            termination_date=left,
            termination_type=kind,
        )

    dana = TechnicianFactory(site=site_a, first_name="Dana", last_name="Dunn", hire_date=dt.date(2022, 5, 1))
    tier_assignment_start(
        technician=dana, tier=Tier.objects.get(code="TECH2"), start_date=dt.date(2025, 6, 2), reason="promotion"
    )
    TechnicianFactory(site=site_a, first_name="Ed", last_name="Ellis", hire_date=dt.date(2025, 6, 9))
    gone(site_a, "Fay Fox", dt.date(2023, 2, 1), dt.date(2025, 6, 5), "voluntary")
    gone(site_a, "Gus Gray", dt.date(2024, 8, 1), dt.date(2025, 6, 10), "involuntary")
    gone(site_a, "Hal Hunt", dt.date(2021, 1, 4), dt.date(2025, 5, 30), "voluntary")
    gone(site_b, "Ivy Irwin", dt.date(2024, 12, 1), dt.date(2025, 6, 12), "voluntary")
    # The nightly job's work, done now: the dashboards read snapshots.
    metrics_services.kpi_snapshots_compute_all(months=[dt.date(2025, 6, 1)], today=dt.date(2025, 6, 16))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # Site A: 4 on the 1st (Alice, Dana, Fay, Gus), 3 on the 16th (Alice, Dana, Ed): average
        # 3.5; 1 voluntary exit: 100 × 1 / 3.5 = 28.571 % in 16 days, × 365 / 16 = 651.8 % a year.
        (
            "manager",
            {
                "Headcount": ("3", "4 at the start of the month"),
                "Voluntary turnover": ("651.8%", "annualised · 1 voluntary exit"),
                "Promotions": ("1", "median 37.0 months in the tier below"),
                "Training completion": ("—", "nothing due this month"),
                "PTCB on time": ("—", "no deadlines this month"),
            },
        ),
        # The organisation adds Bob (both days) and Ivy (the 1st; a voluntary exit): 6 and 4,
        # average 5; 2 exits: 100 × 2 / 5 = 40 % in 16 days, × 365 / 16 = 912.5 % a year.
        (
            "hr",
            {
                "Headcount": ("4", "6 at the start of the month"),
                "Voluntary turnover": ("912.5%", "annualised · 2 voluntary exits"),
                "Promotions": ("1", "median 37.0 months in the tier below"),
                "Training completion": ("—", "nothing due this month"),
                "PTCB on time": ("—", "no deadlines this month"),
            },
        ),
    ],
)
def test_dashboard_tiles_show_exact_figures(manager_user, hr_user, june_2025, client_for, role, expected):
    user = {"manager": manager_user, "hr": hr_user}[role]

    response = client_for(user).get("/dashboard/")

    assert response.status_code == 200
    assert tiles_with_hints(response) == expected


def test_dashboard_tiles_are_blank_before_any_snapshot(manager_user, site_a, client_for, today_is):
    today_is(dt.date(2025, 6, 16))

    response = client_for(manager_user).get("/dashboard/")

    assert response.status_code == 200
    assert set(tiles(response).values()) == {"—"}
