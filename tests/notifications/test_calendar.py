"""The private calendar feed: its content read back with icalendar, and its secret link."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from competencies.models import Competency, CompetencyRound
from notifications.models import CalendarFeed
from technicians.models import User
from tests.certifications.factories import CertificationFactory, cert_type
from tests.notifications.conftest import D, rehire
from tests.training.factories import TrainingAssignmentFactory, program

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_deadlines(tech_a):
    """Alice, hired 2025-05-31 without CPhT (PTCB deadline 2026-02-28), holds a BLS card renewed
    to 2027-06-10, Dispensing valid until 2027-03-02, one training due 2027-01-15 and one done."""
    rehire(tech_a, D(2025, 5, 31))
    CertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=D(2023, 6, 10), expires_on=D(2025, 6, 10))
    bls = CertificationFactory(
        technician=tech_a, type=cert_type("BLS"), issued_on=D(2025, 6, 10), expires_on=D(2027, 6, 10)
    )
    dispensing = Competency.objects.get(code="DISPENSING")
    CompetencyRound.objects.create(
        technician=tech_a,
        competency=dispensing,
        number=1,
        started_on=D(2026, 2, 1),
        achieved_on=D(2026, 3, 2),
        expires_on=D(2027, 3, 2),
        interval_months=12,
    )
    due = TrainingAssignmentFactory(
        technician=tech_a, program=program("HEALTH_SCREENINGS"), assigned_on=D(2026, 11, 1), due_on=D(2027, 1, 15)
    )
    TrainingAssignmentFactory(
        technician=tech_a, assigned_on=D(2025, 7, 1), due_on=D(2025, 8, 1), completed_on=D(2025, 7, 20)
    )
    return {"bls": bls, "dispensing": dispensing, "training": due}


def _create_link(client) -> str:
    response = client.post("/notifications/calendar/link/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/calendar/")
    return CalendarFeed.objects.get().token


def _events(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "url": str(event["URL"]),
        }
        for event in calendar.walk("VEVENT")
    }


def test_the_feed_holds_each_deadline_as_an_all_day_event(client_for, client, technician_user, tech_a, alice_deadlines):
    token = _create_link(client_for(technician_user))
    client.logout()  # a calendar app has no session: the token alone opens the feed

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "CareerLadder deadlines: Alice Archer"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT12H"  # calendar apps refresh twice a day
    assert response["Cache-Control"] == "no-store"
    dispensing_pk = alice_deadlines["dispensing"].pk
    training_pk = alice_deadlines["training"].pk
    events = _events(response.content)
    assert {uid: (e["summary"], e["start"], e["end"]) for uid, e in events.items()} == {
        f"ptcb-{tech_a.pk}@careerladder": ("PTCB deadline: hold CPhT", D(2026, 2, 28), D(2026, 3, 1)),
        f"certification-{tech_a.pk}-bls@careerladder": ("BLS expires", D(2027, 6, 10), D(2027, 6, 11)),
        f"competency-{tech_a.pk}-{dispensing_pk}@careerladder": (
            "Re-validate: Dispensing and filling accuracy",
            D(2027, 3, 2),
            D(2027, 3, 3),
        ),
        f"training-{training_pk}@careerladder": (
            "Training due: Health screenings (blood pressure, glucose)",
            D(2027, 1, 15),
            D(2027, 1, 16),
        ),
    }
    # All-day events are dates, not date-times.
    assert all(type(e["start"]) is dt.date for e in events.values())
    assert events[f"training-{training_pk}@careerladder"]["url"] == "http://testserver/training/"


def test_event_uids_stay_when_dates_move(client_for, client, technician_user, tech_a, alice_deadlines):
    token = _create_link(client_for(technician_user))
    before = _events(client.get(f"/calendar/{token}.ics").content)
    training = alice_deadlines["training"]
    type(training).objects.filter(pk=training.pk).update(due_on=D(2027, 2, 1))
    CertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=D(2027, 6, 1), expires_on=D(2029, 6, 1))

    after = _events(client.get(f"/calendar/{token}.ics").content)

    assert set(after) == set(before)
    assert after[f"training-{training.pk}@careerladder"]["start"] == D(2027, 2, 1)
    assert after[f"certification-{tech_a.pk}-bls@careerladder"]["start"] == D(2029, 6, 1)


def test_a_new_link_revokes_the_old_one(client_for, client, technician_user, tech_a):
    technician = client_for(technician_user)
    old = _create_link(technician)
    assert client.get(f"/calendar/{old}.ics").status_code == 200

    response = technician.post("/notifications/calendar/link/", {"action": "new"}, follow=True)

    new = CalendarFeed.objects.get().token
    assert new != old
    assert "The old link no longer works" in response.content.decode()
    assert f"http://testserver/calendar/{new}.ics" in response.content.decode()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200

    technician.post("/notifications/calendar/link/", {"action": "stop"})
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert CalendarFeed.objects.count() == 0


def test_unknown_tokens_and_deactivated_logins_answer_404(client_for, client, technician_user, tech_a):
    token = _create_link(client_for(technician_user))
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404

    User.objects.filter(pk=technician_user.pk).update(is_active=False)

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_calendar_page_is_for_logins_linked_to_a_technician(client_for, technician_user, manager_user, tech_a):
    assert client_for(manager_user).get("/notifications/calendar/").status_code == 404
    assert client_for(manager_user).post("/notifications/calendar/link/").status_code == 404
    assert CalendarFeed.objects.count() == 0

    page = client_for(technician_user).get("/notifications/calendar/").content.decode()
    assert "Create my calendar link" in page
    token = _create_link(client_for(technician_user))
    page = client_for(technician_user).get("/notifications/calendar/").content.decode()
    assert f'value="http://testserver/calendar/{token}.ics"' in page
    assert f'href="webcal://testserver/calendar/{token}.ics"' in page
    assert "Generate new link" in page
