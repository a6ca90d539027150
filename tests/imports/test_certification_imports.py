"""``imports/certifications/`` and ``imports/ce-credits/``: the same all-or-nothing upload."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from certifications.models import CECredit, Certification, CertificationType
from imports.models import ImportRun
from tests.imports.conftest import csv_bytes, table_contents, xlsx_bytes

D = dt.date
CERT_HEADER = ("employee_id", "type", "number", "issued_on", "expires_on")
CE_HEADER = ("employee_id", "completed_on", "title", "provider", "uan", "hours")
ALL_TYPES = (
    "BILLING, BLS, CPHT, CPHT_ADV, CSDP, CSPT, HD_MGMT, IMMUNIZATION, MED_HISTORY, MTM, NONSTERILE, POCT, "
    "REG_COMPLIANCE, STATE_REG, SUPPLY_CHAIN, TPV"
)


def held(employee_id: str) -> list[tuple]:
    return list(
        Certification.objects.filter(technician__employee_id=employee_id)
        .order_by("issued_on")
        .values_list("type__code", "number", "issued_on", "expires_on")
    )


# ---- certifications ------------------------------------------------------------------------------


@pytest.fixture
def bob_bls(tech_b):
    return Certification.objects.create(
        technician=tech_b,
        type=CertificationType.objects.get(code="BLS"),
        number="",
        issued_on=D(2025, 1, 10),
        expires_on=D(2027, 1, 10),
    )


def test_a_valid_certifications_file_is_applied(post_import, hr_user, tech_a, tech_b, bob_bls):
    rows = [
        ["A-1", "CPHT", "123456", "2024-06-03", ""],
        ["A-1", "CSPT", "CS-1", "2024-09-02", ""],  # needs CPhT: the row above gives it
        ["B-1", "STATE_REG", "OH-77", "2024-02-01", "2026-01-31"],
        ["B-1", "bls", "BLS-9", "2025-01-10", ""],  # the record Bob holds: gets its number
    ]

    response = post_import("certifications", csv_bytes(CERT_HEADER, rows), name="certs.csv")

    assert response.status_code == 200
    assert response.json() == {
        "dry_run": False,
        "rows": 4,
        "created": 3,
        "updated": 1,
        "unchanged": 0,
        "tier_changes": 0,
        "separations": 0,
    }
    assert held("A-1") == [
        ("CPHT", "123456", D(2024, 6, 3), D(2026, 6, 3)),  # the type's 24 months
        ("CSPT", "CS-1", D(2024, 9, 2), D(2025, 9, 2)),  # 12 months
    ]
    assert held("B-1") == [
        ("STATE_REG", "OH-77", D(2024, 2, 1), D(2026, 1, 31)),
        ("BLS", "BLS-9", D(2025, 1, 10), D(2027, 1, 10)),
    ]
    cpht = Certification.objects.get(technician=tech_a, type__code="CPHT")
    assert (cpht.verified_by, cpht.recorded_by, cpht.self_reported) == (hr_user, hr_user, False)
    assert cpht.verified_at is not None
    assert [(h.history_type, h.history_user) for h in cpht.history.all()] == [("+", hr_user)]
    assert bob_bls.history.order_by("-history_id").first().history_user == hr_user
    assert ImportRun.objects.get().kind == "certifications"


def test_every_bad_certification_row_is_reported_and_nothing_is_written(post_import, tech_a, tech_b):
    rows = [
        ["Z-9", "CPHT", "", "2024-06-03", ""],
        ["A-1", "XYZ", "", "2024-06-03", ""],
        ["A-1", "CPHT", "", "2099-01-01", ""],
        ["A-1", "STATE_REG", "", "2024-01-01", ""],
        ["A-1", "BLS", "", "2024-05-01", "2024-04-01"],
        ["B-1", "CSPT", "", "2024-05-01", ""],
        ["A-1", "CPHT", "1", "2024-06-03", ""],
        ["A-1", "CPHT", "2", "2024-06-03", ""],
        ["A-1", "BLS", "", "03/05/2024", ""],
    ]
    before = table_contents()

    response = post_import("certifications", csv_bytes(CERT_HEADER, rows))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 2,
            "column": "employee_id",
            "message": "employee_id 'Z-9' is not a known technician; import the technician first.",
        },
        {"row": 3, "column": "type", "message": f"type 'XYZ' is not a certification type; use one of {ALL_TYPES}."},
        {
            "row": 4,
            "column": "issued_on",
            "message": "The issue date cannot be in the future (issued_on '2099-01-01').",
        },
        {
            "row": 5,
            "column": "expires_on",
            "message": "Give the expiry date printed on the registration; each state sets its own.",
        },
        {
            "row": 6,
            "column": "expires_on",
            "message": "The expiry date must be after the issue date (expires_on '2024-04-01').",
        },
        {
            "row": 7,
            "column": "type",
            "message": "Compounded Sterile Preparation Technician (CSPT) requires an active Certified Pharmacy "
            "Technician (CPhT): record the CPHT held on May 1, 2024 first.",
        },
        {
            "row": 9,
            "column": "issued_on",
            "message": "CPHT issued 2024-06-03 for employee_id 'A-1' appears again; it is first on row 8.",
        },
        {"row": 10, "column": "issued_on", "message": "issued_on '03/05/2024' is not a date; write it as YYYY-MM-DD."},
    ]
    assert table_contents() == before


def test_a_certifications_dry_run_counts_and_writes_nothing(post_import, tech_a):
    before = table_contents()

    response = post_import(
        "certifications", csv_bytes(CERT_HEADER, [["A-1", "CPHT", "9", "2024-06-03", ""]]), dry_run=True
    )

    assert response.json()["dry_run"] is True
    assert response.json()["created"] == 1
    assert table_contents() == before


def test_a_certifications_workbook_is_read_like_a_csv(post_import, tech_a):
    rows = [["A-1", "CPHT", 123456, D(2024, 6, 3), None]]

    response = post_import("certifications", xlsx_bytes(CERT_HEADER, rows), name="certs.xlsx")

    assert response.status_code == 200
    assert held("A-1") == [("CPHT", "123456", D(2024, 6, 3), D(2026, 6, 3))]


# ---- CE credits ------------------------------------------------------------------------------------


@pytest.fixture
def bob_credit(tech_b):
    return CECredit.objects.create(
        technician=tech_b,
        completed_on=D(2024, 11, 5),
        title="Sterile compounding",
        provider="JA provider",
        uan="JA0002895-9999-24-101-B07-P",
        activity_type="B",
        topic="07",
        audience="P",
        hours=Decimal("2.00"),
    )


def test_a_valid_ce_file_is_applied_with_topic_and_audience_from_the_uan(post_import, hr_user, tech_a, bob_credit):
    rows = [
        ["A-1", "2025-02-10", "Pharmacy law update", "RxLearn", "0145-0000-25-012-H03-T", "1.5"],
        ["A-1", "2025-03-01", "Patient safety", "RxLearn", "0145-0000-25-013-l05-t", "1"],
        ["B-1", "2024-11-05", "Sterile compounding", "JA provider", "JA0002895-9999-24-101-B07-P", "2.5"],
    ]

    response = post_import("ce-credits", csv_bytes(CE_HEADER, rows))

    assert response.status_code == 200
    assert (response.json()["created"], response.json()["updated"], response.json()["unchanged"]) == (2, 1, 0)
    assert list(
        CECredit.objects.filter(technician=tech_a)
        .order_by("completed_on")
        .values_list("uan", "activity_type", "topic", "audience", "hours", "recorded_by")
    ) == [
        ("0145-0000-25-012-H03-T", "H", "03", "T", Decimal("1.50"), hr_user.pk),
        ("0145-0000-25-013-L05-T", "L", "05", "T", Decimal("1.00"), hr_user.pk),
    ]
    bob_credit.refresh_from_db()
    assert bob_credit.hours == Decimal("2.50")
    assert bob_credit.history.order_by("-history_id").first().history_user == hr_user


def test_every_bad_ce_row_is_reported_and_nothing_is_written(post_import, tech_a):
    rows = [
        ["A-1", "2099-01-01", "Law", "RxLearn", "0145-0000-25-001-H03-T", "1"],
        ["A-1", "2025-02-10", "Law", "RxLearn", "12345", "1"],
        ["A-1", "2025-02-10", "Law", "RxLearn", "0145-0000-25-002-H03-T", "0"],
        ["A-1", "2025-02-10", "", "RxLearn", "0145-0000-25-003-H03-T", "1"],
        ["A-1", "2024-05-01", "Law", "RxLearn", "0145-0000-25-004-H03-T", "1"],
        ["A-1", "2025-02-10", "Law", "RxLearn", "0145-0000-25-005-H03-T", "1"],
        ["A-1", "2025-02-11", "Law again", "RxLearn", "0145-0000-25-005-H03-T", "1"],
        ["Q-7", "2025-02-10", "Law", "RxLearn", "0145-0000-25-006-H03-T", "1"],
    ]
    before = table_contents()

    response = post_import("ce-credits", csv_bytes(CE_HEADER, rows))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "completed_on", "message": "completed_on 2099-01-01 is in the future."},
        {
            "row": 3,
            "column": "uan",
            "message": "'12345' is not an ACPE universal activity number; it looks like 0145-0000-25-012-H03-T.",
        },
        {"row": 4, "column": "hours", "message": "hours '0': Contact hours must be more than 0."},
        {"row": 5, "column": "title", "message": "title is empty; every row needs one."},
        {"row": 6, "column": "uan", "message": "This activity was released in 2025, after the completion date."},
        {
            "row": 8,
            "column": "uan",
            "message": "0145-0000-25-005-H03-T for employee_id 'A-1' appears again; it is first on row 7 "
            "(an activity counts once).",
        },
        {
            "row": 9,
            "column": "employee_id",
            "message": "employee_id 'Q-7' is not a known technician; import the technician first.",
        },
    ]
    assert table_contents() == before


def test_a_ce_file_imported_twice_is_unchanged_the_second_time(post_import, tech_a):
    content = csv_bytes(CE_HEADER, [["A-1", "2025-02-10", "Law", "RxLearn", "0145-0000-25-012-H03-T", "1.5"]])
    post_import("ce-credits", content)

    again = post_import("ce-credits", content)

    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    assert CECredit.objects.count() == 1


def test_cpht_imports_recompute_the_ptcb_kpis(post_import, tech_a, site_a, django_capture_on_commit_callbacks):
    from metrics.models import KpiSnapshot

    today = timezone.localdate()
    issued = today.replace(day=1)

    with django_capture_on_commit_callbacks(execute=True):
        post_import("certifications", csv_bytes(CERT_HEADER, [["A-1", "CPHT", "1", issued.isoformat(), ""]]))

    assert set(KpiSnapshot.objects.values_list("site_id", "month")) == {(None, issued), (site_a.pk, issued)}
