"""The REST API of sites, technicians, users and tiers (PRODUCT.md section 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from technicians.models import Site, Technician, User
from tests.factories import SiteFactory, TechnicianFactory
from tiers.models import Tier, TierAssignment

PASSWORD = "careerladder-test"  # tests.factories.UserFactory's password
TECHNICIANS = "/api/v1/technicians/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """auth-token is throttled per client address; each test starts with a clean count."""
    cache.clear()


@pytest.fixture
def api():
    """``api(user)``: an API client with the user's session (or anonymous for ``None``)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# ---- token authentication -----------------------------------------------------------------


def test_token_for_good_credentials_authenticates_later_calls(manager_user, tech_a):
    client = APIClient()

    response = client.post(TOKEN, {"username": "manager", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    key = response.json()["token"]
    assert response.json() == {"token": Token.objects.get(user=manager_user).key}
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = client.get(TECHNICIANS)
    assert listed.status_code == 200
    assert ids(listed) == {tech_a.pk}
    # Asking again hands back the same token rather than piling up new ones.
    assert client.post(TOKEN, {"username": "manager", "password": PASSWORD}, format="json").json() == {"token": key}
    assert Token.objects.filter(user=manager_user).count() == 1


def test_token_refused_for_bad_credentials(manager_user):
    response = APIClient().post(TOKEN, {"username": "manager", "password": "not-the-password"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert not Token.objects.exists()


def test_token_refused_for_an_inactive_login(manager_user):
    manager_user.is_active = False
    manager_user.save()

    response = APIClient().post(TOKEN, {"username": "manager", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_token_request_without_fields_names_them(db):
    response = APIClient().post(TOKEN, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_unknown_token_is_401_and_no_credentials_is_401_with_challenge(db):
    client = APIClient()
    assert client.get(TECHNICIANS).status_code == 401
    assert client.get(TECHNICIANS)["WWW-Authenticate"] == "Token"

    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get(TECHNICIANS).status_code == 401


# ---- pagination -----------------------------------------------------------------------------


def test_pagination_shape(hr_user, site_a, api):
    # Given 5 technicians (last names sort Last-0 … Last-4)
    techs = [TechnicianFactory(site=site_a, first_name="T", last_name=f"Last-{i}") for i in range(5)]

    # When hr asks for pages of 2
    first = api(hr_user).get(TECHNICIANS, {"page_size": 2}).json()
    last = api(hr_user).get(TECHNICIANS, {"page_size": 2, "page": 3}).json()

    # Then: count, next, previous and results, in name order
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5
    assert first["next"] == "http://testserver/api/v1/technicians/?page=2&page_size=2"
    assert first["previous"] is None
    assert [r["id"] for r in first["results"]] == [techs[0].pk, techs[1].pk]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/technicians/?page=2&page_size=2"
    assert [r["id"] for r in last["results"]] == [techs[4].pk]


def test_page_size_defaults_to_50_and_is_capped_at_500(hr_user, site_a, api):
    Technician.objects.bulk_create(
        Technician(
            employee_id=f"BULK-{i:04d}",
            first_name="Bulk",
            last_name=f"{i:04d}",
            site=site_a,
            hire_date=dt.date(2024, 1, 2),
        )
        for i in range(501)
    )
    client = api(hr_user)

    default = client.get(TECHNICIANS).json()
    huge = client.get(TECHNICIANS, {"page_size": 1000}).json()

    assert default["count"] == 501
    assert len(default["results"]) == 50
    assert len(huge["results"]) == 500
    assert huge["next"] == "http://testserver/api/v1/technicians/?page=2&page_size=1000"


# ---- list filters ----------------------------------------------------------------------------


@pytest.fixture
def roster(site_a, site_b, tech_a, tech_b):
    """Site A: Alice (TECH1, active), Dana (TECH2, active), Ed (TECH1, leave).
    Site B: Bob (TECH1, active), Fay (TECH2, terminated)."""
    return {
        "alice": tech_a,
        "dana": TechnicianFactory(site=site_a, first_name="Dana", last_name="Dunn", employee_id="A-3", tier="TECH2"),
        "ed": TechnicianFactory(site=site_a, first_name="Ed", last_name="Ellis", employee_id="A-4", status="leave"),
        "bob": tech_b,
        "fay": TechnicianFactory(
            site=site_b,
            first_name="Fay",
            last_name="Fox",
            employee_id="B-2",
            tier="TECH2",
            status="terminated",
            termination_date=dt.date(2025, 3, 31),
            termination_type="voluntary",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"alice", "dana", "ed", "bob", "fay"}),
        ({"site": "A"}, {"alice", "dana", "ed"}),
        ({"status": "leave"}, {"ed"}),
        ({"status": "terminated"}, {"fay"}),
        ({"tier": "TECH2"}, {"dana", "fay"}),
        ({"site": "B", "tier": "TECH2"}, {"fay"}),
        ({"search": "dunn"}, {"dana"}),
        ({"search": "B-"}, {"bob", "fay"}),  # employee id
        ({"search": "a-1@example"}, {"alice"}),  # e-mail
        ({"search": "fay fox"}, {"fay"}),  # every word must match
        ({"search": "alice fox"}, set()),
    ],
)
def test_technician_list_filters(hr_user, roster, site_a, site_b, api, query, expected):
    query = {k: {"A": site_a.pk, "B": site_b.pk}.get(v, v) for k, v in query.items()}

    response = api(hr_user).get(TECHNICIANS, query)

    assert response.status_code == 200
    assert ids(response) == {roster[name].pk for name in expected}


def test_filters_stay_inside_the_scope(manager_user, roster, site_b, api):
    # A manager of site A filtering on site B sees nothing, not site B's people.
    assert ids(api(manager_user).get(TECHNICIANS, {"site": site_b.pk})) == set()
    assert ids(api(manager_user).get(TECHNICIANS, {"tier": "TECH2"})) == {roster["dana"].pk}


def test_unknown_status_filter_is_a_400_naming_it(hr_user, api):
    response = api(hr_user).get(TECHNICIANS, {"status": "retired"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


# ---- create ----------------------------------------------------------------------------------


def new_technician(site, **changes) -> dict:
    return {
        "employee_id": "A-100",
        "first_name": "Gina",
        "last_name": "Gray",
        "email": "gina.gray@example.org",
        "site": site.pk,
        "hire_date": "2025-02-03",
        **changes,
    }


def test_manager_creates_technician_at_own_site_starting_in_tech1(manager_user, site_a, api):
    response = api(manager_user).post(TECHNICIANS, new_technician(site_a), format="json")

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("employee_id", "site", "hire_date", "status", "tier", "termination_date")} == {
        "employee_id": "A-100",
        "site": site_a.pk,
        "hire_date": "2025-02-03",
        "status": "active",
        "tier": "TECH1",
        "termination_date": None,
    }
    tech = Technician.objects.get(employee_id="A-100")
    assert list(tech.tier_assignments.values_list("tier__code", "start_date", "end_date", "reason", "recorded_by")) == [
        ("TECH1", dt.date(2025, 2, 3), None, "hire", manager_user.pk)
    ]


def test_create_with_a_starting_tier(hr_user, site_b, api):
    response = api(hr_user).post(TECHNICIANS, new_technician(site_b, tier="TECH2"), format="json")

    assert response.status_code == 201
    assert response.json()["tier"] == "TECH2"
    tech = Technician.objects.get(employee_id="A-100")
    assert list(tech.tier_assignments.values_list("tier__code", "start_date")) == [("TECH2", dt.date(2025, 2, 3))]


def test_manager_cannot_create_at_another_site(manager_user, site_b, api):
    # Site B is outside the manager's scope, so it is an unknown site id: a 400 on "site".
    response = api(manager_user).post(TECHNICIANS, new_technician(site_b), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["site"]
    assert not Technician.objects.filter(employee_id="A-100").exists()


def test_evaluator_cannot_create(evaluator_user, site_a, api):
    response = api(evaluator_user).post(TECHNICIANS, new_technician(site_a), format="json")

    assert response.status_code == 403
    assert not Technician.objects.filter(employee_id="A-100").exists()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"employee_id": None}, {"employee_id"}),
        ({"employee_id": "A-1"}, {"employee_id"}),  # tech_a's
        ({"hire_date": "03/02/2025"}, {"hire_date"}),
        ({"tier": "TECH9"}, {"tier"}),
        ({"email": "not-an-address"}, {"email"}),
        (
            {"status": "terminated", "termination_date": "2025-01-31", "termination_type": "voluntary"},
            {"termination_date"},  # before the 2025-02-03 hire
        ),
        ({"status": "terminated"}, {"termination_date", "termination_type"}),
    ],
)
def test_create_validation_errors_name_the_fields(manager_user, site_a, tech_a, api, changes, fields):
    payload = new_technician(site_a, **changes)
    payload = {k: v for k, v in payload.items() if v is not None}
    before = Technician.objects.count()

    response = api(manager_user).post(TECHNICIANS, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert Technician.objects.count() == before
    assert TierAssignment.objects.count() == before


# ---- update and separation ------------------------------------------------------------------


def test_separation_by_patch_ends_the_login(manager_user, technician_user, tech_a, api):
    # Given the technician has an API token and a browser session
    token = Token.objects.create(user=technician_user)
    own_session = api(technician_user)

    # When the manager records a voluntary separation
    response = api(manager_user).patch(
        f"{TECHNICIANS}{tech_a.pk}/",
        {"status": "terminated", "termination_date": "2025-06-30", "termination_type": "voluntary"},
        format="json",
    )

    # Then the record is separated and the login stops working at once
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("status", "termination_date", "termination_type", "tier")} == {
        "status": "terminated",
        "termination_date": "2025-06-30",
        "termination_type": "voluntary",
        "tier": "TECH1",
    }
    tech_a.refresh_from_db()
    assert (tech_a.status, tech_a.termination_date, tech_a.termination_type) == (
        "terminated",
        dt.date(2025, 6, 30),
        "voluntary",
    )
    technician_user.refresh_from_db()
    assert technician_user.is_active is False
    assert not Token.objects.filter(pk=token.pk).exists()
    assert own_session.get("/api/v1/sites/").status_code == 401
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert with_token.get("/api/v1/sites/").status_code == 401


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"status": "terminated"}, {"termination_date", "termination_type"}),
        ({"status": "terminated", "termination_date": "2025-06-30"}, {"termination_type"}),
        ({"status": "terminated", "termination_type": "voluntary"}, {"termination_date"}),
        ({"termination_date": "2025-06-30"}, {"status"}),
        ({"termination_type": "voluntary"}, {"termination_type"}),
        ({"termination_type": "fired"}, {"termination_type"}),
        ({"status": "terminated", "termination_date": "2023-12-31", "termination_type": "other"}, {"termination_date"}),
    ],
)
def test_incomplete_separation_is_a_400_naming_the_field(manager_user, technician_user, tech_a, api, patch, fields):
    response = api(manager_user).patch(f"{TECHNICIANS}{tech_a.pk}/", patch, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    tech_a.refresh_from_db()
    assert (tech_a.status, tech_a.termination_date, tech_a.termination_type) == ("active", None, "")
    technician_user.refresh_from_db()
    assert technician_user.is_active is True


def test_tier_cannot_be_patched(manager_user, tech_a, api):
    client = api(manager_user)

    changed = client.patch(f"{TECHNICIANS}{tech_a.pk}/", {"tier": "TECH2"}, format="json")
    unchanged = client.patch(f"{TECHNICIANS}{tech_a.pk}/", {"tier": "TECH1", "first_name": "Alicia"}, format="json")

    assert changed.status_code == 400
    assert list(changed.json()) == ["tier"]
    assert unchanged.status_code == 200
    assert list(tech_a.tier_assignments.values_list("tier__code", flat=True)) == ["TECH1"]
    tech_a.refresh_from_db()
    assert tech_a.first_name == "Alicia"


def test_technician_cannot_patch_own_record(technician_user, tech_a, api):
    response = api(technician_user).patch(f"{TECHNICIANS}{tech_a.pk}/", {"first_name": "Mallory"}, format="json")

    assert response.status_code == 403
    tech_a.refresh_from_db()
    assert tech_a.first_name == "Alice"


def test_manager_cannot_patch_another_sites_technician(manager_user, tech_b, api):
    response = api(manager_user).patch(f"{TECHNICIANS}{tech_b.pk}/", {"first_name": "Mallory"}, format="json")

    assert response.status_code == 404
    tech_b.refresh_from_db()
    assert tech_b.first_name == "Bob"


# ---- users -----------------------------------------------------------------------------------

USERS = "/api/v1/users/"
STRONG = "Compounding-Hood-42"


def test_hr_creates_a_manager_with_sites(hr_user, site_a, site_b, api):
    response = api(hr_user).post(
        USERS,
        {"username": "mgr2", "password": STRONG, "role": "manager", "sites": [site_a.pk, site_b.pk]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert "password" not in body
    assert {k: body[k] for k in ("username", "role", "technician", "sites", "is_active")} == {
        "username": "mgr2",
        "role": "manager",
        "technician": None,
        "sites": [site_a.pk, site_b.pk],
        "is_active": True,
    }
    user = User.objects.get(username="mgr2")
    assert user.check_password(STRONG)
    assert set(user.sites.all()) == {site_a, site_b}
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_passwords_never_appear_in_user_responses(hr_user, manager_user, api):
    client = api(hr_user)

    listed = client.get(USERS).json()["results"]
    one = client.get(f"{USERS}{manager_user.pk}/").json()
    patched = client.patch(f"{USERS}{manager_user.pk}/", {"password": STRONG}, format="json")

    assert [u["username"] for u in listed] == ["hr", "manager"]
    assert all("password" not in u for u in [*listed, one, patched.json()])
    assert patched.status_code == 200
    manager_user.refresh_from_db()
    assert manager_user.check_password(STRONG)


def test_technician_login_requires_its_technician(hr_user, tech_b, api):
    client = api(hr_user)

    without = client.post(USERS, {"username": "bob", "password": STRONG, "role": "technician"}, format="json")
    linked = client.post(
        USERS, {"username": "bob", "password": STRONG, "role": "technician", "technician": tech_b.pk}, format="json"
    )

    assert without.status_code == 400
    assert list(without.json()) == ["technician"]
    assert linked.status_code == 201
    assert User.objects.get(username="bob").technician == tech_b


def test_manager_login_needs_a_site(hr_user, api):
    response = api(hr_user).post(USERS, {"username": "mgr3", "password": STRONG, "role": "manager"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["sites"]
    assert not User.objects.filter(username="mgr3").exists()


@pytest.mark.parametrize("password", ["12345678901", "short", "password123", "careerclerk1"])
def test_weak_password_is_refused(hr_user, site_a, api, password):
    response = api(hr_user).post(
        USERS,
        {"username": "careerclerk", "password": password, "role": "manager", "sites": [site_a.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert not User.objects.filter(username="careerclerk").exists()


def test_new_login_needs_a_password(hr_user, site_a, api):
    response = api(hr_user).post(USERS, {"username": "nopass", "role": "manager", "sites": [site_a.pk]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["password"]


def test_manager_cannot_see_or_create_logins(manager_user, site_a, api):
    client = api(manager_user)

    listed = client.get(USERS)
    created = client.post(
        USERS, {"username": "sneaky", "password": STRONG, "role": "hr", "sites": [site_a.pk]}, format="json"
    )

    assert listed.status_code == 403
    assert created.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


# ---- sites and tiers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "codes"),
    [
        ("technician", ["A01"]),
        ("evaluator", ["A01"]),
        ("manager", ["A01"]),
        ("hr", ["A01", "B01"]),
        ("admin", ["A01", "B01"]),
    ],
)
def test_sites_and_tiers_are_read_by_every_role_in_scope(users, site_b, api, role, codes):
    client = api(users[role])

    sites = client.get("/api/v1/sites/")
    tiers = client.get("/api/v1/tiers/")

    assert [s["code"] for s in sites.json()["results"]] == codes
    assert [t["code"] for t in tiers.json()["results"]] == ["TECH1", "TECH2", "TECH3", "LEAD"]
    first = sites.json()["results"][0]
    assert {k: first[k] for k in ("code", "name", "kind", "state")} == {
        "code": "A01",
        "name": "Riverside Community Pharmacy",
        "kind": "retail",
        "state": "OH",
    }


def test_tier_shows_its_requirements(technician_user, api):
    tech2 = api(technician_user).get(f"/api/v1/tiers/{Tier.objects.get(code='TECH2').pk}/").json()

    assert {k: tech2[k] for k in ("code", "name", "rank", "expected_months")} == {
        "code": "TECH2",
        "name": "Pharmacy Technician II",
        "rank": 2,
        "expected_months": 24,
    }
    requirements = tech2["requirements"]
    assert {k: requirements[k] for k in ("min_evaluation_average", "min_months_in_prior_tier")} == {
        "min_evaluation_average": "3.00",
        "min_months_in_prior_tier": 6,
    }


def test_hr_creates_and_edits_sites(hr_user, site_a, api):
    client = api(hr_user)

    created = client.post(
        "/api/v1/sites/", {"code": "C01", "name": "Lakeside Clinic", "kind": "clinic", "state": "MI"}, format="json"
    )
    renamed = client.patch(f"/api/v1/sites/{site_a.pk}/", {"name": "Riverside Pharmacy"}, format="json")
    invalid = client.post("/api/v1/sites/", {"code": "c 02", "name": "X", "kind": "spa", "state": "ZZ"}, format="json")

    assert created.status_code == 201
    assert Site.objects.get(code="C01").name == "Lakeside Clinic"
    assert renamed.status_code == 200
    site_a.refresh_from_db()
    assert site_a.name == "Riverside Pharmacy"
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"code", "kind", "state"}


@pytest.mark.parametrize("role", ["technician", "evaluator", "manager"])
def test_only_hr_and_admin_write_sites_and_tiers(users, site_a, api, role):
    client = api(users[role])
    tech2 = Tier.objects.get(code="TECH2")

    created = client.post(
        "/api/v1/sites/", {"code": "C01", "name": "Lakeside Clinic", "kind": "clinic", "state": "MI"}, format="json"
    )
    renamed = client.patch(f"/api/v1/sites/{site_a.pk}/", {"name": "Mine now"}, format="json")
    retimed = client.patch(f"/api/v1/tiers/{tech2.pk}/", {"expected_months": 6}, format="json")

    assert (created.status_code, renamed.status_code, retimed.status_code) == (403, 403, 403)
    assert not Site.objects.filter(code="C01").exists()
    site_a.refresh_from_db()
    assert site_a.name == "Riverside Community Pharmacy"
    tech2.refresh_from_db()
    assert tech2.expected_months == 24


def test_hr_edits_a_tier(hr_user, api):
    tech2 = Tier.objects.get(code="TECH2")

    response = api(hr_user).patch(f"/api/v1/tiers/{tech2.pk}/", {"expected_months": 18}, format="json")

    assert response.status_code == 200
    tech2.refresh_from_db()
    assert tech2.expected_months == 18


# ---- query counts -----------------------------------------------------------------------------


def test_technician_list_query_count_does_not_grow(manager_user, site_a, api, django_assert_num_queries, settings):
    settings.CACHED_READ_SECONDS = 0  # count the computation, not a cached total (tests/test_cached_reads.py)
    # Given 5 technicians at the manager's site, some with mentors, at several tiers
    lead = TechnicianFactory(site=site_a, tier="LEAD")
    for i in range(4):
        TechnicianFactory(site=site_a, mentor=lead, tier=("TECH1", "TECH2")[i % 2])
    SiteFactory()  # another site, out of scope
    client = api(manager_user)
    client.get(TECHNICIANS)  # warm-up: content types and the like are cached after the first call
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(TECHNICIANS).json()["results"]) == 5

    # When there are 50
    for i in range(45):
        TechnicianFactory(site=site_a, mentor=lead, tier=("TECH1", "TECH2", "TECH3")[i % 3])

    # Then the list takes exactly as many queries
    with django_assert_num_queries(len(five)):
        assert len(client.get(TECHNICIANS).json()["results"]) == 50
