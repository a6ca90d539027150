"""Reads for notifications: what is due for whom today, a login's own notices, calendar events.

The daily job finds due items with the rules their own apps define; nothing is re-decided here:

- PTCB deadline and status (``met`` / ``overdue`` / ...): ``certifications.selectors.ptcb_roster``
  (policy window, extensions, a held CPhT);
- certifications expiring or expired and not superseded by a later record of the same type:
  ``certifications.selectors.expiring_certifications`` (so a certification is notified only
  while the organisation counts it as expiring: policy ``expiring_days``, default 60);
- competency re-validation: the ladder's standing (``tiers.selectors.LadderFacts``: the latest
  achieved round governs; *expiring* within ``tiers.selectors.EXPIRING_DAYS``, *expired* from
  the expiry date on);
- training: ``training.selectors.assignment_list`` (derived status, ``overdue`` the day after
  the due date);
- evaluations waiting for the technician's acknowledgement: ``tiers.selectors.evaluation_list``;
- duties withdrawn for ongoing tech-check-tech competence (PRODUCT.md "Authorised duties": when
  a competency lapses the duty is withdrawn and the manager is told):
  ``training.selectors.duty_standings`` (``DutyStanding.withdrawn``, judged by
  ``competencies.selectors.tct_withdrawals``: 6 months without checks, or the rolling 12-month
  accuracy below the state rule's threshold).

Thresholds. Each dated item has steps (days before its date); a run notifies the *tightest*
step reached, or ``overdue`` once the owning rule says so. A step missed while the job was not
running is skipped, never sent late (nobody needs "due within 60 days" five days before):

- PTCB deadline: 60, 30, 7 days, overdue (the day after the deadline);
- certification expiry: 60, 30, 7 days, expired (on the expiry date: a certification is valid
  through the day before);
- competency re-validation: 30 (the ladder's *expiring* window) and 7 days, expired;
- training: 7 days, overdue (the day after the due date);
- evaluations: one notice per unacknowledged evaluation;
- a withdrawn duty: one notice per withdrawal (threshold ``withdrawn``), to the managers of the
  technician's site only: they schedule the verification station and arrange the revalidation.
  A withdrawal is the validation it is judged against plus its cause (see
  ``DueItem.withdrawal_basis``), so the job seeing it again every day says nothing new, and a
  revalidation followed by a new withdrawal is a new notice.

Horizon: items overdue for more than ``OVERDUE_HORIZON_DAYS`` (180, the horizon the deadline list
on the certification pages uses) and evaluations of months older than that are left out. A
daily job notified them when they fell due; on a first run (or after an import) they would
flood every inbox with history, and the pages still list them.

Terminated technicians get nothing; technicians on leave are still notified.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from certifications import selectors as certification_selectors
from certifications.ptcb import PtcbStatus
from certifications.selectors import EXPIRED_SHOWN_DAYS, SHORT_NAMES, CertificationStatus
from competencies import selectors as competency_selectors
from competencies.models import ChecklistItem, CompetencyRound
from competencies.selectors import TctWithdrawal
from notifications.models import CalendarFeed, Notification
from technicians.models import Technician, User
from tiers import selectors as tier_selectors
from training import selectors as training_selectors
from training.models import TrainingAssignment

Kind = Notification.Kind
Threshold = Notification.Threshold

OVERDUE_HORIZON_DAYS = EXPIRED_SHOWN_DAYS
PTCB_STEPS = (60, 30, 7)
CERTIFICATION_STEPS = (60, 30, 7)
COMPETENCY_STEPS = (competency_selectors.EXPIRING_DAYS, 7)
TRAINING_STEPS = (7,)
COMPETENCY_CHUNK = 500
ESCALATED_KINDS = (Kind.PTCB, Kind.CERTIFICATION, Kind.COMPETENCY, Kind.TRAINING)
# Told to the managers only: the technician's own notice would add nothing they can act on
# (a revalidation is arranged and signed off by others).
MANAGER_ONLY_KINDS = (Kind.DUTY_WITHDRAWN,)


def organisation_viewer() -> User:
    """The job reads the whole organisation, as hr does: an unsaved login with the hr role lets
    it use the same selectors (and so the same rules) as the pages."""
    return User(username="notifications-job", role=User.Role.HR)


@dataclass(frozen=True)
class DueItem:
    """Something due for one technician on the run's day, at one threshold."""

    kind: str
    threshold: str
    technician_id: int
    technician_name: str
    site_id: int
    due_on: dt.date | None
    subject: str  # "CPhT", a competency, programme or duty name, "May 2025"
    object_id: int  # the certification, competency, assignment, evaluation or duty (the technician for PTCB)
    # A withdrawn duty: why (``DutyStanding.withdrawn``, a ``TctWithdrawal``) and the
    # validation it is judged against.
    withdrawal: TctWithdrawal | None = None
    validated_on: dt.date | None = None

    @property
    def withdrawal_basis(self) -> str:
        """What makes a withdrawal the same one from day to day, within one validation.

        - Idle: the day of the last check ("idle-2025-02-03"). It stays while no check is
          logged; checks resumed and a new idle period give a new day, so a new notice.
        - Accuracy: "accuracy" alone. The figure moves with every check logged and every day
          the 12-month window moves on; keying on it would tell the manager again each time.
          A withdrawn technician does no verification until revalidated, so an accuracy that
          recovers and drops again under the same validation (told once) is rare.
        """
        if self.withdrawal is None:
            return "withdrawn"
        if self.withdrawal.basis == "idle":
            return f"idle-{self.withdrawal.last_check:%Y-%m-%d}"
        return self.withdrawal.basis

    @property
    def key(self) -> str:
        """The notice's identity: item, its date and the threshold. A changed date (an
        extension, a renewal, a new due date) is a new item with notices of its own. A withdrawn
        duty is keyed on the withdrawal (technician, duty, the validation and
        ``withdrawal_basis``), not on the run's day."""
        if self.kind == Kind.DUTY_WITHDRAWN:
            validated = f"{self.validated_on:%Y-%m-%d}" if self.validated_on else "-"
            return f"duty_withdrawn:{self.technician_id}:{self.object_id}:{validated}:{self.withdrawal_basis}"
        if self.kind == Kind.PTCB:
            return f"ptcb:{self.technician_id}:{self.due_on:%Y-%m-%d}:{self.threshold}"
        if self.kind == Kind.COMPETENCY:
            return f"competency:{self.technician_id}:{self.object_id}:{self.due_on:%Y-%m-%d}:{self.threshold}"
        if self.kind == Kind.EVALUATION:
            return f"evaluation:{self.object_id}:{self.threshold}"
        return f"{self.kind}:{self.object_id}:{self.due_on:%Y-%m-%d}:{self.threshold}"

    @property
    def escalates(self) -> bool:
        """Overdue items also go to the managers of the technician's site, and so does every
        withdrawn duty."""
        if self.kind in MANAGER_ONLY_KINDS:
            return True
        return self.threshold == Threshold.OVERDUE and self.kind in ESCALATED_KINDS

    @property
    def for_technician(self) -> bool:
        """Whether the technician's own login gets a notice too."""
        return self.kind not in MANAGER_ONLY_KINDS


def threshold_for(*, days_left: int, overdue: bool, steps: Iterable[int]) -> str | None:
    """The tightest threshold reached: ``overdue`` when the item's own rule says so, else the
    smallest step that ``days_left`` is within (45 days left with steps 60/30/7 -> "60";
    5 left -> "7"), else None (nothing to say yet)."""
    if overdue:
        return Threshold.OVERDUE
    for step in sorted(steps):
        if days_left <= step:
            return str(step)
    return None


def _name(first: str, last: str) -> str:
    return f"{first} {last}"


def ptcb_due(*, today: dt.date) -> Iterator[DueItem]:
    horizon = today - dt.timedelta(days=OVERDUE_HORIZON_DAYS)
    rows = (
        certification_selectors.ptcb_roster(viewer=organisation_viewer(), today=today)
        .filter(ptcb_deadline__lte=today + dt.timedelta(days=max(PTCB_STEPS)), ptcb_deadline__gte=horizon)
        .values_list("pk", "first_name", "last_name", "site_id", "ptcb_deadline", "ptcb_status")
    )
    for pk, first, last, site_id, deadline, status in rows:
        threshold = threshold_for(
            days_left=(deadline - today).days, overdue=status == PtcbStatus.OVERDUE, steps=PTCB_STEPS
        )
        if threshold:
            yield DueItem(Kind.PTCB, threshold, pk, _name(first, last), site_id, deadline, "CPhT", pk)


def certifications_due(*, today: dt.date) -> Iterator[DueItem]:
    horizon = today - dt.timedelta(days=OVERDUE_HORIZON_DAYS)
    rows = (
        certification_selectors.expiring_certifications(viewer=organisation_viewer(), today=today)
        .filter(expires_on__gte=horizon, expires_on__lte=today + dt.timedelta(days=max(CERTIFICATION_STEPS)))
        .values_list(
            "pk",
            "technician_id",
            "technician__first_name",
            "technician__last_name",
            "technician__site_id",
            "type__code",
            "type__name",
            "expires_on",
            "status",
        )
    )
    for pk, tech_id, first, last, site_id, code, type_name, expires_on, status in rows:
        threshold = threshold_for(
            days_left=(expires_on - today).days,
            overdue=status == CertificationStatus.EXPIRED,
            steps=CERTIFICATION_STEPS,
        )
        if threshold:
            subject = SHORT_NAMES.get(code, type_name)
            yield DueItem(Kind.CERTIFICATION, threshold, tech_id, _name(first, last), site_id, expires_on, subject, pk)


def competencies_due(*, today: dt.date) -> Iterator[DueItem]:
    """Candidates are technicians with an achieved round expiring in the window (one query);
    their standing then comes from the ladder's own computation, a chunk at a time."""
    horizon = today - dt.timedelta(days=OVERDUE_HORIZON_DAYS)
    candidate_ids = (
        CompetencyRound.objects.filter(
            achieved_on__lte=today,
            expires_on__gte=horizon,
            expires_on__lte=today + dt.timedelta(days=max(COMPETENCY_STEPS)),
            competency__active=True,
        )
        .exclude(technician__status=Technician.Status.TERMINATED)
        .values_list("technician_id", flat=True)
        .distinct()
        .order_by("technician_id")
    )
    ids = list(candidate_ids)
    for start in range(0, len(ids), COMPETENCY_CHUNK):
        technicians = list(
            Technician.objects.filter(pk__in=ids[start : start + COMPETENCY_CHUNK]).only(
                "pk", "first_name", "last_name", "site_id", "status"
            )
        )
        facts = tier_selectors.LadderFacts(technicians, today)
        for technician in technicians:
            for competency_id, standing in facts.competency_standings(technician.pk).items():
                if standing.status not in ("expiring", "expired") or standing.expires_on is None:
                    continue
                if standing.expires_on < horizon:
                    continue
                threshold = threshold_for(
                    days_left=(standing.expires_on - today).days,
                    overdue=standing.status == "expired",
                    steps=COMPETENCY_STEPS,
                )
                if threshold:
                    yield DueItem(
                        Kind.COMPETENCY,
                        threshold,
                        technician.pk,
                        technician.full_name,
                        technician.site_id,
                        standing.expires_on,
                        standing.competency.name,
                        competency_id,
                    )


def training_due(*, today: dt.date) -> Iterator[DueItem]:
    horizon = today - dt.timedelta(days=OVERDUE_HORIZON_DAYS)
    rows = (
        training_selectors.assignment_list(viewer=organisation_viewer(), today=today)
        .filter(
            completed_on__isnull=True, due_on__gte=horizon, due_on__lte=today + dt.timedelta(days=max(TRAINING_STEPS))
        )
        .exclude(technician__status=Technician.Status.TERMINATED)
        .values_list(
            "pk",
            "technician_id",
            "technician__first_name",
            "technician__last_name",
            "technician__site_id",
            "program__name",
            "due_on",
            "status",
        )
    )
    for pk, tech_id, first, last, site_id, program, due_on, status in rows:
        threshold = threshold_for(
            days_left=(due_on - today).days,
            overdue=status == TrainingAssignment.Status.OVERDUE,
            steps=TRAINING_STEPS,
        )
        if threshold:
            yield DueItem(Kind.TRAINING, threshold, tech_id, _name(first, last), site_id, due_on, program, pk)


def evaluations_unacknowledged(*, today: dt.date) -> Iterator[DueItem]:
    oldest_month = (today - dt.timedelta(days=OVERDUE_HORIZON_DAYS)).replace(day=1)
    rows = (
        tier_selectors.evaluation_list(viewer=organisation_viewer())
        .filter(acknowledged_at__isnull=True, month__gte=oldest_month, month__lte=today)
        .exclude(technician__status=Technician.Status.TERMINATED)
        .values_list(
            "pk", "technician_id", "technician__first_name", "technician__last_name", "technician__site_id", "month"
        )
    )
    for pk, tech_id, first, last, site_id, month in rows:
        subject = f"{month:%B %Y}"
        yield DueItem(Kind.EVALUATION, Threshold.ACKNOWLEDGE, tech_id, _name(first, last), site_id, month, subject, pk)


def duties_withdrawn(*, today: dt.date) -> Iterator[DueItem]:
    """Duties withdrawn on ``today`` for ongoing tech-check-tech competence.

    Candidates are the employed technicians with a current achieved round of a competency
    validated by the tech-check-tech log (one query; nothing more when there are none); their
    standings then come from the duty rule itself (``training.selectors.duty_standings``), a
    chunk of ``COMPETENCY_CHUNK`` at a time, for the duties that need such a competency. A
    withdrawal lasts only while that competency is current (an expired one is the competency
    notice's), so no horizon is needed: it is at most one validation old."""
    candidate_ids = list(
        CompetencyRound.objects.filter(
            achieved_on__lte=today,
            competency__active=True,
            competency__items__measure=ChecklistItem.Measure.TCT,
            competency__items__active=True,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .exclude(technician__status=Technician.Status.TERMINATED)
        .values_list("technician_id", flat=True)
        .distinct()
        .order_by("technician_id")
    )
    if not candidate_ids:
        return
    duties = list(
        training_selectors.duty_list()
        .filter(competencies__items__measure=ChecklistItem.Measure.TCT, competencies__active=True)
        .distinct()
    )
    if not duties:
        return
    for start in range(0, len(candidate_ids), COMPETENCY_CHUNK):
        technicians = list(
            Technician.objects.filter(pk__in=candidate_ids[start : start + COMPETENCY_CHUNK]).only(
                "pk", "first_name", "last_name", "site_id", "status"
            )
        )
        standings = training_selectors.duty_standings(technicians=technicians, on=today, duties=duties)
        for technician in technicians:
            for standing in standings.get(technician.pk, []):
                if not standing.withdrawn:
                    continue
                yield DueItem(
                    Kind.DUTY_WITHDRAWN,
                    Threshold.WITHDRAWN,
                    technician.pk,
                    technician.full_name,
                    technician.site_id,
                    today,  # the day the run found it (a withdrawal has no due date)
                    standing.duty.name,
                    standing.duty.pk,
                    withdrawal=standing.withdrawn,
                    validated_on=standing.validated_on,
                )


def due_items(*, today: dt.date) -> list[DueItem]:
    """Everything due on ``today``, in a fixed number of queries (plus one batch per
    ``COMPETENCY_CHUNK`` technicians with a competency expiring, and one per chunk of
    technicians holding a current tech-check-tech validation)."""
    return [
        *ptcb_due(today=today),
        *certifications_due(today=today),
        *competencies_due(today=today),
        *training_due(today=today),
        *evaluations_unacknowledged(today=today),
        *duties_withdrawn(today=today),
    ]


def technician_logins(*, technician_ids: Iterable[int]) -> dict[int, int]:
    """The active login of each technician (``User.technician``), as technician id -> user id."""
    return dict(
        User.objects.filter(technician_id__in=list(technician_ids), is_active=True).values_list("technician_id", "pk")
    )


def site_managers(*, site_ids: Iterable[int]) -> dict[int, list[int]]:
    """The active manager logins attached to each site (``User.sites``), as site id -> user ids.
    A superuser is an admin whatever its stored role, so it is not a site's manager."""
    managers: dict[int, list[int]] = defaultdict(list)
    rows = (
        User.sites.through.objects.filter(
            site_id__in=list(site_ids),
            user__role=User.Role.MANAGER,
            user__is_active=True,
            user__is_superuser=False,
        )
        .order_by("site_id", "user_id")
        .values_list("site_id", "user_id")
    )
    for site_id, user_id in rows:
        managers[site_id].append(user_id)
    return managers


# --- A login's own notices ---------------------------------------------------------------------


def notification_list(*, viewer, unread_only: bool = False) -> QuerySet[Notification]:
    """The viewer's own notices, newest first. Nobody reads anyone else's (not even hr): a
    notice is addressed to one login."""
    if not getattr(viewer, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=viewer).select_related("technician")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_get(*, viewer, pk) -> Notification:
    """One of the viewer's notices; raises ``Notification.DoesNotExist`` otherwise (a 404)."""
    return notification_list(viewer=viewer).get(pk=pk)


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Calendar feed -----------------------------------------------------------------------------


def calendar_feed_for(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_by_token(*, token: str) -> CalendarFeed:
    """The feed a token opens, for an active login linked to a technician; raises
    ``CalendarFeed.DoesNotExist`` otherwise (a 404: an old or mistyped token reveals nothing)."""
    return CalendarFeed.objects.select_related("user", "user__technician").get(
        token=token, user__is_active=True, user__technician__isnull=False
    )


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day deadline in the technician's calendar. ``uid`` stays the same when the date
    moves (a renewal, an extension), so calendars update the event instead of adding one."""

    uid: str
    day: dt.date
    summary: str
    description: str
    link: str
    kind: str


def calendar_events(*, technician: Technician, today: dt.date) -> list[CalendarEvent]:
    """The technician's dated deadlines, soonest first: the PTCB deadline (until met), the
    expiry of the latest record of each certification type, the re-validation date of each
    achieved competency, and the due date of each open training assignment.

    ``technician`` is the feed owner's own record (``User.technician``), so it is read without
    a site scope: an evaluator whose own record sits at another site still sees their training."""
    events: list[CalendarEvent] = []
    employed = technician.status != Technician.Status.TERMINATED
    ptcb = certification_selectors.ptcb_for(technician=technician, today=today)
    if employed and ptcb["status"] != PtcbStatus.MET:
        events.append(
            CalendarEvent(
                uid=f"ptcb-{technician.pk}@careerladder",
                day=ptcb["deadline"],
                summary="PTCB deadline: hold CPhT",
                description="Hold an active, verified CPhT by this day" + (" (extended)." if ptcb["extended"] else "."),
                link=reverse("certifications:mine"),
                kind=Kind.PTCB,
            )
        )
    latest: dict[str, object] = {}
    for cert in certification_selectors.technician_certifications(technician=technician, today=today):
        if cert.expires_on is None or cert.rejected_at is not None:
            continue
        current = latest.get(cert.type.code)
        if current is None or current.expires_on < cert.expires_on:
            latest[cert.type.code] = cert
    # A credential upgraded (a CPhT now a CPhT-Adv) expires as its upgrade: one event, the
    # upgrade's, as for the expiry notices (``expiring_certifications``).
    for code, cert in list(latest.items()):
        later = [latest[up] for up in certification_selectors.counts_as(code) - {code} if up in latest]
        if certification_selectors.renews_as_upgrade(cert) or any(u.expires_on >= cert.expires_on for u in later):
            del latest[code]
    for cert in latest.values():
        name = SHORT_NAMES.get(cert.type.code, cert.type.name)
        events.append(
            CalendarEvent(
                uid=f"certification-{technician.pk}-{cert.type.code.lower()}@careerladder",
                day=cert.expires_on,
                summary=f"{name} expires",
                description=f"{cert.type.name} expires on this day: renew it and upload the new certificate.",
                link=reverse("certifications:certification-detail", args=[cert.pk]),
                kind=Kind.CERTIFICATION,
            )
        )
    standing = tier_selectors.ladder_standing(technician=technician, today=today)
    for competency_id, competency in standing.competencies.items():
        if competency.expires_on is None or competency.status not in ("achieved", "expiring", "expired"):
            continue
        events.append(
            CalendarEvent(
                uid=f"competency-{technician.pk}-{competency_id}@careerladder",
                day=competency.expires_on,
                summary=f"Re-validate: {competency.competency.name}",
                description=f"{competency.competency.name} must be re-validated (signed off again) by this day.",
                link=reverse("me"),
                kind=Kind.COMPETENCY,
            )
        )
    if employed:
        open_assignments = training_selectors.assignment_list(
            viewer=organisation_viewer(), today=today, technician=technician.pk
        ).filter(completed_on__isnull=True)
        for assignment in open_assignments:
            events.append(
                CalendarEvent(
                    uid=f"training-{assignment.pk}@careerladder",
                    day=assignment.due_on,
                    summary=f"Training due: {assignment.program.name}",
                    description=f"{assignment.program.name} is due on this day.",
                    link=reverse("training:mine"),
                    kind=Kind.TRAINING,
                )
            )
    events.sort(key=lambda e: (e.day, e.summary))
    return events
