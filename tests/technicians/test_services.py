"""Writes to technicians and their tier history: technicians.services and tiers.services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

from careerladder.core.errors import ApplicationError
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tiers.models import Tier, TierAssignment
from tiers.services import technician_create, technician_update, tier_assignment_start


def tier(code: str) -> Tier:
    return Tier.objects.get(code=code)


def hire(site, **changes) -> Technician:
    return technician_create(
        **{
            "employee_id": "A-300",
            "first_name": "Iris",
            "last_name": "Ives",
            "site": site,
            "hire_date": dt.date(2025, 1, 6),
            **changes,
        }
    )


def history(tech) -> list[tuple]:
    return list(
        TierAssignment.objects.filter(technician=tech)
        .order_by("start_date")
        .values_list("tier__code", "start_date", "end_date", "reason")
    )


# ---- technician_create ----------------------------------------------------------------------


def test_create_starts_tech1_on_the_hire_date(site_a, manager_user):
    tech = hire(site_a, created_by=manager_user)

    assert (tech.status, tech.termination_date, tech.termination_type) == ("active", None, "")
    assert history(tech) == [("TECH1", dt.date(2025, 1, 6), None, "hire")]
    assert TierAssignment.objects.get(technician=tech).recorded_by == manager_user


def test_create_with_another_starting_tier(site_a):
    tech = hire(site_a, tier_code="TECH3")

    assert history(tech) == [("TECH3", dt.date(2025, 1, 6), None, "hire")]


def test_create_with_an_unknown_tier_creates_nothing(site_a):
    with pytest.raises(ApplicationError) as refused:
        hire(site_a, tier_code="TECH9")

    assert refused.value.field == "tier"
    assert not Technician.objects.exists()


def test_create_a_former_technician_with_the_whole_separation(site_a):
    # Recording history: someone who already left is created with all three fields.
    tech = hire(site_a, status="terminated", termination_date=dt.date(2025, 4, 30), termination_type="retirement")

    assert (tech.status, tech.termination_date, tech.termination_type) == (
        "terminated",
        dt.date(2025, 4, 30),
        "retirement",
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"status": "terminated"}, {"termination_date", "termination_type"}),
        ({"termination_date": dt.date(2025, 4, 30)}, {"status"}),
        (
            {"status": "terminated", "termination_date": dt.date(2025, 1, 5), "termination_type": "voluntary"},
            {"termination_date"},  # the day before the hire
        ),
        ({"employee_id": "A-1"}, {"employee_id"}),  # tech_a's
        ({"email": "nope"}, {"email"}),
    ],
)
def test_create_refuses_inconsistent_records(site_a, tech_a, changes, fields):
    with pytest.raises(ValidationError) as refused:
        hire(site_a, **changes)

    assert set(refused.value.message_dict) == fields
    assert not Technician.objects.filter(first_name="Iris").exists()


def test_termination_on_the_hire_date_is_allowed(site_a):
    # Left on the first day: not before the hire date.
    tech = hire(site_a, status="terminated", termination_date=dt.date(2025, 1, 6), termination_type="other")

    assert tech.termination_date == tech.hire_date


# ---- technician_update ----------------------------------------------------------------------


def test_update_refuses_fields_it_does_not_own(tech_a):
    with pytest.raises(ApplicationError):
        technician_update(technician=tech_a, data={"current_tier_code": "LEAD"})


def test_separation_deactivates_the_login_its_token_and_sessions(tech_a, technician_user, manager_user):
    # Given the technician has a token and a session, and the manager has a session too
    token = Token.objects.create(user=technician_user)
    sessions = {}
    for user in (technician_user, manager_user):
        browser = Client()
        browser.force_login(user)
        sessions[user.username] = browser.session.session_key

    # When the manager records the separation
    technician_update(
        technician=tech_a,
        data={"status": "terminated", "termination_date": dt.date(2025, 6, 30), "termination_type": "involuntary"},
        updated_by=manager_user,
    )

    # Then only the technician's login ends
    technician_user.refresh_from_db()
    assert technician_user.is_active is False
    assert not Token.objects.filter(pk=token.pk).exists()
    assert list(Session.objects.values_list("session_key", flat=True)) == [sessions["manager"]]
    # and the tier history is kept as it was
    assert history(tech_a) == [("TECH1", dt.date(2024, 1, 15), None, "hire")]


def test_reinstating_clears_the_termination_fields(site_a):
    tech = hire(site_a, status="terminated", termination_date=dt.date(2025, 4, 30), termination_type="voluntary")

    technician_update(technician=tech, data={"status": "active"})

    tech.refresh_from_db()
    assert (tech.status, tech.termination_date, tech.termination_type) == ("active", None, "")


def test_moving_the_hire_date_moves_the_first_tier_assignment(site_a):
    tech = hire(site_a)

    technician_update(technician=tech, data={"hire_date": dt.date(2024, 12, 2)})

    assert history(tech) == [("TECH1", dt.date(2024, 12, 2), None, "hire")]


def test_hire_date_cannot_move_past_the_first_promotion(site_a):
    tech = hire(site_a)
    tier_assignment_start(technician=tech, tier=tier("TECH2"), start_date=dt.date(2025, 7, 1), reason="promotion")

    with pytest.raises(ValidationError) as refused:
        technician_update(technician=tech, data={"hire_date": dt.date(2025, 7, 1)})

    assert list(refused.value.message_dict) == ["hire_date"]
    tech.refresh_from_db()
    assert tech.hire_date == dt.date(2025, 1, 6)
    assert history(tech)[0][1] == dt.date(2025, 1, 6)


def test_technician_cannot_mentor_themselves(tech_a):
    with pytest.raises(ValidationError) as refused:
        technician_update(technician=tech_a, data={"mentor": tech_a})

    assert list(refused.value.message_dict) == ["mentor"]
    tech_a.refresh_from_db()
    assert tech_a.mentor_id is None


# ---- tier_assignment_start ------------------------------------------------------------------


@pytest.fixture
def tech1_since_2023(site_a):
    return TechnicianFactory(site=site_a, hire_date=dt.date(2023, 3, 1))


def test_promotion_closes_the_open_assignment_the_day_the_new_one_starts(tech1_since_2023, hr_user):
    new = tier_assignment_start(
        technician=tech1_since_2023,
        tier=tier("TECH2"),
        start_date=dt.date(2024, 3, 1),
        reason="promotion",
        recorded_by=hr_user,
        note="Passed the Tech II checklist.",
    )

    assert history(tech1_since_2023) == [
        ("TECH1", dt.date(2023, 3, 1), dt.date(2024, 3, 1), "hire"),
        ("TECH2", dt.date(2024, 3, 1), None, "promotion"),
    ]
    assert (new.recorded_by, new.note) == (hr_user, "Passed the Tech II checklist.")


@pytest.mark.parametrize("start", [dt.date(2023, 3, 1), dt.date(2023, 2, 28), dt.date(2022, 1, 1)])
def test_change_on_or_before_the_current_start_is_refused(tech1_since_2023, start):
    with pytest.raises(ApplicationError) as refused:
        tier_assignment_start(technician=tech1_since_2023, tier=tier("TECH2"), start_date=start, reason="promotion")

    assert refused.value.field == "effective_date"
    assert history(tech1_since_2023) == [("TECH1", dt.date(2023, 3, 1), None, "hire")]


def test_change_to_the_same_tier_is_refused(tech1_since_2023):
    with pytest.raises(ApplicationError) as refused:
        tier_assignment_start(
            technician=tech1_since_2023, tier=tier("TECH1"), start_date=dt.date(2024, 3, 1), reason="transfer"
        )

    assert refused.value.field == "tier"
    assert history(tech1_since_2023) == [("TECH1", dt.date(2023, 3, 1), None, "hire")]


def test_a_demotion_is_a_tier_change_too(tech1_since_2023):
    tier_assignment_start(
        technician=tech1_since_2023, tier=tier("TECH2"), start_date=dt.date(2024, 3, 1), reason="promotion"
    )
    tier_assignment_start(
        technician=tech1_since_2023, tier=tier("TECH1"), start_date=dt.date(2024, 9, 1), reason="demotion"
    )

    assert history(tech1_since_2023) == [
        ("TECH1", dt.date(2023, 3, 1), dt.date(2024, 3, 1), "hire"),
        ("TECH2", dt.date(2024, 3, 1), dt.date(2024, 9, 1), "promotion"),
        ("TECH1", dt.date(2024, 9, 1), None, "demotion"),
    ]


def test_first_assignment_cannot_start_before_the_hire(site_a):
    tech = Technician.objects.create(
        employee_id="A-400", first_name="No", last_name="Tier", site=site_a, hire_date=dt.date(2025, 1, 6)
    )

    with pytest.raises(ApplicationError) as refused:
        tier_assignment_start(technician=tech, tier=tier("TECH1"), start_date=dt.date(2025, 1, 5), reason="hire")

    assert refused.value.field == "start_date"
    assert history(tech) == []
