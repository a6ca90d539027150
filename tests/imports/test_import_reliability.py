"""Imports at once and imports that fail half-way, on real transactions (PRODUCT.md section 5:
"imports all or nothing").

These tests commit for real (``transaction=True``), so threads see each other's work and a
rollback is the database's, not the test's. ``serialized_rollback`` restores the ladder and the
certification types (data migrations) that the flush after a transactional test removes.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from imports.framework import BulkWriter
from imports.models import ImportRun
from imports.technicians import technicians_import
from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tests.imports.conftest import TECHNICIAN_HEADER, csv_bytes, table_contents, tech_row
from tiers.models import TierAssignment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs Postgres (threads writing at once; a trigger)"
)
D = dt.date


@pytest.fixture
def hr(db):
    return UserFactory(username="hr-importer", role=User.Role.HR)


@pytest.fixture
def site(db):
    return SiteFactory(code="A01")


def _file(numbers, tier: str) -> bytes:
    return csv_bytes(
        TECHNICIAN_HEADER, [tech_row(f"E-{n:02d}", "Emp", f"No{n}", "A01", "2024-01-08", tier=tier) for n in numbers]
    )


def _history_is_consistent(tech: Technician) -> bool:
    """Assignments follow each other without gap or overlap, and only the last is open."""
    rows = list(tech.tier_assignments.order_by("start_date").values_list("start_date", "end_date"))
    ends = [end for _, end in rows]
    return (
        rows[0][0] == tech.hire_date
        and ends[-1] is None
        and all(end == rows[i + 1][0] for i, end in enumerate(ends[:-1]))
    )


@postgres_only
def test_two_overlapping_imports_at_once_leave_each_technician_once_with_one_tier_history(hr, site):
    files = {"first": _file(range(1, 11), "TECH1"), "second": _file(range(6, 16), "TECH2")}
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            start.wait(timeout=30)
            results[name] = technicians_import(upload=SimpleUploadedFile(f"{name}.csv", files[name]), user=hr)
        except Exception as exc:  # reported by the assertions below
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(getattr(results[name], "ok", False) for name in files), results
    assert sorted(Technician.objects.values_list("employee_id", flat=True)) == [f"E-{n:02d}" for n in range(1, 16)]
    assert results["first"].created + results["second"].created == 15
    # E-06 … E-10 are in both files: whichever import came second changed their tier once.
    assert results["first"].tier_changes + results["second"].tier_changes == 5
    for tech in Technician.objects.all():
        assert tech.tier_assignments.filter(end_date__isnull=True).count() == 1
        assert _history_is_consistent(tech), list(
            tech.tier_assignments.values_list("tier__code", "start_date", "end_date")
        )
    open_tiers = dict(
        TierAssignment.objects.filter(end_date__isnull=True).values_list("technician__employee_id", "tier__code")
    )
    assert {open_tiers[f"E-{n:02d}"] for n in range(1, 6)} == {"TECH1"}
    assert {open_tiers[f"E-{n:02d}"] for n in range(11, 16)} == {"TECH2"}
    assert len({open_tiers[f"E-{n:02d}"] for n in range(6, 11)}) == 1  # the later file's tier, for all five
    assert ImportRun.objects.count() == 2


def test_a_database_error_after_the_first_bulk_write_leaves_every_table_as_it_was(hr, site, monkeypatch):
    TechnicianFactory(site=site, employee_id="E-01", first_name="Emp", last_name="Before", hire_date=D(2024, 1, 8))
    before = table_contents()
    real_update = BulkWriter.update

    def update_then_fail(self, model, rows, fields):
        real_update(self, model, rows, fields)  # the changed technician is written …
        raise DatabaseError("connection lost in the middle of the import")  # … and then the database fails

    monkeypatch.setattr(BulkWriter, "update", update_then_fail)
    client = APIClient()
    client.force_login(hr)
    content = csv_bytes(
        TECHNICIAN_HEADER,
        [
            tech_row("E-01", "Emp", "After", "A01", "2024-01-08", tier="TECH2"),
            tech_row("E-02", "New", "Hire", "A01", "2024-02-05"),
        ],
    )

    response = client.post(
        "/api/v1/imports/technicians/", {"file": SimpleUploadedFile("t.csv", content)}, format="multipart"
    )

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The import failed on a database error and was rolled back: nothing was written. Try again."
    }
    assert table_contents() == before


@postgres_only
def test_a_failing_trigger_on_tier_assignments_rolls_the_technicians_back_too(hr, site):
    """A real database error, raised by Postgres itself while the tier assignments are written
    (after the technicians and their history rows)."""
    before = table_contents()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_import_assignment() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_import_assignment BEFORE INSERT ON tiers_tierassignment "
            "FOR EACH ROW EXECUTE FUNCTION refuse_import_assignment()"
        )
    try:
        with pytest.raises(DatabaseError, match="disk full"):
            technicians_import(upload=SimpleUploadedFile("t.csv", _file(range(1, 4), "TECH1")), user=hr)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_import_assignment ON tiers_tierassignment")
            cursor.execute("DROP FUNCTION refuse_import_assignment()")

    assert table_contents() == before
    assert not Technician.objects.filter(employee_id__startswith="E-").exists()
