"""Tier history runs forward: a tier change starts after the current assignment began
(``tiers.services.tier_assignment_start``; a promotion request likewise takes effect after it,
``tiers.services.promotion_nominate``). At every edge that changes a tier:

- the technicians import (API and page): a ``tier`` with a ``tier_effective_date`` on or
  before the current assignment's start;
- nominating (the promote page and ``POST /api/v1/promotions/``): an effective date on the
  current assignment's start;
- approving (the approve button of the request's page and ``POST
  /api/v1/promotions/{id}/approve/``): a request whose effective date the current assignment
  has moved past since it was opened (the hire date, and so the first assignment, was moved
  later), which only ``tier_assignment_start`` can catch.

Not edges of this rule: the technicians API does not set a tier after hiring (a PATCH of
``tier`` is refused, ``tests/technicians/test_api.py::test_tier_cannot_be_patched``); the Django
admin's tier assignments are the place history is corrected by hand (the docstring of
``tier_assignment_start``); no management command changes a tier.

Alice Archer (``tech_a``) was hired on 2024-01-15 as a Tech I.
"""

from __future__ import annotations

import datetime as dt

import pytest

from careerladder.core.errors import ApplicationError
from tests.imports.conftest import table_contents
from tests.rules.edges import (
    IMPORT_HEADER,
    api_post,
    import_technicians,
    page_field_errors,
    page_text,
    tier_history,
)
from tiers import services as tier_services
from tiers.models import Promotion, Tier, TierAssignment

ALICE_SINCE_HIRE = [("TECH1", dt.date(2024, 1, 15), None, "hire")]


def test_the_service_refuses_a_change_starting_on_the_current_assignments_start(tech_a):
    """The rule and its message, for comparison with what the edges show."""
    with pytest.raises(ApplicationError) as refused:
        tier_services.tier_assignment_start(
            technician=tech_a,
            tier=Tier.objects.get(code="TECH2"),
            start_date=dt.date(2024, 1, 15),
            reason=TierAssignment.Reason.PROMOTION,
        )

    assert (refused.value.field, refused.value.message) == (
        "effective_date",
        "The change must start after 2024-01-15, when the current tier began.",
    )
    assert tier_history(tech_a) == ALICE_SINCE_HIRE


# ---- the technicians import (API and page) ------------------------------------------------------------


@pytest.mark.parametrize("edge", ["api", "page"])
@pytest.mark.parametrize("effective", ["2024-01-15", "2024-01-10"], ids=["on-the-start", "before-the-start"])
def test_the_import_refuses_a_tier_change_dated_on_or_before_the_current_tier(
    client_for, hr_user, tech_a, edge, effective
):
    """The import plans its tier changes in bulk with its own copy of the rule
    (``imports.technicians._plan_tier_history``), whose message names the tiers."""
    before = table_contents()

    status, errors = import_technicians(
        client_for(hr_user),
        edge,
        (*IMPORT_HEADER, "tier", "tier_effective_date"),
        [["A-1", "Alice", "Archer", "A01", "2024-01-15", "TECH2", effective]],
    )

    assert (status, errors) == (
        400 if edge == "api" else 200,
        [
            (
                2,
                "tier_effective_date",
                f"The change to TECH2 on {effective} must start after 2024-01-15, when the current tier (TECH1) began.",
            )
        ],
    )
    assert table_contents() == before


# ---- nominating --------------------------------------------------------------------------------------

NOMINATED_ON_THE_START = "The effective date must be after 2024-01-15, when the current tier began."


def test_the_promote_page_refuses_an_effective_date_on_the_current_tiers_start(client_for, manager_user, tech_a):
    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/promote/", {"effective_date": "2024-01-15", "note": ""}
    )

    assert response.status_code == 200
    assert page_field_errors(response, "effective_date") == [NOMINATED_ON_THE_START]
    assert Promotion.objects.count() == 0
    assert tier_history(tech_a) == ALICE_SINCE_HIRE


def test_the_api_refuses_a_nomination_on_the_current_tiers_start(client_for, manager_user, tech_a):
    response = api_post(
        client_for(manager_user), "/api/v1/promotions/", {"technician": tech_a.pk, "effective_date": "2024-01-15"}
    )

    assert (response.status_code, response.json()) == (400, {"effective_date": [NOMINATED_ON_THE_START]})
    assert Promotion.objects.count() == 0
    assert tier_history(tech_a) == ALICE_SINCE_HIRE


# ---- approving a request the tier history has overtaken -------------------------------------------------

OVERTAKEN = "The change must start after 2025-04-01, when the current tier began."
JUSTIFICATION = "Covers the IV room on nights; competencies signed next month."


@pytest.fixture
def overtaken(manager_user, tech_a):
    """Alice's request for Tech II from 2025-03-01, opened before her hire date was corrected
    to 2025-04-01 (which moved her Tech I assignment to start then)."""
    promotion = tier_services.promotion_nominate(
        technician=tech_a, nominated_by=manager_user, effective_date=dt.date(2025, 3, 1)
    )
    tier_services.technician_update(technician=tech_a, data={"hire_date": dt.date(2025, 4, 1)})
    assert tier_history(tech_a) == [("TECH1", dt.date(2025, 4, 1), None, "hire")]
    return promotion


def test_approving_on_the_page_refuses_a_request_dated_before_the_current_tier(client_for, hr_user, tech_a, overtaken):
    client = client_for(hr_user)

    response = client.post(f"/promotions/{overtaken.pk}/approve/", {"justification": JUSTIFICATION})

    assert (response.status_code, response["Location"]) == (302, f"/promotions/{overtaken.pk}/")
    assert OVERTAKEN in page_text(client.get(response["Location"]))
    overtaken.refresh_from_db()
    assert (overtaken.status, overtaken.tier_assignment_id) == ("pending", None)
    assert tier_history(tech_a) == [("TECH1", dt.date(2025, 4, 1), None, "hire")]


def test_approving_through_the_api_refuses_a_request_dated_before_the_current_tier(
    client_for, hr_user, tech_a, overtaken
):
    response = api_post(
        client_for(hr_user), f"/api/v1/promotions/{overtaken.pk}/approve/", {"justification": JUSTIFICATION}
    )

    assert (response.status_code, response.json()) == (400, {"effective_date": [OVERTAKEN]})
    overtaken.refresh_from_db()
    assert (overtaken.status, overtaken.tier_assignment_id) == ("pending", None)
    assert tier_history(tech_a) == [("TECH1", dt.date(2025, 4, 1), None, "hire")]
