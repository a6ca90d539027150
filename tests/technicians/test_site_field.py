"""Picking a site when there are thousands: past ``SITE_SELECT_LIMIT`` sites in the viewer's
scope the filter forms take the site's code in a text box instead of a drop-down."""

from __future__ import annotations

import re

import pytest

from tests.factories import SiteFactory, TechnicianFactory
from tests.technicians.test_views import listed_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_sites(monkeypatch, site_a, site_b):
    """Three sites in all, with the drop-down limit lowered to two."""
    monkeypatch.setattr("technicians.forms.SITE_SELECT_LIMIT", 2)
    north = SiteFactory(code="NORTH7", name="North Campus")
    TechnicianFactory(site=north, first_name="Nora", last_name="Quill")
    TechnicianFactory(site=site_a, first_name="Ada", last_name="Stone")
    return north


def site_control(html: str) -> str:
    match = re.search(r'<(select|input)[^>]*name="site"[^>]*>', html)
    assert match, "no site control on the page"
    return match.group(0)


def test_hr_types_a_site_code_when_there_are_more_sites_than_the_drop_down_takes(client_for, hr_user, many_sites):
    client = client_for(hr_user)
    control = site_control(client.get("/technicians/").content.decode())
    assert control.startswith("<input") and 'type="text"' in control
    assert 'placeholder="Site code, e.g. S00042"' in control

    response = client.get("/technicians/?site=north7&status=")
    assert listed_names(response) == ["Quill, Nora"]
    # The box keeps what was typed.
    assert 'value="north7"' in site_control(response.content.decode())


def test_links_that_carry_the_site_id_keep_working(client_for, hr_user, many_sites):
    response = client_for(hr_user).get(f"/technicians/?site={many_sites.pk}&status=")
    assert listed_names(response) == ["Quill, Nora"]
    assert 'value="NORTH7"' in site_control(response.content.decode())


def test_an_unknown_code_is_named_in_the_error_and_filters_nothing(client_for, hr_user, many_sites):
    response = client_for(hr_user).get("/technicians/?site=SOUTH9&status=")
    html = response.content.decode()
    assert "No site with the code “SOUTH9” among yours." in html
    # An invalid filter leaves the default list: everyone active, every site.
    assert listed_names(response) == ["Quill, Nora", "Stone, Ada"]


def test_a_manager_with_few_sites_keeps_the_drop_down(client_for, manager_user, many_sites, site_a):
    control = site_control(client_for(manager_user).get("/training/matrix/").content.decode())
    assert control.startswith("<select")


def test_the_training_matrix_and_the_report_take_a_typed_code_too(client_for, hr_user, many_sites):
    client = client_for(hr_user)
    matrix = client.get("/training/matrix/?site=NORTH7").content.decode()
    assert site_control(matrix).startswith("<input")
    assert "Quill, Nora" in matrix and "Stone, Ada" not in matrix
    report = client.get("/reports/?site=north7&start=2026-01-01&end=2026-01-31").content.decode()
    assert site_control(report).startswith("<input")
    assert "No site with the code" not in report
    # The report narrows to that one site: its row and no organisation row.
    scopes = re.findall(r'<th scope="row" class="text-nowrap">(.*?)</th>', report, re.S)
    assert [re.sub(r"<[^>]+>|\s+", " ", scope).split()[0] for scope in scopes] == ["NORTH7"]


def test_a_site_whose_code_is_a_number_is_found_by_its_code(client_for, hr_user, many_sites):
    """A code wins over an id: a pharmacy coded with digits is not taken for another site's id."""
    numbered = SiteFactory(code=str(many_sites.pk), name="Numbered Pharmacy")
    TechnicianFactory(site=numbered, first_name="Ned", last_name="Number")
    client = client_for(hr_user)
    assert listed_names(client.get(f"/technicians/?site={numbered.code}&status=")) == ["Number, Ned"]
    dashboard = client.get(f"/dashboard/?site={numbered.code}").content.decode()
    assert "Numbered Pharmacy" in dashboard


# ---- mentors ---------------------------------------------------------------------------------


@pytest.fixture
def many_mentors(monkeypatch, site_a, tech_a):
    """More candidate mentors than the drop-down takes (the limit lowered to one)."""
    monkeypatch.setattr("technicians.forms.MENTOR_SELECT_LIMIT", 1)
    TechnicianFactory(site=site_a, first_name="Lee", last_name="Lead", employee_id="L-77", tier="LEAD")
    TechnicianFactory(site=site_a, first_name="Tom", last_name="Three", employee_id="T-30", tier="TECH3")
    TechnicianFactory(site=site_a, first_name="Una", last_name="One", employee_id="U-10", tier="TECH1")


def mentor_control(html: str) -> str:
    match = re.search(r'<(select|input)[^>]*name="mentor"[^>]*>', html)
    assert match, "no mentor control on the page"
    return match.group(0)


def test_hr_gives_a_mentor_by_employee_id_when_there_are_many(client_for, hr_user, tech_a, many_mentors):
    from tests.technicians.test_views import edit_form

    client = client_for(hr_user)
    page = client.get(f"/technicians/{tech_a.pk}/edit/").content.decode()
    assert mentor_control(page).startswith("<input")
    assert "The employee id of a Tech III or Lead technician." in page

    response = client.post(f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, mentor="l-77"))
    assert response.status_code == 302
    tech_a.refresh_from_db()
    assert (tech_a.mentor.first_name, tech_a.mentor.last_name) == ("Lee", "Lead")
    # The form shows the mentor by employee id from then on.
    assert 'value="L-77"' in mentor_control(client.get(f"/technicians/{tech_a.pk}/edit/").content.decode())


@pytest.mark.parametrize("typed", ["U-10", "NOBODY"])
def test_a_mentor_who_is_not_a_tech_iii_or_lead_is_refused_by_name(client_for, hr_user, tech_a, many_mentors, typed):
    from tests.technicians.test_views import edit_form, field_errors

    response = client_for(hr_user).post(f"/technicians/{tech_a.pk}/edit/", edit_form(tech_a, mentor=typed))
    assert response.status_code == 200
    assert field_errors(response, "mentor") == [
        f"No active Tech III or Lead with the employee id “{typed}” among yours."
    ]
    tech_a.refresh_from_db()
    assert tech_a.mentor is None
