"""Training programmes and their assignments to technicians.

A programme's status on an assignment is derived, never stored (so "overdue" is never stale):
``completed`` when completed_on is set, else ``overdue`` when today is past due_on, else
``in_progress`` when started_on is set, else ``assigned``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    MAX_PROGRAM_CE_HOURS,
    TEXT_MAX_LENGTH,
    hours_validators,
    validate_plausible_date,
)


class Program(TimeStampedModel):
    class Category(models.TextChoices):
        CLINICAL = "clinical", "Clinical"
        MANAGEMENT = "management", "Management"
        CROSS_TRAINING = "cross_training", "Cross-training"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    ce_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=hours_validators(MAX_PROGRAM_CE_HOURS, positive=True),
        help_text="CE hours a completion earns; empty when the programme carries none.",
    )
    ce_uan = models.CharField(
        max_length=25, blank=True, help_text="ACPE UAN of the CE activity, when the programme is CE-bearing."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                name="program_ce_hours_positive", condition=Q(ce_hours__isnull=True) | Q(ce_hours__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingAssignment(TimeStampedModel):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        OVERDUE = "overdue", "Overdue"

    technician = models.ForeignKey(
        "technicians.Technician", on_delete=models.CASCADE, related_name="training_assignments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="assignments")
    assigned_on = models.DateField(validators=[validate_plausible_date])
    due_on = models.DateField(validators=[validate_plausible_date])
    started_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    completed_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["technician", "due_on"]),
            models.Index(fields=["due_on"]),
        ]
        constraints = [
            models.CheckConstraint(name="training_due_not_before_assigned", condition=Q(due_on__gte=F("assigned_on"))),
            models.CheckConstraint(
                name="training_completed_not_before_assigned",
                condition=Q(completed_on__isnull=True) | Q(completed_on__gte=F("assigned_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} for technician {self.technician_id}"

    def status_on(self, today) -> str:
        """The status rule for one assignment in hand; lists and counts use its SQL form,
        ``training.selectors.with_assignment_status``, and
        tests/twins/test_python_and_sql_agree.py runs both on the same rows."""
        if self.completed_on:
            return self.Status.COMPLETED
        if today > self.due_on:
            return self.Status.OVERDUE
        if self.started_on:
            return self.Status.IN_PROGRESS
        return self.Status.ASSIGNED


class Rotation(TimeStampedModel):
    """A technician scheduled at a station for a date range (both days included).

    A technician is at one station at a time: ``training.services.rotation_schedule`` refuses an
    overlapping rotation, serialising concurrent requests with a row lock on the technician
    (an exclusion constraint would need btree_gist on Postgres and has no SQLite equivalent, so
    the lock keeps one rule on both engines).
    """

    class Station(models.TextChoices):
        INTAKE = "intake", "Intake"
        DATA_ENTRY = "data_entry", "Data entry"
        FILLING = "filling", "Filling"
        COMPOUNDING = "compounding", "Non-sterile compounding"
        STERILE_COMPOUNDING = "sterile_compounding", "Sterile compounding (cleanroom)"
        CLINICAL = "clinical", "Clinical station"
        INVENTORY = "inventory", "Inventory"
        PRODUCT_VERIFICATION = "product_verification", "Product verification (tech-check-tech)"
        PICKUP = "pickup", "Pick-up and counselling window"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="rotations")
    station = models.CharField(max_length=30, choices=Station.choices)
    start = models.DateField(validators=[validate_plausible_date])
    end = models.DateField(validators=[validate_plausible_date])
    learning_week = models.BooleanField(
        default=False, help_text="A learning week: shadowing at the station rather than covering it."
    )
    note = models.CharField(max_length=300, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "technician_id", "id"]
        indexes = [models.Index(fields=["technician", "start"]), models.Index(fields=["start", "end"])]
        constraints = [
            models.CheckConstraint(name="rotation_ends_on_or_after_start", condition=Q(end__gte=F("start"))),
        ]

    def __str__(self) -> str:
        return f"{self.get_station_display()} {self.start}–{self.end} for technician {self.technician_id}"


class Duty(TimeStampedModel):
    """An authorised duty (PRODUCT.md "Authorised duties"): a technician may perform it while
    every required competency is current (achieved, not expired) and every required
    certification is held (verified, unexpired). ``station``, when set, is the rotation station
    that needs the duty: scheduling an unauthorised technician there is refused."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    station = models.CharField(max_length=30, choices=Rotation.Station.choices, blank=True)
    competencies = models.ManyToManyField("competencies.Competency", blank=True, related_name="duties")
    certification_types = models.ManyToManyField("certifications.CertificationType", blank=True, related_name="duties")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "duties"

    def __str__(self) -> str:
        return self.name
