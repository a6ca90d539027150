"""Certification types, held certifications and the organisation's certification policy.

Facts follow PTCB's published rules (PRODUCT.md section 2): CPhT renews every 24 months with
20 CE hours (>=1 h law, topic 03; >=1 h patient safety, topic 05; >=15 h technician-specific;
pharmacist-specific hours count for at most 5 h); the renewal window opens 60 days before
expiry and the application is due 30 days before it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel


class OrgPolicy(TimeStampedModel):
    """The organisation's certification policy: one row (pk=1), edited by hr."""

    ptcb_window_months = models.PositiveSmallIntegerField(
        default=9,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="Months after hire by which every technician must hold CPhT.",
    )
    practice_pass_mark = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Practice-test score (%) that counts as ready; the two latest attempts must reach it.",
    )
    expiring_days = models.PositiveSmallIntegerField(
        default=60, help_text="A certification expiring within this many days is shown as expiring."
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisation policy"
        verbose_name_plural = "organisation policy"
        constraints = [models.CheckConstraint(name="single_policy_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return f"PTCB window {self.ptcb_window_months} months"


class CertificationType(TimeStampedModel):
    class Category(models.TextChoices):
        NATIONAL = "national", "National certification"
        ASSESSMENT = "assessment", "PTCB assessment-based certificate"
        STATE = "state", "State registration / licence"
        LIFE_SUPPORT = "life_support", "Life support"
        OTHER = "other", "Other"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    issuing_body = models.CharField(max_length=80, default="PTCB")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Months from issue to expiry; empty when it does not expire."
    )
    requires = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A certification that must be active to hold this one (e.g. CPhT).",
    )
    state = models.CharField(max_length=2, blank=True, help_text="For state registrations: the state.")
    # Renewal rule (CE hours per cycle and topic minimums).
    ce_hours_required = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    min_law_hours = models.DecimalField(max_digits=4, decimal_places=2, default=0)
    min_patient_safety_hours = models.DecimalField(max_digits=4, decimal_places=2, default=0)
    min_technician_hours = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    max_pharmacist_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    renewal_window_opens_days = models.PositiveSmallIntegerField(default=60)
    renewal_due_days = models.PositiveSmallIntegerField(default=30)
    requires_attestation = models.BooleanField(
        default=False, help_text="Renewal needs a supervisor's competency attestation (CSPT)."
    )
    renewal_notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name


class Certification(TimeStampedModel):
    """A certification a technician holds (or held)."""

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="certifications")
    type = models.ForeignKey(CertificationType, on_delete=models.PROTECT, related_name="held")
    number = models.CharField(max_length=60, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.FileField(upload_to="evidence/%Y/%m/", blank=True, max_length=200)
    self_reported = models.BooleanField(default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "-issued_on"]
        indexes = [
            models.Index(fields=["technician", "type", "expires_on"]),
            models.Index(fields=["expires_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="certification_expires_after_issue",
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("issued_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type.code} of technician {self.technician_id}"

    @property
    def verified(self) -> bool:
        return self.verified_at is not None
