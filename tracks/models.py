"""Career tracks and their positions, enrolments, leadership hours and mentoring meetings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
from competencies.models import Competency
from tiers.models import Tier


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
