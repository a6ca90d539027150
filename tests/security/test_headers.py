"""Response headers: the strict Content-Security-Policy on every page, ``Cache-Control:
no-store`` on personal answers, and templates that the policy lets run (no inline script,
style or event handler)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; connect-src 'self'; script-src 'self'; object-src 'none'; style-src 'self'; "
    "font-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_sends_the_strict_policy(client_for, manager_user, client):
    expected = directives(POLICY)
    assert directives(client.get("/accounts/login/")["Content-Security-Policy"]) == expected
    manager = client_for(manager_user)
    for url in ("/dashboard/", "/technicians/", "/training/matrix/"):
        response = manager.get(url)
        assert response.status_code == 200, url
        assert directives(response["Content-Security-Policy"]) == expected, url


def test_evidence_files_keep_their_own_sandbox_policy(client_for, technician_user, tech_a, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.certifications.factories import UnverifiedCertificationFactory
    from tests.certifications.test_evidence import PDF

    settings.MEDIA_ROOT = str(tmp_path)
    cert = UnverifiedCertificationFactory(technician=tech_a, evidence=SimpleUploadedFile("x.pdf", PDF))

    response = client_for(technician_user).get(f"/certifications/{cert.pk}/evidence/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")


@pytest.mark.parametrize("url", ["/me/", "/certifications/me/"])
def test_a_technicians_own_pages_are_not_stored(url, client_for, technician_user):
    response = client_for(technician_user).get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_the_dashboard_is_not_stored(client_for, manager_user):
    response = client_for(manager_user).get("/dashboard/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_answers_are_not_stored_even_errors(manager_user):
    token = Token.objects.create(user=manager_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    ok = api.get("/api/v1/technicians/")
    anonymous = Client().get("/api/v1/technicians/")

    assert ok.status_code == 200 and ok["Cache-Control"] == "no-store"
    assert anonymous.status_code == 401 and anonymous["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_api_docs_load_their_script_from_a_url(client_for, manager_user):
    client = client_for(manager_user)
    page = client.get("/api/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script> on /api/docs/"
    assert "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


# --- Templates: nothing inline for the policy to block ------------------------------------------

INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on…= event handler": re.compile(r"\son[a-z]+\s*=\s*[\"'{]", re.I),
    "javascript: URL": re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I),
}


def project_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    folders = [base / "templates", *base.glob("*/templates"), *base.glob("careerladder/*/templates")]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_templates_have_no_inline_script_style_or_handlers():
    templates = project_templates()
    assert len(templates) > 50  # every app's templates were found
    problems = []
    for path in templates:
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)  # comments may name what is banned
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {what}")
    assert not problems, "The CSP blocks these; move them to static/js or static/css:\n" + "\n".join(problems)
