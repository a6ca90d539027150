"""The ladder (TECH1 … LEAD), each technician's dated tier history, monthly evaluations and
promotions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    TEXT_MAX_LENGTH,
    validate_plausible_date,
)


class Tier(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    rank = models.PositiveSmallIntegerField(unique=True)
    duties = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
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
    required_competencies = models.ManyToManyField(
        "competencies.Competency",
        blank=True,
        related_name="required_for_tiers",
        help_text="Every one must be achieved and current.",
    )
    # Specialties (Northside's "proficient in at least N function areas"): any
    # ``min_specialty_competencies`` of these, achieved and current, besides the required ones.
    specialty_competencies = models.ManyToManyField(
        "competencies.Competency",
        blank=True,
        related_name="specialty_for_tiers",
        help_text="Specialties to choose from.",
    )
    min_specialty_competencies = models.PositiveSmallIntegerField(
        default=0, help_text="How many of the specialty competencies are needed."
    )
    required_certifications = models.ManyToManyField(
        "certifications.CertificationType",
        blank=True,
        related_name="required_for_tiers",
        help_text="Each must be held, verified and unexpired.",
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
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
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


# ---------------------------------------------------------------------------------------------
# Competencies and their checklists
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Monthly evaluations
# ---------------------------------------------------------------------------------------------

RUBRIC = ("accuracy", "productivity", "teamwork", "compliance", "communication")


def _score_field(help_text: str):
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=help_text
    )


class Evaluation(TimeStampedModel):
    """A monthly evaluation on the 1-5 rubric (5 exceptional, 3 meets, 1 unacceptable).

    ``month`` is the first day of the month evaluated; ``overall`` is the mean of the five
    criteria (kept so that the last-3 average is one aggregate).
    """

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="evaluations")
    month = models.DateField(validators=[validate_plausible_date], help_text="First day of the month evaluated.")
    accuracy = _score_field(
        "5 = no errors reaching verification; 3 = within the site's threshold; 1 = repeated errors."
    )
    productivity = _score_field("Against the site's prescriptions-per-hour norm.")
    teamwork = _score_field("Helps colleagues, covers stations, shares knowledge.")
    compliance = _score_field("Logs, CE, policies and procedures kept.")
    communication = _score_field("With patients, pharmacists and colleagues.")
    overall = models.DecimalField(max_digits=3, decimal_places=2)
    comments = models.TextField(blank=True, max_length=4000)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations_given")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    technician_comment = models.TextField(blank=True, max_length=2000)

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "month"], name="one_evaluation_per_month"),
            models.CheckConstraint(name="evaluation_month_is_first_day", condition=Q(month__day=1)),
            *[
                models.CheckConstraint(
                    name=f"evaluation_{name}_1_to_5", condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5})
                )
                for name in RUBRIC
            ],
            models.CheckConstraint(name="evaluation_overall_1_to_5", condition=Q(overall__gte=1, overall__lte=5)),
        ]

    def __str__(self) -> str:
        return f"Evaluation of technician {self.technician_id} for {self.month:%Y-%m}"

    def scores(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in RUBRIC]


# ---------------------------------------------------------------------------------------------
# Promotions
# ---------------------------------------------------------------------------------------------


class Promotion(TimeStampedModel):
    """A request to move a technician to the next tier: nominated, then approved or rejected.

    Approval re-checks eligibility under row locks and opens the new tier assignment
    (``tier_assignment``); hr may approve an ineligible request with a ``justification``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="promotions")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="promotions_into")
    effective_date = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(blank=True, max_length=2000, help_text="Why the nominator puts the technician forward.")
    justification = models.TextField(
        blank=True, max_length=4000, help_text="Hr's written justification for approving an ineligible request."
    )
    rejection_reason = models.TextField(blank=True, max_length=2000)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotions_nominated"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="promotions_decided"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    eligible_at_decision = models.BooleanField(null=True, blank=True)
    tier_assignment = models.OneToOneField(
        TierAssignment, on_delete=models.PROTECT, null=True, blank=True, related_name="promotion"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["technician"], condition=Q(status="pending"), name="one_pending_promotion_per_technician"
            ),
            models.CheckConstraint(
                name="promotion_status_valid", condition=Q(status__in=["pending", "approved", "rejected"])
            ),
            models.CheckConstraint(
                name="promotion_decision_recorded",
                condition=Q(status="pending") | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="promotion_rejection_has_reason", condition=~Q(status="rejected") | ~Q(rejection_reason="")
            ),
            models.CheckConstraint(
                name="promotion_approval_has_assignment",
                condition=~Q(status="approved") | Q(tier_assignment__isnull=False),
            ),
            models.CheckConstraint(
                name="promotion_override_is_justified",
                condition=~Q(status="approved", eligible_at_decision=False) | ~Q(justification=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Promotion of technician {self.technician_id} to {self.to_tier_id} ({self.status})"


# ---------------------------------------------------------------------------------------------
# Tracks: clinical and management, with positions and their requirements
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------
