"""The mentor rule (PRODUCT.md section 2: a mentor is a Tech III or Lead) holds on every path
that sets a mentor: the technicians API (PATCH and create), the edit form and the mentoring
service. Before, the API's PATCH took any technician in scope as a mentor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from careerladder.core.errors import ApplicationError
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tests.technicians.test_views import edit_form, field_errors
from tiers import services as tier_services
from tracks import services as tracks_services

API = "/api/v1/technicians/"


@pytest.fixture
def candidates(site_a):
    """At site A: Terry (TECH1), Thea (TECH3), Lou (LEAD, terminated 2025-03-31)."""
    return {
        "tech1": TechnicianFactory(site=site_a, first_name="Terry", employee_id="A-T1", tier="TECH1"),
        "tech3": TechnicianFactory(site=site_a, first_name="Thea", employee_id="A-T3", tier="TECH3"),
        "gone": TechnicianFactory(
            site=site_a,
            first_name="Lou",
            employee_id="A-L1",
            tier="LEAD",
            status="terminated",
            termination_date=dt.date(2025, 3, 31),
            termination_type="voluntary",
        ),
    }


@pytest.mark.parametrize(
    ("mentor", "message"),
    [
        ("tech1", "A mentor is a Tech III or Lead technician."),
        ("gone", "The mentor must be an active technician."),
    ],
)
def test_the_api_refuses_a_mentor_who_is_no_tech_iii_or_lead(
    client_for, manager_user, tech_a, candidates, mentor, message
):
    response = client_for(manager_user).patch(
        f"{API}{tech_a.pk}/", {"mentor": candidates[mentor].pk}, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (400, {"mentor": [message]})
    tech_a.refresh_from_db()
    assert tech_a.mentor_id is None


def test_the_api_refuses_a_technician_as_their_own_mentor(client_for, manager_user, candidates):
    thea = candidates["tech3"]

    response = client_for(manager_user).patch(f"{API}{thea.pk}/", {"mentor": thea.pk}, content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"mentor": ["A technician cannot mentor themselves."]})


def test_the_api_takes_a_tech_iii_mentor_and_creating_checks_too(client_for, manager_user, tech_a, site_a, candidates):
    client = client_for(manager_user)

    given = client.patch(f"{API}{tech_a.pk}/", {"mentor": candidates["tech3"].pk}, content_type="application/json")
    hired = client.post(
        API,
        {
            "employee_id": "A-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "site": site_a.pk,
            "hire_date": "2025-06-02",
            "mentor": candidates["tech1"].pk,
        },
        content_type="application/json",
    )

    assert (given.status_code, given.json()["mentor"]) == (200, candidates["tech3"].pk)
    assert (hired.status_code, hired.json()) == (400, {"mentor": ["A mentor is a Tech III or Lead technician."]})
    assert not Technician.objects.filter(employee_id="A-NEW").exists()


def test_the_edit_form_refuses_a_tech_i_mentor(client_for, manager_user, tech_a, candidates):
    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, mentor=candidates["tech1"].pk)
    )

    assert response.status_code == 200
    assert field_errors(response, "mentor")  # the choice is not offered
    tech_a.refresh_from_db()
    assert tech_a.mentor_id is None


def test_the_service_is_where_the_rule_lives(tech_a, candidates):
    with pytest.raises(ValidationError) as refused:
        tier_services.technician_update(technician=tech_a, data={"mentor": candidates["tech1"]})
    with pytest.raises(ApplicationError, match="A mentor is a Tech III or Lead technician."):
        tracks_services.mentor_assign(technician=tech_a, mentor=candidates["tech1"], assigned_by=None)

    assert refused.value.message_dict == {"mentor": ["A mentor is a Tech III or Lead technician."]}
    tech_a.refresh_from_db()
    assert tech_a.mentor_id is None
