"""Writes of the notifications app: the daily run, reading notices, calendar feed tokens.

The daily run (``notifications_run``) is safe to run twice a day, to crash half-way and run
again, and to run on two workers at once. Nobody gets a notice or a digest twice:

1. Notices. Every due item (``notifications.selectors``) becomes a notice for the technician's
   login and, when overdue, one for each manager of the technician's site; a withdrawn duty
   goes to those managers only. A notice is unique
   per recipient and ``key`` (item, date and threshold) in the database; rows are inserted in
   chunks with ``INSERT ... ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``),
   each chunk committed on its own. A rerun inserts only what is missing; a concurrent run's
   rows are skipped by the constraint, not by a check that could race.
2. Digests. One e-mail per person per day, holding their notices not yet e-mailed (and not
   read in the app meanwhile) of the last ``DIGEST_LOOKBACK_DAYS`` days; nothing is sent when
   there is nothing new. The ``Digest`` row (unique per recipient and day) is *claimed* with a
   conditional update (``pending``/``failed`` -> ``sending``) before the message goes to the
   mail server, so only one worker ever sends it. Then:

   - the mail server accepted it: ``sent``. Notices found later that day wait for tomorrow's
     digest (one e-mail per day);
   - sending raised (SMTP refused, connection failed): ``failed``, the notices are released,
     and the next run that day tries again, up to ``DIGEST_MAX_ATTEMPTS`` times; after that
     the notices go into the next day's digest. A failure therefore never loses a notice;
   - the worker died between the claim and the answer: the row stays ``sending`` and is *not*
     sent again automatically, because nobody knows whether the server got it, and a notice
     must never arrive twice. The notices are in the app (the bell) all the same; an admin
     can release the digest in the Django admin ("send again") after checking the mail log.

Technicians without a login get no notices of their own (their managers still get the
escalations); logins without an e-mail address (neither on the login nor on the technician
record) get the notices in the app only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from certifications.renewal import format_day
from notifications import selectors
from notifications.models import CalendarFeed, Digest, Notification
from notifications.selectors import DueItem
from technicians.models import User

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Threshold = Notification.Threshold

NOTICE_CHUNK = 500
DIGEST_LOOKBACK_DAYS = 7
DIGEST_MAX_ATTEMPTS = 3


@dataclass
class RunSummary:
    day: dt.date
    due_items: int = 0
    notices_created: int = 0
    digests_sent: int = 0
    digests_failed: int = 0


@dataclass
class DigestSummary:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def notifications_run(*, today: dt.date, send_digests: bool = True) -> RunSummary:
    """The daily job: find what is due on ``today``, create the missing notices, send the day's
    digests. Idempotent (see the module docstring)."""
    items = selectors.due_items(today=today)
    summary = RunSummary(day=today, due_items=len(items))
    summary.notices_created = notifications_create(items=items, today=today)
    if send_digests:
        digests = digests_send(today=today)
        summary.digests_sent, summary.digests_failed = digests.sent, digests.failed
    logger.info(
        "notifications for %s: %d due items, %d new notices, %d digests sent, %d failed",
        today,
        summary.due_items,
        summary.notices_created,
        summary.digests_sent,
        summary.digests_failed,
    )
    return summary


# --- Notices -----------------------------------------------------------------------------------


def notifications_create(*, items: list[DueItem], today: dt.date) -> int:
    """Create the notices ``items`` call for that do not exist yet; returns how many this run
    inserted (a concurrent run may have inserted some of them first: those are not counted)."""
    logins = selectors.technician_logins(technician_ids={item.technician_id for item in items if item.for_technician})
    managers = selectors.site_managers(site_ids={item.site_id for item in items if item.escalates})
    rows: dict[tuple[int, str], Notification] = {}
    for item in items:
        login_id = logins.get(item.technician_id) if item.for_technician else None
        if login_id is not None:
            rows.setdefault((login_id, item.key), _notice(item, recipient_id=login_id, escalated=False, today=today))
        if item.escalates:
            for manager_id in managers.get(item.site_id, []):
                # A manager who is also the technician keeps their own notice (set first).
                rows.setdefault(
                    (manager_id, item.key), _notice(item, recipient_id=manager_id, escalated=True, today=today)
                )
    # A fixed order keeps concurrent runs from waiting on each other's rows in opposite orders.
    ordered = [rows[pair] for pair in sorted(rows)]
    created = 0
    for start in range(0, len(ordered), NOTICE_CHUNK):
        created += _insert_chunk(ordered[start : start + NOTICE_CHUNK])
    return created


def _insert_chunk(notices: list[Notification]) -> int:
    """Insert the notices of one chunk that do not exist yet, in one transaction. The lookup
    only saves work; ``ignore_conflicts`` is what makes concurrent runs safe."""
    with transaction.atomic():
        existing = set(
            Notification.objects.filter(
                recipient_id__in={n.recipient_id for n in notices}, key__in={n.key for n in notices}
            ).values_list("recipient_id", "key")
        )
        new = [n for n in notices if (n.recipient_id, n.key) not in existing]
        Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _notice(item: DueItem, *, recipient_id: int, escalated: bool, today: dt.date) -> Notification:
    title, detail = notice_text(item, escalated=escalated)
    return Notification(
        recipient_id=recipient_id,
        technician_id=item.technician_id,
        kind=item.kind,
        threshold=item.threshold,
        escalated=escalated,
        key=item.key,
        due_on=item.due_on,
        title=title[:200],
        detail=detail[:300],
        link=notice_link(item, escalated=escalated),
        created_on=today,
    )


def notice_text(item: DueItem, *, escalated: bool) -> tuple[str, str]:
    """Title and detail in plain words; a manager's copy names the technician. The words name
    the threshold ("within 30 days") and the exact date, never "in 3 days": a notice is read
    (and e-mailed) on later days than the one it was written on, and must stay true."""
    overdue = item.threshold == Threshold.OVERDUE
    day = format_day(item.due_on) if item.due_on else ""
    within = f"within {item.threshold} days"
    who = item.technician_name
    if item.kind == Kind.PTCB:
        if overdue:
            title = "PTCB deadline passed"
            detail = f"{who if escalated else 'You'} had to hold an active CPhT by {day}."
        else:
            title = f"PTCB deadline {within}"
            detail = f"{who + ' must hold' if escalated else 'Hold'} an active CPhT by {day}."
    elif item.kind == Kind.CERTIFICATION:
        if overdue:
            title = f"{item.subject} expired"
            detail = f"Expired on {day}: renew it and upload the new certificate."
        else:
            title = f"{item.subject} expires {within}"
            detail = f"Expires on {day}: renew it and upload the new certificate."
    elif item.kind == Kind.COMPETENCY:
        if overdue:
            title = f"{item.subject}: re-validation overdue"
            detail = f"Lapsed on {day}; duties that need it are withdrawn until it is signed off again."
        else:
            title = f"{item.subject}: re-validation due {within}"
            detail = f"Valid until {day}: ask an evaluator to sign off the checklist again."
    elif item.kind == Kind.TRAINING:
        if overdue:
            title = f"Training overdue: {item.subject}"
            detail = f"Was due on {day}."
        else:
            title = f"Training due {within}: {item.subject}"
            detail = f"Due on {day}."
    elif item.kind == Kind.DUTY_WITHDRAWN:
        # Only managers get it (``DueItem.for_technician``), and the title names the technician.
        return withdrawal_text(item)
    else:
        title = f"Evaluation for {item.subject} to acknowledge"
        detail = "Read it and acknowledge it on your progress page."
    if escalated:
        title = f"{who}: {title}"
    return title, detail


def withdrawal_text(item: DueItem) -> tuple[str, str]:
    """A withdrawn duty in a manager's words: "Product verification withdrawn for Alex Kim" /
    "No tech-check-tech checks since February 3, 2025. Revalidate before scheduling them at the
    verification station." The accuracy is the figure of the day the run found it, and says
    so: the notice must stay true when read later, as the window moves on."""
    duty = re.sub(r"\s*\(.*\)$", "", item.subject)  # "Product verification (tech-check-tech)"
    title = f"{duty} withdrawn for {item.technician_name}"
    withdrawal = item.withdrawal
    if withdrawal is not None and withdrawal.basis == "idle":
        why = f"No tech-check-tech checks since {format_day(withdrawal.last_check)}."
    elif withdrawal is not None:
        why = (
            f"Tech-check-tech accuracy over the last {withdrawal.window_months} months was {withdrawal.accuracy} % "
            f"on {format_day(item.due_on)}, below the {withdrawal.target} % required."
        )
    else:
        why = "Ongoing tech-check-tech competence is not met."
    return title, f"{why} Revalidate before scheduling them at the verification station."


def notice_link(item: DueItem, *, escalated: bool) -> str:
    """Where the recipient deals with it: the technician's own pages, or, for a manager, the
    technician's page where the fix is recorded."""
    tech = item.technician_id
    if item.kind == Kind.CERTIFICATION:
        return reverse("certifications:certification-detail", args=[item.object_id])
    if escalated:
        return {
            Kind.PTCB: reverse("certifications:technician", args=[tech]),
            Kind.COMPETENCY: reverse("competencies:signoffs", args=[tech]),
            # Revalidation is a new tech-check-tech sign-off.
            Kind.DUTY_WITHDRAWN: reverse("competencies:signoffs", args=[tech]),
            Kind.TRAINING: reverse("training:technician", args=[tech]),
        }.get(item.kind, reverse("technicians:detail", args=[tech]))
    return {
        Kind.PTCB: reverse("certifications:mine"),
        Kind.TRAINING: reverse("training:mine"),
    }.get(item.kind, reverse("me"))


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Digests -----------------------------------------------------------------------------------


def _undigested(*, recipient_id: int, day: dt.date):
    since = day - dt.timedelta(days=DIGEST_LOOKBACK_DAYS - 1)
    return Notification.objects.filter(
        recipient_id=recipient_id,
        digest__isnull=True,
        read_at__isnull=True,
        created_on__gte=since,
        created_on__lte=day,
    )


def digest_recipients(*, day: dt.date) -> list[int]:
    """Active logins with an address and notices not yet e-mailed (nor read) in the window."""
    since = day - dt.timedelta(days=DIGEST_LOOKBACK_DAYS - 1)
    return list(
        Notification.objects.filter(
            digest__isnull=True,
            read_at__isnull=True,
            created_on__gte=since,
            created_on__lte=day,
            recipient__is_active=True,
        )
        .filter(Q(recipient__email__gt="") | Q(recipient__technician__email__gt=""))
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def digests_send(*, today: dt.date) -> DigestSummary:
    summary = DigestSummary()
    recipient_ids = digest_recipients(day=today)
    Digest.objects.bulk_create([Digest(recipient_id=pk, day=today) for pk in recipient_ids], ignore_conflicts=True)
    for recipient_id in recipient_ids:
        outcome = digest_send(recipient_id=recipient_id, day=today)
        if outcome == Digest.Status.SENT:
            summary.sent += 1
        elif outcome == Digest.Status.FAILED:
            summary.failed += 1
        else:
            summary.skipped += 1
    return summary


def digest_send(*, recipient_id: int, day: dt.date) -> str:
    """Claim, fill and send one digest; returns ``sent``, ``failed`` or ``skipped`` (another
    run holds or sent it, or there was nothing left to say)."""
    claimed = Digest.objects.filter(
        recipient_id=recipient_id,
        day=day,
        status__in=[Digest.Status.PENDING, Digest.Status.FAILED],
        attempts__lt=DIGEST_MAX_ATTEMPTS,
    ).update(status=Digest.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now(), error="")
    if not claimed:
        return "skipped"
    digest = Digest.objects.select_related("recipient", "recipient__technician").get(recipient_id=recipient_id, day=day)
    _undigested(recipient_id=recipient_id, day=day).update(digest=digest)
    notices = sorted(
        digest.notifications.select_related("technician"),
        key=lambda n: (n.threshold != Threshold.OVERDUE, n.due_on or day, n.pk),
    )
    address = _address(digest.recipient)
    if not notices or not address:
        # Read in the app since the candidates were listed: no e-mail today (yet).
        digest.delete()
        return "skipped"
    message = digest_message(recipient=digest.recipient, address=address, notices=notices, day=day)
    try:
        message.send()
    except Exception as exc:  # whatever the backend raised, the message was not accepted
        logger.warning("digest %s to %s failed: %s", digest.pk, address, exc)
        with transaction.atomic():
            Notification.objects.filter(digest=digest).update(digest=None)
            Digest.objects.filter(pk=digest.pk).update(
                status=Digest.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
            )
        return Digest.Status.FAILED
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT, sent_at=timezone.now(), address=address)
    return Digest.Status.SENT


def digest_release(*, digest: Digest) -> None:
    """Let the next run send a digest again (an admin's decision for one left ``sending`` by a
    worker that died): its notices are released and it counts as failed."""
    with transaction.atomic():
        Notification.objects.filter(digest=digest).update(digest=None)
        Digest.objects.filter(pk=digest.pk).exclude(status=Digest.Status.SENT).update(
            status=Digest.Status.FAILED, attempts=0, error="Released for sending again."
        )


def _address(user: User) -> str:
    if user.email:
        return user.email
    technician = getattr(user, "technician", None)
    return technician.email if technician is not None else ""


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def digest_message(*, recipient: User, address: str, notices: list[Notification], day: dt.date):
    """The digest as a multipart e-mail: plain text with an HTML alternative."""
    overdue = sum(1 for n in notices if n.threshold == Threshold.OVERDUE)
    count = len(notices)
    subject = f"CareerLadder: {count} new notice{'s' if count != 1 else ''}"
    if overdue:
        subject += f" ({overdue} overdue)"
    context = {
        "recipient": recipient,
        "name": recipient.get_full_name() or recipient.username,
        "notices": [{"notice": n, "url": absolute_url(n.link)} for n in notices],
        "day": day,
        "list_url": absolute_url(reverse("notifications:list")),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("notifications/email/digest.html", context), "text/html")
    return message


# --- Calendar feed -----------------------------------------------------------------------------


def calendar_feed_renew(*, user) -> CalendarFeed:
    """Give the login a new secret feed URL; the old one stops working at once."""
    if not getattr(user, "technician_id", None):
        raise ApplicationError("Only a login linked to a technician record has a deadline calendar.")
    feed, _ = CalendarFeed.objects.update_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


def calendar_feed_revoke(*, user) -> bool:
    """Stop sharing: the feed URL answers 404 from now on."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)
