"""The ladder (TECH1 … LEAD) and each technician's dated tier history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel


class Tier(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    rank = models.PositiveSmallIntegerField(unique=True)
    duties = models.TextField(blank=True)
    expected_months = models.PositiveSmallIntegerField(
        help_text="Months a technician is expected to spend in this tier; longer counts as stalled."
    )
    # Requirements to be promoted INTO this tier (besides competencies and certifications).
    min_evaluation_average = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Minimum average of the last 3 monthly evaluations (1–5).",
    )
    min_months_in_prior_tier = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A floor on months in the tier below; never enough on its own.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["rank"]
        constraints = [models.CheckConstraint(name="tier_rank_positive", condition=Q(rank__gte=1))]

    def __str__(self) -> str:
        return self.name


class TierAssignment(TimeStampedModel):
    """A period in one tier. ``end_date`` is exclusive: the day the next assignment starts."""

    class Reason(models.TextChoices):
        HIRE = "hire", "Hire"
        PROMOTION = "promotion", "Promotion"
        DEMOTION = "demotion", "Demotion"
        TRANSFER = "transfer", "Transfer"
        CORRECTION = "correction", "Correction"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="tier_assignments")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="assignments")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.HIRE)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "start_date"]
        indexes = [
            models.Index(fields=["technician", "start_date"]),
            models.Index(fields=["start_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["technician"], condition=Q(end_date__isnull=True), name="one_open_tier_assignment"
            ),
            models.UniqueConstraint(fields=["technician", "start_date"], name="one_tier_assignment_per_day"),
            models.CheckConstraint(
                name="tier_assignment_ends_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id}: {self.tier.code} from {self.start_date}"
