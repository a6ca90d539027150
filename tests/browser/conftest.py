"""Browser tests: the real pages, served by pytest-django's ``live_server``, in headless Chromium.

Database semantics. ``live_server`` serves requests from another thread, so a test that uses
it runs with ``transactional_db`` (pytest-django switches ``db`` to ``transactional_db`` for
every test whose fixture closure contains ``live_server``): rows that the role fixtures create
are committed and visible to the server thread. A transactional test ends with a flush, which
would also remove the tier ladder seeded by a data migration; every test here therefore also
asks for ``django_db_serialized_rollback`` (autouse below), which restores the migrated data
before each test (see ``_serialized_contents_survive_playwright`` for the one wrinkle). pytest-django orders transactional tests after the others, so the flush
never leaks into the ordinary ``db`` tests.

Helpers:

* ``login(page, live_server, username)`` drives the real login form.
* ``logged_in_page`` (a factory fixture) returns ``page`` logged in as a given user.
* ``shoot(page, name)`` saves full-page screenshots at desktop and phone widths.
* ``axe_violations(page)`` returns serious/critical axe-core violations as readable lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

PASSWORD = "careerladder-test"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")

_axe = Axe()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _serialized_contents_survive_playwright(django_db_setup, playwright):
    """Hand the migrated data snapshot to the connection that the tests really use.

    Django keeps ``connections`` in an asgiref ``Local(thread_critical=True)``: thread-local
    storage while no event loop runs, a context variable once one does. Playwright's sync API
    marks its loop as running between calls, so after it starts the tests get a second
    ``DatabaseWrapper`` that lacks the ``_test_serialized_contents`` which ``django_db_setup``
    put on the first one, and serialized rollback would silently do nothing. Copy it over
    (session scope sorts this before the function-scoped ``_django_db_helper``).
    """
    from django.db import connections

    thread_storage = connections._connections._storage  # the pre-Playwright, thread-local wrappers
    for alias in connections:
        current = connections[alias]
        if hasattr(current, "_test_serialized_contents"):
            continue
        original = getattr(thread_storage, alias, None)
        contents = getattr(original, "_test_serialized_contents", None)
        if contents is not None:
            current._test_serialized_contents = contents


@pytest.fixture(autouse=True)
def _browser_db(django_db_serialized_rollback, live_server):
    """Every browser test gets a live server and a transactional, serialized-rollback database."""


@pytest.fixture
def page(page: Page) -> Page:
    """Playwright's page at desktop width, with short timeouts so a missing element fails fast."""
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


def login(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in the way a person does: open the form, type, click the button."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("domcontentloaded")


@pytest.fixture
def logged_in_page(page: Page, live_server):
    """``logged_in_page(user)`` logs ``user`` in through the form and returns the page."""

    def make(user) -> Page:
        login(page, live_server.url, user.username)
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    return make


def shoot(page: Page, name: str) -> list[Path]:
    """Save full-page screenshots of the current page at desktop and phone widths.

    Files land in ``test-artifacts/screenshots/<name>-desktop.png`` and ``-phone.png``; the
    viewport is restored afterwards.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size or DESKTOP
    paths = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)  # let layout and media queries settle
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(original)
    return paths


def assert_fits_phone(page: Page) -> None:
    """At phone width the page itself never scrolls sideways (wide tables scroll inside their box)."""
    original = page.viewport_size or DESKTOP
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(original)
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at {PHONE['width']}px: it scrolls sideways"


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """Run axe-core on the current page; return one readable line per violating node
    whose impact is in ``impacts`` (serious and critical by default)."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in impacts:
            continue
        for node in violation["nodes"]:
            messages = [check["message"] for check in node.get("any", []) + node.get("all", []) + node.get("none", [])]
            found.append(
                f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                f"at {', '.join(map(str, node['target']))} -- {'; '.join(messages)} "
                f"({violation['helpUrl']})"
            )
    return found


def assert_accessible(page: Page) -> None:
    """Fail with a readable list when axe finds serious or critical violations."""
    problems = axe_violations(page)
    assert not problems, f"axe found {len(problems)} serious/critical problem(s) on {page.url}:\n" + "\n".join(problems)
