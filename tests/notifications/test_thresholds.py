"""What the daily job notifies, when, and to whom: thresholds worked out by hand for each kind
of deadline, and escalation of overdue items to the managers of the technician's site only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from certifications.models import PtcbExtension
from competencies.models import Competency, CompetencyRound
from notifications.models import Notification
from notifications.selectors import threshold_for
from technicians.models import Technician, User
from tests.certifications.factories import CertificationFactory, UnverifiedCertificationFactory, cert_type
from tests.factories import TechnicianFactory, UserFactory
from tests.notifications.conftest import D, keys_of, notices_of, rehire, run
from tests.training.factories import TrainingAssignmentFactory, program
from tiers import services as tier_services
from tiers.models import RUBRIC

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days_left", "overdue", "steps", "expected"),
    [
        (61, False, (60, 30, 7), None),
        (60, False, (60, 30, 7), "60"),
        (31, False, (60, 30, 7), "60"),
        (30, False, (60, 30, 7), "30"),
        (8, False, (60, 30, 7), "30"),
        (7, False, (60, 30, 7), "7"),
        (0, False, (60, 30, 7), "7"),  # due today is not overdue yet for PTCB and training
        (-1, True, (60, 30, 7), "overdue"),
        (8, False, (7,), None),
        (31, False, (30, 7), None),
    ],
)
def test_threshold_is_the_tightest_step_reached(days_left, overdue, steps, expected):
    assert threshold_for(days_left=days_left, overdue=overdue, steps=steps) == expected


# --- PTCB ------------------------------------------------------------------------------------


def test_ptcb_notices_at_60_30_7_days_and_once_overdue(technician_user, manager_user, tech_a):
    """Given Alice hired 2025-05-31 with the default 9-month window, her PTCB deadline is
    2026-02-28 (clamped to February's end). Run daily-ish, she is told 60, 30 and 7 days before
    and once when it has passed; only the overdue notice goes to her manager."""
    rehire(tech_a, D(2025, 5, 31))
    expected_key = f"ptcb:{tech_a.pk}:2026-02-28:"

    run(D(2025, 12, 29))  # 61 days left
    assert keys_of(technician_user) == []

    run(D(2025, 12, 30))  # 1 + 31 + 28 = 60 days left
    [notice] = notices_of(technician_user)
    assert notice.key == expected_key + "60"
    assert notice.title == "PTCB deadline within 60 days"
    assert notice.detail == "Hold an active CPhT by February 28, 2026."
    assert notice.link == "/certifications/me/"
    assert (notice.kind, notice.threshold, notice.escalated, notice.due_on) == ("ptcb", "60", False, D(2026, 2, 28))

    run(D(2026, 1, 29))  # 30 days left
    run(D(2026, 2, 20))  # 8 days left: still the 30-day step, already sent
    run(D(2026, 2, 21))  # 7 days left
    run(D(2026, 2, 28))  # due today: still the 7-day step
    assert keys_of(technician_user) == [expected_key + t for t in ("60", "30", "7")]
    assert keys_of(manager_user) == []

    run(D(2026, 3, 1))  # the day after the deadline: overdue
    own = notices_of(technician_user)[-1]
    assert (own.key, own.title) == (expected_key + "overdue", "PTCB deadline passed")
    assert own.detail == "You had to hold an active CPhT by February 28, 2026."
    [escalated] = notices_of(manager_user)
    assert escalated.key == expected_key + "overdue"
    assert escalated.title == "Alice Archer: PTCB deadline passed"
    assert escalated.detail == "Alice Archer had to hold an active CPhT by February 28, 2026."
    assert escalated.escalated is True
    assert escalated.link == f"/technicians/{tech_a.pk}/certifications/"

    run(D(2026, 3, 2))
    assert len(notices_of(technician_user)) == 4
    assert len(notices_of(manager_user)) == 1


def test_a_missed_step_is_skipped_not_sent_late(technician_user, tech_a):
    """First run 3 days before the deadline: only the 7-day notice, not 60 and 30 as well."""
    rehire(tech_a, D(2025, 5, 31))

    run(D(2026, 2, 25))

    assert keys_of(technician_user) == [f"ptcb:{tech_a.pk}:2026-02-28:7"]
    assert notices_of(technician_user)[0].title == "PTCB deadline within 7 days"


def test_an_extension_is_a_new_deadline_with_its_own_notices(technician_user, manager_user, tech_a):
    rehire(tech_a, D(2025, 5, 31))
    run(D(2026, 3, 1))  # overdue on the policy deadline
    PtcbExtension.objects.create(
        technician=tech_a, extended_to=D(2026, 4, 30), reason="Exam rescheduled.", granted_on=D(2026, 3, 1)
    )

    run(D(2026, 3, 2))  # 29 + 30 = 59 days to 2026-04-30

    assert keys_of(technician_user) == [f"ptcb:{tech_a.pk}:2026-02-28:overdue", f"ptcb:{tech_a.pk}:2026-04-30:60"]


def test_no_ptcb_notice_once_cpht_is_held(technician_user, tech_a):
    rehire(tech_a, D(2025, 5, 31))
    CertificationFactory(technician=tech_a, issued_on=D(2025, 11, 3))

    run(D(2026, 2, 21))

    assert keys_of(technician_user) == []


# --- Certifications --------------------------------------------------------------------------


def test_certification_expiry_notices_and_escalation_when_expired(technician_user, manager_user, tech_a):
    """A CPhT expiring 2026-03-15: 60 days before is 2026-01-14 (18 + 28 + 15 = 61 from
    2026-01-13), 30 before is 2026-02-13, 7 before is 2026-03-08; on 2026-03-15 it has expired
    (valid through the day before)."""
    cpht = CertificationFactory(technician=tech_a, issued_on=D(2024, 3, 15), expires_on=D(2026, 3, 15))

    run(D(2026, 1, 13))
    assert keys_of(technician_user) == []
    run(D(2026, 1, 14))
    [notice] = notices_of(technician_user)
    assert (notice.title, notice.detail) == (
        "CPhT expires within 60 days",
        "Expires on March 15, 2026: renew it and upload the new certificate.",
    )
    assert notice.link == f"/certifications/{cpht.pk}/"
    run(D(2026, 2, 13))
    run(D(2026, 3, 8))
    run(D(2026, 3, 14))  # tomorrow: the 7-day notice is already out
    assert keys_of(manager_user) == []

    run(D(2026, 3, 15))

    prefix = f"certification:{cpht.pk}:2026-03-15:"
    assert keys_of(technician_user) == [prefix + t for t in ("60", "30", "7", "overdue")]
    assert notices_of(technician_user)[-1].title == "CPhT expired"
    [escalated] = notices_of(manager_user)
    assert (escalated.key, escalated.title) == (prefix + "overdue", "Alice Archer: CPhT expired")
    assert escalated.link == f"/certifications/{cpht.pk}/"


def test_a_renewed_or_unverified_certification_is_not_notified(technician_user, tech_a):
    CertificationFactory(technician=tech_a, issued_on=D(2024, 3, 15), expires_on=D(2026, 3, 15))
    CertificationFactory(technician=tech_a, issued_on=D(2026, 3, 1), expires_on=D(2028, 3, 15))
    UnverifiedCertificationFactory(
        technician=tech_a, type=cert_type("BLS"), issued_on=D(2024, 3, 20), expires_on=D(2026, 3, 20)
    )

    run(D(2026, 3, 8))
    run(D(2026, 3, 15))

    assert keys_of(technician_user) == []


# --- Competencies ----------------------------------------------------------------------------


def _achieved_dispensing(technician, *, achieved_on, expires_on) -> Competency:
    dispensing = Competency.objects.get(code="DISPENSING")
    CompetencyRound.objects.create(
        technician=technician,
        competency=dispensing,
        number=1,
        started_on=achieved_on - dt.timedelta(days=20),
        achieved_on=achieved_on,
        expires_on=expires_on,
        interval_months=12,
    )
    return dispensing


def test_competency_revalidation_at_30_and_7_days_then_escalated(technician_user, manager_user, tech_a):
    """Dispensing achieved 2025-02-10 for 12 months expires 2026-02-10: due within 30 days from
    2026-01-11 (the ladder's "expiring" window), within 7 from 2026-02-03, lapsed on 2026-02-10."""
    dispensing = _achieved_dispensing(tech_a, achieved_on=D(2025, 2, 10), expires_on=D(2026, 2, 10))

    run(D(2026, 1, 10))
    assert keys_of(technician_user) == []
    run(D(2026, 1, 11))
    assert notices_of(technician_user)[0].title == "Dispensing and filling accuracy: re-validation due within 30 days"
    assert notices_of(technician_user)[0].link == "/me/"
    run(D(2026, 2, 3))
    run(D(2026, 2, 10))

    prefix = f"competency:{tech_a.pk}:{dispensing.pk}:2026-02-10:"
    assert keys_of(technician_user) == [prefix + t for t in ("30", "7", "overdue")]
    assert notices_of(technician_user)[-1].detail == (
        "Lapsed on February 10, 2026; duties that need it are withdrawn until it is signed off again."
    )
    [escalated] = notices_of(manager_user)
    assert escalated.title == "Alice Archer: Dispensing and filling accuracy: re-validation overdue"
    assert escalated.link == f"/technicians/{tech_a.pk}/signoffs/"


# --- Training --------------------------------------------------------------------------------


def test_training_due_within_7_days_then_overdue(technician_user, manager_user, tech_a):
    assignment = TrainingAssignmentFactory(
        technician=tech_a, program=program("HEALTH_SCREENINGS"), assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20)
    )

    run(D(2026, 1, 12))  # 8 days left
    assert keys_of(technician_user) == []
    run(D(2026, 1, 13))
    assert (
        notices_of(technician_user)[0].title
        == "Training due within 7 days: Health screenings (blood pressure, glucose)"
    )
    assert notices_of(technician_user)[0].link == "/training/"
    run(D(2026, 1, 20))  # due today: not overdue yet, and the 7-day notice is out
    assert keys_of(manager_user) == []
    run(D(2026, 1, 21))

    prefix = f"training:{assignment.pk}:2026-01-20:"
    assert keys_of(technician_user) == [prefix + "7", prefix + "overdue"]
    assert notices_of(technician_user)[-1].detail == "Was due on January 20, 2026."
    [escalated] = notices_of(manager_user)
    assert escalated.title == "Alice Archer: Training overdue: Health screenings (blood pressure, glucose)"
    assert escalated.link == f"/training/technicians/{tech_a.pk}/"


def test_completed_training_is_not_notified(technician_user, tech_a):
    TrainingAssignmentFactory(
        technician=tech_a, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20), completed_on=D(2026, 1, 9)
    )

    run(D(2026, 1, 13))
    run(D(2026, 1, 21))

    assert keys_of(technician_user) == []


# --- Evaluations -----------------------------------------------------------------------------


def test_an_unacknowledged_evaluation_is_notified_once_and_never_escalated(technician_user, manager_user, tech_a):
    evaluation = tier_services.evaluation_create(
        technician=tech_a,
        evaluator=manager_user,
        month=D(2025, 11, 1),
        scores=dict.fromkeys(RUBRIC, 4),
        today=D(2025, 12, 5),
    )
    acknowledged = tier_services.evaluation_create(
        technician=tech_a,
        evaluator=manager_user,
        month=D(2025, 10, 1),
        scores=dict.fromkeys(RUBRIC, 3),
        today=D(2025, 12, 5),
    )
    type(acknowledged).objects.filter(pk=acknowledged.pk).update(acknowledged_at=timezone.now())

    run(D(2025, 12, 10))
    run(D(2025, 12, 11))

    [notice] = notices_of(technician_user)
    assert notice.key == f"evaluation:{evaluation.pk}:acknowledge"
    assert notice.title == "Evaluation for November 2025 to acknowledge"
    assert notice.link == "/me/"
    assert keys_of(manager_user) == []


# --- Recipients and escalation ---------------------------------------------------------------


def test_overdue_items_go_to_the_managers_of_the_technicians_site_only(
    technician_user, manager_user, hr_user, evaluator_user, tech_a, site_a, site_b
):
    """Alice (site A) has overdue training. Managers of site A (and one of A and B) get it; a
    manager of site B, an inactive manager of site A, hr and site A's evaluator do not."""
    manager_b = UserFactory(username="manager-b", role=User.Role.MANAGER, sites=[site_b])
    manager_ab = UserFactory(username="manager-ab", role=User.Role.MANAGER, sites=[site_a, site_b])
    former = UserFactory(username="manager-gone", role=User.Role.MANAGER, sites=[site_a], is_active=False)
    TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20))

    run(D(2026, 1, 21))

    escalated = Notification.objects.filter(escalated=True)
    assert sorted(escalated.values_list("recipient__username", flat=True)) == ["manager", "manager-ab"]
    assert [n.title for n in notices_of(manager_ab)] == [
        "Alice Archer: Training overdue: Health screenings (blood pressure, glucose)"
    ]
    for nobody in (manager_b, former, hr_user, evaluator_user):
        assert keys_of(nobody) == []
    assert [n.escalated for n in notices_of(technician_user)] == [False]


def test_a_technician_without_login_still_escalates_and_terminated_ones_are_left_out(manager_user, site_a):
    no_login = TechnicianFactory(site=site_a, first_name="Nia", last_name="Noor")
    gone = TechnicianFactory(site=site_a, first_name="Gus", last_name="Gone")
    TrainingAssignmentFactory(technician=no_login, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20))
    TrainingAssignmentFactory(technician=gone, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20))
    Technician.objects.filter(pk=gone.pk).update(
        status=Technician.Status.TERMINATED, termination_date=D(2026, 1, 2), termination_type="voluntary"
    )

    run(D(2026, 1, 21))

    assert [n.title for n in notices_of(manager_user)] == [
        "Nia Noor: Training overdue: Health screenings (blood pressure, glucose)"
    ]
    assert Notification.objects.filter(technician=gone).count() == 0


def test_items_overdue_for_more_than_180_days_are_history_not_notices(technician_user, tech_a):
    """Training due 2025-07-01 is 184 days overdue on 2026-01-01: left out; one due 2025-07-10
    (175 days) is notified."""
    TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 6, 1), due_on=D(2025, 7, 1))
    recent = TrainingAssignmentFactory(
        technician=tech_a, program=program("HEALTH_SCREENINGS"), assigned_on=D(2025, 6, 1), due_on=D(2025, 7, 10)
    )

    run(D(2026, 1, 1))

    assert keys_of(technician_user) == [f"training:{recent.pk}:2025-07-10:overdue"]
