"""Cached reads (careerladder/core/versions.py): what a person sees right after a write, and the
rules that keep the cache correct.

Pages: the manager's dashboard ("Needs attention today"), the training matrix, ``/me/`` and the
KPI API. Every write goes through the project's own services, pages or imports, and every
expectation is worked out from the data each test builds.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from careerladder.core import versions
from certifications import services as certification_services
from certifications.models import CertificationType
from technicians.models import Technician, User
from tests.certifications.factories import CertificationFactory
from tests.factories import TechnicianFactory, UserFactory
from tests.imports.conftest import TECHNICIAN_HEADER, csv_bytes, tech_row
from tests.ladder.factories import CompetencyFactory, achieve, evaluate
from tests.training.factories import TrainingAssignmentFactory, program
from tiers import services as tiers_services
from tiers.models import Evaluation, Tier
from training import services as training_services
from training.models import TrainingAssignment

D = dt.date
pytestmark = pytest.mark.django_db

HEALTH = "Health screenings (blood pressure, glucose)"
# Tables the cached parts read; the rest of a page (session, login, snapshots) reads others.
CAREER_TABLE = re.compile(
    r'(?:FROM|JOIN) "(?:technicians_technician|certifications_\w+|competencies_\w+|tiers_\w+|tracks_\w+|incentives_\w+|training_\w+)"'
)


@pytest.fixture
def today():
    return timezone.localdate()


def day(value: dt.date) -> str:
    """Django's ``date:"M j"``."""
    return f"{value:%b} {value.day}"


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def get(client, url: str, params=None) -> tuple[str, list[str]]:
    """The page's HTML and the SQL it ran."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.status_code
    return response.content.decode(), [query["sql"] for query in ctx.captured_queries]


def career_queries(queries: list[str]) -> list[str]:
    return [sql for sql in queries if CAREER_TABLE.search(sql)]


def card(html: str, key: str) -> tuple[int, list[str]]:
    """One "Needs attention today" card: the count on its badge and its rows as plain text."""
    match = re.search(rf'data-testid="action-{key}">(.*?)</section>', html, re.S)
    assert match, key
    body = match.group(1)
    total = int(re.search(r'<span class="badge [^"]*">(\d+)</span>', body).group(1))
    rows = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r'<li class="d-flex.*?</li>', body, re.S)
    ]
    return total, rows


def names(html: str, key: str) -> list[str]:
    return re.findall(
        r'<a href="/technicians/\d+/">([^<]+)</a>',
        re.search(rf'data-testid="action-{key}">(.*?)</section>', html, re.S).group(1),
    )


def dashboard(client, site=None) -> tuple[str, list[str]]:
    """The "Needs attention today" part of the dashboard, and the SQL the whole page ran."""
    html, queries = get(client, "/dashboard/", {"site": site.pk} if site else None)
    return html[html.index('<h2 id="actions-h"') : html.index("</main>")], queries


def matrix_cells(html: str, row_label: str) -> dict[str, str]:
    """Column code -> status of one technician's row (codes that appear once)."""
    codes = re.findall(r'<abbr title="[^"]*">([^<]+)</abbr>', html)
    row = re.search(rf">{re.escape(row_label)}</a>(.*?)</tr>", html, re.S)
    assert row, row_label
    statuses = re.findall(r'data-status="([^"]+)"', row.group(1))
    assert len(statuses) == len(codes)
    return {code: status for code, status in zip(codes, statuses, strict=True) if codes.count(code) == 1}


def site_version(site) -> int:
    versions.stamp(site_ids=[site.pk])  # creates it when missing
    return cache.get(f"v:site:{site.pk}")


# ---- the manager's dashboard ------------------------------------------------------------------


@pytest.fixture
def site_a_people(site_a, today):
    """Olga (hired 400 days ago, no CPhT: past her 9-month PTCB deadline, and 13 months in TECH1
    where 12 are expected) and Nina (hired 30 days ago: on track, nothing to act on)."""
    return {
        "olga": TechnicianFactory(
            site=site_a,
            first_name="Olga",
            last_name="Overdue",
            employee_id="A-OLGA",
            hire_date=today - dt.timedelta(days=400),
        ),
        "nina": TechnicianFactory(
            site=site_a,
            first_name="Nina",
            last_name="New",
            employee_id="A-NINA",
            hire_date=today - dt.timedelta(days=30),
        ),
    }


def test_a_certificate_expiring_soon_shows_on_the_next_load(client_for, manager_user, site_a_people, today):
    client = client_for(manager_user)
    html, _ = dashboard(client)
    assert card(html, "certificates") == (0, [])

    certification_services.certification_record(
        technician=site_a_people["nina"],
        type=CertificationType.objects.get(code="CPHT"),
        number="7781234",
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=20),
        recorded_by=manager_user,
    )

    html, _ = dashboard(client)
    expires = today + dt.timedelta(days=20)
    assert card(html, "certificates") == (1, [f"Nina New CPHT Expires {day(expires)} (20 days) · A01"])


def test_an_overdue_training_assignment_shows_on_the_next_load(client_for, manager_user, site_a_people, today):
    client = client_for(manager_user)
    html, _ = dashboard(client)
    assert card(html, "training") == (0, [])

    due = today - dt.timedelta(days=5)
    training_services.assignment_create(
        technician=site_a_people["nina"],
        program=program("HEALTH_SCREENINGS"),
        assigned_on=today - dt.timedelta(days=40),
        due_on=due,
        assigned_by=manager_user,
    )

    html, _ = dashboard(client)
    assert card(html, "training") == (1, [f"Nina New {HEALTH} · due {day(due)}, 5 days late · A01"])


def test_a_ptcb_extension_moves_the_technician_from_overdue_to_due_soon(client_for, manager_user, site_a_people, today):
    client = client_for(manager_user)
    html, _ = dashboard(client)
    total, rows = card(html, "ptcb")
    assert total == 1 and rows[0].startswith("Olga Overdue Overdue ")

    extended_to = today + dt.timedelta(days=30)
    certification_services.ptcb_extension_grant(
        technician=site_a_people["olga"], extended_to=extended_to, reason="Exam rescheduled", granted_by=manager_user
    )

    html, _ = dashboard(client)
    assert card(html, "ptcb") == (1, [f"Olga Overdue Due soon in 30 days · {day(extended_to)} · A01"])


def test_a_separated_technician_leaves_the_lists(client_for, manager_user, site_a_people, today):
    client = client_for(manager_user)
    html, _ = dashboard(client)
    assert names(html, "ptcb") == ["Olga Overdue"]
    assert names(html, "stalled") == ["Olga Overdue"]

    tiers_services.technician_update(
        technician=site_a_people["olga"],
        data={"status": "terminated", "termination_date": today, "termination_type": "voluntary"},
        updated_by=manager_user,
    )

    html, _ = dashboard(client)
    assert card(html, "ptcb") == (0, [])
    assert card(html, "stalled") == (0, [])


def test_a_reload_without_writes_reads_the_lists_from_the_cache(client_for, manager_user, site_a_people):
    client = client_for(manager_user)
    first_html, first = dashboard(client)
    second_html, second = dashboard(client)

    assert second_html == first_html
    assert career_queries(first)  # the first load computed the lists
    assert career_queries(second) == []  # no technician, certification, tier or training query
    assert len(second) == len(first) - len(career_queries(first))


@pytest.fixture
def manager_b(site_b):
    return UserFactory(username="manager-b", role=User.Role.MANAGER, sites=[site_b])


def test_a_write_at_site_b_leaves_site_a_cached_and_refreshes_site_b(
    manager_user, manager_b, site_a_people, site_b, today
):
    bea = TechnicianFactory(
        site=site_b,
        first_name="Bea",
        last_name="Elsewhere",
        employee_id="B-BEA",
        hire_date=today - dt.timedelta(days=400),
    )
    a_client, b_client = logged_in(manager_user), logged_in(manager_b)
    a_before, _ = dashboard(a_client)
    b_before, _ = dashboard(b_client)
    assert names(b_before, "ptcb") == ["Bea Elsewhere"]

    extended_to = today + dt.timedelta(days=45)
    certification_services.ptcb_extension_grant(
        technician=bea, extended_to=extended_to, reason="Exam rescheduled", granted_by=manager_b
    )

    a_after, a_queries = dashboard(a_client)
    assert career_queries(a_queries) == []  # site A's lists still come from the cache
    assert a_after == a_before
    b_after, b_queries = dashboard(b_client)
    assert career_queries(b_queries)
    assert card(b_after, "ptcb") == (1, [f"Bea Elsewhere Due soon in 45 days · {day(extended_to)} · B01"])


def test_a_transferred_technician_leaves_site_a_and_joins_site_b(
    manager_user, manager_b, hr_user, site_a_people, site_b
):
    a_client, b_client = logged_in(manager_user), logged_in(manager_b)
    html, _ = dashboard(a_client)
    assert names(html, "stalled") == ["Olga Overdue"]
    html, _ = dashboard(b_client)
    assert card(html, "stalled") == (0, [])

    tiers_services.technician_update(technician=site_a_people["olga"], data={"site": site_b}, updated_by=hr_user)

    html, _ = dashboard(a_client)
    assert card(html, "stalled") == (0, [])
    assert card(html, "ptcb") == (0, [])
    html, _ = dashboard(b_client)
    assert names(html, "stalled") == ["Olga Overdue"]
    assert names(html, "ptcb") == ["Olga Overdue"]
    assert card(html, "stalled")[1][0].endswith("(expected 12) · B01")


def test_a_transfer_saved_from_an_instance_not_loaded_from_the_database_refreshes_both_sites(
    manager_user, manager_b, site_a, site_b, today
):
    """A technician created in the same piece of code and then moved: the old site's lists
    must drop them too, not only the new site's pick them up."""
    tess = TechnicianFactory(
        site=site_a,
        first_name="Tess",
        last_name="Transfer",
        employee_id="A-TESS",
        hire_date=today - dt.timedelta(days=400),
    )
    a_client, b_client = logged_in(manager_user), logged_in(manager_b)
    assert names(dashboard(a_client)[0], "stalled") == ["Tess Transfer"]
    assert names(dashboard(b_client)[0], "stalled") == []

    tess.site = site_b
    tess.save()
    assert names(dashboard(a_client)[0], "stalled") == []
    assert names(dashboard(b_client)[0], "stalled") == ["Tess Transfer"]

    tess.site = site_a  # and back, through the same instance
    tess.save()
    assert names(dashboard(a_client)[0], "stalled") == ["Tess Transfer"]
    assert names(dashboard(b_client)[0], "stalled") == []


def test_a_tiers_expected_months_changes_the_stalled_list(client_for, manager_user, site_a, today):
    TechnicianFactory(
        site=site_a, first_name="Sam", last_name="Steady", employee_id="A-SAM", hire_date=today - dt.timedelta(days=550)
    )
    client = client_for(manager_user)
    html, _ = dashboard(client)
    # 550 days are 18 months give or take four days, whatever today is: shown rounded, "18".
    assert card(html, "stalled") == (1, ["Sam Steady TECH1 for 18 months (expected 12) · A01"])

    tier = Tier.objects.get(code="TECH1")
    tier.expected_months = 24  # 18 months are no longer more than expected
    tier.save()
    html, _ = dashboard(client)
    assert card(html, "stalled") == (0, [])

    tier.expected_months = 12
    tier.save()
    html, _ = dashboard(client)
    assert names(html, "stalled") == ["Sam Steady"]


def test_an_import_changes_the_dashboard(client_for, manager_user, hr_user, site_a_people, today):
    client = client_for(manager_user)
    html, _ = dashboard(client)
    assert names(html, "ptcb") == ["Olga Overdue"]
    assert names(html, "stalled") == ["Olga Overdue"]

    hired = today - dt.timedelta(days=420)
    rows = [
        tech_row("A-IVAN", "Ivan", "Imported", "A01", f"{hired}", tier="TECH1"),
        tech_row(
            "A-OLGA",
            "Olga",
            "Overdue",
            "A01",
            f"{today - dt.timedelta(days=400)}",
            status="terminated",
            end=f"{today}",
            end_type="voluntary",
        ),
    ]
    api = APIClient()
    api.force_login(hr_user)
    response = api.post(
        "/api/v1/imports/technicians/",
        {"file": SimpleUploadedFile("hr-export.csv", csv_bytes(TECHNICIAN_HEADER, rows))},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["separations"]) == (1, 1)

    html, _ = dashboard(client)
    assert names(html, "ptcb") == ["Ivan Imported"]
    assert names(html, "stalled") == ["Ivan Imported"]


# ---- the training matrix ----------------------------------------------------------------------


def test_a_sign_off_and_a_completion_change_their_matrix_cells(
    client_for, manager_user, evaluator_user, site_a, tech_a, today
):
    competency = CompetencyFactory(code="CACHE_CHECK", name="Cache check", items=2)
    assignment = TrainingAssignmentFactory(
        technician=tech_a, program=program("HEALTH_SCREENINGS"), assigned_on=today, due_on=today + dt.timedelta(days=30)
    )
    client = client_for(manager_user)
    url = "/training/matrix/"
    cells = matrix_cells(get(client, url, {"site": site_a.pk})[0], "Archer, Alice")
    assert (cells["CACHE_CHECK"], cells["HEALTH_SCREENINGS"]) == ("not_started", "in_progress")

    achieve(tech_a, evaluator_user, competency, today)
    cells = matrix_cells(get(client, url, {"site": site_a.pk})[0], "Archer, Alice")
    assert (cells["CACHE_CHECK"], cells["HEALTH_SCREENINGS"]) == ("achieved", "in_progress")

    training_services.assignment_complete(assignment=assignment, completed_by=manager_user, completed_on=today)
    cells = matrix_cells(get(client, url, {"site": site_a.pk})[0], "Archer, Alice")
    assert (cells["CACHE_CHECK"], cells["HEALTH_SCREENINGS"]) == ("achieved", "achieved")


def test_bulk_assigning_from_a_generator_assigns_everyone_and_the_matrix_shows_it(
    client_for, manager_user, site_a, tech_a, today
):
    ben = TechnicianFactory(site=site_a, first_name="Ben", last_name="Bulk", employee_id="A-BEN")
    cy = TechnicianFactory(site=site_a, first_name="Cy", last_name="Bulk", employee_id="A-CY")
    client = client_for(manager_user)
    html, _ = get(client, "/training/matrix/", {"site": site_a.pk})
    for label in ("Archer, Alice", "Bulk, Ben", "Bulk, Cy"):
        assert matrix_cells(html, label)["HEALTH_SCREENINGS"] == "not_started"

    result = training_services.assignment_bulk_create(
        technicians=(tech for tech in [tech_a, ben, cy]),
        program=program("HEALTH_SCREENINGS"),
        due_on=today + dt.timedelta(days=30),
        assigned_by=manager_user,
    )

    assert (len(result.created), result.skipped) == (3, 0)
    assert sorted(TrainingAssignment.objects.values_list("technician__employee_id", flat=True)) == [
        "A-1",
        "A-BEN",
        "A-CY",
    ]
    html, _ = get(client, "/training/matrix/", {"site": site_a.pk})
    for label in ("Archer, Alice", "Bulk, Ben", "Bulk, Cy"):
        assert matrix_cells(html, label)["HEALTH_SCREENINGS"] == "in_progress"


# ---- /me/ ---------------------------------------------------------------------------------------


def test_me_shows_a_new_certification(client_for, technician_user, manager_user, tech_a, today):
    """Alice was hired on 2024-01-15: her PTCB deadline was 2024-10-15 (9 months)."""
    client = client_for(technician_user)
    html, _ = get(client, "/me/")
    assert f"PTCB overdue by {(today - D(2024, 10, 15)).days} days" in html
    assert "Hold CPhT by October 15, 2024" in html
    assert "CPhT renewal due" not in html

    certification_services.certification_record(
        technician=tech_a,
        type=CertificationType.objects.get(code="CPHT"),
        number="5550001",
        issued_on=today - dt.timedelta(days=10),
        recorded_by=manager_user,
    )

    html, _ = get(client, "/me/")
    assert "PTCB overdue" not in html
    assert "Hold CPhT by" not in html
    assert "CPhT renewal due in " in html


def test_a_mentors_page_follows_a_mentee_at_another_site(client_for, site_a, site_b, tech_b, today):
    """Theo (Tech III at site A) mentors Bob (site B). Bob's separation is a write at site B
    only, yet Theo's own page, cached under site A's versions, must stop counting him."""
    theo = TechnicianFactory(site=site_a, first_name="Theo", employee_id="A-M1", tier="TECH3")
    login = UserFactory(username="theo", role=User.Role.TECHNICIAN, technician=theo)
    tiers_services.technician_update(technician=tech_b, data={"mentor": theo})
    client = client_for(login)
    html, _ = get(client, "/me/")
    assert "You mentor 1 technician:" in html

    tiers_services.technician_update(
        technician=Technician.objects.get(pk=tech_b.pk),
        data={"status": "terminated", "termination_date": today, "termination_type": "voluntary"},
    )

    html, _ = get(client, "/me/")
    assert "You mentor" not in html


def test_a_mentees_page_follows_the_mentor_at_another_site(client_for, site_a, tech_b):
    """Bob (site B) sees his mentor Theo (site A) on his page. Theo renamed, then his record
    deleted (which clears Bob's mentor with one UPDATE and no signal): Bob's page, cached,
    follows both."""
    theo = TechnicianFactory(site=site_a, first_name="Theo", last_name="Tutor", employee_id="A-M2", tier="TECH3")
    tiers_services.technician_update(technician=tech_b, data={"mentor": theo})
    client = client_for(UserFactory(username="bob", role=User.Role.TECHNICIAN, technician=tech_b))
    html, _ = get(client, "/me/")
    assert "Theo Tutor" in html

    theo.first_name = "Theodore"
    theo.save()
    html, _ = get(client, "/me/")
    assert "Theodore Tutor" in html

    Technician.objects.get(pk=theo.pk).delete()
    html, _ = get(client, "/me/")
    assert "Theodore Tutor" not in html


def _acknowledge_form(html: str) -> tuple[str, str]:
    match = re.search(
        r'<form method="post" action="(/evaluations/\d+/acknowledge/)"[^>]*>\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        html,
    )
    assert match, "no acknowledge form"
    return match.group(1), match.group(2)


def test_the_acknowledge_form_on_me_carries_this_requests_csrf_token(technician_user, evaluator_user, tech_a, today):
    from technicians.views import CSRF_PLACEHOLDER

    evaluation = evaluate(tech_a, evaluator_user, today.replace(day=1), 4)
    first = logged_in(technician_user, enforce_csrf_checks=True)
    first_html, _ = get(first, "/me/")  # computes the body and keeps it
    second = logged_in(technician_user, enforce_csrf_checks=True)
    second_html, second_queries = get(second, "/me/")
    assert not [sql for sql in second_queries if '"tiers_evaluation"' in sql]  # the body came from the cache

    for html in (first_html, second_html):
        assert CSRF_PLACEHOLDER not in html
    action, token = _acknowledge_form(second_html)
    assert action == f"/evaluations/{evaluation.pk}/acknowledge/"
    assert second.post(action, {"comment": "Thanks"}).status_code == 403  # the check is on
    response = second.post(action, {"csrfmiddlewaretoken": token, "comment": "Thanks"})
    assert (response.status_code, response["Location"]) == (302, "/me/")
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.acknowledged_at is not None
    assert evaluation.technician_comment == "Thanks"


# ---- the KPI API --------------------------------------------------------------------------------


def test_the_kpi_api_counts_a_technician_hired_after_the_first_call(hr_user, site_a, tech_a, tech_b):
    """March 2025: Alice (site A) and Bob (site B), both hired 2024-01-15, are employed on the
    31st. Kay, hired on 2025-03-10 at site A, makes three; Lou, hired in April, changes nothing."""
    client = APIClient()
    client.force_login(hr_user)
    period = {"start": "2025-03-01", "end": "2025-03-31"}

    def headcounts():
        org = client.get("/api/v1/kpis/", period).json()["headcount_end"]
        at_a = client.get("/api/v1/kpis/", {**period, "site": site_a.pk}).json()["headcount_end"]
        return org, at_a

    assert headcounts() == (2, 1)
    tiers_services.technician_create(
        employee_id="A-KAY",
        first_name="Kay",
        last_name="Newhire",
        site=site_a,
        hire_date=D(2025, 3, 10),
        created_by=hr_user,
    )
    assert headcounts() == (3, 2)
    tiers_services.technician_create(
        employee_id="A-LOU",
        first_name="Lou",
        last_name="Later",
        site=site_a,
        hire_date=D(2025, 4, 1),
        created_by=hr_user,
    )
    assert headcounts() == (3, 2)


# ---- the rules of versions.py -------------------------------------------------------------------


def test_a_compute_that_writes_stores_its_result_under_the_old_versions(site_a):
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 1:  # a write while the value is being computed
            TechnicianFactory(site=site_a)
        return len(calls)

    def read():
        return versions.cached("rule-test", scope=None, site_ids=[site_a.pk], parts=["x"], compute=compute)

    assert read() == 1
    assert read() == 2  # the first result went in under versions that were out of date
    assert read() == 2
    assert len(calls) == 2


def test_a_version_evicted_from_the_cache_comes_back_with_a_new_value(site_a):
    seen = [site_version(site_a)]
    for _ in range(3):
        versions.touch_sites([site_a.pk])
        seen.append(site_version(site_a))
    assert seen[1:] == [seen[0] + 1, seen[0] + 2, seen[0] + 3]
    assert (
        versions.cached("rule-test", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: "before") == "before"
    )

    cache.delete(f"v:site:{site_a.pk}")

    again = site_version(site_a)
    assert again != 1
    assert again not in seen
    assert versions.cached("rule-test", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: "after") == "after"


def test_cached_read_seconds_zero_computes_every_time(client_for, manager_user, site_a_people):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with override_settings(CACHED_READ_SECONDS=0):
        values = [versions.cached("rule-test", scope=None, site_ids=None, parts=[], compute=compute) for _ in range(3)]
        memo = [versions.config_memo("rule-test", compute) for _ in range(2)]
        client = client_for(manager_user)
        _, first = dashboard(client)
        _, second = dashboard(client)
    assert values == [1, 2, 3]
    assert memo == [4, 5]
    assert len(career_queries(second)) == len(career_queries(first)) > 0


def test_a_write_in_a_transaction_moves_the_versions_again_after_commit(
    site_a, tech_a, django_capture_on_commit_callbacks
):
    before = site_version(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            CertificationFactory(technician=tech_a)
            assert site_version(site_a) == before + 1  # visible inside the transaction at once
            # A read made before the commit...
            assert (
                versions.cached("rule-test", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: "stale")
                == "stale"
            )
    assert site_version(site_a) == before + 2
    # ... is stored under versions nobody asks for once the write is committed.
    assert versions.cached("rule-test", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: "fresh") == "fresh"


def _technician_selects(queries) -> int:
    return sum(
        1 for query in queries if query["sql"].startswith("SELECT") and 'FROM "technicians_technician"' in query["sql"]
    )


@pytest.mark.parametrize("records", ["certifications", "sign-offs"])
def test_deleting_a_technician_does_not_look_up_a_site_per_deleted_record(records, site_a, evaluator_user):
    selects = {}
    for count in (5, 50):
        tech = TechnicianFactory(site=site_a)
        if records == "certifications":
            CertificationFactory.create_batch(count, technician=tech)
        else:
            competency = CompetencyFactory(items=count)
            achieve(tech, evaluator_user, competency, tech.hire_date)
            assert tech.signoffs.count() == count
        tech = Technician.objects.get(pk=tech.pk)
        version = site_version(site_a)
        with CaptureQueriesContext(connection) as ctx:
            tech.delete()
        selects[count] = _technician_selects(ctx.captured_queries)
        assert site_version(site_a) == version + 1  # the technician's own delete moves its site
    assert selects[5] == selects[50] == 0
