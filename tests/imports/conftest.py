"""Shared pieces of the import tests: files built in memory, an hr API client, table contents."""

from __future__ import annotations

import csv
import io

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

TECHNICIAN_HEADER = (
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "site_code",
    "hire_date",
    "tier",
    "status",
    "termination_date",
    "termination_type",
)
# Every table an import may write (with its history), counted before and after a refusal.
WRITTEN_TABLES = (
    "technicians.Technician",
    "technicians.HistoricalTechnician",
    "imports.ImportRun",
    "technicians.User",
    "tiers.TierAssignment",
    "tiers.HistoricalTierAssignment",
    "certifications.Certification",
    "certifications.HistoricalCertification",
    "certifications.CECredit",
    "certifications.HistoricalCECredit",
    "incentives.Incentive",
    "metrics.KpiSnapshot",
)


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(header, rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in WRITTEN_TABLES}


def table_contents() -> dict[str, list]:
    """Every row of every table an import writes, as values: "exactly as before" means equal."""
    return {
        label: list(apps.get_model(label).objects.order_by("pk").values_list())
        for label in WRITTEN_TABLES
        if label != "technicians.User"
    } | {
        "technicians.User": list(
            apps.get_model("technicians.User").objects.order_by("pk").values_list("pk", "is_active")
        )
    }


def tech_row(employee_id, first, last, site_code, hire, *, email="", tier="", status="", end="", end_type="") -> list:
    return [employee_id, first, last, email, site_code, hire, tier, status, end, end_type]


@pytest.fixture
def hr_api(hr_user):
    client = APIClient()
    client.force_login(hr_user)
    return client


@pytest.fixture
def post_import(hr_api):
    """``post_import(path, content, name=..., dry_run=False)`` posts a file to ``/api/v1/imports/<path>/``."""

    def post(path: str, content: bytes, *, name: str = "hr-export.csv", dry_run: bool = False, client=None):
        url = f"/api/v1/imports/{path}/" + ("?dry_run=1" if dry_run else "")
        upload = SimpleUploadedFile(name, content)
        return (client or hr_api).post(url, {"file": upload}, format="multipart")

    return post
