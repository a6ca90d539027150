"""Competencies, their checklists, rounds and sign-offs, and tech-check-tech audit days."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    TEXT_MAX_LENGTH,
    validate_plausible_date,
)


class CompetencyPolicy(TimeStampedModel):
    """The organisation's USP <797> re-assessment policy: one row (pk=1), edited by hr, with
    history (PRODUCT.md section 2: "the intervals are policy with these defaults").

    Defaults are USP <797> (official 1 Nov 2023): garbing/gloved-fingertip and media fill every
    6 months for Category 1 and 2, every 3 months for Category 3; didactic training every 12
    months; the initial garbing assessment's 3 passes at 0 CFU in a row (``garbing_consecutive``).
    When not consecutive, the required number of passes in the round count whatever fails lie
    between them."""

    garbing_months_cat1 = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        verbose_name="Garbing and media fill, Category 1 (months)",
    )
    garbing_months_cat2 = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        verbose_name="Garbing and media fill, Category 2 (months)",
    )
    garbing_months_cat3 = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        verbose_name="Garbing and media fill, Category 3 (months)",
    )
    didactic_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        verbose_name="Didactic training (months)",
    )
    garbing_consecutive = models.BooleanField(
        default=True,
        verbose_name="Initial garbing passes must be consecutive",
        help_text="USP <797>: 3 passes at 0 CFU in a row. Unticked, any 3 passes in the round count.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "competency policy"
        verbose_name_plural = "competency policy"
        constraints = [models.CheckConstraint(name="single_competency_policy_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return "USP <797> re-assessment policy"

    def garbing_months(self, category: str) -> int | None:
        return {"1": self.garbing_months_cat1, "2": self.garbing_months_cat2, "3": self.garbing_months_cat3}.get(
            category
        )


class TctRule(TimeStampedModel):
    """A state's tech-check-tech validation and ongoing-competence rule; the row with a blank
    ``state`` is the default for every state without its own (seeded with Wisconsin's, Wis.
    Admin. Code Phar 7.14: at least 500 checks over at least 5 separate days at 99.8 % or
    better). A technician is held to the rule of their site's state.

    Ongoing competence: checks since the latest validation, over the last
    ``ongoing_window_months``, must keep ``min_accuracy``; ``idle_months`` without a check
    withdraws the product-verification duty until the technician is validated again."""

    state = models.CharField(max_length=2, blank=True, unique=True, help_text="Two-letter state; empty: the default.")
    min_checks = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    min_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])
    min_accuracy = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Lowest accuracy (%) that passes.",
    )
    ongoing_window_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    idle_months = models.PositiveSmallIntegerField(default=6, validators=[MinValueValidator(1), MaxValueValidator(36)])

    history = HistoricalRecords()

    class Meta:
        ordering = ["state"]
        verbose_name = "tech-check-tech rule"
        constraints = [
            models.CheckConstraint(name="tct_rule_targets_positive", condition=Q(min_checks__gt=0, min_days__gt=0)),
            models.CheckConstraint(
                name="tct_rule_accuracy_percent", condition=Q(min_accuracy__gte=0, min_accuracy__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"TCT rule {self.state or 'default'}"


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
    garbing, at most 3 CFU after a media fill and on the media fill's surface sample), or by the
    tech-check-tech validation log against the technician's state rule (``TctRule``: e.g. 500
    checks over at least 5 days at 99.8 % or better; the rule, not the item, holds the targets).
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
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["competency_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="checklist_item_cfu_has_limit", condition=~Q(measure="cfu") | Q(max_cfu__isnull=False)
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
