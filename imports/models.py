"""What was imported: one row per applied file."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careerladder.core.models import TimeStampedModel


class ImportRun(TimeStampedModel):
    """A file from the HR system that was applied (``imports.technicians`` and
    ``imports.certifications``): who imported what, when, and what it changed. Written in the
    import's own transaction, so a refused or failed import leaves no row; dry runs leave none."""

    class Kind(models.TextChoices):
        TECHNICIANS = "technicians", "Technicians"
        CERTIFICATIONS = "certifications", "Certifications"
        CE_CREDITS = "ce_credits", "CE credits"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    tier_changes = models.PositiveIntegerField(default=0)
    separations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.created_at:%Y-%m-%d %H:%M} ({self.rows} rows)"
