"""A technician's badge QR code: it opens their sign-off sheet on an evaluator's phone.

The code holds the sheet's absolute address built from ``SITE_URL`` (the address people open
the app at), not from the request, so a badge printed from any host still opens the hospital's
own server. It is drawn server-side as inline SVG: no image request and nothing the strict
Content-Security-Policy has to allow.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from technicians.models import Technician

# Medium error correction (15 %) survives a scuffed or creased printed badge.
ERROR_CORRECTION = "m"


def signoff_sheet_url(*, technician: Technician) -> str:
    """The absolute address of ``technician``'s sign-off sheet."""
    return settings.SITE_URL.rstrip("/") + reverse("competencies:signoffs", kwargs={"pk": technician.pk})


def signoff_sheet_qr(*, technician: Technician) -> segno.QRCode:
    return segno.make(signoff_sheet_url(technician=technician), error=ERROR_CORRECTION, micro=False)


def signoff_sheet_qr_svg(*, technician: Technician) -> SafeString:
    """The QR code as inline SVG markup, scaled by CSS (a view box, no fixed size), dark on a
    white ground with its quiet zone so that it scans in dark mode and on coloured paper."""
    svg = signoff_sheet_qr(technician=technician).svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="qr-code",
        lineclass=None,
        title=f"QR code: {technician.full_name}'s sign-off sheet",
    )
    # role="img" lets assistive technology name the drawing by its title. The only text from
    # the database is the name in that title, which segno escapes (tests/technicians/test_badge.py).
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's own markup
