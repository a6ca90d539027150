"""The ladder (TECH1 … LEAD) and each technician's dated tier history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    HOURS_PER_DAY,
    MAX_REQUIREMENT_HOURS,
    TEXT_MAX_LENGTH,
    hours_validators,
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
        "Competency", blank=True, related_name="required_for_tiers", help_text="Every one must be achieved and current."
    )
    # Specialties (Northside's "proficient in at least N function areas"): any
    # ``min_specialty_competencies`` of these, achieved and current, besides the required ones.
    specialty_competencies = models.ManyToManyField(
        "Competency", blank=True, related_name="specialty_for_tiers", help_text="Specialties to choose from."
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


class Competency(TimeStampedModel):
    """A skill with a checklist (PRODUCT.md section 2, "Competencies and checklists").

    Achieved when every item of the checklist is signed off in one round; expires at the round's
    latest counted sign-off plus the re-validation interval. For USP <797> competencies the
    interval follows the compounding category of the technician's site (see ``usp797_kind``).
    """

    class Category(models.TextChoices):
        CORE = "core", "Core dispensing"
        BILLING = "billing", "Billing and reimbursement"
        COMPOUNDING = "compounding", "Compounding"
        CLINICAL = "clinical", "Clinical services"
        OPERATIONS = "operations", "Inventory and operations"
        LEADERSHIP = "leadership", "Leadership"

    class Usp797Kind(models.TextChoices):
        # USP <797> (official 1 Nov 2023): garbing/gloved-fingertip and aseptic technique (media
        # fill) are re-assessed every 6 months for Category 1 and 2, every 3 months for Category 3;
        # didactic training every 12 months whatever the category.
        NONE = "", "Not a USP <797> competency"
        GARBING_ASEPTIC = "garbing_aseptic", "USP <797> garbing and aseptic technique"
        DIDACTIC = "didactic", "USP <797> didactic training"

    code = models.CharField(
        max_length=30,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_]*$", "Use capital letters, digits and '_'.")],
    )
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    revalidation_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Months an achievement stays valid; empty when it never expires.",
    )
    usp797_kind = models.CharField(
        max_length=20,
        choices=Usp797Kind.choices,
        blank=True,
        default="",
        help_text="For USP <797> competencies the interval follows the site's compounding category.",
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "name"]
        verbose_name_plural = "competencies"

    def __str__(self) -> str:
        return self.name


class ChecklistItem(TimeStampedModel):
    """One observable task of a competency's checklist.

    ``measure`` says how a sign-off's result is decided: by the evaluator (plain items), by a
    measured colony count against ``max_cfu`` (USP <797> gloved-fingertip sampling: 0 CFU after
    garbing, at most 3 CFU after a media fill), or by the tech-check-tech validation log
    against its targets (e.g. 500 checks over at least 5 days at 99.8 % or better).
    ``passes_required`` consecutive passes make the item done (the initial garbing assessment
    needs 3 in a row); ``initial_only`` items belong to the first round only.
    """

    class Measure(models.TextChoices):
        NONE = "", "Evaluator's judgement"
        CFU = "cfu", "Colony-forming units (CFU)"
        TCT = "tct", "Tech-check-tech validation log"

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    measure = models.CharField(max_length=4, choices=Measure.choices, blank=True, default="")
    max_cfu = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Highest count that passes.")
    passes_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)], help_text="Consecutive passes needed."
    )
    initial_only = models.BooleanField(default=False, help_text="Required in the first round only.")
    tct_min_checks = models.PositiveIntegerField(null=True, blank=True)
    tct_min_days = models.PositiveSmallIntegerField(null=True, blank=True)
    tct_min_accuracy = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Lowest accuracy (%) that passes.",
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["competency_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="checklist_item_cfu_has_limit", condition=~Q(measure="cfu") | Q(max_cfu__isnull=False)
            ),
            models.CheckConstraint(
                name="checklist_item_tct_has_targets",
                condition=~Q(measure="tct")
                | Q(tct_min_checks__gt=0, tct_min_days__gt=0, tct_min_accuracy__isnull=False),
            ),
            models.CheckConstraint(name="checklist_item_passes_positive", condition=Q(passes_required__gte=1)),
        ]

    def __str__(self) -> str:
        return self.text


class CompetencyRound(TimeStampedModel):
    """One assessment of a competency for a technician: round 1 is the initial validation,
    later rounds are re-validations. A round is achieved once every item is signed off; old
    rounds are kept (the record of past achievements), and the competency stays valid on the
    strength of the latest achieved round until it expires."""

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="competency_rounds")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(default=1)
    started_on = models.DateField(validators=[validate_plausible_date])
    achieved_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    expires_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    interval_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The re-validation interval applied when the round was achieved."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "competency_id", "number"]
        indexes = [models.Index(fields=["technician", "competency", "achieved_on"])]
        constraints = [
            models.UniqueConstraint(fields=["technician", "competency", "number"], name="one_round_number"),
            models.UniqueConstraint(
                fields=["technician", "competency"],
                condition=Q(achieved_on__isnull=True),
                name="one_open_competency_round",
            ),
            models.CheckConstraint(
                name="round_expires_after_achievement",
                condition=Q(expires_on__isnull=True) | Q(achieved_on__isnull=False, expires_on__gt=F("achieved_on")),
            ),
            models.CheckConstraint(name="round_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.competency_id} round {self.number} of technician {self.technician_id}"


class SignOff(TimeStampedModel):
    """An evaluator's sign-off of one checklist item, with method, date, result and comment.

    ``technician`` and ``evaluator_technician`` repeat the round's technician and the signing
    login's technician record so that the database itself refuses a self sign-off.
    """

    class Method(models.TextChoices):
        # The methods of a pharmacy orientation checklist (DOMAIN.md section 2), plus simulation.
        OBSERVATION = "observation", "Observation"
        DEMONSTRATION = "demonstration", "Demonstration"
        SIMULATION = "simulation", "Simulation"
        WRITTEN_TEST = "written_test", "Written test"
        VERBAL = "verbal", "Verbal"
        CHART_AUDIT = "chart_audit", "Chart audit"

    class Result(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"

    round = models.ForeignKey(CompetencyRound, on_delete=models.CASCADE, related_name="signoffs")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="signoffs")
    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="signoffs")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs_given")
    evaluator_technician = models.ForeignKey(
        "technicians.Technician", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_on = models.DateField(validators=[validate_plausible_date])
    method = models.CharField(max_length=20, choices=Method.choices)
    result = models.CharField(max_length=4, choices=Result.choices, default=Result.PASS)
    measurement = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="A measured value is 0 or more.")],
        help_text="CFU count, or TCT accuracy (%).",
    )
    comment = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "signed_on", "id"]
        indexes = [
            models.Index(fields=["technician", "item", "signed_on"]),
            models.Index(fields=["round", "item"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="signoff_not_by_self",
                condition=Q(evaluator_technician__isnull=True) | ~Q(evaluator_technician=F("technician")),
            ),
            models.CheckConstraint(name="signoff_result_valid", condition=Q(result__in=["pass", "fail"])),
            models.CheckConstraint(
                name="signoff_measurement_not_negative",
                condition=Q(measurement__isnull=True) | Q(measurement__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} for technician {self.technician_id} on {self.signed_on}"


class TctValidationLog(TimeStampedModel):
    """A day's tech-check-tech validation: verifications checked by the technician and the
    errors the pharmacist's 100 % audit found (Wis. Admin. Code Phar 7.14: at least 500
    checks over at least 5 days at 99.8 % accuracy or better)."""

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="tct_logs")
    checked_on = models.DateField(validators=[validate_plausible_date])
    verifications = models.PositiveIntegerField()
    errors = models.PositiveIntegerField(default=0)
    audited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["technician_id", "checked_on", "id"]
        indexes = [models.Index(fields=["technician", "checked_on"])]
        constraints = [
            models.CheckConstraint(name="tct_log_has_checks", condition=Q(verifications__gt=0)),
            models.CheckConstraint(name="tct_log_errors_within_checks", condition=Q(errors__lte=F("verifications"))),
        ]

    def __str__(self) -> str:
        return f"TCT {self.verifications}/{self.errors} on {self.checked_on}"


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


class Track(TimeStampedModel):
    class Kind(models.TextChoices):
        CLINICAL = "clinical", "Clinical track"
        MANAGEMENT = "management", "Management track"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class TrackPosition(TimeStampedModel):
    """A position on a track (Immunization Technician, Inventory Coordinator, …) with its own
    requirements: competencies, certifications, a minimum ladder tier and, on the management
    track, logged shadowing and rotational-leadership hours."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="positions")
    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    min_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    required_competencies = models.ManyToManyField(Competency, blank=True, related_name="track_positions")
    required_certifications = models.ManyToManyField(
        "certifications.CertificationType", blank=True, related_name="track_positions"
    )
    min_shadowing_hours = models.DecimalField(
        max_digits=6, decimal_places=1, default=0, validators=hours_validators(MAX_REQUIREMENT_HOURS)
    )
    min_leadership_hours = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        default=0,
        validators=hours_validators(MAX_REQUIREMENT_HOURS),
        help_text="Rotational-leadership hours.",
    )

    class Meta:
        ordering = ["track_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="track_position_hours_not_negative",
                condition=Q(min_shadowing_hours__gte=0, min_leadership_hours__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(TimeStampedModel):
    """A technician on a track, working towards one of its positions."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="enrolments")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="enrolments")
    position = models.ForeignKey(TrackPosition, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_on = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(
        validators=[validate_plausible_date], null=True, blank=True, help_text="Completion or withdrawal date."
    )
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "-enrolled_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "track"], condition=Q(status="active"), name="one_active_enrolment_per_track"
            ),
            models.CheckConstraint(
                name="enrolment_end_matches_status",
                condition=(Q(status="active") & Q(ended_on__isnull=True))
                | (~Q(status="active") & Q(ended_on__isnull=False, ended_on__gte=F("enrolled_on"))),
            ),
        ]

    def __str__(self) -> str:
        return f"Technician {self.technician_id} on {self.track_id} ({self.status})"


class LeadershipHourLog(TimeStampedModel):
    """Management-track hours: shadowing a manager, or leading a shift in rotation."""

    class Kind(models.TextChoices):
        SHADOWING = "shadowing", "Shadowing"
        ROTATIONAL_LEADERSHIP = "rotational_leadership", "Rotational leadership"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="leadership_hours")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    worked_on = models.DateField(validators=[validate_plausible_date])
    hours = models.DecimalField(
        max_digits=4, decimal_places=1, validators=hours_validators(HOURS_PER_DAY, positive=True)
    )
    activity = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["technician_id", "-worked_on", "-id"]
        indexes = [models.Index(fields=["technician", "kind"])]
        constraints = [
            models.CheckConstraint(name="leadership_hours_in_a_day", condition=Q(hours__gt=0, hours__lte=24)),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h {self.kind} on {self.worked_on}"


# ---------------------------------------------------------------------------------------------
# Mentoring
# ---------------------------------------------------------------------------------------------


class MentoringMeeting(TimeStampedModel):
    """A meeting between a mentee and their mentor (a Tech III or Lead)."""

    mentee = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="mentoring_meetings")
    mentor = models.ForeignKey("technicians.Technician", on_delete=models.PROTECT, related_name="meetings_as_mentor")
    met_on = models.DateField(validators=[validate_plausible_date])
    minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(480)])
    topics = models.CharField(max_length=300)
    notes = models.TextField(blank=True, max_length=4000)
    next_steps = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["mentee_id", "-met_on", "-id"]
        indexes = [models.Index(fields=["mentor", "met_on"])]
        constraints = [
            models.CheckConstraint(name="mentoring_not_self", condition=~Q(mentor=F("mentee"))),
            models.CheckConstraint(name="mentoring_minutes_range", condition=Q(minutes__gte=5, minutes__lte=480)),
        ]

    def __str__(self) -> str:
        return f"Mentoring of {self.mentee_id} by {self.mentor_id} on {self.met_on}"
