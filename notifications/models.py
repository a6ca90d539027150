"""In-app notices, the daily e-mail digests that carry them, and private calendar feeds.

Exactly once is held by the database, not by the job: a notice is unique per recipient and
``key`` (the item and the threshold it reached, e.g. ``ptcb:12:2026-02-28:30``; for a withdrawn
duty, the withdrawal: ``duty_withdrawn:12:3:2025-01-10:idle-2025-02-03``), and a digest
is unique per recipient and day. See ``notifications.services`` for how runs use them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from careerladder.core.models import TimeStampedModel


class Notification(models.Model):
    class Kind(models.TextChoices):
        PTCB = "ptcb", "PTCB deadline"
        CERTIFICATION = "certification", "Certification expiry"
        COMPETENCY = "competency", "Competency re-validation"
        TRAINING = "training", "Training due"
        EVALUATION = "evaluation", "Evaluation to acknowledge"
        DUTY_WITHDRAWN = "duty_withdrawn", "Duty withdrawn"

    class Threshold(models.TextChoices):
        DAYS_60 = "60", "Within 60 days"
        DAYS_30 = "30", "Within 30 days"
        DAYS_7 = "7", "Within 7 days"
        OVERDUE = "overdue", "Overdue"
        ACKNOWLEDGE = "acknowledge", "To acknowledge"
        WITHDRAWN = "withdrawn", "Withdrawn"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The technician the notice is about (the recipient's own record, or one of a manager's).
    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    threshold = models.CharField(max_length=12, choices=Threshold.choices)
    escalated = models.BooleanField(
        default=False, help_text="Sent to a manager of the technician's site about an overdue item."
    )
    key = models.CharField(max_length=120, help_text="The item and threshold; one notice per recipient and key.")
    due_on = models.DateField(null=True, blank=True)
    title = models.CharField(max_length=200)
    detail = models.CharField(max_length=300, blank=True)
    link = models.CharField(max_length=300, help_text="Where the recipient deals with it (a path on this site).")
    created_on = models.DateField(help_text="The day of the run that found it.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey("Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notice_per_recipient_and_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The bell's count on every page: unread notices of one login.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
            # The digest pass: notices not yet e-mailed.
            models.Index(fields=["created_on"], condition=Q(digest__isnull=True), name="notification_undigested_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (to user {self.recipient_id})"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Digest(models.Model):
    """One e-mail per recipient per day. The row is claimed (``sending``) before the e-mail is
    handed to the mail server, so a second run or a second worker never sends it again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retried by the next run that day)"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    address = models.EmailField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "recipient_id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_recipient_and_day"),
        ]

    def __str__(self) -> str:
        return f"Digest for user {self.recipient_id} on {self.day:%Y-%m-%d} ({self.status})"


class CalendarFeed(TimeStampedModel):
    """A technician login's private calendar feed. The token in the URL is the only secret:
    whoever has the URL reads the deadlines (titles and dates only), so a new token replaces
    the old one, which then answers 404."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"Calendar feed of user {self.user_id}"
