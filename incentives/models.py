"""Incentive programmes (what is rewarded, for which trigger) and the incentives earned."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    TEXT_MAX_LENGTH,
    validate_plausible_date,
)


class IncentiveProgram(TimeStampedModel):
    """A reward the organisation ties to a trigger (PRODUCT.md section 2, Incentives)."""

    class Kind(models.TextChoices):
        PAY_RAISE = "pay_raise", "Pay raise"
        BONUS = "bonus", "Bonus"
        CONFERENCE_TICKET = "conference_ticket", "Conference ticket"
        TUITION_REIMBURSEMENT = "tuition_reimbursement", "Tuition reimbursement"

    class Trigger(models.TextChoices):
        CPHT_WITHIN_WINDOW = "cpht_within_window", "CPhT obtained within the PTCB window"
        PROMOTION = "promotion", "Promotion to a higher tier"
        CE_COMPLETION = "ce_completion", "CE requirement of a renewal cycle completed"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    amount = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="An amount is 0 or more.")],
        help_text="US dollars: per hour for a pay raise, once for the others.",
    )
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    effective_from = models.DateField(
        validators=[validate_plausible_date], help_text="Only triggers on or after this day make a technician eligible."
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["trigger", "code"]

    def __str__(self) -> str:
        return self.name


class Incentive(TimeStampedModel):
    """One technician's eligibility for a programme, created when its trigger fires; a manager
    marks it awarded. ``trigger_key`` names the event, so the same event never counts twice."""

    class Status(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        AWARDED = "awarded", "Awarded"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="incentives")
    program = models.ForeignKey(IncentiveProgram, on_delete=models.PROTECT, related_name="incentives")
    trigger_key = models.CharField(max_length=60)
    trigger_detail = models.CharField(max_length=200, blank=True)
    eligible_on = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ELIGIBLE)
    awarded_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="An amount is 0 or more.")],
    )
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-eligible_on", "-id"]
        indexes = [models.Index(fields=["status", "eligible_on"], name="incentive_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["technician", "program", "trigger_key"], name="incentive_once_per_trigger"),
            models.CheckConstraint(
                name="incentive_awarded_has_date",
                condition=Q(status="eligible", awarded_on__isnull=True) | Q(status="awarded", awarded_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} for technician {self.technician_id} ({self.status})"
