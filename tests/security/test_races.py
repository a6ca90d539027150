"""Check-then-write rules hold when the row changes between the edge's check and the write.

A page or API view loads a record, checks a rule on it (a technician may change their own
certification while it is unverified, an evaluator signs off technicians of their own sites,
a technician who has left gets no new training...) and then calls the service. Another
request can commit in between. The service re-reads the row under a lock and checks again;
its answer decides.

Most tests force that interleaving deterministically, on any database: they load the record
as the view would, commit the other change, then call the service (or the view) with the
loaded, now stale, object. The Postgres tests at the end run the two requests in two threads
on two connections: the first holds its transaction open until the second is seen waiting
for its row lock (``pg_blocking_pids``), then commits, so the second always reads the row
before the first commits and writes after it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from certifications import services as certification_services
from certifications.models import Attestation, Certification, PtcbExtension
from competencies import services as competencies_services
from competencies.models import SignOff
from incentives import services as incentives_services
from incentives.models import Incentive
from technicians.models import Technician, User
from tests.certifications.factories import (
    CertificationFactory,
    IncentiveFactory,
    UnverifiedCertificationFactory,
    cert_type,
)
from tests.certifications.test_evidence import PNG
from tests.factories import TechnicianFactory
from tests.ladder.factories import CompetencyFactory, items_of
from tests.reliability.processes import require_postgres, wait_for
from tests.training.factories import TrainingAssignmentFactory, program
from tiers import services as tier_services
from tiers.models import Evaluation, Promotion
from tiers.services import technician_update
from tracks import services as tracks_services
from tracks.models import Enrolment, MentoringMeeting, TrackPosition
from training import services as training_services
from training.models import Rotation, TrainingAssignment

D = dt.date
ISSUED = D(2024, 9, 1)  # the factories' certification, CPhT: valid 24 months
VERIFIED_EXPIRY = D(2026, 9, 1)
API = "/api/v1/"
JSON = "application/json"
CHANGED_BY_MANAGER = "A verified certification is changed by a manager of the site or HR."
WITHDRAWN_BY_MANAGER = "A verified certification is withdrawn by a manager of the site or HR."

# Deterministic on any database: the object loaded first stands for the view's read.
stale = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def transfer(technician: Technician, site, by: User) -> None:
    """Hr moves ``technician`` to ``site`` (committed before the stale call that follows)."""
    technician_update(technician=technician, data={"site": site}, updated_by=by)


SEPARATED_ON = D(2025, 6, 30)


def separate(technician: Technician, by: User) -> None:
    """Hr records that ``technician`` left (committed before the stale call that follows)."""
    technician_update(
        technician=technician,
        data={"status": "terminated", "termination_date": SEPARATED_ON, "termination_type": "voluntary"},
        updated_by=by,
    )


def loaded(certification: Certification) -> Certification:
    """The certification as the views load it (with its technician), before the other change."""
    return Certification.objects.select_related("technician", "type").get(pk=certification.pk)


# --- Certifications: the technician's edit against the manager's verify ------------------------


@stale
def test_a_technicians_edit_after_the_verify_is_refused_and_the_verified_expiry_stays(
    tech_a, technician_user, manager_user
):
    cert = UnverifiedCertificationFactory(technician=tech_a, number="111111")
    as_the_edit_page_saw_it = loaded(cert)  # unverified: the page lets the technician edit
    certification_services.certification_verify(certification=cert, verified_by=manager_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_update(
            certification=as_the_edit_page_saw_it,
            data={"expires_on": D(2030, 1, 1), "number": "999999"},
            updated_by=technician_user,
        )

    assert str(refused.value) == CHANGED_BY_MANAGER
    cert.refresh_from_db()
    assert (cert.number, cert.issued_on, cert.expires_on, cert.verified_by) == (
        "111111",
        ISSUED,
        VERIFIED_EXPIRY,
        manager_user,
    )
    assert [h.expires_on for h in cert.history.order_by("history_id")] == [VERIFIED_EXPIRY, VERIFIED_EXPIRY]


@stale
def test_an_evidence_upload_after_the_verify_is_refused_and_stores_nothing(tech_a, technician_user, manager_user):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    as_the_edit_page_saw_it = loaded(cert)
    certification_services.certification_verify(certification=cert, verified_by=manager_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_update(
            certification=as_the_edit_page_saw_it,
            data={"evidence": SimpleUploadedFile("other-card.png", PNG)},
            updated_by=technician_user,
        )

    assert str(refused.value) == CHANGED_BY_MANAGER
    cert.refresh_from_db()
    assert (cert.evidence.name, cert.expires_on) == ("", VERIFIED_EXPIRY)


@stale
def test_a_technicians_withdrawal_after_the_verify_is_refused_and_the_record_stays(
    tech_a, technician_user, manager_user
):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    as_the_delete_page_saw_it = loaded(cert)
    certification_services.certification_verify(certification=cert, verified_by=manager_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_delete(certification=as_the_delete_page_saw_it, deleted_by=technician_user)

    assert str(refused.value) == WITHDRAWN_BY_MANAGER
    assert Certification.objects.filter(pk=cert.pk, verified_by=manager_user, expires_on=VERIFIED_EXPIRY).exists()


def _verify_first(monkeypatch, cert: Certification, manager: User) -> None:
    """Make the manager's verify commit after the view's permission check and before its call
    to the service: the interleaving of two requests, in one thread."""
    real_update = certification_services.certification_update

    def verify_then_update(**kwargs):
        certification_services.certification_verify(certification=cert, verified_by=manager)
        return real_update(**kwargs)

    monkeypatch.setattr(certification_services, "certification_update", verify_then_update)


@stale
def test_the_api_answers_403_when_the_verify_lands_between_check_and_write(
    monkeypatch, client_for, tech_a, technician_user, manager_user
):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    _verify_first(monkeypatch, cert, manager_user)

    response = client_for(technician_user).patch(
        f"{API}certifications/{cert.pk}/", {"expires_on": "2030-01-01"}, content_type=JSON
    )

    assert (response.status_code, response.json()) == (403, {"detail": CHANGED_BY_MANAGER})
    cert.refresh_from_db()
    assert (cert.expires_on, cert.verified_by) == (VERIFIED_EXPIRY, manager_user)


@stale
def test_the_edit_page_answers_403_when_the_verify_lands_between_check_and_write(
    monkeypatch, client_for, tech_a, technician_user, manager_user
):
    cert = UnverifiedCertificationFactory(technician=tech_a, number="111111")
    _verify_first(monkeypatch, cert, manager_user)

    response = client_for(technician_user).post(
        reverse("certifications:certification-edit", args=[cert.pk]),
        {"type": cert_type("CPHT").pk, "number": "999999", "issued_on": "2024-09-01", "expires_on": "2030-01-01"},
    )

    assert response.status_code == 403
    cert.refresh_from_db()
    assert (cert.number, cert.expires_on, cert.verified_by) == ("111111", VERIFIED_EXPIRY, manager_user)


@stale
def test_nobody_verifies_their_own_certification_even_calling_the_service(site_a, manager_user):
    manager_user.technician = TechnicianFactory(site=site_a, employee_id="A-MGR")
    manager_user.save()
    own = UnverifiedCertificationFactory(technician=manager_user.technician)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_verify(certification=own, verified_by=manager_user)

    assert str(refused.value) == "Only a manager of the technician's site or HR verifies, never their own record."
    own.refresh_from_db()
    assert (own.verified_at, own.verified_by) == (None, None)


# --- Certifications: overseeing a technician who has just moved to another site ----------------


@stale
def test_a_verify_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, manager_user, hr_user):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    as_the_queue_saw_it = loaded(cert)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_verify(certification=as_the_queue_saw_it, verified_by=manager_user)

    assert str(refused.value) == "Only a manager of the technician's site or HR verifies, never their own record."
    cert.refresh_from_db()
    assert (cert.verified_at, cert.verified_by) == (None, None)


@stale
def test_a_return_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, manager_user, hr_user):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    as_the_queue_saw_it = loaded(cert)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.certification_reject(
            certification=as_the_queue_saw_it, rejected_by=manager_user, reason="Number not found at PTCB."
        )

    assert str(refused.value) == "Only a manager of the technician's site or HR returns a certification."
    cert.refresh_from_db()
    assert (cert.rejected_at, cert.rejection_reason) == (None, "")


@stale
def test_an_attestation_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, manager_user, hr_user):
    CertificationFactory(technician=tech_a, issued_on=D(2024, 1, 10))
    cspt = CertificationFactory(technician=tech_a, type=cert_type("CSPT"), issued_on=D(2024, 9, 1))
    as_the_form_saw_it = loaded(cspt)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        certification_services.attestation_record(
            certification=as_the_form_saw_it,
            attested_on=D(2025, 3, 1),
            supervisor_name="Dana Pharmacist",
            recorded_by=manager_user,
        )

    assert str(refused.value) == "Only a manager of the technician's site or HR records a supervisor's attestation."
    assert Attestation.objects.count() == 0


@stale
def test_an_award_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, manager_user, hr_user):
    incentive = IncentiveFactory(technician=tech_a, eligible_on=D(2025, 1, 10))
    as_the_form_saw_it = Incentive.objects.select_related("technician", "program").get(pk=incentive.pk)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        incentives_services.incentive_award(
            incentive=as_the_form_saw_it, awarded_by=manager_user, awarded_on=D(2025, 2, 1)
        )

    assert str(refused.value) == "Only a manager of the technician's site or HR awards incentives."
    incentive.refresh_from_db()
    assert (incentive.status, incentive.awarded_on, incentive.awarded_by) == ("eligible", None, None)


@stale
def test_an_extension_for_a_technician_who_has_just_left_is_refused(tech_a, manager_user, hr_user):
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)  # active
    separate(tech_a, hr_user)

    with pytest.raises(ValidationError) as refused:
        certification_services.ptcb_extension_grant(
            technician=as_the_form_saw_it,
            extended_to=timezone.localdate() + dt.timedelta(days=90),
            reason="Exam rescheduled by the test centre.",
            granted_by=manager_user,
        )

    assert refused.value.message_dict == {"technician": ["This technician has left; their deadline no longer moves."]}
    assert PtcbExtension.objects.count() == 0
    assert Technician.objects.get(pk=tech_a.pk).ptcb_extended_to is None


# --- The ladder --------------------------------------------------------------------------------


@stale
def test_a_sign_off_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, evaluator_user, hr_user):
    competency = CompetencyFactory(code="RACE_SIGN", name="Race sign-off", items=1)
    as_the_sheet_saw_it = Technician.objects.get(pk=tech_a.pk)  # at the evaluator's site A
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        competencies_services.signoff_record_many(
            technician=as_the_sheet_saw_it,
            evaluator=evaluator_user,
            entries=[competencies_services.SignOffInput(item=item) for item in items_of(competency)],
            signed_on=D(2025, 5, 2),
            method="observation",
        )

    assert str(refused.value) == "You may not sign off this technician's competencies."
    assert SignOff.objects.count() == 0


@stale
def test_a_nomination_of_a_technician_who_has_just_left_is_refused(tech_a, manager_user, hr_user):
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)
    separate(tech_a, hr_user)

    with pytest.raises(ApplicationError) as refused:
        tier_services.promotion_nominate(
            technician=as_the_form_saw_it, nominated_by=manager_user, effective_date=D(2025, 6, 1)
        )

    assert (refused.value.message, refused.value.field) == ("A separated technician cannot be promoted.", "technician")
    assert Promotion.objects.count() == 0


@stale
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decision_after_the_technician_moved_to_another_site_is_refused(
    decision, tech_a, site_b, manager_user, hr_user
):
    pending = tier_services.promotion_nominate(
        technician=tech_a, nominated_by=manager_user, effective_date=D(2025, 6, 1)
    )
    as_the_queue_saw_it = Promotion.objects.select_related("technician").get(pk=pending.pk)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        if decision == "approve":
            tier_services.promotion_approve(
                promotion=as_the_queue_saw_it, approver=manager_user, justification="Ready."
            )
        else:
            tier_services.promotion_reject(promotion=as_the_queue_saw_it, decided_by=manager_user, reason="Not yet.")

    assert str(refused.value) == "You may not decide this promotion request."
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.rejection_reason) == ("pending", None, "")


@stale
def test_an_enrolment_of_a_technician_who_has_just_left_is_refused(tech_a, manager_user, hr_user):
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)
    separate(tech_a, hr_user)

    with pytest.raises(ApplicationError) as refused:
        tracks_services.enrolment_create(
            technician=as_the_form_saw_it,
            position=TrackPosition.objects.get(code="INVENTORY_COORD"),
            enrolled_by=manager_user,
            enrolled_on=D(2025, 6, 2),
        )

    assert (refused.value.message, refused.value.field) == ("A separated technician cannot enrol.", "technician")
    assert Enrolment.objects.count() == 0


@stale
def test_a_mentor_who_has_just_left_is_not_assigned(tech_a, site_a, manager_user, hr_user):
    lead = TechnicianFactory(site=site_a, tier="LEAD", employee_id="A-LEAD")
    as_the_form_saw_it = Technician.objects.get(pk=lead.pk)  # active
    separate(lead, hr_user)

    with pytest.raises(ApplicationError) as refused:
        tracks_services.mentor_assign(technician=tech_a, mentor=as_the_form_saw_it, assigned_by=manager_user)

    assert (refused.value.message, refused.value.field) == ("The mentor must be an active technician.", "mentor")
    assert Technician.objects.get(pk=tech_a.pk).mentor_id is None


@stale
def test_a_replaced_mentor_no_longer_logs_meetings(tech_a, site_a, evaluator_user, manager_user):
    tracks_services.mentor_assign(technician=tech_a, mentor=evaluator_user.technician, assigned_by=manager_user)
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)  # mentored by the evaluator
    new_mentor = TechnicianFactory(site=site_a, tier="LEAD", employee_id="A-LEAD2")
    tracks_services.mentor_assign(technician=tech_a, mentor=new_mentor, assigned_by=manager_user)

    with pytest.raises(PermissionDenied) as refused:
        tracks_services.mentoring_meeting_record(
            mentee=as_the_form_saw_it,
            recorded_by=evaluator_user,
            met_on=D(2025, 5, 2),
            minutes=30,
            topics="PTCE study plan",
        )

    assert str(refused.value) == "Only the mentor, the technician's managers and HR log mentoring meetings."
    assert MentoringMeeting.objects.count() == 0


# --- Training ----------------------------------------------------------------------------------


@stale
def test_training_is_not_assigned_to_a_technician_who_has_just_left(tech_a, manager_user, hr_user):
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)
    separate(tech_a, hr_user)

    with pytest.raises(ApplicationError) as refused:
        training_services.assignment_create(
            technician=as_the_form_saw_it,
            program=program("HEALTH_SCREENINGS"),
            due_on=D(2025, 8, 1),
            assigned_by=manager_user,
            assigned_on=D(2025, 7, 1),
        )

    assert (refused.value.message, refused.value.field) == (
        "Training cannot be assigned to a technician who has left.",
        "technician",
    )
    assert TrainingAssignment.objects.count() == 0


@stale
def test_a_bulk_assignment_passes_over_a_technician_who_has_just_left(tech_a, site_a, manager_user, hr_user):
    stays = TechnicianFactory(site=site_a, employee_id="A-2")
    as_the_form_saw_them = list(Technician.objects.filter(pk__in=[tech_a.pk, stays.pk]).order_by("pk"))
    separate(tech_a, hr_user)

    result = training_services.assignment_bulk_create(
        technicians=as_the_form_saw_them,
        program=program("HEALTH_SCREENINGS"),
        due_on=D(2025, 8, 1),
        assigned_by=manager_user,
        assigned_on=D(2025, 7, 1),
    )

    assert ([a.technician_id for a in result.created], result.skipped) == ([stays.pk], 0)
    assert list(TrainingAssignment.objects.values_list("technician_id", flat=True)) == [stays.pk]


@stale
def test_a_completed_assignment_is_not_withdrawn_by_a_page_that_saw_it_open(tech_a, manager_user, technician_user):
    assignment = TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 5, 1), due_on=D(2025, 6, 1))
    as_the_list_saw_it = TrainingAssignment.objects.get(pk=assignment.pk)  # open
    training_services.assignment_complete(
        assignment=assignment, completed_by=technician_user, completed_on=D(2025, 5, 20)
    )

    with pytest.raises(ApplicationError) as refused:
        training_services.assignment_delete(assignment=as_the_list_saw_it, deleted_by=manager_user)

    assert refused.value.message == "A completed programme is part of the record and cannot be withdrawn."
    assert TrainingAssignment.objects.get(pk=assignment.pk).completed_on == D(2025, 5, 20)


@stale
def test_a_completion_after_the_technician_moved_to_another_site_is_refused(tech_a, site_b, manager_user, hr_user):
    assignment = TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 5, 1), due_on=D(2025, 6, 1))
    as_the_page_saw_it = TrainingAssignment.objects.select_related("technician").get(pk=assignment.pk)
    transfer(tech_a, site_b, hr_user)

    with pytest.raises(PermissionDenied) as refused:
        training_services.assignment_complete(
            assignment=as_the_page_saw_it, completed_by=manager_user, completed_on=D(2025, 5, 20)
        )

    assert str(refused.value) == "Only the technician and their managers record progress."
    assert TrainingAssignment.objects.get(pk=assignment.pk).completed_on is None


@stale
def test_a_rotation_for_a_technician_who_has_just_left_is_refused(tech_a, manager_user, hr_user):
    as_the_form_saw_it = Technician.objects.get(pk=tech_a.pk)
    separate(tech_a, hr_user)

    with pytest.raises(ApplicationError) as refused:
        training_services.rotation_schedule(
            technician=as_the_form_saw_it,
            station=Rotation.Station.FILLING,
            start=D(2025, 7, 7),
            end=D(2025, 7, 11),
            scheduled_by=manager_user,
        )

    assert (refused.value.message, refused.value.field) == (
        "A technician who has left cannot be scheduled.",
        "technician",
    )
    assert Rotation.objects.count() == 0


# --- Real races on Postgres: two threads, two connections ----------------------------------------


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _is_waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
        return cursor.fetchone()[0]


def first_commits_after_second_waits(first: Callable[[], object], second: Callable[[], object]) -> tuple:
    """Run ``first`` in a transaction on one connection and keep it open; then run ``second``
    on another connection; commit ``first`` only once ``second`` waits for one of its locks.
    Returns what each returned (or the exception it raised)."""
    done_first, release = threading.Event(), threading.Event()
    second_pid: list[int] = []
    results: dict[str, object] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                done_first.set()
                release.wait(timeout=30)
        except Exception as exc:  # reported by the assertions
            results["first"] = exc
        finally:
            done_first.set()
            connection.close()

    def run_second() -> None:
        try:
            done_first.wait(timeout=30)
            second_pid.append(_backend_pid())
            results["second"] = second()
        except Exception as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: second_pid, timeout=30, what="the second request to start")
        wait_for(lambda: _is_waiting_for_a_lock(second_pid[0]), timeout=30, what="the second request to wait")
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    return results["first"], results["second"]


@pytest.fixture
def postgres():
    require_postgres()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_patch_racing_the_managers_verify_leaves_the_verified_record(
    postgres, site_a, tech_a, technician_user, manager_user
):
    """The technician's PATCH reads the certification while the verify is not yet committed
    (unverified: the object permission lets it through), then waits on the row lock; the
    verify commits; the PATCH's service must see the verified row and refuse."""
    cert = UnverifiedCertificationFactory(technician=tech_a, number="111111")

    def managers_verify():
        return certification_services.certification_verify(certification=cert, verified_by=manager_user)

    def technicians_patch():
        client = Client()
        client.force_login(technician_user)
        response = client.patch(
            f"{API}certifications/{cert.pk}/", {"expires_on": "2030-01-01", "number": "999999"}, content_type=JSON
        )
        return response.status_code, response.json()

    verified, patched = first_commits_after_second_waits(managers_verify, technicians_patch)

    assert isinstance(verified, Certification), verified
    assert patched == (403, {"detail": CHANGED_BY_MANAGER})
    cert.refresh_from_db()
    assert (cert.number, cert.expires_on, cert.verified_by) == ("111111", VERIFIED_EXPIRY, manager_user)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_evaluations_of_one_month_at_once_give_one_and_a_clear_refusal(postgres, tech_a, manager_user, hr_user):
    scores = dict.fromkeys(("accuracy", "productivity", "teamwork", "compliance", "communication"), 4)

    def evaluate(by):
        return lambda: tier_services.evaluation_create(
            technician=tech_a, evaluator=by, month=D(2025, 5, 1), scores=scores, today=D(2025, 6, 2)
        )

    first, second = first_commits_after_second_waits(evaluate(manager_user), evaluate(hr_user))

    assert isinstance(first, Evaluation), first
    assert isinstance(second, ApplicationError), second
    assert (second.message, second.field) == (f"{tech_a.full_name} already has an evaluation for May 2025.", "month")
    assert list(Evaluation.objects.values_list("evaluator__username", flat=True)) == ["manager"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_rotations_at_once_give_one(postgres, tech_a, manager_user, hr_user):
    """A guard: the overlap check already ran on the locked technician row."""

    def schedule(start, end, by):
        return lambda: training_services.rotation_schedule(
            technician=tech_a, station=Rotation.Station.FILLING, start=start, end=end, scheduled_by=by
        )

    first, second = first_commits_after_second_waits(
        schedule(D(2025, 7, 7), D(2025, 7, 11), manager_user), schedule(D(2025, 7, 9), D(2025, 7, 15), hr_user)
    )

    assert isinstance(first, Rotation), first
    assert isinstance(second, ApplicationError), second
    assert second.message == (
        f"{tech_a.full_name} is already at Filling from 2025-07-07 to 2025-07-11; "
        "rotations of one technician cannot overlap."
    )
    assert list(Rotation.objects.values_list("start", "end")) == [(D(2025, 7, 7), D(2025, 7, 11))]
