"""The training API: contract field names, scoping (404 outside, 403 forbidden), the services'
refusals as 400 with field names, and the matrix endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import TechnicianFactory
from tests.training.factories import RotationFactory, TrainingAssignmentFactory, program
from training.models import Rotation, TrainingAssignment

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def test_programs_list_the_contract_fields(api, technician_user):
    response = api(technician_user).get("/api/v1/programs/", {"page_size": 100})

    assert response.status_code == 200
    assert response.data["count"] == 11
    first = next(p for p in response.data["results"] if p["code"] == "TECH_CHECK_TECH")
    assert {"id", "code", "name", "category", "ce_hours"} <= set(first)
    assert (first["category"], first["ce_hours"]) == ("cross_training", "2.00")


def test_hr_defines_a_programme_and_zero_ce_hours_is_a_400(api, hr_user):
    bad = api(hr_user).post(
        "/api/v1/programs/", {"code": "LEAN", "name": "Lean pharmacy", "category": "management", "ce_hours": "0"}
    )
    assert bad.status_code == 400
    assert set(bad.data) == {"ce_hours"}

    good = api(hr_user).post(
        "/api/v1/programs/", {"code": "LEAN", "name": "Lean pharmacy", "category": "management", "ce_hours": "1.5"}
    )
    assert good.status_code == 201
    assert good.data["ce_hours"] == "1.50"


def test_manager_assigns_and_the_technician_completes(api, manager_user, technician_user, tech_a):
    today = timezone.localdate()
    created = api(manager_user).post(
        "/api/v1/training-assignments/",
        {
            "technician": tech_a.pk,
            "program": program("SCHEDULING_WORKFLOW").pk,
            "due_on": f"{today + dt.timedelta(days=14)}",
        },
    )
    assert created.status_code == 201
    assert set(created.data) >= {"id", "technician", "program", "assigned_on", "due_on", "completed_on", "status"}
    assert (created.data["assigned_on"], created.data["status"], created.data["completed_on"]) == (
        f"{today}",
        "assigned",
        None,
    )
    pk = created.data["id"]

    started = api(technician_user).post(f"/api/v1/training-assignments/{pk}/start/")
    assert (started.status_code, started.data["status"]) == (200, "in_progress")

    done = api(technician_user).post(f"/api/v1/training-assignments/{pk}/complete/", {})
    assert (done.status_code, done.data["status"], done.data["completed_on"]) == (200, "completed", f"{today}")

    again = api(technician_user).post(f"/api/v1/training-assignments/{pk}/complete/", {})
    assert again.status_code == 400


def test_start_and_complete_answer_the_assignment_whatever_the_query_filters(api, manager_user, tech_a):
    """A list filter in the query string picks the assignment (it has that status) but the
    answer is the changed assignment, which no longer has it."""
    pk = TrainingAssignmentFactory(technician=tech_a, due_on=timezone.localdate() + dt.timedelta(days=14)).pk

    started = api(manager_user).post(f"/api/v1/training-assignments/{pk}/start/?status=assigned")
    assert (started.status_code, started.data["status"]) == (200, "in_progress")
    done = api(manager_user).post(f"/api/v1/training-assignments/{pk}/complete/?status=in_progress", {})
    assert (done.status_code, done.data["status"]) == (200, "completed")


def test_due_before_assigned_is_a_400_naming_due_on(api, manager_user, tech_a):
    response = api(manager_user).post(
        "/api/v1/training-assignments/",
        {
            "technician": tech_a.pk,
            "program": program("SCHEDULING_WORKFLOW").pk,
            "assigned_on": "2025-05-02",
            "due_on": "2025-05-01",
        },
    )

    assert response.status_code == 400
    assert set(response.data) == {"due_on"}
    assert TrainingAssignment.objects.count() == 0


def test_manager_cannot_assign_outside_their_sites_nor_see_those_assignments(api, manager_user, tech_b):
    other = TrainingAssignmentFactory(technician=tech_b)

    refused = api(manager_user).post(
        "/api/v1/training-assignments/",
        {"technician": tech_b.pk, "program": program("SCHEDULING_WORKFLOW").pk, "due_on": "2099-01-01"},
    )
    assert refused.status_code == 400  # tech_b is not a technician they can name
    assert set(refused.data) == {"technician"}
    assert api(manager_user).get(f"/api/v1/training-assignments/{other.pk}/").status_code == 404
    assert TrainingAssignment.objects.count() == 1


def test_evaluator_neither_reads_nor_completes_a_colleagues_training(api, evaluator_user, tech_a):
    assignment = TrainingAssignmentFactory(technician=tech_a)

    assert api(evaluator_user).get(f"/api/v1/training-assignments/{assignment.pk}/").status_code == 404
    assert api(evaluator_user).post(f"/api/v1/training-assignments/{assignment.pk}/complete/").status_code == 404
    assignment.refresh_from_db()
    assert assignment.completed_on is None


def test_status_filter(api, hr_user, tech_a, tech_b):
    TrainingAssignmentFactory(technician=tech_a, due_on=D(2020, 6, 1), assigned_on=D(2020, 5, 1))  # overdue
    TrainingAssignmentFactory(technician=tech_b, completed_on=D(2025, 5, 2))

    overdue = api(hr_user).get("/api/v1/training-assignments/", {"status": "overdue"})

    assert [row["technician"] for row in overdue.data["results"]] == [tech_a.pk]


def test_bulk_assign_to_a_site(api, manager_user, site_a, tech_a):
    TechnicianFactory(site=site_a, tier="TECH2")
    future = timezone.localdate() + dt.timedelta(days=30)

    response = api(manager_user).post(
        "/api/v1/training-assignments/bulk/",
        {"program": program("COMMUNICATION_CONFLICT").pk, "site": site_a.pk, "due_on": f"{future}"},
    )

    assert (response.status_code, response.data) == (201, {"created": 2, "skipped": 0})


def test_bulk_assign_needs_a_site_or_tier_in_scope(api, manager_user, site_b):
    body = {"program": program("COMMUNICATION_CONFLICT").pk, "due_on": "2099-01-01"}

    assert set(api(manager_user).post("/api/v1/training-assignments/bulk/", body).data) == {"site"}
    outside = api(manager_user).post("/api/v1/training-assignments/bulk/", {**body, "site": site_b.pk})
    assert outside.status_code == 400
    assert set(outside.data) == {"site"}
    assert TrainingAssignment.objects.count() == 0


def test_rotations_overlap_is_a_400_on_start(api, manager_user, tech_a):
    RotationFactory(technician=tech_a, start=D(2025, 5, 5), end=D(2025, 5, 9))

    clash = api(manager_user).post(
        "/api/v1/rotations/", {"technician": tech_a.pk, "station": "intake", "start": "2025-05-08", "end": "2025-05-12"}
    )
    assert clash.status_code == 400
    assert "cannot overlap" in clash.data["start"][0]

    fine = api(manager_user).post(
        "/api/v1/rotations/", {"technician": tech_a.pk, "station": "intake", "start": "2025-05-12", "end": "2025-05-16"}
    )
    assert fine.status_code == 201
    assert {k: fine.data[k] for k in ("technician", "station", "start", "end")} == {
        "technician": tech_a.pk,
        "station": "intake",
        "start": "2025-05-12",
        "end": "2025-05-16",
    }
    assert Rotation.objects.count() == 2


def test_rotations_period_filter(api, hr_user, tech_a):
    RotationFactory(technician=tech_a, start=D(2025, 5, 5), end=D(2025, 5, 9))
    RotationFactory(technician=tech_a, start=D(2025, 5, 19), end=D(2025, 5, 23))

    response = api(hr_user).get("/api/v1/rotations/", {"start": "2025-05-09", "end": "2025-05-18"})

    assert [r["start"] for r in response.data["results"]] == ["2025-05-05"]


def test_matrix_endpoint_returns_the_page_statuses(api, manager_user, technician_user, tech_a, tech_b):
    TrainingAssignmentFactory(technician=tech_a, completed_on=D(2025, 5, 20))

    response = api(manager_user).get("/api/v1/training-matrix/", {"kind": "program"})

    assert response.status_code == 200
    assert response.data["count"] == 1  # tech_b is at another site
    row = response.data["results"][0]
    assert row["technician"] == tech_a.pk
    assert row["cells"]["program:HEALTH_SCREENINGS"] == "achieved"
    assert row["cells"]["program:USP797_STERILE"] == "not_started"
    codes = [c["code"] for c in response.data["columns"]]
    assert response.data["held"][codes.index("HEALTH_SCREENINGS")] == 1
    assert api(technician_user).get("/api/v1/training-matrix/").status_code == 403


def test_matrix_endpoint_query_count_is_flat(api, hr_user, site_a, django_assert_max_num_queries, settings):
    settings.CACHED_READ_SECONDS = 0  # the configuration is read on every request, as the first time
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        client = api(hr_user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/training-matrix/", {"page_size": 500}).status_code == 200
        return len(ctx.captured_queries)

    TechnicianFactory.create_batch(5, site=site_a)
    small = count()
    TechnicianFactory.create_batch(195, site=site_a)
    for tech in TechnicianFactory._meta.model.objects.all()[:50]:
        TrainingAssignmentFactory(technician=tech)
    assert count() == small
