"""Error pages look like the rest of the product: the layout, a sentence saying what happened,
and a way back; the 500 page renders without a request (Django's ``server_error``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.views.defaults import permission_denied


@pytest.mark.django_db
def test_a_page_not_found_keeps_the_navigation_and_offers_a_way_back(client_for, technician_user):
    response = client_for(technician_user).get("/dashboard/")  # a technician has no dashboard

    page = response.content.decode()
    assert response.status_code == 404
    assert '<h1 class="h3">Page not found</h1>' in page
    assert 'href="/">Go to your start page</a>' in page
    assert "Log out" in page  # the usual navigation bar


@pytest.mark.django_db
def test_a_forbidden_action_says_so(rf, technician_user):
    request = rf.post("/")
    request.user = technician_user

    response = permission_denied(request, PermissionDenied("nope"))

    assert response.status_code == 403
    assert '<h1 class="h3">Not allowed</h1>' in response.content.decode()
    assert "ask your pharmacy manager or HR" in response.content.decode()


def test_the_server_error_page_needs_no_request():
    page = render_to_string("500.html")

    assert "Something went wrong on our side" in page
    assert "Nothing you did caused this" in page
    assert "bootstrap.min.css" in page
