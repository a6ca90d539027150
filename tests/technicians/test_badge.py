"""The technician's badge QR code: it opens their sign-off sheet (issue 18, skills fairs).

The QR codes are decoded back with zxing-cpp: the PNG segno renders for the technician, and the
inline SVG the pages carry, drawn onto a bitmap from its path, so a wrong host, id or route
cannot pass for a right one.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
import zxingcpp
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageDraw

from competencies.badges import signoff_sheet_qr, signoff_sheet_qr_svg, signoff_sheet_url
from technicians.models import User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tiers.models import Tier, TierAssignment
from tiers.services import tier_assignment_start

SITE_URL = "https://careerladder.mercy.example.org"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture(autouse=True)
def _site_url(settings):
    # A trailing slash, as someone may well write it: the address must not get a double slash.
    settings.SITE_URL = SITE_URL + "/"


@pytest.fixture
def alex(site_a):
    return TechnicianFactory(site=site_a, first_name="Alex", last_name="Kim", employee_id="A-77", tier="TECH2")


def decode_png(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def decode_svg(svg: str, scale: int = 8) -> list[str]:
    """Draw segno's SVG path (``M x y``, then ``m dx dy`` moves and ``h n`` runs of dark
    modules along the line ``y``, one module high) onto a white bitmap and decode it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'<path[^>]*stroke="#000"[^>]*\sd="([^"]+)"', svg).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            end = numbers[0] if command == "H" else x + numbers[0]
            left, right = sorted((x, end))
            draw.rectangle(
                [left * scale, (y - 0.5) * scale, right * scale - 1, (y + 0.5) * scale - 1],
                fill=0,
            )
            x = end
    return [result.text for result in zxingcpp.read_barcodes(image)]


def page_svgs(response) -> list[str]:
    return SVG.findall(response.content.decode())


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# ---- the code itself ------------------------------------------------------------------------


def test_the_qr_code_holds_the_absolute_address_of_the_sign_off_sheet(alex):
    # Given SITE_URL https://careerladder.mercy.example.org/ and Alex Kim's id
    expected = f"https://careerladder.mercy.example.org/technicians/{alex.pk}/signoffs/"

    # Then the address and the PNG segno renders both decode to the sheet at that host
    assert signoff_sheet_url(technician=alex) == expected
    png = io.BytesIO()
    signoff_sheet_qr(technician=alex).save(png, kind="png", scale=6)
    assert decode_png(png.getvalue()) == [expected]


def test_the_inline_svg_decodes_to_the_same_address_and_needs_nothing_from_outside(alex):
    svg = signoff_sheet_qr_svg(technician=alex)

    assert decode_svg(svg) == [f"https://careerladder.mercy.example.org/technicians/{alex.pk}/signoffs/"]
    # Markup only: no image request, no data: URI, no style attribute for the CSP to refuse.
    assert svg.startswith('<svg role="img" ')
    assert "<title>QR code: Alex Kim's sign-off sheet</title>" in svg
    for refused in ("<image", "href=", "data:", "style=", "<script"):
        assert refused not in svg


def test_a_name_with_markup_is_escaped_in_the_code_title(site_a):
    tech = TechnicianFactory(site=site_a, first_name="<b>Jo", last_name="O'Neil & Co")

    svg = signoff_sheet_qr_svg(technician=tech)

    assert "<b>" not in svg
    assert "&lt;b&gt;Jo O'Neil &amp; Co" in svg


def test_different_technicians_get_different_codes(alex, tech_a):
    assert decode_svg(signoff_sheet_qr_svg(technician=tech_a)) == [f"{SITE_URL}/technicians/{tech_a.pk}/signoffs/"]
    assert decode_svg(signoff_sheet_qr_svg(technician=alex)) == [f"{SITE_URL}/technicians/{alex.pk}/signoffs/"]


# ---- the badge page: who opens it -----------------------------------------------------------


def badge(client, tech):
    return client.get(f"/technicians/{tech.pk}/badge/")


def test_the_technician_opens_their_own_badge_and_no_one_elses(technician_user, tech_a, site_a, client_for):
    colleague = TechnicianFactory(site=site_a)
    client = client_for(technician_user)

    assert badge(client, tech_a).status_code == 200
    assert badge(client, colleague).status_code == 404


def test_an_evaluator_opens_the_badges_of_their_site_only(evaluator_user, tech_a, tech_b, client_for):
    client = client_for(evaluator_user)

    assert badge(client, tech_a).status_code == 200
    assert badge(client, tech_b).status_code == 404


def test_a_manager_of_another_site_gets_404(tech_a, tech_b, client_for):
    other_site = SiteFactory(code="C01")
    manager_c = UserFactory(username="manager-c", role=User.Role.MANAGER, sites=[other_site])
    client = client_for(manager_c)

    assert badge(client, tech_a).status_code == 404
    assert badge(client, tech_b).status_code == 404


@pytest.mark.parametrize("role", ["manager", "hr", "admin"])
def test_managers_of_the_site_hr_and_admin_open_the_badge(role, users, tech_a, client_for):
    assert badge(client_for(users[role]), tech_a).status_code == 200


def test_anonymous_is_sent_to_log_in(tech_a, client):
    response = badge(client, tech_a)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_badge_shows_name_employee_id_site_tier_printed_date_and_the_code(
    evaluator_user, alex, client_for, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2026, 3, 9))

    response = badge(client_for(evaluator_user), alex)

    page = response.content.decode()
    card = re.search(r'<article class="technician-badge".*?</article>', page, re.S).group(0)
    assert text(re.search(r'<h2 id="badge-name".*?</h2>', card, re.S).group(0)) == "Alex Kim"
    assert text(re.search(r'data-testid="badge-employee-id">(.*?)<', card).group(1)) == "A-77"
    assert text(re.search(r'data-testid="badge-site">(.*?)<', card).group(1)) == "Riverside Community Pharmacy"
    assert text(re.search(r'data-testid="badge-tier">(.*?)<', card).group(1)) == "Pharmacy Technician II"
    assert '<time datetime="2026-03-09" data-testid="badge-printed">Mar 9, 2026</time>' in card
    assert "Scan to open Alex Kim's sign-off sheet" in text(card)
    [svg] = SVG.findall(card)
    assert decode_svg(svg) == [f"{SITE_URL}/technicians/{alex.pk}/signoffs/"]
    # Printing hides the navigation: the print stylesheet is linked.
    assert "/static/css/badge.css" in page


def test_the_badge_page_takes_the_same_queries_for_any_technician(
    evaluator_user, site_a, client_for, django_assert_num_queries
):
    # Given a technician with one tier assignment and one with a long history and a mentor
    short = TechnicianFactory(site=site_a, tier="TECH1")
    mentor = TechnicianFactory(site=site_a, tier="LEAD")
    long = TechnicianFactory(site=site_a, tier="TECH1", mentor=mentor, hire_date=dt.date(2020, 1, 6))
    for code, start in (("TECH2", dt.date(2022, 1, 3)), ("TECH3", dt.date(2024, 1, 8))):
        tier_assignment_start(
            technician=long,
            tier=Tier.objects.get(code=code),
            start_date=start,
            reason=TierAssignment.Reason.PROMOTION,
        )
    client = client_for(evaluator_user)
    badge(client, short)  # warm-up: the login and its sites are read once
    with CaptureQueriesContext(connection) as first:
        assert badge(client, short).status_code == 200

    # Then the other badge takes exactly as many queries
    with django_assert_num_queries(len(first)):
        response = badge(client, long)
    assert text(re.search(r'data-testid="badge-tier">(.*?)<', response.content.decode()).group(1)) == (
        "Pharmacy Technician III"
    )


def test_the_badge_page_answers_only_get(evaluator_user, tech_a, client_for):
    assert client_for(evaluator_user).post(f"/technicians/{tech_a.pk}/badge/").status_code == 405


# ---- the record page: the code for those who sign off or manage -------------------------------


@pytest.mark.parametrize("role", ["evaluator", "manager", "hr", "admin"])
def test_the_record_page_shows_the_code_and_the_badge_link_to_those_who_sign_off_or_manage(
    role, users, alex, client_for
):
    response = client_for(users[role]).get(f"/technicians/{alex.pk}/")

    page = response.content.decode()
    section = re.search(r'<section[^>]*data-testid="signoff-qr".*?</section>', page, re.S).group(0)
    assert "Scan to open Alex Kim's sign-off sheet" in text(section)
    assert f'href="/technicians/{alex.pk}/badge/"' in section
    assert text(re.search(rf'<a[^>]*href="/technicians/{alex.pk}/badge/"[^>]*>.*?</a>', section, re.S).group(0)) == (
        "Print badge"
    )
    [svg] = SVG.findall(section)
    assert decode_svg(svg) == [f"{SITE_URL}/technicians/{alex.pk}/signoffs/"]


def test_the_technician_does_not_see_the_code_on_their_own_record(technician_user, tech_a, client_for):
    # A technician never signs off for themself; their badge is printed by their managers.
    response = client_for(technician_user).get(f"/technicians/{tech_a.pk}/")

    assert response.status_code == 200
    assert 'data-testid="signoff-qr"' not in response.content.decode()
    assert page_svgs(response) == []
    assert f"/technicians/{tech_a.pk}/badge/" not in response.content.decode()


def test_an_evaluator_does_not_see_the_code_on_their_own_record(evaluator_user, client_for):
    own = evaluator_user.technician

    response = client_for(evaluator_user).get(f"/technicians/{own.pk}/")

    assert response.status_code == 200
    assert 'data-testid="signoff-qr"' not in response.content.decode()
