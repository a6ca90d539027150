"""HR imports a technicians file: the errors are listed by row, the fixed file goes in, and the
dashboard's headcount follows (the KPI recompute runs after the import commits)."""

from __future__ import annotations

import csv
import io
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics import services
from technicians.models import Technician
from tests.browser.conftest import assert_accessible, assert_fits_phone, shoot

HEADER = ["employee_id", "first_name", "last_name", "email", "site_code", "hire_date", "tier", "status"]


def hr_file(second_site: str) -> dict:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(["N-100", "Nora", "Quinn", "nora.quinn@example.org", "A01", "2024-03-04", "TECH1", "active"])
    writer.writerow(["N-101", "Omar", "Reyes", "omar.reyes@example.org", second_site, "2024-05-06", "TECH2", "active"])
    return {"name": "workday-export.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def headcount(page: Page):
    # The tile whose label is Headcount (the turnover tile's method mentions headcounts too).
    label = page.locator(".tile-label", has_text=re.compile(r"^\s*Headcount\s*$", re.IGNORECASE))
    return page.locator(".tile", has=label).locator(".tile-value")


def test_hr_fixes_a_file_with_errors_imports_it_and_the_headcount_follows(
    page: Page, live_server, logged_in_page, hr_user, site_a, tech_a
):
    today = timezone.localdate()
    services.kpi_snapshots_compute_all(months=[today.replace(day=1)], today=today)
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/dashboard/")
    expect(headcount(page)).to_have_text("1")

    page.get_by_role("button", name="People").click()
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    expect(page.get_by_label("Technicians")).to_be_checked()

    # A file with an unknown site: nothing is imported, the row is named.
    page.get_by_label("File (CSV or XLSX)").set_input_files(files=[hr_file("Z99")])
    page.get_by_role("button", name="Import", exact=True).click()
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("Nothing was imported: 1 problem in workday-export.csv")
    row = errors.get_by_role("row").nth(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text("3")
    expect(row.get_by_role("cell").nth(1)).to_have_text("site_code")
    expect(row.get_by_role("cell").nth(2)).to_have_text("site_code 'Z99' is not a known site.")
    assert not Technician.objects.filter(employee_id__startswith="N-").exists()
    shoot(page, "imports-errors")
    assert_accessible(page)
    assert_fits_phone(page)

    # Fixed: check it first, then import it.
    page.get_by_label("File (CSV or XLSX)").set_input_files(files=[hr_file("A01")])
    page.get_by_role("button", name="Check only (dry run)").click()
    dry_run = page.get_by_test_id("dry-run")
    expect(dry_run).to_contain_text("Check passed: nothing was written")
    expect(dry_run).to_contain_text("would add 2, change 0 and leave 0 unchanged")
    expect(page.get_by_role("cell", name="Omar Reyes")).to_be_visible()
    assert not Technician.objects.filter(employee_id__startswith="N-").exists()
    shoot(page, "imports-dry-run")
    assert_accessible(page)

    page.get_by_label("File (CSV or XLSX)").set_input_files(files=[hr_file("A01")])
    page.get_by_role("button", name="Import", exact=True).click()
    done = page.get_by_test_id("import-done")
    expect(done).to_contain_text("Technicians imported")
    expect(done).to_contain_text("2 rows — 2 new, 0 changed, 0 unchanged")
    expect(page.get_by_role("table", name="The latest imports applied")).to_contain_text("workday-export.csv")
    shoot(page, "imports-done")
    assert_accessible(page)

    done.get_by_role("link", name="Open the dashboard").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(headcount(page)).to_have_text("3")
