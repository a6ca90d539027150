"""Training pages: the technician's list, the assignment forms, the matrix (statuses, legend,
query count at two sizes), its exports and the rotation week view."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from competencies.models import Competency, CompetencyRound
from tests.factories import TechnicianFactory
from tests.training.factories import RotationFactory, TrainingAssignmentFactory, program
from training.models import Rotation, TrainingAssignment
from training.views import safe_cell

D = dt.date
pytestmark = pytest.mark.django_db


def test_bulk_assign_then_complete_turns_the_matrix_cell_to_achieved(
    client_for, manager_user, technician_user, site_a, tech_a
):
    """Given a manager of site A, when they bulk-assign health screenings to the site and the
    technician marks it completed on their training page, then the matrix shows it achieved."""
    due = timezone.localdate() + dt.timedelta(days=30)
    manager = client_for(manager_user)
    response = manager.post(
        "/training/assign/", {"program": program("HEALTH_SCREENINGS").pk, "site": site_a.pk, "due_on": f"{due}"}
    )
    assert response.status_code == 302
    assignment = TrainingAssignment.objects.get(technician=tech_a)
    matrix = manager.get("/training/matrix/", {"kind": "program"}).content.decode()
    assert 'data-status="in_progress"' in matrix

    technician = client_for(technician_user)
    page = technician.get("/training/").content.decode()
    assert "Health screenings (blood pressure, glucose)" in page
    assert f"{due:%Y-%m-%d}" in page
    done = technician.post(
        f"/training/assignments/{assignment.pk}/complete/", {"completed_on": f"{timezone.localdate()}"}
    )
    assert (done.status_code, done["Location"]) == (302, "/training/")

    matrix = client_for(manager_user).get("/training/matrix/", {"kind": "program"}).content.decode()
    assert 'data-status="achieved"' in matrix
    assert 'data-status="in_progress"' not in matrix


def test_single_assignment_form_shows_service_errors(client_for, manager_user, tech_a):
    TrainingAssignmentFactory(technician=tech_a, program=program("HEALTH_SCREENINGS"))

    response = client_for(manager_user).post(
        f"/training/technicians/{tech_a.pk}/assign/",
        {"program": program("HEALTH_SCREENINGS").pk, "due_on": "2099-01-01"},
    )

    assert response.status_code == 200
    assert "already assigned to Alice Archer" in response.content.decode()
    assert TrainingAssignment.objects.count() == 1


def test_matrix_legend_works_without_colour(client_for, hr_user, tech_a):
    page = client_for(hr_user).get("/training/matrix/").content.decode()

    for label in ("Achieved", "Expiring", "Expired", "Overdue", "In progress", "Not started"):
        assert label in page
    # Every cell carries its status as words for screen readers, not only as a colour.
    assert '<span class="visually-hidden">Not started</span>' in page
    assert 'data-testid="matrix-summary"' in page


def _matrix_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/training/matrix/", params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_matrix_page_query_count_is_the_same_for_5_and_200_technicians(
    client_for, hr_user, site_a, django_assert_num_queries, settings
):
    settings.CACHED_READ_SECONDS = 0  # count the computation, not a cache hit (tests/test_cached_reads.py)
    competency = Competency.objects.get(code="DISPENSING")
    for tech in TechnicianFactory.create_batch(5, site=site_a):
        CompetencyRound.objects.create(technician=tech, competency=competency, started_on=D(2025, 1, 1))
        TrainingAssignmentFactory(technician=tech)
    client = client_for(hr_user)
    small = _matrix_queries(client)

    for tech in TechnicianFactory.create_batch(195, site=site_a):
        CompetencyRound.objects.create(technician=tech, competency=competency, started_on=D(2025, 1, 1))
        TrainingAssignmentFactory(technician=tech)
    with django_assert_num_queries(small):
        client.get("/training/matrix/")


def _export_fixture(site_a):
    tech = TechnicianFactory(site=site_a, first_name="@SUM(A1)", last_name='=HYPERLINK("x")', employee_id="-5")
    TrainingAssignmentFactory(technician=tech, completed_on=D(2025, 5, 20))
    return tech


def test_csv_export(client_for, hr_user, site_a):
    _export_fixture(site_a)

    response = client_for(hr_user).get("/training/matrix.csv", {"kind": "program", "category": "clinical"})

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        [
            "Employee ID",
            "Last name",
            "First name",
            "Site",
            "Health screenings (blood pressure, glucose) (program)",
            "Immunization support (program)",
            "Medication history and reconciliation (program)",
        ],
        ["'-5", '\'=HYPERLINK("x")', "'@SUM(A1)", "A01", "achieved", "not_started", "not_started"],
    ]


def test_xlsx_export_reads_back(client_for, manager_user, site_a, site_b):
    _export_fixture(site_a)
    TechnicianFactory(site=site_b)  # not the manager's

    response = client_for(manager_user).get("/training/matrix.xlsx", {"kind": "program", "category": "clinical"})

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert values[1:] == [["'-5", '\'=HYPERLINK("x")', "'@SUM(A1)", "A01", "achieved", "not_started", "not_started"]]
    assert values[0][4] == "Health screenings (blood pressure, glucose) (program)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A", "'@A"),
        ("\tx", "'\tx"),
        ("\0x", "'\0x"),
        ("Ann", "Ann"),
        (None, ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_rotation_week_view_and_overlap_message(client_for, manager_user, site_a, tech_a):
    RotationFactory(technician=tech_a, station="filling", start=D(2025, 5, 5), end=D(2025, 5, 7))
    client = client_for(manager_user)

    week = client.get("/training/rotations/", {"site": site_a.pk, "week": "2025-05-08"}).content.decode()
    assert week.count("<td>Filling</td>") == 3  # Monday to Wednesday of the week of 5 May

    clash = client.post(
        f"/training/rotations/?site={site_a.pk}",
        {"site": site_a.pk, "technician": tech_a.pk, "station": "intake", "start": "2025-05-07", "end": "2025-05-09"},
    )
    assert clash.status_code == 200
    assert "rotations of one technician cannot overlap" in clash.content.decode()
    assert Rotation.objects.count() == 1


def test_me_and_progress_show_what_training_is_open(client_for, technician_user, manager_user, tech_a):
    """Given one overdue, one due soon and one completed programme and a rotation next week,
    when the technician opens /me/ and the manager reads progress/, then both list the two open
    programmes soonest first (the completed one is not "due") and the next rotation."""
    today = timezone.localdate()
    overdue = TrainingAssignmentFactory(
        technician=tech_a,
        program=program("MED_RECONCILIATION"),
        assigned_on=today - dt.timedelta(days=40),
        due_on=today - dt.timedelta(days=3),
    )
    soon = TrainingAssignmentFactory(
        technician=tech_a,
        program=program("IMMUNIZATION_SUPPORT"),
        assigned_on=today - dt.timedelta(days=5),
        due_on=today + dt.timedelta(days=6),
        started_on=today - dt.timedelta(days=1),
    )
    TrainingAssignmentFactory(
        technician=tech_a,
        program=program("HEALTH_SCREENINGS"),
        assigned_on=today - dt.timedelta(days=50),
        due_on=today - dt.timedelta(days=20),
        completed_on=today - dt.timedelta(days=25),
    )
    monday = today + dt.timedelta(days=7 - today.weekday())
    RotationFactory(
        technician=tech_a, station=Rotation.Station.INVENTORY, start=monday, end=monday + dt.timedelta(days=4)
    )

    page = client_for(technician_user).get("/me/").content.decode()
    progress = client_for(manager_user).get(f"/api/v1/technicians/{tech_a.pk}/progress/").json()

    assert "Medication history and reconciliation" in page
    assert f"due {overdue.due_on:%b} {overdue.due_on.day}, 3 days ago" in page
    assert f"due {soon.due_on:%b} {soon.due_on.day}, in 6 days" in page
    assert "Health screenings" not in page.split('id="training-due-h"')[1].split("</section>")[0]
    assert re.search(r"Next rotation:\s*<strong>Inventory</strong>", page)
    assert [(row["program"], row["status"], row["days_left"]) for row in progress["training_due"]] == [
        ("MED_RECONCILIATION", "overdue", -3),
        ("IMMUNIZATION_SUPPORT", "in_progress", 6),
    ]
    assert progress["rotations_next"] == [
        {
            "station": "inventory",
            "name": "Inventory",
            "start": f"{monday}",
            "end": f"{monday + dt.timedelta(days=4)}",
            "learning_week": False,
        }
    ]
