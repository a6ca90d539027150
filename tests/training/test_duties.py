"""Authorised duties: who may do what today, the warning list of lapsing authorisations, and
rotations to a station that needs a duty."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from certifications.models import Certification, CertificationType
from competencies.models import Competency, CompetencyRound
from tests.factories import TechnicianFactory
from training import selectors, services
from training.models import Rotation

D = dt.date
TODAY = D(2025, 6, 1)
GARBING_EXPIRES = D(2025, 9, 1)
pytestmark = pytest.mark.django_db


def _achieved(technician, code, *, on, expires_on):
    CompetencyRound.objects.create(
        technician=technician,
        competency=Competency.objects.get(code=code),
        number=1,
        started_on=on,
        achieved_on=on,
        expires_on=expires_on,
    )


def _sterile_ready(technician, *, garbing_expires=GARBING_EXPIRES):
    _achieved(technician, "STERILE_797", on=D(2025, 3, 1), expires_on=garbing_expires)
    _achieved(technician, "STERILE_DIDACTIC", on=D(2025, 1, 15), expires_on=D(2026, 1, 15))


def test_authorised_when_every_requirement_is_current(tech_a, tech_b):
    """tech_a holds both USP <797> competencies (garbing to 2025-09-01, didactic to 2026-01-15):
    authorised for sterile compounding, lapsing on 2025-09-01, the earlier expiry. tech_b holds
    only the didactic one: not authorised, the garbing competency is missing."""
    _sterile_ready(tech_a)
    _achieved(tech_b, "STERILE_DIDACTIC", on=D(2025, 1, 15), expires_on=D(2026, 1, 15))

    standings = selectors.duty_standings(technicians=[tech_a, tech_b], on=TODAY)

    sterile_a = next(s for s in standings[tech_a.pk] if s.duty.code == "STERILE_COMPOUNDING")
    sterile_b = next(s for s in standings[tech_b.pk] if s.duty.code == "STERILE_COMPOUNDING")
    assert (sterile_a.authorised, sterile_a.lapses_on, sterile_a.missing) == (True, D(2025, 9, 1), [])
    assert (sterile_b.authorised, sterile_b.missing) == (
        False,
        ["Sterile compounding: garbing and aseptic technique (USP <797>)"],
    )
    assert selectors.authorised_duties(technicians=[tech_a, tech_b], on=TODAY) == {
        tech_a.pk: {"STERILE_COMPOUNDING"},
        tech_b.pk: set(),
    }


def test_immunization_needs_the_certificate_as_well(tech_a):
    _achieved(tech_a, "IMMUNIZATION", on=D(2025, 2, 1), expires_on=D(2026, 2, 1))
    cert_type = CertificationType.objects.get(code="IMMUNIZATION")

    assert "IMMUNIZATION" not in selectors.authorised_duties(technicians=[tech_a], on=TODAY)[tech_a.pk]

    Certification.objects.create(
        technician=tech_a,
        type=cert_type,
        issued_on=D(2025, 2, 10),
        expires_on=D(2025, 6, 20),
        verified_at=timezone.now(),
    )
    standing = next(
        s for s in selectors.duty_standings(technicians=[tech_a], on=TODAY)[tech_a.pk] if s.duty.code == "IMMUNIZATION"
    )
    assert (standing.authorised, standing.lapses_on) == (True, D(2025, 6, 20))  # the certificate lapses first


def test_duties_lapsing_within_30_days(site_a, manager_user):
    """On 2025-06-01 with a 30-day window (to 2025-07-01): garbing expiring 2025-06-25 is listed,
    2025-07-02 is not."""
    soon = TechnicianFactory(site=site_a, last_name="Soon")
    later = TechnicianFactory(site=site_a, last_name="Later")
    _sterile_ready(soon, garbing_expires=D(2025, 6, 25))
    _sterile_ready(later, garbing_expires=D(2025, 7, 2))

    lapsing = selectors.duties_lapsing(viewer=manager_user, today=TODAY)

    assert [(r["technician"], r["duty"].code, r["lapses_on"]) for r in lapsing] == [
        (soon, "STERILE_COMPOUNDING", D(2025, 6, 25))
    ]


def test_rotation_to_a_duty_station_needs_the_authorisation(tech_a, tech_b):
    _sterile_ready(tech_a)

    with pytest.raises(ApplicationError) as refused:
        services.rotation_schedule(
            technician=tech_b, station="sterile_compounding", start=D(2025, 6, 2), end=D(2025, 6, 6)
        )
    assert refused.value.field == "station"
    assert refused.value.message.startswith("Bob Baker is not authorised for Sterile compounding on 2025-06-02")

    # A learning week at the station is how the duty is learnt: allowed.
    services.rotation_schedule(
        technician=tech_b, station="sterile_compounding", start=D(2025, 6, 2), end=D(2025, 6, 6), learning_week=True
    )
    # An authorised technician is scheduled, but not past the day the authorisation lapses.
    services.rotation_schedule(technician=tech_a, station="sterile_compounding", start=D(2025, 6, 2), end=D(2025, 6, 6))
    with pytest.raises(ApplicationError) as lapses:
        services.rotation_schedule(
            technician=tech_a, station="sterile_compounding", start=D(2025, 8, 25), end=D(2025, 9, 1)
        )
    assert lapses.value.field == "end"
    assert Rotation.objects.count() == 2


def test_matrix_page_lists_lapsing_duties_for_a_manager(client_for, manager_user, site_a):
    soon = TechnicianFactory(site=site_a, first_name="Sam", last_name="Soon")
    today = timezone.localdate()
    achieved = today - dt.timedelta(days=20)
    _achieved(soon, "STERILE_797", on=achieved, expires_on=today + dt.timedelta(days=10))
    _achieved(soon, "STERILE_DIDACTIC", on=achieved, expires_on=today + dt.timedelta(days=200))

    page = client_for(manager_user).get("/training/matrix/").content.decode()

    expected = f"Sam Soon</a> · Sterile compounding: lapses on {today + dt.timedelta(days=10):%Y-%m-%d}"
    assert expected in page
