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


class Program(TimeStampedModel):
    class Category(models.TextChoices):
        CLINICAL = "clinical", "Clinical"
        MANAGEMENT = "management", "Management"
        CROSS_TRAINING = "cross_training", "Cross-training"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True)
    ce_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
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
    assigned_on = models.DateField()
    due_on = models.DateField()
    started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
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
        if self.completed_on:
            return self.Status.COMPLETED
        if today > self.due_on:
            return self.Status.OVERDUE
        if self.started_on:
            return self.Status.IN_PROGRESS
        return self.Status.ASSIGNED
