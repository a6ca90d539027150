"""The history is read-only in every interface: admin, pages and API."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from simple_history.admin import SimpleHistoryAdmin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from technicians.models import Technician


def test_revert_is_disabled_in_settings():
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True


def test_admin_history_list_offers_no_revert(client_for, admin_user, tech_a):
    response = client_for(admin_user).get(f"/admin/technicians/technician/{tech_a.pk}/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "View history: Alice Archer (A-1)" in page
    assert "Revert" not in page and "revert" not in page


def test_admin_old_version_page_shows_no_save_button(client_for, admin_user, tech_a):
    version = tech_a.history.get()

    response = client_for(admin_user).get(f"/admin/technicians/technician/{tech_a.pk}/history/{version.history_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert "Revert" not in page


def test_admin_post_to_revert_is_refused_and_changes_nothing(client_for, admin_user, tech_a):
    version = tech_a.history.get()
    tech_a.first_name = "Alicia"
    tech_a.save()
    rows_before = tech_a.history.count()

    response = client_for(admin_user).post(
        f"/admin/technicians/technician/{tech_a.pk}/history/{version.history_id}/",
        {
            "employee_id": "A-1",
            "first_name": "Alice",
            "last_name": "Archer",
            "email": tech_a.email,
            "site": tech_a.site_id,
            "hire_date": "2024-01-15",
            "status": "active",
            "_change_history": "1",
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    tech_a.refresh_from_db()
    assert tech_a.first_name == "Alicia"
    assert tech_a.history.count() == rows_before


def test_every_audited_admin_is_read_only_and_no_historical_model_is_editable():
    history_admins = {
        model._meta.label: type(model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    }
    assert "technicians.Technician" in history_admins and "tiers.Promotion" in history_admins
    assert [label for label, cls in history_admins.items() if not issubclass(cls, ReadOnlyHistoryAdmin)] == []
    assert [m._meta.label for m in admin.site._registry if m.__name__.startswith("Historical")] == []


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.name or ""))
    return found


def test_no_api_route_exposes_history():
    api = [route for route, _name in _routes(get_resolver()) if route.startswith("api/") and "histor" in route]

    assert api == []


def test_history_pages_refuse_writes(client_for, hr, tech_a):
    client = client_for(hr)
    rows_before = Technician.history.count()

    answers = [
        client.post(f"/technicians/{tech_a.pk}/history/").status_code,
        client.post("/certifications/policy/history/").status_code,
        client.delete(f"/technicians/{tech_a.pk}/history/").status_code,
    ]

    assert answers == [405, 405, 405]
    assert Technician.history.count() == rows_before
