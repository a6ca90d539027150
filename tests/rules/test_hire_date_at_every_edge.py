"""The hire date and the first tier assignment move together, and a hire date on or after the
first promotion is refused (``tiers.services.hire_assignment_follows``, run by
``technician_update`` and by the technicians import). At every edge that changes a hire date:
``PATCH /api/v1/technicians/{id}/``, the edit page, the technicians import (API and page) and
the Django admin's change form of a technician. No management command changes a hire date.

Alice Archer (``tech_a``): hired 2024-01-15 as a Tech I, never promoted.
Pat Park (``promoted``): hired 2024-01-15 as a Tech I, Tech II from 2024-07-01.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.imports.conftest import table_contents
from tests.rules.edges import (
    IMPORT_HEADER,
    admin_errors,
    admin_form_data,
    api_patch,
    edit_form,
    import_technicians,
    page_field_errors,
    technician_state,
    tier_history,
    written,
)

NOT_BEFORE_PROMOTION = "The hire date must be before the first promotion."
ALICE_MOVED = [("TECH1", dt.date(2024, 2, 1), None, "hire")]
PAT = [
    ("TECH1", dt.date(2024, 1, 15), dt.date(2024, 7, 1), "hire"),
    ("TECH2", dt.date(2024, 7, 1), None, "promotion"),
]
ON_OR_AFTER_PROMOTION = pytest.mark.parametrize("hired", ["2024-07-01", "2024-08-01"], ids=["on", "after"])


# ---- the API --------------------------------------------------------------------------------------


def test_api_patch_of_the_hire_date_moves_the_first_tier(client_for, manager_user, tech_a):
    response = api_patch(client_for(manager_user), tech_a.pk, {"hire_date": "2024-02-01"})

    assert (response.status_code, response.json()["hire_date"]) == (200, "2024-02-01")
    assert tier_history(tech_a) == ALICE_MOVED


@ON_OR_AFTER_PROMOTION
def test_api_patch_refuses_a_hire_date_on_or_after_the_first_promotion(client_for, manager_user, promoted, hired):
    before = technician_state(promoted)

    response = api_patch(client_for(manager_user), promoted.pk, {"hire_date": hired})

    assert (response.status_code, response.json()) == (400, {"hire_date": [NOT_BEFORE_PROMOTION]})
    assert written(before, promoted) == {}


# ---- the edit page --------------------------------------------------------------------------------


def test_the_edit_page_moves_the_first_tier_with_the_hire_date(client_for, manager_user, tech_a):
    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, hire_date="2024-02-01")
    )

    assert (response.status_code, response["Location"]) == (302, f"/technicians/{tech_a.pk}/")
    assert tier_history(tech_a) == ALICE_MOVED


@ON_OR_AFTER_PROMOTION
def test_the_edit_page_refuses_a_hire_date_on_or_after_the_first_promotion(client_for, manager_user, promoted, hired):
    before = technician_state(promoted)

    response = client_for(manager_user).post(f"/technicians/{promoted.pk}/edit/", edit_form(promoted, hire_date=hired))

    assert response.status_code == 200
    assert page_field_errors(response, "hire_date") == [NOT_BEFORE_PROMOTION]
    assert written(before, promoted) == {}


# ---- the technicians import (API and page) ----------------------------------------------------------


@pytest.mark.parametrize("edge", ["api", "page"])
def test_the_import_moves_the_first_tier_with_the_hire_date(client_for, hr_user, tech_a, edge):
    status, errors = import_technicians(
        client_for(hr_user), edge, IMPORT_HEADER, [["A-1", "Alice", "Archer", "A01", "2024-02-01"]]
    )

    assert (status, errors) == (200 if edge == "api" else 302, [])
    tech_a.refresh_from_db()
    assert tech_a.hire_date == dt.date(2024, 2, 1)
    assert tier_history(tech_a) == ALICE_MOVED


@pytest.mark.parametrize("edge", ["api", "page"])
@ON_OR_AFTER_PROMOTION
def test_the_import_refuses_a_hire_date_on_or_after_the_first_promotion(client_for, hr_user, promoted, edge, hired):
    before = table_contents()

    status, errors = import_technicians(
        client_for(hr_user), edge, IMPORT_HEADER, [["A-P1", "Pat", "Park", "A01", hired]]
    )

    assert (status, errors) == (
        400 if edge == "api" else 200,
        [(2, "hire_date", f"{NOT_BEFORE_PROMOTION} (hire_date {hired})")],
    )
    assert table_contents() == before


# ---- the Django admin -------------------------------------------------------------------------------


def admin_change(client, tech, **changes):
    url = f"/admin/technicians/technician/{tech.pk}/change/"
    return client.post(url, admin_form_data(client.get(url), **changes))


def test_the_admin_moves_the_first_tier_with_the_hire_date(client_for, admin_user, tech_a):
    response = admin_change(client_for(admin_user), tech_a, hire_date="2024-02-01")

    assert response.status_code == 302
    assert tier_history(tech_a) == ALICE_MOVED


@ON_OR_AFTER_PROMOTION
def test_the_admin_refuses_a_hire_date_on_or_after_the_first_promotion(client_for, admin_user, promoted, hired):
    before = technician_state(promoted)

    response = admin_change(client_for(admin_user), promoted, hire_date=hired)

    # One comparison, so that a failure shows what the admin answered and what it wrote.
    assert (response.status_code, admin_errors(response), written(before, promoted)) == (
        200,
        {"hire_date": [NOT_BEFORE_PROMOTION]},
        {},
    )
    assert tier_history(promoted) == PAT
