"""The separation rule (``technicians.services.technician_check_separation``, run by
``tiers.services.technician_update`` / ``technician_create``): status ``terminated`` goes with
a termination date and a type, the date not before the hire date; at every edge that records
a separation: the API (PATCH and create), the edit page, the technicians import (API and
page) and the Django admin's change form.

Alice Archer (A-1, ``tech_a``) was hired on 2024-01-15. No management command records a
separation.
"""

from __future__ import annotations

import datetime as dt

import pytest

from technicians.models import Technician
from tests.imports.conftest import table_contents
from tests.rules.edges import (
    IMPORT_HEADER,
    TECHNICIANS_API,
    admin_errors,
    admin_form_data,
    api_patch,
    api_post,
    edit_form,
    import_technicians,
    page_field_errors,
    technician_state,
    written,
)

NEEDS_DATE = "A terminated technician needs a termination date."
NEEDS_TYPE = "A terminated technician needs a termination type."
BEFORE_HIRE = "The termination date cannot be before the hire date."

NO_DATE = {"status": "terminated"}
BEFORE_HIRING = {"status": "terminated", "termination_date": "2023-12-31", "termination_type": "voluntary"}
CASES = [
    pytest.param(NO_DATE, {"termination_date": [NEEDS_DATE], "termination_type": [NEEDS_TYPE]}, id="no-date-no-type"),
    pytest.param(BEFORE_HIRING, {"termination_date": [BEFORE_HIRE]}, id="date-before-hire"),
]


# ---- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "errors"), CASES)
def test_api_patch_refuses_an_incomplete_separation(client_for, manager_user, technician_user, tech_a, change, errors):
    before = technician_state(tech_a)

    response = api_patch(client_for(manager_user), tech_a.pk, change)

    assert (response.status_code, response.json()) == (400, errors)
    assert written(before, tech_a) == {}
    technician_user.refresh_from_db()
    assert technician_user.is_active is True  # a separation would have ended Alice's login


def test_api_create_refuses_a_terminated_technician_without_date_and_type(client_for, manager_user, site_a):
    count = Technician.objects.count()

    response = api_post(
        client_for(manager_user),
        TECHNICIANS_API,
        {
            "employee_id": "A-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "site": site_a.pk,
            "hire_date": "2025-06-02",
            "status": "terminated",
        },
    )

    assert (response.status_code, response.json()) == (
        400,
        {"termination_date": [NEEDS_DATE], "termination_type": [NEEDS_TYPE]},
    )
    assert Technician.objects.count() == count


# ---- the edit page --------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "errors"), CASES)
def test_the_edit_page_refuses_an_incomplete_separation(client_for, manager_user, tech_a, change, errors):
    before = technician_state(tech_a)

    response = client_for(manager_user).post(f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, **change))

    assert response.status_code == 200
    shown = {field: page_field_errors(response, field) for field in ("status", "termination_date", "termination_type")}
    assert {field: messages for field, messages in shown.items() if messages} == errors
    assert written(before, tech_a) == {}


# ---- the technicians import (API and page) ----------------------------------------------------------


@pytest.mark.parametrize("edge", ["api", "page"])
def test_the_import_refuses_a_terminated_row_without_date_and_type(client_for, hr_user, tech_a, edge):
    before = table_contents()

    status, errors = import_technicians(
        client_for(hr_user),
        edge,
        (*IMPORT_HEADER, "status"),
        [["A-1", "Alice", "Archer", "A01", "2024-01-15", "terminated"]],
    )

    assert (status, errors) == (
        400 if edge == "api" else 200,
        [(2, "termination_date", NEEDS_DATE), (2, "termination_type", NEEDS_TYPE)],
    )
    assert table_contents() == before


@pytest.mark.parametrize("edge", ["api", "page"])
def test_the_import_refuses_a_termination_date_before_the_hire_date(client_for, hr_user, tech_a, edge):
    before = table_contents()

    status, errors = import_technicians(
        client_for(hr_user),
        edge,
        (*IMPORT_HEADER, "status", "termination_date", "termination_type"),
        [["A-1", "Alice", "Archer", "A01", "2024-01-15", "terminated", "2023-12-31", "voluntary"]],
    )

    assert (status, errors) == (
        400 if edge == "api" else 200,
        [
            (
                2,
                "termination_date",
                "The termination date cannot be before the hire date (termination_date '2023-12-31').",
            )
        ],
    )
    assert table_contents() == before


# ---- the Django admin -------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "errors"), CASES)
def test_the_admin_refuses_an_incomplete_separation(client_for, admin_user, tech_a, change, errors):
    client = client_for(admin_user)
    url = f"/admin/technicians/technician/{tech_a.pk}/change/"
    before = technician_state(tech_a)

    response = client.post(url, admin_form_data(client.get(url), **change))

    # One comparison, so that a failure shows what the admin answered and what it wrote.
    assert (response.status_code, admin_errors(response), written(before, tech_a)) == (200, errors, {})


def test_a_separation_recorded_in_the_admin_ends_the_technicians_login(client_for, admin_user, technician_user, tech_a):
    """What ``technician_update`` does with a complete separation (its logins stop working at
    once, as when a manager records it on the edit page or the API) holds in the admin too."""
    client = client_for(admin_user)
    url = f"/admin/technicians/technician/{tech_a.pk}/change/"

    response = client.post(
        url,
        admin_form_data(
            client.get(url), status="terminated", termination_date="2025-06-30", termination_type="voluntary"
        ),
    )

    assert response.status_code == 302
    tech_a.refresh_from_db()
    technician_user.refresh_from_db()
    assert (tech_a.status, tech_a.termination_date, technician_user.is_active) == (
        "terminated",
        dt.date(2025, 6, 30),
        False,
    )
