"""The imports page (``/imports/``): check, import, errors by row, templates, recent imports."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.models import ImportRun
from technicians.models import Technician
from tests.imports.conftest import TECHNICIAN_HEADER, csv_bytes, table_contents, tech_row

PAGE = "/imports/"


def upload(rows, name="hr.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(TECHNICIAN_HEADER, rows), content_type="text/csv")


def text(response) -> str:
    """The page's text as a reader sees it: tags out, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.mark.parametrize(
    ("role", "expected"), [("technician", 404), ("evaluator", 404), ("manager", 404), ("hr", 200), ("admin", 200)]
)
def test_the_page_is_for_hr_and_admin(role, expected, users, client_for):
    assert client_for(users[role]).get(PAGE).status_code == expected


def test_anonymous_callers_are_sent_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/imports/"


def test_a_file_with_errors_lists_them_by_row_and_writes_nothing(client_for, hr_user, site_a):
    rows = [
        tech_row("N-1", "Nina", "North", "A01", "2024-03-01"),
        tech_row("N-2", "Omar", "Oak", "Z99", "2024-03-01"),
    ]
    before = table_contents()

    response = client_for(hr_user).post(PAGE, {"kind": "technicians", "file": upload(rows), "action": "import"})

    assert response.status_code == 200
    page = text(response)
    assert "Nothing was imported: 1 problem in hr.csv" in page
    assert "3 site_code site_code 'Z99' is not a known site." in page
    assert table_contents() == before


def test_check_only_shows_what_would_change_and_writes_nothing(client_for, hr_user, site_a, tech_a):
    rows = [
        tech_row("A-1", "Alice", "Archer-Lee", "A01", "2024-01-15"),
        tech_row("N-1", "Nina", "North", "A01", "2024-03-01", tier="TECH2"),
    ]
    before = table_contents()

    response = client_for(hr_user).post(PAGE, {"kind": "technicians", "file": upload(rows), "action": "check"})

    page = text(response)
    assert "Check passed: nothing was written" in page
    assert "would add 1 , change 1 and leave 0 unchanged, with 0 tier changes and 0 separations" in page
    assert "New (1)" in page and "N-1 Nina North A01 2024-03-01 TECH2" in page
    assert "Changed (1)" in page and "last_name: Archer → Archer-Lee" in page
    assert table_contents() == before


def test_import_applies_the_file_and_shows_its_counts_after_a_redirect(client_for, hr_user, site_a):
    client = client_for(hr_user)
    rows = [tech_row("N-1", "Nina", "North", "A01", "2024-03-01"), tech_row("N-2", "Omar", "Oak", "A01", "2024-04-01")]

    response = client.post(PAGE, {"kind": "technicians", "file": upload(rows), "action": "import"})

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/?run={run.pk}&kind=technicians"
    assert set(Technician.objects.values_list("employee_id", flat=True)) == {"N-1", "N-2"}
    page = text(client.get(response["Location"]))
    assert "Technicians imported" in page
    assert "hr.csv: 2 rows — 2 new, 0 changed, 0 unchanged, 0 tier changes, 0 separations." in page
    assert "Open the dashboard" in page


def test_a_file_of_another_type_is_refused_on_the_file_field(client_for, hr_user):
    pdf = SimpleUploadedFile("staff.csv", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n", content_type="text/csv")

    response = client_for(hr_user).post(PAGE, {"kind": "technicians", "file": pdf, "action": "check"})

    assert "This is a PDF document, whatever its name." in text(response)
    assert ImportRun.objects.count() == 0


def test_ce_credits_are_imported_from_the_page(client_for, hr_user, tech_a):
    content = csv_bytes(
        ("employee_id", "completed_on", "title", "provider", "uan", "hours"),
        [["A-1", "2025-02-10", "Law", "RxLearn", "0145-0000-25-012-H03-T", "1"]],
    )

    response = client_for(hr_user).post(
        PAGE, {"kind": "ce_credits", "file": SimpleUploadedFile("ce.csv", content), "action": "import"}
    )

    assert response.status_code == 302
    assert ImportRun.objects.get().kind == "ce_credits"
    assert tech_a.ce_credits.get().topic == "03"


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        (
            "technicians",
            "employee_id,first_name,last_name,email,site_code,hire_date,tier,status,termination_date,termination_type",
        ),
        ("certifications", "employee_id,type,number,issued_on,expires_on"),
        ("ce_credits", "employee_id,completed_on,title,provider,uan,hours"),
    ],
)
def test_templates_are_csv_files_with_the_header_row(kind, header, client_for, hr_user):
    response = client_for(hr_user).get(f"/imports/template/?kind={kind}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="careerladder-{kind.replace("_", "-")}-import.csv"'
    assert response.content.decode() == header + "\r\n"


def test_an_unknown_template_is_not_found(client_for, hr_user):
    assert client_for(hr_user).get("/imports/template/?kind=payroll").status_code == 404


def test_recent_imports_cost_the_same_queries_however_many(client_for, hr_user, manager_user):
    client = client_for(hr_user)
    ImportRun.objects.create(kind="technicians", file_name="one.csv", imported_by=hr_user, rows=1, created=1)
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    for n in range(12):
        ImportRun.objects.create(kind="certifications", file_name=f"f{n}.csv", imported_by=manager_user, rows=n)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PAGE)

    assert len(many) == len(one)
    assert text(response).count(".csv") == 10  # the latest ten
