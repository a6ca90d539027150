"""Materialised KPIs: one row per scope (a site, or the organisation) and month.

Dashboards read these rows, so they stay fast and keep answering when the broker or the
workers are down. A row is written only by ``metrics.services.kpi_snapshots_compute`` (an
upsert), never edited by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from careerladder.core.models import TimeStampedModel


class KpiSnapshot(models.Model):
    """Section 3's KPIs for ``month`` (its first day) and a scope: ``site`` or, when empty, the
    organisation. ``period_end`` is the month's last day, or the day of computation while the
    month is still running.

    ``voluntary_turnover_rate_monthly_sum`` was added later: rows computed before it hold NULL
    (not computed, never a made-up 0) until their month is computed again; nothing back-fills
    them, as a snapshot only ever holds what one computation wrote."""

    site = models.ForeignKey(
        "technicians.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="kpi_snapshots"
    )
    month = models.DateField(help_text="First day of the month.")
    period_start = models.DateField()
    period_end = models.DateField()

    headcount_start = models.PositiveIntegerField()
    headcount_end = models.PositiveIntegerField()
    average_headcount = models.FloatField()
    voluntary_separations = models.PositiveIntegerField()
    voluntary_turnover_rate = models.FloatField(null=True, blank=True)
    voluntary_turnover_rate_annualized = models.FloatField(null=True, blank=True)
    voluntary_turnover_rate_monthly_sum = models.FloatField(
        null=True,
        blank=True,
        help_text="SHRM monthly method (metrics.kpis). Empty on rows computed before it existed, until recomputed.",
    )
    promotions = models.PositiveIntegerField()
    promotion_rate = models.FloatField(null=True, blank=True)
    median_months_to_promotion = models.FloatField(null=True, blank=True)
    stalled = models.PositiveIntegerField()
    training_due = models.PositiveIntegerField()
    training_completed = models.PositiveIntegerField()
    training_on_time = models.PositiveIntegerField()
    training_completion_rate = models.FloatField(null=True, blank=True)
    training_on_time_rate = models.FloatField(null=True, blank=True)
    ptcb_due = models.PositiveIntegerField()
    ptcb_met = models.PositiveIntegerField()
    ptcb_on_time_rate = models.FloatField(null=True, blank=True)

    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "site_id"]
        indexes = [models.Index(fields=["month", "site"])]
        constraints = [
            # NULL never equals NULL in a unique index, so the organisation's rows (site NULL)
            # need their own partial constraint to stay one per month.
            models.UniqueConstraint(
                fields=["site", "month"], condition=Q(site__isnull=False), name="one_kpi_snapshot_per_site_month"
            ),
            models.UniqueConstraint(
                fields=["month"], condition=Q(site__isnull=True), name="one_org_kpi_snapshot_per_month"
            ),
            models.CheckConstraint(name="kpi_snapshot_month_is_first_day", condition=Q(month__day=1)),
            models.CheckConstraint(
                name="kpi_snapshot_period_in_order", condition=Q(period_end__gte=models.F("period_start"))
            ),
        ]

    def __str__(self) -> str:
        scope = f"site {self.site_id}" if self.site_id else "organisation"
        return f"KPIs {self.month:%Y-%m} for {scope}"


class KpiRun(TimeStampedModel):
    """A recompute asked for from the dashboard: which months and scopes, so the page can show
    its progress (the share of those snapshots written since the run was asked for)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Could not start"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    months = models.JSONField(help_text='Months as "YYYY-MM".')
    site_ids = models.JSONField(help_text="Site ids recomputed; the organisation too when org_wide.")
    org_wide = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"KPI recompute {self.pk} ({self.status})"
