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
