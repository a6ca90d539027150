"""Tracks (positions, requirements, enrolment, hours) and mentoring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from competencies.models import Competency
from tests.factories import TechnicianFactory
from tests.ladder.factories import achieve, certify
from tracks import services as tracks_services
from tracks.models import Enrolment, MentoringMeeting, TrackPosition
from tracks.selectors import enrolments_with_progress, mentee_list, mentoring_meeting_list


def _today():
    return timezone.localdate()


@pytest.fixture
def inventory_coordinator(db):
    return TrackPosition.objects.get(code="INVENTORY_COORD")


def test_seeded_tracks_and_positions(db):
    clinical = TrackPosition.objects.filter(track__code="CLINICAL").order_by("position")
    management = TrackPosition.objects.filter(track__code="MANAGEMENT").order_by("position")

    assert list(clinical.values_list("code", flat=True)) == [
        "IMMUNIZATION_TECH",
        "POCT_TECH",
        "MED_HISTORY_TECH",
        "STERILE_TECH",
    ]
    assert list(management.values_list("code", "min_tier__code", "min_shadowing_hours", "min_leadership_hours")) == [
        ("INVENTORY_COORD", "TECH2", Decimal("40.0"), Decimal("0.0")),
        ("LEAD_TECH", "TECH3", Decimal("40.0"), Decimal("120.0")),
        ("ASST_MANAGER", "LEAD", Decimal("80.0"), Decimal("240.0")),
    ]


def test_position_progress_lists_tier_competencies_certifications_and_hours(
    tech_a, technician_user, evaluator_user, manager_user, inventory_coordinator
):
    enrolment = tracks_services.enrolment_create(
        technician=tech_a, position=inventory_coordinator, enrolled_by=technician_user, enrolled_on=dt.date(2025, 1, 6)
    )
    achieve(tech_a, evaluator_user, Competency.objects.get(code="INVENTORY"), _today() - dt.timedelta(days=3))
    tracks_services.leadership_hours_log(
        technician=tech_a,
        kind="shadowing",
        worked_on=_today() - dt.timedelta(days=2),
        hours=Decimal("7.5"),
        activity="Shadowed the buyer: wholesaler order and invoice reconciliation",
        recorded_by=manager_user,
    )

    [progress] = enrolments_with_progress(technicians=[tech_a], today=_today())

    assert progress.pk == enrolment.pk
    assert progress.ready is False
    assert [(m["kind"], m["code"]) for m in progress.missing] == [
        ("tier", "TECH2"),
        ("competency", "CS_HANDLING"),  # competencies in category, then name order
        ("competency", "VENDOR_COMM"),
        ("certification", "CPHT"),
        ("hours", "SHADOWING"),
    ]
    assert progress.missing[0]["detail"] == "Needs Pharmacy Technician II or above."
    assert progress.missing[-1]["detail"] == "7.5 of 40.0 shadowing hours logged."
    with pytest.raises(ApplicationError):
        tracks_services.enrolment_complete(enrolment=enrolment)


def test_completing_a_ready_enrolment(site_a, evaluator_user, manager_user, inventory_coordinator):
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2023, 1, 9), tier="TECH2")
    for code in ("INVENTORY", "VENDOR_COMM", "CS_HANDLING"):
        achieve(tech, evaluator_user, Competency.objects.get(code=code), _today() - dt.timedelta(days=5))
    certify(tech, "CPHT", issued_on=_today() - dt.timedelta(days=30))
    for day in range(1, 6):
        tracks_services.leadership_hours_log(
            technician=tech,
            kind="shadowing",
            worked_on=_today() - dt.timedelta(days=day),
            hours=Decimal("8"),
            activity="Shadowed the inventory coordinator",
            recorded_by=manager_user,
        )
    enrolment = tracks_services.enrolment_create(
        technician=tech, position=inventory_coordinator, enrolled_by=manager_user
    )

    [progress] = enrolments_with_progress(technicians=[tech], today=_today())
    assert (progress.ready, progress.missing) == (True, [])
    tracks_services.enrolment_complete(enrolment=enrolment)

    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_on) == ("completed", _today())


def test_one_active_enrolment_per_track_and_withdrawal(tech_a, technician_user, inventory_coordinator):
    enrolment = tracks_services.enrolment_create(
        technician=tech_a, position=inventory_coordinator, enrolled_by=technician_user
    )
    lead = TrackPosition.objects.get(code="LEAD_TECH")

    with pytest.raises(ApplicationError) as err:
        tracks_services.enrolment_create(technician=tech_a, position=lead, enrolled_by=technician_user)
    assert err.value.field == "position"

    tracks_services.enrolment_withdraw(enrolment=enrolment)
    again = tracks_services.enrolment_create(technician=tech_a, position=lead, enrolled_by=technician_user)
    assert again.status == "active"
    assert Enrolment.objects.get(pk=enrolment.pk).status == "withdrawn"


def test_hours_are_logged_by_a_supervisor_within_a_day(tech_a, evaluator_user):
    with pytest.raises(ApplicationError) as too_many:
        tracks_services.leadership_hours_log(
            technician=tech_a,
            kind="rotational_leadership",
            worked_on=_today(),
            hours=Decimal("25"),
            activity="Led the evening shift",
            recorded_by=evaluator_user,
        )
    assert too_many.value.field == "hours"
    with pytest.raises(ApplicationError):
        tracks_services.leadership_hours_log(
            technician=evaluator_user.technician,
            kind="shadowing",
            worked_on=_today(),
            hours=Decimal("2"),
            activity="Own hours",
            recorded_by=evaluator_user,
        )


def test_api_technician_enrols_themself_and_sees_progress(client_for, technician_user, tech_a, tech_b):
    client = client_for(technician_user)

    own = client.post(
        "/api/v1/enrolments/", {"technician": tech_a.pk, "position": "POCT_TECH"}, content_type="application/json"
    )
    other = client.post(
        "/api/v1/enrolments/", {"technician": tech_b.pk, "position": "POCT_TECH"}, content_type="application/json"
    )

    assert own.status_code == 201, own.json()
    assert (own.json()["track"], own.json()["position"], own.json()["status"], own.json()["ready"]) == (
        "CLINICAL",
        "POCT_TECH",
        "active",
        False,
    )
    assert [m["code"] for m in own.json()["missing"]] == ["TECH2", "POCT", "CPHT"]
    assert other.status_code == 400  # tech_b is not among the technicians this login can name
    assert list(other.json()) == ["technician"]
    listed = client.get("/api/v1/enrolments/").json()
    assert [row["position"] for row in listed["results"]] == ["POCT_TECH"]


def test_api_tracks_list_positions_with_requirements(client_for, technician_user):
    response = client_for(technician_user).get("/api/v1/tracks/")

    assert response.status_code == 200
    tracks = {t["code"]: t for t in response.json()["results"]}
    sterile = next(p for p in tracks["CLINICAL"]["positions"] if p["code"] == "STERILE_TECH")
    assert sorted(sterile["required_competencies"]) == ["HD_800", "STERILE_797", "STERILE_DIDACTIC"]
    assert sorted(sterile["required_certifications"]) == ["CPHT", "CSPT"]
    assert sterile["min_tier"] == "TECH2"


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------


def test_mentor_must_be_an_active_tech3_or_lead(tech_a, manager_user, site_a):
    tech2 = TechnicianFactory(site=site_a, tier="TECH2")
    lead = TechnicianFactory(site=site_a, tier="LEAD")

    with pytest.raises(ApplicationError) as low:
        tracks_services.mentor_assign(technician=tech_a, mentor=tech2, assigned_by=manager_user)
    with pytest.raises(ApplicationError) as itself:
        tracks_services.mentor_assign(technician=lead, mentor=lead, assigned_by=manager_user)
    tracks_services.mentor_assign(technician=tech_a, mentor=lead, assigned_by=manager_user)

    assert (low.value.field, itself.value.field) == ("mentor", "mentor")
    tech_a.refresh_from_db()
    assert tech_a.mentor == lead


def test_the_mentor_sees_mentees_and_logs_meetings(tech_a, tech_b, evaluator_user, manager_user):
    tracks_services.mentor_assign(technician=tech_a, mentor=evaluator_user.technician, assigned_by=manager_user)
    tech_a.refresh_from_db()

    meeting = tracks_services.mentoring_meeting_record(
        mentee=tech_a,
        recorded_by=evaluator_user,
        met_on=_today(),
        minutes=45,
        topics="Billing rejects 75 and 79; plan for the non-sterile checklist",
        next_steps="Shadow the billing lead on Tuesday",
    )

    assert (meeting.mentor, meeting.mentee, meeting.minutes) == (evaluator_user.technician, tech_a, 45)
    assert list(mentee_list(viewer=evaluator_user)) == [tech_a]
    assert list(mentoring_meeting_list(viewer=evaluator_user)) == [meeting]
    with pytest.raises(ApplicationError) as no_mentor:
        tracks_services.mentoring_meeting_record(
            mentee=tech_b, recorded_by=manager_user, met_on=_today(), minutes=30, topics="x"
        )
    assert no_mentor.value.field == "mentee"
    assert MentoringMeeting.objects.count() == 1


def test_a_technician_mentor_sees_mentees_through_the_api(client_for, site_a, manager_user):
    from technicians.models import User
    from tests.factories import UserFactory

    lead = TechnicianFactory(site=site_a, tier="LEAD", first_name="Lena", last_name="Lead")
    mentee = TechnicianFactory(site=site_a, first_name="Max", last_name="Mentee")
    tracks_services.mentor_assign(technician=mentee, mentor=lead, assigned_by=manager_user)
    lead_login = UserFactory(role=User.Role.TECHNICIAN, technician=lead)
    client = client_for(lead_login)

    created = client.post(
        "/api/v1/mentoring-meetings/",
        {"mentee": mentee.pk, "met_on": _today().isoformat(), "minutes": 30, "topics": "Goals for Tech II"},
        content_type="application/json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["mentor"] == lead.pk
    assert [m["mentee"] for m in client.get("/api/v1/mentoring-meetings/").json()["results"]] == [mentee.pk]
