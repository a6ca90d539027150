"""A cached read shows each viewer exactly what an uncached one would (PRODUCT.md section 5).

Every cached read of the project (``careerladder.core.versions.cached``, ``cached_by_bucket``
and the cached counts of ``careerladder.core.api``) is asked for by two viewers with the same
role whose scope overlaps but differs, or whose identity differs: two technicians of one site,
two managers (sites A+B and B+C), two evaluators (A and A+B, each with a record of their own),
hr and admin. Each viewer asks as the first and again as the second, in both orders, the cache
emptied between the orders, and must see only their own content. Every case runs against a
private ``redis-server`` configured as production configures its cache (``CACHE_URL`` through
``environ.Env.cache_url_config``) and against the in-process cache of the test settings; and a
second request of the same viewer must be answered from the cache, so that the isolation
checks cannot pass merely because nothing is cached.

The people (every expected value below is worked out from them by hand):

- Site A01: Alice Archer (TECH1, login ``tech1``), Adam Ash (TECH1, login ``tech2``), Eve Evans
  and Ezra Eaton (LEAD; logins ``eval1`` with site A, ``eval2`` with sites A and B).
- Site B01: Bella Brook (TECH1), Boris Bright (TECH2, promoted to TECH3 sixty days ago).
- Site C01: Cora Cole (TECH1), Cyril Cross (TECH3), Cleo Crane (TECH1, left voluntarily
  thirty days ago, exit reason "Pay").
- ``mgr1`` manages A and B, ``mgr2`` B and C; ``hr`` and ``admin`` see the organisation.

Everyone was hired on 2024-01-15 and nobody holds CPhT: every employed technician is past
their PTCB deadline (the dashboard's "Needs attention today" names all of them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable

import environ
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tests.reliability.processes import RedisServer
from tiers import services as tier_services
from tiers.models import Tier, TierAssignment

pytestmark = pytest.mark.django_db

HIRED = dt.date(2024, 1, 15)
KPI_PERIOD = {"start": "2025-03-01", "end": "2025-03-31"}
# Tables the cached parts read; sessions, logins, sites and snapshots are read by every request.
CAREER_TABLE = re.compile(r'(?:FROM|JOIN) "(?:technicians_technician|certifications_\w+|tiers_\w+|training_\w+)"')
TECHNICIAN_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count" FROM "technicians_technician"')

EVERYONE = [
    "Alice Archer",
    "Adam Ash",
    "Eve Evans",
    "Ezra Eaton",
    "Bella Brook",
    "Boris Bright",
    "Cora Cole",
    "Cyril Cross",
    "Cleo Crane",
]
EMPLOYEE_IDS = {
    "Alice Archer": "A-ALICE",
    "Adam Ash": "A-ADAM",
    "Eve Evans": "A-EVE",
    "Ezra Eaton": "A-EZRA",
    "Bella Brook": "B-BELLA",
    "Boris Bright": "B-BORIS",
    "Cora Cole": "C-CORA",
    "Cyril Cross": "C-CYRIL",
    "Cleo Crane": "C-CLEO",
}

# The pairs: same role, overlapping scope or the same scope, different identity.
TECHNICIANS = ("tech1", "tech2")
MANAGERS = ("mgr1", "mgr2")
EVALUATORS = ("eval1", "eval2")
ORG_WIDE = ("hr", "admin")


# ---- the shared cache ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_process(tmp_path_factory):
    """A private ``redis-server`` on a free port (never the shared one on 6379); skipped when
    the binary is missing, an error under ``REQUIRE_SERVICES``."""
    server = RedisServer(tmp_path_factory.mktemp("cache-isolation-redis")).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(params=["redis", "locmem"])
def shared_cache(request, settings):
    """The cache every request of the test shares: Redis configured as in production
    (``CACHE_URL=redis://…`` read by ``environ.Env.cache_url_config``, as settings/base.py does),
    or the in-process cache of the test settings. Cached reads are on (their production
    lifetime) whatever the environment says. Yields the Redis server (``None`` in process)."""
    settings.CACHED_READ_SECONDS = 600
    server = None
    if request.param == "redis":
        server = request.getfixturevalue("redis_process")
        # Django rebinds django.core.cache.cache (a proxy to caches["default"]) on setting_changed.
        settings.CACHES = {"default": environ.Env.cache_url_config(server.url(0))}
        assert type(caches["default"]).__name__ == "RedisCache"
    else:
        assert type(caches["default"]).__name__ == "LocMemCache"
    assert django_settings.CACHED_READ_SECONDS > 0
    cache.clear()
    cache.set("cache-isolation-probe", request.param)
    assert cache.get("cache-isolation-probe") == request.param
    yield server
    cache.clear()


# ---- the people ----------------------------------------------------------------------------------


@pytest.fixture
def world(shared_cache):
    today = timezone.localdate()
    a = SiteFactory(code="A01", name="Alpha Pharmacy")
    b = SiteFactory(code="B01", name="Bravo Pharmacy")
    c = SiteFactory(code="C01", name="Charlie Pharmacy")

    def person(name: str, site, tier: str = "TECH1", **extra) -> Technician:
        first, last = name.split()
        return TechnicianFactory(
            site=site,
            first_name=first,
            last_name=last,
            employee_id=EMPLOYEE_IDS[name],
            hire_date=HIRED,
            tier=tier,
            **extra,
        )

    techs = {
        "Alice Archer": person("Alice Archer", a),
        "Adam Ash": person("Adam Ash", a),
        "Eve Evans": person("Eve Evans", a, "LEAD"),
        "Ezra Eaton": person("Ezra Eaton", a, "LEAD"),
        "Bella Brook": person("Bella Brook", b),
        "Boris Bright": person("Boris Bright", b, "TECH2"),
        "Cora Cole": person("Cora Cole", c),
        "Cyril Cross": person("Cyril Cross", c, "TECH3"),
        "Cleo Crane": person(
            "Cleo Crane",
            c,
            status=Technician.Status.TERMINATED,
            termination_date=today - dt.timedelta(days=30),
            termination_type=Technician.TerminationType.VOLUNTARY,
            exit_reason=Technician.ExitReason.PAY,
        ),
    }
    tier_services.tier_assignment_start(
        technician=techs["Boris Bright"],
        tier=Tier.objects.get(code="TECH3"),
        start_date=today - dt.timedelta(days=60),
        reason=TierAssignment.Reason.PROMOTION,
    )
    role = User.Role
    users = {
        "tech1": UserFactory(username="tech1", role=role.TECHNICIAN, technician=techs["Alice Archer"]),
        "tech2": UserFactory(username="tech2", role=role.TECHNICIAN, technician=techs["Adam Ash"]),
        "eval1": UserFactory(username="eval1", role=role.EVALUATOR, technician=techs["Eve Evans"], sites=[a]),
        "eval2": UserFactory(username="eval2", role=role.EVALUATOR, technician=techs["Ezra Eaton"], sites=[a, b]),
        "mgr1": UserFactory(username="mgr1", role=role.MANAGER, sites=[a, b]),
        "mgr2": UserFactory(username="mgr2", role=role.MANAGER, sites=[b, c]),
        "hr": UserFactory(username="hr", role=role.HR),
        "admin": UserFactory(username="admin", role=role.ADMIN, is_superuser=True, is_staff=True),
    }
    clients = {}
    for label, user in users.items():
        clients[label] = Client()
        clients[label].force_login(user)
    return {
        "sites": {"A": a, "B": b, "C": c},
        "techs": techs,
        "users": users,
        "clients": clients,
        "redis": shared_cache,
    }


# ---- asking in both orders -----------------------------------------------------------------------


def fetch(client: Client, url: str, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return response


def in_both_orders(pair: tuple[str, str], read: Callable[[str], object], expected: dict[str, object]) -> None:
    """``read(viewer)`` as the first viewer, the second, the first and the second again; the
    cache emptied; then the same starting with the second. Every answer must be the viewer's
    own (``expected[viewer]``): the first read of each order fills the cache, the others may
    only be served what was stored for themselves."""
    first, second = pair
    for order in ((first, second), (second, first)):
        cache.clear()
        for step, viewer in enumerate((*order, *order), start=1):
            seen = read(viewer)
            assert seen == expected[viewer], (
                f"{viewer} saw another viewer's content (order {' then '.join(order)}, request {step}):\n"
                f"  saw      {seen!r}\n  expected {expected[viewer]!r}"
            )


def mentioned(html: str) -> list[str]:
    """Which of the people the page names (full name, "Last, First" or employee id)."""
    found = []
    for name in EVERYONE:
        first, last = name.split()
        if name in html or f"{last}, {first}" in html or EMPLOYEE_IDS[name] in html:
            found.append(name)
    return found


def section(html: str, start: str, end: str) -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


# ---- the technicians API: page and count ---------------------------------------------------------

API_PAGE = {
    "tech1": (1, ["Alice Archer"]),
    "tech2": (1, ["Adam Ash"]),
    "eval1": (4, ["Alice Archer", "Adam Ash", "Ezra Eaton", "Eve Evans"]),
    "eval2": (6, ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Ezra Eaton", "Eve Evans"]),
    "mgr1": (6, ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Ezra Eaton", "Eve Evans"]),
    "mgr2": (5, ["Boris Bright", "Bella Brook", "Cora Cole", "Cleo Crane", "Cyril Cross"]),
    # Nine in all, seven to a page, by last name.
    "hr": (9, ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Cora Cole", "Cleo Crane", "Cyril Cross"]),
    "admin": (
        9,
        ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Cora Cole", "Cleo Crane", "Cyril Cross"],
    ),
}


def api_page(world, viewer: str, page_size: int = 7):
    body = fetch(world["clients"][viewer], "/api/v1/technicians/", {"page_size": page_size}).json()
    return body["count"], [f"{row['first_name']} {row['last_name']}" for row in body["results"]]


@pytest.mark.parametrize("pair", [TECHNICIANS, MANAGERS, EVALUATORS, ORG_WIDE], ids="-".join)
def test_technicians_api_list_shows_each_viewer_their_own_technicians(world, pair):
    """The reported case: ``GET /api/v1/technicians/?page_size=7`` as one technician, then as
    another of the same site, answered the first one's record."""
    in_both_orders(pair, lambda viewer: api_page(world, viewer), API_PAGE)


@pytest.mark.parametrize("pair", [MANAGERS, EVALUATORS], ids="-".join)
def test_technicians_api_count_is_each_viewers_own(world, pair):
    """The total of the API's pages (``CachedCountPagination``): each viewer asks for a page
    size of their own, so that the page itself is never shared and only the cached total
    could be; every page size answers with the viewer's own total."""
    sizes = {pair[0]: 1, pair[1]: 2}
    expected = {viewer: API_PAGE[viewer][0] for viewer in pair}
    in_both_orders(pair, lambda viewer: api_page(world, viewer, sizes[viewer])[0], expected)


# ---- the technicians page: its count --------------------------------------------------------------

LIST_PAGE = {  # employed technicians (the page's default filter), by last name
    "eval1": ["Alice Archer", "Adam Ash", "Ezra Eaton", "Eve Evans"],
    "eval2": ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Ezra Eaton", "Eve Evans"],
    "mgr1": ["Alice Archer", "Adam Ash", "Boris Bright", "Bella Brook", "Ezra Eaton", "Eve Evans"],
    "mgr2": ["Boris Bright", "Bella Brook", "Cora Cole", "Cyril Cross"],
    "hr": [
        "Alice Archer",
        "Adam Ash",
        "Boris Bright",
        "Bella Brook",
        "Cora Cole",
        "Cyril Cross",
        "Ezra Eaton",
        "Eve Evans",
    ],
}
LIST_PAGE["admin"] = LIST_PAGE["hr"]


def list_page(world, viewer: str, params=None):
    html = fetch(world["clients"][viewer], "/technicians/", params).content.decode()
    total = int(re.search(r'<p class="small text-secondary">(\d+) technicians?</p>', html).group(1))
    rows = re.findall(r'<a href="/technicians/\d+/" class="fw-medium">([^<]+), ([^<]+)</a>', html)
    return total, [f"{first} {last}" for last, first in rows]


@pytest.mark.parametrize("pair", [MANAGERS, EVALUATORS, ORG_WIDE], ids="-".join)
def test_technicians_page_count_is_each_viewers_own(world, pair):
    expected = {viewer: (len(LIST_PAGE[viewer]), LIST_PAGE[viewer]) for viewer in pair}
    in_both_orders(pair, lambda viewer: list_page(world, viewer), expected)


def test_technicians_page_of_a_shared_site_counts_that_site_for_both_managers(world):
    site_b = world["sites"]["B"].pk
    expected = {viewer: (2, ["Boris Bright", "Bella Brook"]) for viewer in MANAGERS}
    in_both_orders(MANAGERS, lambda viewer: list_page(world, viewer, {"site": site_b}), expected)


# ---- /me/ ----------------------------------------------------------------------------------------

ME = {
    "tech1": ("Alice", ["Alice Archer"]),
    "tech2": ("Adam", ["Adam Ash"]),
    "eval1": ("Eve", ["Eve Evans"]),
    "eval2": ("Ezra", ["Ezra Eaton"]),
}


def me_page(world, viewer: str):
    html = fetch(world["clients"][viewer], "/me/").content.decode()
    body = html[html.index("<main") : html.index("</main>")]
    return re.search(r"Hello, (\w+)", body).group(1), mentioned(body)


@pytest.mark.parametrize("pair", [TECHNICIANS, EVALUATORS], ids="-".join)
def test_me_shows_each_viewer_their_own_record(world, pair):
    in_both_orders(pair, lambda viewer: me_page(world, viewer), ME)


# ---- the technician form: how many mentor candidates ---------------------------------------------

# Active Tech III and Lead technicians in scope: A has Eve and Ezra, B Boris, C Cyril.
# With the drop-down limited to two, three or more candidates make the field a box for the
# employee id; two or fewer a drop-down of their names.
MENTOR_LIMIT = 2
MENTOR_FIELD = {
    "mgr1": ("box", []),  # Eve, Ezra, Boris
    "mgr2": ("drop-down", ["Boris Bright", "Cyril Cross"]),
    "hr": ("box", []),  # all four
    "admin": ("box", []),
}


def mentor_field(world, viewer: str, url: str):
    html = fetch(world["clients"][viewer], url).content.decode()
    select = re.search(r'<select name="mentor"[^>]*>(.*?)</select>', html, re.S)
    if select is None:
        assert re.search(r'<input type="text" name="mentor"', html), "no mentor field"
        return "box", []
    return "drop-down", mentioned(select.group(1))


@pytest.mark.parametrize("pair", [MANAGERS, ORG_WIDE], ids="-".join)
@pytest.mark.parametrize("form", ["new", "edit"])
def test_technician_form_counts_each_viewers_own_mentor_candidates(world, monkeypatch, pair, form):
    """The candidates' count decides between the drop-down and the box; editing Bella (B01,
    no candidate herself) both managers may, and each must get the field their count gives."""
    monkeypatch.setattr("technicians.forms.MENTOR_SELECT_LIMIT", MENTOR_LIMIT)
    url = "/technicians/new/" if form == "new" else f"/technicians/{world['techs']['Bella Brook'].pk}/edit/"
    in_both_orders(pair, lambda viewer: mentor_field(world, viewer, url), MENTOR_FIELD)


# ---- the dashboard: "Needs attention today", exit reasons, promotions by tier --------------------

ACTIONS = {  # every employed technician in scope, all past their PTCB deadline
    "mgr1": ["Alice Archer", "Adam Ash", "Eve Evans", "Ezra Eaton", "Bella Brook", "Boris Bright"],
    "mgr2": ["Bella Brook", "Boris Bright", "Cora Cole", "Cyril Cross"],
    "hr": [name for name in EVERYONE if name != "Cleo Crane"],
    "admin": [name for name in EVERYONE if name != "Cleo Crane"],
}


def dashboard(world, viewer: str, params=None) -> str:
    return fetch(world["clients"][viewer], "/dashboard/", params).content.decode()


def action_lists(html: str) -> list[str]:
    cards = re.findall(r'data-testid="action-[\w-]+">(.*?)</section>', html, re.S)
    assert len(cards) >= 5, "no action lists"
    return mentioned("".join(cards))


@pytest.mark.parametrize("pair", [MANAGERS, ORG_WIDE], ids="-".join)
def test_dashboard_action_lists_are_each_viewers_own(world, pair):
    in_both_orders(pair, lambda viewer: action_lists(dashboard(world, viewer)), ACTIONS)


def test_dashboard_action_lists_of_a_shared_site_are_that_sites_for_both_managers(world):
    site_b = world["sites"]["B"].pk
    expected = {viewer: ["Bella Brook", "Boris Bright"] for viewer in MANAGERS}
    in_both_orders(MANAGERS, lambda viewer: action_lists(dashboard(world, viewer, {"site": site_b})), expected)


def org_breakdowns(html: str):
    exits = section(html, 'aria-labelledby="exit-h"', "</section>")
    promotions = section(html, 'aria-labelledby="promo-h"', "</section>")
    return (
        re.findall(r'<tr><td>([^<]+)</td><td class="text-end">(\d+)</td>', exits),
        {
            name: int(count)
            for name, count in re.findall(r'<tr><td>([^<]+)</td><td class="text-end">(\d+)</td>', promotions)
        },
    )


def test_dashboard_exit_reasons_and_promotions_by_tier_for_hr_and_admin(world):
    """Cleo's voluntary exit (Pay) and Boris's promotion to Tech III, the organisation's only
    ones in the last twelve months, for both org-wide roles."""
    tiers = Tier.objects.order_by("rank")
    promoted = {tier.name: (1 if tier.code == "TECH3" else 0) for tier in tiers}
    expected_exits = [(Technician.ExitReason.PAY.label, "1")]
    expected = dict.fromkeys(ORG_WIDE, (expected_exits, promoted))

    def read(viewer: str):
        exits, promotions = org_breakdowns(dashboard(world, viewer))
        return exits, {name: promotions.get(name, 0) for name in promoted}

    in_both_orders(ORG_WIDE, read, expected)


# ---- the KPI API ---------------------------------------------------------------------------------


def kpis(world, viewer: str, params=None):
    body = fetch(world["clients"][viewer], "/api/v1/kpis/", {**KPI_PERIOD, **(params or {})}).json()
    return body["scope"], body["sites"], body["headcount_end"]


def test_kpi_api_is_each_managers_own_sites(world):
    """Employed on 2025-03-31: A01 four, B01 two, C01 three (Cleo left in 2026)."""
    site = world["sites"]
    expected = {
        "mgr1": ("sites", sorted([site["A"].pk, site["B"].pk]), 6),
        "mgr2": ("sites", sorted([site["B"].pk, site["C"].pk]), 5),
    }
    in_both_orders(MANAGERS, lambda viewer: kpis(world, viewer), expected)


def test_kpi_api_for_a_shared_site_and_for_the_organisation(world):
    site_b = world["sites"]["B"].pk
    expected = {viewer: ("site", [site_b], 2) for viewer in MANAGERS}
    in_both_orders(MANAGERS, lambda viewer: kpis(world, viewer, {"site": site_b}), expected)
    expected = {viewer: ("organisation", [], 9) for viewer in ORG_WIDE}
    in_both_orders(ORG_WIDE, lambda viewer: kpis(world, viewer), expected)


# ---- hr's reports ------------------------------------------------------------------------------


def report(world, viewer: str):
    response = fetch(world["clients"][viewer], "/reports/kpis.csv", KPI_PERIOD)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    html = fetch(world["clients"][viewer], "/reports/", KPI_PERIOD).content.decode()
    shown = re.findall(r'<th scope="row" class="text-nowrap">(\w+)', html)
    return [(row["scope"], row["site_code"], int(row["headcount_end"])) for row in rows], shown


def test_reports_are_the_same_for_hr_and_admin(world):
    expected_rows = [("organisation", "", 9), ("site", "A01", 4), ("site", "B01", 2), ("site", "C01", 3)]
    expected = {viewer: (expected_rows, ["Organisation", "A01", "B01", "C01"]) for viewer in ORG_WIDE}
    in_both_orders(ORG_WIDE, lambda viewer: report(world, viewer), expected)


# ---- the training matrix -------------------------------------------------------------------------

MATRIX = {  # employed technicians in scope, and the sites the filter offers
    "eval1": (["Alice Archer", "Adam Ash", "Eve Evans", "Ezra Eaton"], ["A01"]),
    "eval2": (["Alice Archer", "Adam Ash", "Eve Evans", "Ezra Eaton", "Bella Brook", "Boris Bright"], ["A01", "B01"]),
    "mgr1": (["Alice Archer", "Adam Ash", "Eve Evans", "Ezra Eaton", "Bella Brook", "Boris Bright"], ["A01", "B01"]),
    "mgr2": (["Bella Brook", "Boris Bright", "Cora Cole", "Cyril Cross"], ["B01", "C01"]),
    "hr": ([name for name in EVERYONE if name != "Cleo Crane"], ["A01", "B01", "C01"]),
    "admin": ([name for name in EVERYONE if name != "Cleo Crane"], ["A01", "B01", "C01"]),
}


def matrix(world, viewer: str):
    html = fetch(world["clients"][viewer], "/training/matrix/").content.decode()
    table = section(html, 'data-testid="training-matrix"', "</table>")
    sites = re.search(r'<select name="site"[^>]*>(.*?)</select>', html, re.S).group(1)
    count = int(re.search(r"(\d+) technicians? · as of", html).group(1))
    rows = mentioned(table)
    assert count == len(rows), (count, rows)
    return rows, re.findall(r'<option value="\d+"[^>]*>(\w+) ·', sites)


@pytest.mark.parametrize("pair", [MANAGERS, EVALUATORS, ORG_WIDE], ids="-".join)
def test_training_matrix_is_each_viewers_own(world, pair):
    in_both_orders(pair, lambda viewer: matrix(world, viewer), MATRIX)


# ---- the second request is served from the cache -------------------------------------------------


def queries(client: Client, url: str, params=None) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch(client, url, params)
    return response.content.decode(), [query["sql"] for query in ctx.captured_queries]


def career(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if CAREER_TABLE.search(sql)]


CACHED_READS = [
    # (what, viewer, url, query)
    ("technicians API page", "tech1", "/api/v1/technicians/", {"page_size": 7}),
    ("technicians API page", "mgr1", "/api/v1/technicians/", {"page_size": 7}),
    ("/me/", "tech1", "/me/", None),
    ("/me/", "eval1", "/me/", None),
    ("dashboard action lists", "mgr1", "/dashboard/", None),
    ("dashboard action lists and breakdowns", "hr", "/dashboard/", None),
    ("KPI API", "mgr1", "/api/v1/kpis/", KPI_PERIOD),
    ("KPI API", "hr", "/api/v1/kpis/", KPI_PERIOD),
    ("report", "hr", "/reports/", KPI_PERIOD),
    ("report CSV", "admin", "/reports/kpis.csv", KPI_PERIOD),
    ("training matrix", "mgr1", "/training/matrix/", None),
    ("training matrix", "eval2", "/training/matrix/", None),
]


@pytest.mark.parametrize(
    ("what", "viewer", "url", "params"), CACHED_READS, ids=[f"{r[0]}-{r[1]}" for r in CACHED_READS]
)
def test_a_second_request_is_served_from_the_cache(world, what, viewer, url, params):
    client = world["clients"][viewer]
    first_body, first = queries(client, url, params)
    second_body, second = queries(client, url, params)
    assert career(first), f"{what}: the first request read no career data"
    # All the second request may read of the career data is who is asking: the viewer's own
    # technician record (a technician's site, the record /me/ shows).
    own = world["users"][viewer].technician_id
    who = re.compile(rf'"technicians_technician"\."id" = {own}\b')
    again = [sql for sql in career(second) if own is None or not who.search(sql)]
    assert again == [], f"{what}: the second request read the career data again:\n" + "\n".join(again)
    assert len(second) < len(first)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"csrfToken": "[^"]+"|content="[^"]{40,}"')
    assert strip.sub("", second_body) == strip.sub("", first_body)
    if world["redis"] is not None:  # kept in the Redis server, where every process would find it
        assert world["redis"].client().keys("*cached:*"), "nothing cached in Redis"


@pytest.mark.parametrize(
    ("what", "viewer", "url"),
    [
        ("technicians page", "mgr1", "/technicians/"),
        ("technicians page", "eval2", "/technicians/"),
        ("technician form", "mgr1", "/technicians/new/"),
        ("technician form", "hr", "/technicians/new/"),
    ],
)
def test_a_second_request_takes_the_count_from_the_cache(world, what, viewer, url):
    """The technicians page (its rows are read every time, its total is kept) and the
    technician form (its count of mentor candidates)."""
    client = world["clients"][viewer]
    _, first = queries(client, url)
    _, second = queries(client, url)
    assert [sql for sql in first if TECHNICIAN_COUNT.search(sql)], f"{what}: the first request counted nothing"
    assert [sql for sql in second if TECHNICIAN_COUNT.search(sql)] == [], f"{what}: counted again"
    assert len(second) < len(first)


def test_the_api_total_comes_from_the_cache_for_another_page_size(world):
    """A new page size is a new page (computed) but the same total (cached)."""
    client = world["clients"]["mgr1"]
    _, first = queries(client, "/api/v1/technicians/", {"page_size": 1})
    _, second = queries(client, "/api/v1/technicians/", {"page_size": 2})
    assert [sql for sql in first if TECHNICIAN_COUNT.search(sql)]
    assert career(second)  # the page itself
    assert [sql for sql in second if TECHNICIAN_COUNT.search(sql)] == []
