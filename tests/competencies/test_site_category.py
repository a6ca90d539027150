"""Hr sets a site's USP <797> compounding category on the site page; a manager may not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from technicians.selectors import compounding_category_of
from tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db


def test_hr_sets_the_sites_category_and_technicians_without_their_own_follow(client, site_a, hr_user):
    follows = TechnicianFactory(site=site_a)
    own = TechnicianFactory(site=site_a, compounding_category="3")
    client.force_login(hr_user)
    page = client.get(reverse("technicians:site-detail", args=[site_a.pk])).content.decode()
    assert "Set the site's category" in page

    response = client.post(reverse("technicians:site-detail", args=[site_a.pk]), {"compounding_category": "2"})
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert site_a.compounding_category == "2"
    follows.refresh_from_db()
    own.refresh_from_db()
    assert (compounding_category_of(follows), compounding_category_of(own)) == ("2", "3")
    shown = client.get(response.url).content.decode()
    assert f"{site_a.code} now compounds at category 2." in shown


def test_a_manager_cannot_set_the_sites_category(client, site_a, manager_user):
    client.force_login(manager_user)
    page = client.get(reverse("technicians:site-detail", args=[site_a.pk])).content.decode()
    assert "Set the site" not in page
    response = client.post(reverse("technicians:site-detail", args=[site_a.pk]), {"compounding_category": "3"})
    assert response.status_code == 403
    site_a.refresh_from_db()
    assert site_a.compounding_category == ""


def test_an_unknown_category_is_refused_with_a_message(client, site_a, hr_user):
    client.force_login(hr_user)
    response = client.post(reverse("technicians:site-detail", args=[site_a.pk]), {"compounding_category": "9"})
    assert response.status_code == 200
    assert "Select a valid choice. 9 is not one of the available choices." in response.content.decode()
    site_a.refresh_from_db()
    assert site_a.compounding_category == ""
