"""``kpis/`` and ``kpi-snapshots/``: the hand-worked values through the API, scope, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import services
from technicians.models import User
from tests.factories import SiteFactory, UserFactory
from tests.metrics.conftest import EXPECTED_A, EXPECTED_B, EXPECTED_ORG, assert_kpis

pytestmark = pytest.mark.django_db
KPIS = "/api/v1/kpis/"
SNAPSHOTS = "/api/v1/kpi-snapshots/"
MARCH_QUERY = {"start": "2025-03-01", "end": "2025-03-31"}


def test_hr_gets_the_organisations_kpis_for_the_period(client_for, hr_user, kpi_world):
    response = client_for(hr_user).get(KPIS, MARCH_QUERY)
    assert response.status_code == 200
    body = response.json()
    assert (body["scope"], body["site"], body["start"], body["end"]) == (
        "organisation",
        None,
        "2025-03-01",
        "2025-03-31",
    )
    assert_kpis(body, EXPECTED_ORG)


def test_hr_gets_one_sites_kpis(client_for, hr_user, kpi_world, site_b):
    body = client_for(hr_user).get(KPIS, {**MARCH_QUERY, "site": site_b.pk}).json()
    assert (body["scope"], body["site"]) == ("site", site_b.pk)
    assert_kpis(body, EXPECTED_B)


def test_a_manager_gets_own_site_and_by_default_own_sites_only(client_for, manager_user, kpi_world, site_a):
    client = client_for(manager_user)
    own = client.get(KPIS, {**MARCH_QUERY, "site": site_a.pk}).json()
    assert_kpis(own, EXPECTED_A)
    default = client.get(KPIS, MARCH_QUERY).json()
    assert (default["scope"], default["sites"]) == ("sites", [site_a.pk])
    assert_kpis(default, EXPECTED_A)


def test_another_sites_kpis_are_not_found_for_a_manager(client_for, manager_user, kpi_world, site_b):
    response = client_for(manager_user).get(KPIS, {**MARCH_QUERY, "site": site_b.pk})
    assert response.status_code == 404
    assert client_for(manager_user).get(KPIS, {**MARCH_QUERY, "site": 999999}).status_code == 404


@pytest.mark.parametrize("role", ["technician", "evaluator"])
def test_technicians_and_evaluators_are_refused(client_for, users, role):
    assert client_for(users[role]).get(KPIS, MARCH_QUERY).status_code == 403
    assert client_for(users[role]).get(SNAPSHOTS).status_code == 403


def test_anonymous_callers_must_authenticate(client):
    assert client.get(KPIS, MARCH_QUERY).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2025-03-01"}, "end"),
        ({"end": "2025-03-01"}, "start"),
        ({"start": "2025-13-01", "end": "2025-03-31"}, "start"),
        ({"start": "2025-03-01", "end": "31/03/2025"}, "end"),
        ({"start": "2025-03-31", "end": "2025-03-01"}, "end"),
        ({**MARCH_QUERY, "site": "abc"}, "site"),
    ],
)
def test_bad_dates_are_400_naming_the_field(client_for, hr_user, query, field):
    response = client_for(hr_user).get(KPIS, query)
    assert response.status_code == 400
    assert field in response.json()


def test_snapshots_carry_every_kpi_and_computed_at(client_for, hr_user, kpi_world, site_a):
    services.kpi_snapshots_compute(site_id=site_a.pk, months=[dt.date(2025, 3, 1)], today=dt.date(2025, 6, 1))
    response = client_for(hr_user).get(SNAPSHOTS, {"site": site_a.pk, "month": "2025-03"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["site"], row["site_code"], row["month"]) == (site_a.pk, "A01", "2025-03")
    assert (row["period_start"], row["period_end"]) == ("2025-03-01", "2025-03-31")
    assert row["computed_at"]
    assert_kpis(row, EXPECTED_A)


def test_snapshots_are_scoped_managers_see_own_sites_hr_everything(
    client_for, hr_user, manager_user, kpi_world, site_a, site_b
):
    services.kpi_snapshots_compute_all(months=[dt.date(2025, 3, 1)], today=dt.date(2025, 6, 1))
    hr_rows = client_for(hr_user).get(SNAPSHOTS).json()["results"]
    assert sorted((r["site"] or 0) for r in hr_rows) == sorted([0, site_a.pk, site_b.pk])
    org = client_for(hr_user).get(SNAPSHOTS, {"scope": "organisation"}).json()["results"]
    assert [r["site"] for r in org] == [None]
    assert_kpis(org[0], EXPECTED_ORG)

    manager = client_for(manager_user)
    assert [r["site"] for r in manager.get(SNAPSHOTS).json()["results"]] == [site_a.pk]
    assert manager.get(SNAPSHOTS, {"site": site_b.pk}).status_code == 404
    assert manager.get(SNAPSHOTS, {"scope": "organisation"}).json()["count"] == 0


def test_snapshot_filters_validate_the_month(client_for, hr_user):
    response = client_for(hr_user).get(SNAPSHOTS, {"month": "March"})
    assert response.status_code == 400
    assert "month" in response.json()


def test_a_manager_of_two_sites_gets_both_combined(client_for, kpi_world, site_a, site_b):
    both = UserFactory(username="two-sites", role=User.Role.MANAGER, sites=[site_a, site_b])
    SiteFactory(code="OTHER")
    body = client_for(both).get(KPIS, MARCH_QUERY).json()
    assert body["sites"] == sorted([site_a.pk, site_b.pk])
    assert_kpis(body, EXPECTED_ORG)
