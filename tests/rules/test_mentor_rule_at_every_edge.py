"""The mentor rule (PRODUCT.md section 2: a mentor is an active Tech III or Lead, never oneself;
``tiers.services.technician_check_mentor``) at every edge that sets a mentor.

``tests/technicians/test_mentor_rule.py`` already covers the API's PATCH (Tech I, terminated,
oneself), the API's create with a Tech I mentor, the edit form with a Tech I mentor and the
services; this file covers the other cases and edges:

- API PATCH with a Tech II mentor, API create with a terminated mentor;
- the add and edit pages, whose mentor drop-down offers only the active Tech III and Lead
  technicians in scope (so a refused mentor is "not one of the available choices");
- the mentoring page's "Assign a mentor" form (``tracks.forms.MentorAssignForm`` then
  ``tracks.services.mentor_assign``);
- the Django admin's change form of a technician (as a superuser).

Not an edge of this rule: the technicians import has no mentor column
(``imports.technicians.TECHNICIAN_COLUMNS``), so it never sets a mentor; no management
command sets one either (``seed_demo`` writes demo data only).
"""

from __future__ import annotations

import pytest

from technicians.models import Technician
from tests.rules.edges import (
    TECHNICIANS_API,
    admin_errors,
    admin_form_data,
    api_patch,
    api_post,
    edit_form,
    page_field_errors,
    technician_state,
    written,
)

NOT_TECH3_OR_LEAD = "A mentor is a Tech III or Lead technician."
NOT_ACTIVE = "The mentor must be an active technician."
ONESELF = "A technician cannot mentor themselves."
NOT_OFFERED = "Select a valid choice. That choice is not one of the available choices."

REFUSED_MENTORS = [
    pytest.param("tech1", NOT_TECH3_OR_LEAD, id="tech-i"),
    pytest.param("tech2", NOT_TECH3_OR_LEAD, id="tech-ii"),
    pytest.param("gone", NOT_ACTIVE, id="terminated-lead"),
]


# ---- the API --------------------------------------------------------------------------------------


def test_api_patch_refuses_a_tech_ii_mentor(client_for, manager_user, tech_a, candidates):
    before = technician_state(tech_a)

    response = api_patch(client_for(manager_user), tech_a.pk, {"mentor": candidates["tech2"].pk})

    assert (response.status_code, response.json()) == (400, {"mentor": [NOT_TECH3_OR_LEAD]})
    assert written(before, tech_a) == {}


def test_api_create_refuses_a_terminated_mentor(client_for, manager_user, site_a, candidates):
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
            "mentor": candidates["gone"].pk,
        },
    )

    assert (response.status_code, response.json()) == (400, {"mentor": [NOT_ACTIVE]})
    assert Technician.objects.count() == count
    assert not Technician.objects.filter(employee_id="A-NEW").exists()


# ---- the add and edit pages ----------------------------------------------------------------------


@pytest.mark.parametrize(("mentor", "message"), REFUSED_MENTORS)
def test_the_add_page_refuses_a_mentor_who_is_not_an_active_tech_iii_or_lead(
    client_for, manager_user, site_a, candidates, mentor, message
):
    count = Technician.objects.count()

    response = client_for(manager_user).post(
        "/technicians/new/",
        {
            "employee_id": "A-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "email": "",
            "site": site_a.pk,
            "hire_date": "2025-06-02",
            "tier": "TECH1",
            "mentor": candidates[mentor].pk,
        },
    )

    assert response.status_code == 200
    assert page_field_errors(response, "mentor") == [NOT_OFFERED]
    assert Technician.objects.count() == count


@pytest.mark.parametrize(("mentor", "message"), [REFUSED_MENTORS[1], REFUSED_MENTORS[2]])
def test_the_edit_page_refuses_a_tech_ii_or_a_terminated_mentor(
    client_for, manager_user, tech_a, candidates, mentor, message
):
    before = technician_state(tech_a)

    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, mentor=candidates[mentor].pk)
    )

    assert response.status_code == 200
    assert page_field_errors(response, "mentor") == [NOT_OFFERED]
    assert written(before, tech_a) == {}


def test_the_edit_page_refuses_a_technician_as_their_own_mentor(client_for, manager_user, candidates):
    thea = candidates["tech3"]
    before = technician_state(thea)

    response = client_for(manager_user).post(f"/technicians/{thea.pk}/edit/", edit_form(thea, mentor=thea.pk))

    assert response.status_code == 200
    assert page_field_errors(response, "mentor") == [NOT_OFFERED]
    assert written(before, thea) == {}


# ---- the mentoring page's "Assign a mentor" ---------------------------------------------------------


def assign(client, *, technician: Technician, mentor: Technician):
    return client.post(
        "/mentoring/", {"form": "assign", "assign-technician": technician.pk, "assign-mentor": mentor.pk}
    )


@pytest.mark.parametrize(("mentor", "message"), REFUSED_MENTORS)
def test_the_mentoring_page_refuses_a_mentor_who_is_not_an_active_tech_iii_or_lead(
    client_for, manager_user, tech_a, candidates, mentor, message
):
    before = technician_state(tech_a)

    response = assign(client_for(manager_user), technician=tech_a, mentor=candidates[mentor])

    assert response.status_code == 200
    assert page_field_errors(response, "assign-mentor") == [NOT_OFFERED]
    assert written(before, tech_a) == {}


def test_the_mentoring_page_refuses_a_technician_as_their_own_mentor(client_for, manager_user, candidates):
    thea = candidates["tech3"]  # offered as a mentee and as a mentor: the service decides
    before = technician_state(thea)

    response = assign(client_for(manager_user), technician=thea, mentor=thea)

    assert response.status_code == 200
    assert page_field_errors(response, "assign-mentor") == [ONESELF]
    assert written(before, thea) == {}


def test_the_mentoring_page_assigns_a_tech_iii(client_for, manager_user, tech_a, candidates):
    response = assign(client_for(manager_user), technician=tech_a, mentor=candidates["tech3"])

    assert (response.status_code, response["Location"]) == (302, "/mentoring/")
    tech_a.refresh_from_db()
    assert tech_a.mentor_id == candidates["tech3"].pk


# ---- the Django admin -------------------------------------------------------------------------------


def admin_change(client, tech: Technician, **changes):
    url = f"/admin/technicians/technician/{tech.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, admin_form_data(page, **changes))


@pytest.mark.parametrize(("mentor", "message"), REFUSED_MENTORS)
def test_the_admin_refuses_a_mentor_who_is_not_an_active_tech_iii_or_lead(
    client_for, admin_user, tech_a, candidates, mentor, message
):
    before = technician_state(tech_a)

    response = admin_change(client_for(admin_user), tech_a, mentor=candidates[mentor].pk)

    # One comparison, so that a failure shows what the admin answered and what it wrote.
    assert (response.status_code, admin_errors(response), written(before, tech_a)) == (200, {"mentor": [message]}, {})


def test_the_admin_refuses_a_technician_as_their_own_mentor(client_for, admin_user, candidates):
    thea = candidates["tech3"]
    before = technician_state(thea)

    response = admin_change(client_for(admin_user), thea, mentor=thea.pk)

    assert (response.status_code, admin_errors(response), written(before, thea)) == (200, {"mentor": [ONESELF]}, {})


def test_the_admin_takes_a_tech_iii_mentor(client_for, admin_user, tech_a, candidates):
    """The admin form as the tests post it saves when nothing breaks a rule."""
    response = admin_change(client_for(admin_user), tech_a, mentor=candidates["tech3"].pk)

    assert response.status_code == 302
    tech_a.refresh_from_db()
    assert tech_a.mentor_id == candidates["tech3"].pk


def test_the_admin_adds_no_technician(client_for, admin_user, site_a, candidates):
    """Technicians are hired through their page, the API or the import (which start the tier
    history under the rules); the admin's add page is refused and a post writes nothing."""
    client = client_for(admin_user)
    url = "/admin/technicians/technician/add/"
    count = Technician.objects.count()

    response = client.post(
        url,
        {
            "employee_id": "A-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "site": site_a.pk,
            "hire_date": "2025-06-02",
            "status": "active",
            "mentor": candidates["tech1"].pk,
        },
    )

    assert (client.get(url).status_code, response.status_code, Technician.objects.count()) == (403, 403, count)
