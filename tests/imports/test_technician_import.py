"""``imports/technicians/``: all or nothing, every bad row reported, upsert by employee_id."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from imports.models import ImportRun
from metrics.models import KpiSnapshot
from technicians.models import Technician, User
from tests.factories import TechnicianFactory, UserFactory
from tests.imports.conftest import (
    TECHNICIAN_HEADER,
    csv_bytes,
    table_contents,
    table_counts,
    tech_row,
    xlsx_bytes,
)
from tiers.models import TierAssignment

D = dt.date
IMPORT = "/api/v1/imports/technicians/"
WITH_EFFECTIVE = (*TECHNICIAN_HEADER, "tier_effective_date")


def history(employee_id: str) -> list[tuple[str, str, str]]:
    tech = Technician.objects.get(employee_id=employee_id)
    return [
        (h.history_type, h.history_user.username if h.history_user else "", h.history_change_reason or "")
        for h in tech.history.order_by("history_id")
    ]


def tiers_of(employee_id: str) -> list[tuple]:
    return list(
        TierAssignment.objects.filter(technician__employee_id=employee_id)
        .order_by("start_date")
        .values_list("tier__code", "start_date", "end_date", "reason")
    )


# ---- a file with a dozen kinds of bad rows ------------------------------------------------------

BAD_ROWS = [
    tech_row("N-1", "Nina", "North", "A01", "2024-03-01", email="nina@example.org", tier="TECH1", status="active"),
    tech_row("N-2", "Omar", "Oak", "Z99", "2024-03-01"),
    tech_row("N-3", "Pia", "Pine", "A01", "2024-02-30"),
    tech_row("N-1", "Nina", "Again", "A01", "2024-03-01"),
    tech_row("N-5", "Quinn", "Quay", "A01", "2024-05-01", status="terminated", end="2024-04-01", end_type="voluntary"),
    tech_row("N-6", "Rita", "Reed", "A01", "2024-03-01", tier="TECH9"),
    tech_row("N-7", "Sam", "Sand", "A01", "2024-03-01", status="retired"),
    tech_row("N-8", "Tess", "Tide", "A01", "2024-03-01", status="terminated", end="2025-01-31", end_type="quit"),
    tech_row("N-9", "Uma", "Vale", "A01", "2024-03-01", end="2025-02-28"),
    tech_row("N-10", "Vic", "", "A01", "2024-03-01"),
    tech_row("N-11", "Wes", "Wood", "A01", "2024-03-01", email="not-an-email"),
    tech_row("N-12", "Xia", "Yew", "B01", "2099-01-01"),
    tech_row("X" * 41, "Yan", "Zinc", "A01", "2024-03-01"),
    tech_row("N-14", "Zoe", "Ash", "A01", "2024-03-01", status="active", end="2025-01-01", end_type="voluntary"),
    ["", "", "", "", "", "", "", "", "", ""],  # a blank line is skipped, not an error
    tech_row("", "No", "Id", "A01", "2024-03-01"),
    tech_row("N-18", "Ada", "Old", "A01", "0199-11-04"),
]
BAD_ROW_ERRORS = [
    {"row": 3, "column": "site_code", "message": "site_code 'Z99' is not a known site."},
    {"row": 4, "column": "hire_date", "message": "hire_date '2024-02-30' is not a date; write it as YYYY-MM-DD."},
    {"row": 5, "column": "employee_id", "message": "employee_id 'N-1' appears again; it is first on row 2."},
    {
        "row": 6,
        "column": "termination_date",
        "message": "The termination date cannot be before the hire date (termination_date '2024-04-01').",
    },
    {"row": 7, "column": "tier", "message": "tier 'TECH9' is not a tier; use one of TECH1, TECH2, TECH3, LEAD."},
    {"row": 8, "column": "status", "message": "status 'retired' is not one of active, leave, terminated."},
    {
        "row": 9,
        "column": "termination_type",
        "message": "termination_type 'quit' is not one of voluntary, involuntary, retirement, other.",
    },
    {"row": 10, "column": "termination_type", "message": "A terminated technician needs a termination type."},
    {"row": 11, "column": "last_name", "message": "last_name is empty; every row needs one."},
    {"row": 12, "column": "email", "message": "email 'not-an-email' is not valid: Enter a valid email address."},
    {
        "row": 13,
        "column": "hire_date",
        "message": "hire_date 2099-01-01 is in the future; import technicians once they are hired.",
    },
    {
        "row": 14,
        "column": "employee_id",
        "message": f"employee_id '{'X' * 41}' is too long: at most 40 characters (it has 41).",
    },
    {
        "row": 15,
        "column": "status",
        "message": "Set status to 'terminated' when giving a termination date (status 'active').",
    },
    {"row": 17, "column": "employee_id", "message": "employee_id is empty; every row needs one."},
    {
        "row": 18,
        "column": "hire_date",
        "message": "hire_date 0199-11-04 is out of range: Enter a real date between 1900-01-01 and 2100-12-31 (YYYY-MM-DD).",
    },
]


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(post_import, site_a, site_b, tech_a):
    before = table_contents()

    response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, BAD_ROWS))

    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == BAD_ROW_ERRORS
    assert body["error_count"] == 15
    assert body["detail"] == "Nothing was imported: 15 errors in the file."
    assert table_contents() == before


def test_a_dry_run_of_a_bad_file_reports_the_same_errors(post_import, site_a, site_b):
    response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, BAD_ROWS), dry_run=True)

    assert response.status_code == 400
    assert response.json()["errors"] == BAD_ROW_ERRORS


def test_header_problems_are_reported_on_row_one(post_import, site_a):
    header = ("Employee ID", "First Name", "surname", "site_code", "hire_date", "email", "EMAIL")
    content = csv_bytes(header, [["N-1", "Nina", "North", "A01", "2024-03-01", "", ""]])
    before = table_counts()

    response = post_import("technicians", content)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 1,
            "column": "surname",
            "message": "Unknown column 'surname'; the columns are: employee_id, first_name, last_name, site_code, "
            "hire_date, email, tier, status, termination_date, termination_type, tier_effective_date.",
        },
        {"row": 1, "column": "email", "message": "The column 'email' appears more than once."},
        {"row": 1, "column": "last_name", "message": "The required column 'last_name' is missing."},
    ]
    assert table_counts() == before


def test_errors_beyond_a_thousand_are_counted_not_listed(post_import, site_a):
    rows = [tech_row(f"N-{n}", "Nina", "North", "Z99", "2024-03-01") for n in range(1200)]

    response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, rows))

    body = response.json()
    assert response.status_code == 400
    assert len(body["errors"]) == 1000
    assert body["errors"][-1] == {"row": 1001, "column": "site_code", "message": "site_code 'Z99' is not a known site."}
    assert body["error_count"] == 1200
    assert body["detail"] == (
        "Nothing was imported: 1,200 errors in the file. The first 1,000 are listed; 200 more are not. "
        "Fix these and check the file again."
    )


# ---- a valid file: creates, updates, a tier change and a separation -------------------------------


@pytest.fixture
def workforce(site_a, site_b, tech_a, tech_b):
    """A-1 (Alice, TECH1 since 2024-01-15) and B-1 (Bob) from conftest, plus C-1 and D-1 (with a login)."""
    carl = TechnicianFactory(
        site=site_a, employee_id="C-1", first_name="Carl", last_name="Cole", hire_date=D(2023, 6, 5)
    )
    dana = TechnicianFactory(
        site=site_a, employee_id="D-1", first_name="Dana", last_name="Dale", hire_date=D(2022, 9, 12)
    )
    dana_login = UserFactory(username="dana", role=User.Role.TECHNICIAN, technician=dana)
    return {"carl": carl, "dana": dana, "dana_login": dana_login}


VALID_ROWS = [
    tech_row("A-1", "Alice", "Archer", "A01", "2024-01-15", email="a-1@example.org", tier="TECH2", status="active")
    + ["2025-03-01"],
    tech_row("B-1", "Bob", "Baker-Smith", "B01", "2024-01-15", email="b-1@example.org") + [""],
    tech_row("C-1", "Carl", "Cole", "A01", "2023-06-05", email="c-1@example.org", tier="TECH1", status="active") + [""],
    tech_row(
        "D-1",
        "Dana",
        "Dale",
        "A01",
        "2022-09-12",
        email="d-1@example.org",
        status="terminated",
        end="2025-04-30",
        end_type="voluntary",
    )
    + [""],
    tech_row("N-1", "Nina", "North", "A01", "2025-02-03", email="nina@example.org", tier="TECH2") + [""],
    tech_row("N-2", "Omar", "Oak", "b01", "2025-01-06") + [""],
]
VALID_COUNTS = {"rows": 6, "created": 2, "updated": 3, "unchanged": 1, "tier_changes": 1, "separations": 1}


def test_a_valid_file_is_applied_with_exact_counts(post_import, hr_user, workforce, site_a, site_b):
    response = post_import("technicians", csv_bytes(WITH_EFFECTIVE, VALID_ROWS))

    assert response.status_code == 200
    assert response.json() == {"dry_run": False, **VALID_COUNTS}
    # The tier change is a dated assignment: TECH1 closes the day TECH2 starts.
    assert tiers_of("A-1") == [
        ("TECH1", D(2024, 1, 15), D(2025, 3, 1), "hire"),
        ("TECH2", D(2025, 3, 1), None, "promotion"),
    ]
    assert TierAssignment.objects.get(technician__employee_id="A-1", tier__code="TECH2").recorded_by == hr_user
    bob = Technician.objects.get(employee_id="B-1")
    assert (bob.last_name, bob.site, bob.status) == ("Baker-Smith", site_b, "active")
    assert tiers_of("B-1") == [("TECH1", D(2024, 1, 15), None, "hire")]
    dana = Technician.objects.get(employee_id="D-1")
    assert (dana.status, dana.termination_date, dana.termination_type) == ("terminated", D(2025, 4, 30), "voluntary")
    workforce["dana_login"].refresh_from_db()
    assert workforce["dana_login"].is_active is False  # as when a manager records the separation
    nina = Technician.objects.get(employee_id="N-1")
    assert (nina.first_name, nina.site, nina.hire_date, nina.status) == ("Nina", site_a, D(2025, 2, 3), "active")
    assert tiers_of("N-1") == [("TECH2", D(2025, 2, 3), None, "hire")]
    assert tiers_of("N-2") == [("TECH1", D(2025, 1, 6), None, "hire")]
    assert Technician.objects.get(employee_id="N-2").site == site_b  # site codes match in any case
    run = ImportRun.objects.get()
    assert (run.kind, run.file_name, run.imported_by, run.rows, run.created, run.updated) == (
        "technicians",
        "hr-export.csv",
        hr_user,
        6,
        2,
        3,
    )
    assert (run.unchanged, run.tier_changes, run.separations) == (1, 1, 1)


def test_history_rows_carry_the_importing_user(post_import, workforce):
    post_import("technicians", csv_bytes(WITH_EFFECTIVE, VALID_ROWS))

    reason = "HR import: hr-export.csv"
    assert history("N-1") == [("+", "hr", reason)]
    assert history("B-1")[-1] == ("~", "hr", reason)
    assert history("D-1")[-1] == ("~", "hr", reason)
    assert len(history("C-1")) == 1  # unchanged: no history row beyond the factory's
    promoted = TierAssignment.objects.get(technician__employee_id="A-1", tier__code="TECH2")
    closed = TierAssignment.objects.get(technician__employee_id="A-1", tier__code="TECH1")
    assert [(h.history_type, h.history_user.username) for h in promoted.history.all()] == [("+", "hr")]
    last_change = closed.history.order_by("-history_id").first()
    assert (last_change.history_type, last_change.end_date, last_change.history_user.username) == (
        "~",
        D(2025, 3, 1),
        "hr",
    )


def test_a_dry_run_writes_nothing_and_reports_the_same_counts(post_import, workforce):
    before = table_contents()

    response = post_import("technicians", csv_bytes(WITH_EFFECTIVE, VALID_ROWS), dry_run=True)

    assert response.status_code == 200
    assert response.json() == {"dry_run": True, **VALID_COUNTS}
    assert table_contents() == before


def test_importing_the_same_file_again_changes_nothing(post_import, workforce):
    post_import("technicians", csv_bytes(WITH_EFFECTIVE, VALID_ROWS))
    after_first = table_counts()

    again = post_import("technicians", csv_bytes(WITH_EFFECTIVE, VALID_ROWS))

    assert again.json() == {
        "dry_run": False,
        "rows": 6,
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "tier_changes": 0,
        "separations": 0,
    }
    assert table_counts() == {**after_first, "imports.ImportRun": after_first["imports.ImportRun"] + 1}


def test_an_xlsx_file_gives_the_same_result_as_the_csv(post_import, workforce, site_a):
    rows = [list(row) for row in VALID_ROWS]
    for row in rows:  # real date cells, as Excel stores them
        row[5] = dt.date.fromisoformat(row[5])
        row[8] = dt.date.fromisoformat(row[8]) if row[8] else None
        row[10] = dt.date.fromisoformat(row[10]) if row[10] else None
    rows.append([10042, "Pat", "Quill", "", "A01", dt.datetime(2025, 1, 20), "", "", None, None, None])

    response = post_import("technicians", xlsx_bytes(WITH_EFFECTIVE, rows), name="hr-export.xlsx")

    assert response.status_code == 200
    assert response.json() == {"dry_run": False, **VALID_COUNTS, "rows": 7, "created": 3}
    pat = Technician.objects.get(employee_id="10042")
    assert (pat.hire_date, pat.site, pat.email) == (D(2025, 1, 20), site_a, "")
    assert tiers_of("A-1")[-1] == ("TECH2", D(2025, 3, 1), None, "promotion")


def test_a_tier_change_without_a_date_starts_today_and_a_lower_tier_is_a_demotion(post_import, site_a):
    TechnicianFactory(site=site_a, employee_id="L-1", first_name="Lee", last_name="Lamb", tier="TECH3")
    today = timezone.localdate()

    response = post_import(
        "technicians", csv_bytes(TECHNICIAN_HEADER, [tech_row("L-1", "Lee", "Lamb", "A01", "2024-01-15", tier="TECH2")])
    )

    assert response.json()["tier_changes"] == 1
    assert tiers_of("L-1") == [("TECH3", D(2024, 1, 15), today, "hire"), ("TECH2", today, None, "demotion")]


def test_a_tier_change_dated_before_the_current_tier_began_is_refused(post_import, site_a, tech_a):
    rows = [tech_row("A-1", "Alice", "Archer", "A01", "2024-01-15", tier="TECH2") + ["2024-01-15"]]

    response = post_import("technicians", csv_bytes(WITH_EFFECTIVE, rows))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 2,
            "column": "tier_effective_date",
            "message": "The change to TECH2 on 2024-01-15 must start after 2024-01-15, when the current tier (TECH1) began.",
        }
    ]
    assert tiers_of("A-1") == [("TECH1", D(2024, 1, 15), None, "hire")]


def test_a_new_hire_date_moves_the_first_tier_assignment(post_import, site_a, tech_a):
    response = post_import(
        "technicians", csv_bytes(TECHNICIAN_HEADER, [tech_row("A-1", "Alice", "Archer", "A01", "2023-11-06")])
    )

    assert response.json()["updated"] == 1
    assert Technician.objects.get(employee_id="A-1").hire_date == D(2023, 11, 6)
    assert tiers_of("A-1") == [("TECH1", D(2023, 11, 6), None, "hire")]


def test_columns_left_out_leave_those_fields_alone(post_import, site_a, tech_a):
    Technician.objects.filter(pk=tech_a.pk).update(status="leave")
    header = ("employee_id", "first_name", "last_name", "site_code", "hire_date")

    response = post_import("technicians", csv_bytes(header, [["A-1", "Alicia", "Archer", "A01", "2024-01-15"]]))

    assert response.json()["updated"] == 1
    tech_a.refresh_from_db()
    assert (tech_a.first_name, tech_a.email, tech_a.status) == ("Alicia", "a-1@example.org", "leave")


def test_reinstating_clears_the_termination(post_import, site_a):
    TechnicianFactory(
        site=site_a,
        employee_id="R-1",
        first_name="Ray",
        last_name="Rook",
        status="terminated",
        termination_date=D(2024, 6, 30),
        termination_type="voluntary",
    )

    response = post_import(
        "technicians",
        csv_bytes(TECHNICIAN_HEADER, [tech_row("R-1", "Ray", "Rook", "A01", "2024-01-15", status="active")]),
    )

    assert response.json()["updated"] == 1
    ray = Technician.objects.get(employee_id="R-1")
    assert (ray.status, ray.termination_date, ray.termination_type) == ("active", None, "")


# ---- after the commit: the KPI snapshots of the sites concerned and of the organisation ------------


def test_kpis_are_recomputed_from_the_earliest_changed_month(
    post_import, site_a, site_b, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    row = tech_row("N-1", "Nina", "North", "A01", last_month.isoformat())

    with django_capture_on_commit_callbacks(execute=True):
        response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, [row]))

    assert response.status_code == 200
    snapshots = {(s.site_id, s.month): s.headcount_end for s in KpiSnapshot.objects.all()}
    this_month = today.replace(day=1)
    assert snapshots == {
        (None, last_month): 1,
        (None, this_month): 1,
        (site_a.pk, last_month): 1,
        (site_a.pk, this_month): 1,
    }


# ---- files that are not import files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4\n%%EOF\n", "This is a PDF document, whatever its name."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "This is an old Excel workbook (.xls)"),
        (b"PK\x03\x04not really a zip", "The file looks like a zip archive but cannot be opened."),
        (b"employee_id,first_name\r\n\xff\xfeN-1,Nina\r\n", "The file is not UTF-8 text (byte 25 is not)."),
        (b"", "The file is empty."),
        (b"\x00\x01\x02binary", "This file is not text."),
    ],
)
def test_files_of_another_type_are_refused_with_a_message(post_import, content, message):
    response = post_import("technicians", content, name="technicians.csv")

    assert response.status_code == 400
    assert response.json()["file"][0].startswith(message)


def test_a_file_over_the_size_limit_is_refused(post_import, settings, site_a):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    rows = [tech_row(f"N-{n}", "Nina", "North", "A01", "2024-03-01", email="nina@example.org") for n in range(25_000)]

    response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, rows))

    assert response.status_code == 400
    size = len(csv_bytes(TECHNICIAN_HEADER, rows)) / 1048576
    assert response.json() == {"file": [f"The file is {size:.1f} MB; the limit is 1 MB. Split it into smaller files."]}
    assert Technician.objects.count() == 0


def test_a_post_without_a_file_is_a_400_naming_the_field(hr_api):
    assert hr_api.post(IMPORT, {}, format="json").json() == {
        "file": ["Send the CSV or XLSX file as multipart/form-data in the field 'file'."]
    }
    assert hr_api.post(IMPORT, {}, format="multipart").status_code == 400


# ---- who may import --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"), [("technician", 403), ("evaluator", 403), ("manager", 403), ("anonymous", 401)]
)
def test_only_hr_and_admin_import(role, expected, users, site_a):
    client = APIClient()
    if users[role] is not None:
        client.force_login(users[role])
    before = table_contents()
    content = csv_bytes(TECHNICIAN_HEADER, [tech_row("N-1", "Nina", "North", "A01", "2024-03-01")])

    response = client.post(IMPORT, {"file": SimpleUploadedFile("t.csv", content)}, format="multipart")

    assert response.status_code == expected
    assert table_contents() == before


def test_admin_imports_too(admin_user, site_a, post_import):
    client = APIClient()
    client.force_login(admin_user)

    response = post_import(
        "technicians",
        csv_bytes(TECHNICIAN_HEADER, [tech_row("N-1", "Nina", "North", "A01", "2024-03-01")]),
        client=client,
    )

    assert response.status_code == 200
    assert Technician.objects.get(employee_id="N-1").history.get().history_user == admin_user


# ---- the number of queries does not grow with the rows -----------------------------------------------


def _mixed_file(prefix: str, n: int, site_codes: list[str]) -> bytes:
    """``n`` rows: half existing technicians (a name change and a promotion), half new ones."""
    rows = []
    for i in range(n // 2):
        rows.append(tech_row(f"{prefix}-old-{i}", "Renamed", f"Old{i}", site_codes[i % 2], "2023-01-09", tier="TECH2"))
        rows.append(tech_row(f"{prefix}-new-{i}", "New", f"Hire{i}", site_codes[i % 2], "2025-01-06", tier="TECH1"))
    return csv_bytes(TECHNICIAN_HEADER, rows)


def test_the_queries_of_an_import_do_not_grow_with_its_rows(post_import, site_a, site_b):
    sizes = [10, 40] + ([400] if connection.vendor == "postgresql" else [])  # SQLite batches inserts by 999 values
    counts = {}
    for n in sizes:
        for i in range(n // 2):
            TechnicianFactory(
                site=site_a, employee_id=f"S{n}-old-{i}", first_name="Old", last_name=f"Old{i}", hire_date=D(2023, 1, 9)
            )
        content = _mixed_file(f"S{n}", n, ["A01", "B01"])
        with CaptureQueriesContext(connection) as queries:
            response = post_import("technicians", content)
        assert response.json()["created"] == n // 2
        assert response.json()["tier_changes"] == n // 2
        counts[n] = len(queries)

    assert len(set(counts.values())) == 1, counts


def test_a_large_file_is_imported(post_import, site_a, site_b):
    rows = [tech_row(f"L-{n:05d}", "Large", f"File{n}", ("A01", "B01")[n % 2], "2024-03-04") for n in range(3000)]

    response = post_import("technicians", csv_bytes(TECHNICIAN_HEADER, rows))

    assert response.json()["created"] == 3000
    assert Technician.objects.filter(site=site_b).count() == 1500
    assert (
        TierAssignment.objects.filter(technician__employee_id__startswith="L-", end_date__isnull=True).count() == 3000
    )
