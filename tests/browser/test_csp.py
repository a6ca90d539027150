"""The pages honour the strict Content-Security-Policy: visited as each role in Chromium, no page
logs a CSP violation or a script error, the charts draw, htmx works, and Swagger UI runs.

Chromium reports every blocked inline script, style, handler or eval on the console ("Refused
to … because it violates the following Content Security Policy directive …"); the page also
fires ``securitypolicyviolation`` events, which are collected too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics import services
from metrics.selectors import trend_months
from tests.browser.conftest import login
from tests.certifications.factories import CertificationFactory, PracticeTestFactory
from tests.factories import TechnicianFactory

COLLECT_VIOLATIONS = """() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
  });
}"""


@pytest.fixture
def world(site_a, site_b, tech_a, tech_b):
    """Enough data for every chart and panel to render: KPI snapshots for the trend charts, a
    CPhT and practice tests for the technician's certification page."""
    today = timezone.localdate()
    for n in range(4):
        TechnicianFactory(site=site_a, hire_date=today - dt.timedelta(days=700 + 90 * n))
    CertificationFactory(technician=tech_a, issued_on=today - dt.timedelta(days=100))
    for days, score in ((60, 64), (30, 74)):
        PracticeTestFactory(
            technician=tech_a,
            taken_on=today - dt.timedelta(days=days),
            score=score,
            domain_scores={"medications": 78, "federal_requirements": 62, "patient_safety": 77, "order_entry": 75},
        )
    services.kpi_snapshots_compute_all(months=trend_months(today=today), today=today)
    return {"tech_a": tech_a, "tech_b": tech_b}


def pages_by_role(world) -> dict[str, list[str]]:
    a, b = world["tech_a"].pk, world["tech_b"].pk
    return {
        "technician": ["/", "/me/", "/certifications/me/", "/training/", "/ladder/", "/tracks/", "/api/docs/"],
        "evaluator": ["/", "/technicians/", f"/technicians/{a}/", f"/technicians/{a}/signoffs/", "/training/matrix/"],
        "manager": [
            "/dashboard/",
            "/technicians/",
            f"/technicians/{a}/",
            f"/technicians/{a}/certifications/",
            f"/training/technicians/{a}/",
            "/training/matrix/",
            "/training/rotations/",
            "/certifications/overview/",
            "/certifications/verification/",
            "/promotions/",
        ],
        "hr": [
            "/dashboard/",
            "/reports/",
            "/reports/print/",
            "/technicians/",
            f"/technicians/{b}/",
            "/training/matrix/",
            "/certifications/policy/",
            "/certifications/types/",
            "/incentives/",
            "/api/docs/",
        ],
        "admin": ["/dashboard/", "/technicians/", "/ladder/", "/api/docs/"],
    }


def visit(page: Page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), f"{url}: no CSP header"
    page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations || []"))


@pytest.mark.parametrize("role", ["technician", "evaluator", "manager", "hr", "admin"])
def test_pages_run_under_the_csp_without_violations(role, page: Page, live_server, users, world):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: console {msg.type}: {msg.text}")
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text or msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    page.add_init_script(f"({COLLECT_VIOLATIONS})()")

    login(page, live_server.url, users[role].username)
    for path in pages_by_role(world)[role]:
        visit(page, f"{live_server.url}{path}", problems)
        if path == "/api/docs/":
            # Swagger UI started from its script URL and rendered the operations.
            expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
        if path == "/dashboard/":
            expect(page.locator("canvas[data-kpi-chart]").first).to_have_attribute("data-drawn", "true")
        assert page.evaluate("document.querySelectorAll('style').length") == 0, f"{path}: an injected <style>"

    assert not problems, "\n".join(problems)


def test_charts_draw_and_htmx_runs_under_the_csp(page: Page, live_server, users, world):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    login(page, live_server.url, users["technician"].username)
    page.goto(f"{live_server.url}/certifications/me/")
    chart = page.locator("#practice-chart")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 200  # sized by practice-chart.js, not an inline style

    page.context.clear_cookies()
    login(page, live_server.url, users["hr"].username)
    page.goto(f"{live_server.url}/dashboard/")
    # The Recompute button posts with htmx (hx-post): it needs neither eval nor inline styles.
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="Recompute").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("freshness")).to_contain_text("Computed")

    assert not problems, "\n".join(problems)
