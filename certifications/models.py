"""Certification types, held certifications and the organisation's certification policy.

Facts follow PTCB's published rules (PRODUCT.md section 2): CPhT renews every 24 months with
20 CE hours (>=1 h law, topic 03; >=1 h patient safety, topic 05; >=15 h technician-specific;
pharmacist-specific hours count for at most 5 h); the renewal window opens 60 days before
expiry and the application is due 30 days before it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from simple_history.models import HistoricalRecords

from careerladder.core import versions
from careerladder.core.models import TimeStampedModel
from careerladder.core.validators import (
    MAX_CE_ACTIVITY_HOURS,
    MAX_RULE_HOURS,
    TEXT_MAX_LENGTH,
    hours_validators,
    validate_plausible_date,
)


class OrgPolicy(TimeStampedModel):
    """The organisation's certification policy: one row (pk=1), edited by hr."""

    ptcb_window_months = models.PositiveSmallIntegerField(
        default=9,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="Months after hire by which every technician must hold CPhT.",
    )
    practice_pass_mark = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Practice-test score (%) that counts as ready; the two latest attempts must reach it.",
    )
    expiring_days = models.PositiveSmallIntegerField(
        default=60, help_text="A certification expiring within this many days is shown as expiring."
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisation policy"
        verbose_name_plural = "organisation policy"
        constraints = [models.CheckConstraint(name="single_policy_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return f"PTCB window {self.ptcb_window_months} months"


class CertificationType(TimeStampedModel):
    class Category(models.TextChoices):
        NATIONAL = "national", "National certification"
        ASSESSMENT = "assessment", "PTCB assessment-based certificate"
        STATE = "state", "State registration / licence"
        LIFE_SUPPORT = "life_support", "Life support"
        OTHER = "other", "Other"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    issuing_body = models.CharField(max_length=80, default="PTCB")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Months from issue to expiry; empty when it does not expire."
    )
    requires = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A certification that must be active to hold this one (e.g. CPhT).",
    )
    state = models.CharField(max_length=2, blank=True, help_text="For state registrations: the state.")
    # Renewal rule (CE hours per cycle and topic minimums).
    ce_hours_required = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    min_law_hours = models.DecimalField(
        max_digits=4, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    min_patient_safety_hours = models.DecimalField(
        max_digits=4, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    min_technician_hours = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    max_pharmacist_hours = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=hours_validators(MAX_RULE_HOURS)
    )
    renewal_window_opens_days = models.PositiveSmallIntegerField(default=60)
    renewal_due_days = models.PositiveSmallIntegerField(default=30)
    requires_attestation = models.BooleanField(
        default=False, help_text="Renewal needs a supervisor's competency attestation (CSPT)."
    )
    min_compounding_hours = models.DecimalField(
        "minimum sterile-compounding hours",
        max_digits=4,
        decimal_places=2,
        default=0,
        validators=hours_validators(MAX_RULE_HOURS),
        help_text="CE hours in compounding (ACPE topic 07) each cycle, e.g. for CSPT.",
    )
    max_college_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=hours_validators(MAX_RULE_HOURS),
        help_text="Verified college-course hours that count toward the total (PTCB: 10).",
    )
    accepts_non_acpe = models.BooleanField(
        "accepts non-ACPE CE",
        default=False,
        help_text="Verified CE from providers without an ACPE number counts toward the rule.",
    )
    reinstatement_months = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(60)],
        help_text="Months after expiry in which the credential may be reinstated; 0 when it cannot.",
    )
    reinstatement_hours = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    reinstatement_law_hours = models.DecimalField(
        max_digits=4, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    reinstatement_patient_safety_hours = models.DecimalField(
        max_digits=4, decimal_places=2, default=0, validators=hours_validators(MAX_RULE_HOURS)
    )
    upgrade_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="upgrades",
        help_text="The credential this one upgrades (CPhT-Adv upgrades CPhT: same number, same cycle). "
        "Holding it counts as holding that one, and only the upgrade renews.",
    )
    renewal_notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name


class Certification(TimeStampedModel):
    """A certification a technician holds (or held)."""

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="certifications")
    type = models.ForeignKey(CertificationType, on_delete=models.PROTECT, related_name="held")
    number = models.CharField(max_length=60, blank=True)
    issued_on = models.DateField(validators=[validate_plausible_date])
    expires_on = models.DateField(validators=[validate_plausible_date], null=True, blank=True)
    evidence = models.FileField(upload_to="evidence/%Y/%m/", blank=True, max_length=200)
    self_reported = models.BooleanField(default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A manager who cannot verify a self-reported record returns it with a reason; the
    # technician corrects it (which clears the return) or withdraws it.
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    # An upgrade (a CPhT-Adv) names the record it upgrades (the CPhT): that one no longer
    # renews on its own, and the pages say "upgraded to CPhT-Adv".
    upgraded_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="upgraded_to"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "-issued_on"]
        indexes = [
            models.Index(fields=["technician", "type", "expires_on"]),
            models.Index(fields=["expires_on"]),
            models.Index(fields=["verified_at", "rejected_at"], name="certification_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="certification_expires_after_issue",
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("issued_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type.code} of technician {self.technician_id}"

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class PtcbExtension(TimeStampedModel):
    """A manager's dated extension of one technician's PTCB deadline, with the reason.

    Extensions are never edited or deleted (no page, endpoint or admin offers it): a correction
    is a new extension, and the most recently granted one governs (PRODUCT.md section 2: "a
    manager may grant a per-technician extension with a reason"). The list of extensions is
    itself the history.
    """

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="ptcb_extensions")
    extended_to = models.DateField(validators=[validate_plausible_date], help_text="The new PTCB deadline.")
    reason = models.TextField(max_length=1000)
    granted_on = models.DateField(validators=[validate_plausible_date])
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["technician_id", "-id"]
        indexes = [models.Index(fields=["technician", "-id"], name="ptcb_extension_latest_idx")]

    def __str__(self) -> str:
        return f"PTCB deadline of technician {self.technician_id} extended to {self.extended_to:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        """A new extension is the latest one: store its date on the technician
        (``Technician.ptcb_extended_to``, read by every PTCB deadline query) in the same
        transaction. Bulk writers (demo data, the benchmark generator) set that column
        themselves."""
        adding = self._state.adding
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if adding:
                Technician = self._meta.get_field("technician").related_model
                Technician.objects.filter(pk=self.technician_id).update(ptcb_extended_to=self.extended_to)

    def delete(self, *args, **kwargs):
        """An extension deleted through the ORM (a shell, a script) hands the stored deadline
        back to the latest remaining one, or to none, in the same transaction. A bulk delete
        does not run this: call ``certifications.services.ptcb_extensions_store_latest`` after
        it."""
        technician_id = self.technician_id
        with transaction.atomic(using=kwargs.get("using")):
            deleted = super().delete(*args, **kwargs)
            Technician = self._meta.get_field("technician").related_model
            latest = PtcbExtension.objects.filter(technician=OuterRef("pk")).order_by("-id").values("extended_to")[:1]
            Technician.objects.filter(pk=technician_id).update(ptcb_extended_to=Subquery(latest))
            # The extension's post_delete has moved the same site's versions already; named here
            # because this UPDATE sends no signal (tests/test_cached_read_registry.py).
            versions.touch_sites(Technician.objects.filter(pk=technician_id).values_list("site_id", flat=True))
        return deleted


class PracticeTest(TimeStampedModel):
    """An attempt at a PTCE practice exam (e.g. Medical Hero's).

    ``domain_scores`` holds a whole percentage (0-100) for each PTCE knowledge domain, keyed
    ``medications``, ``federal_requirements``, ``patient_safety`` and ``order_entry``;
    ``certifications.practice`` validates it and reads the trend.
    """

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="practice_tests")
    taken_on = models.DateField(validators=[validate_plausible_date])
    source = models.CharField(max_length=80, help_text="Where the practice exam came from, e.g. Medical Hero.")
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Overall score, percent."
    )
    domain_scores = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["technician_id", "taken_on", "id"]
        indexes = [models.Index(fields=["technician", "-taken_on", "-id"], name="practice_test_latest_idx")]
        constraints = [
            models.CheckConstraint(name="practice_test_score_0_100", condition=Q(score__gte=0, score__lte=100)),
        ]

    def __str__(self) -> str:
        return f"Practice test of technician {self.technician_id} on {self.taken_on:%Y-%m-%d}: {self.score}%"


class CECredit(TimeStampedModel):
    """A continuing-education credit with its ACPE universal activity number (UAN).

    ``activity_type``, ``topic`` and ``audience`` are read from the UAN by the service that
    records the credit (never typed twice) and stored so renewal progress can be summed in the
    database.
    """

    class ActivityType(models.TextChoices):
        LIVE = "L", "Live"
        HOME_STUDY = "H", "Home study"
        BLENDED = "B", "Blended"

    class Audience(models.TextChoices):
        TECHNICIAN = "T", "Technician-specific"
        PHARMACIST = "P", "Pharmacist-specific"

    class Source(models.TextChoices):
        # PTCB accepts CE without a UAN when it is verified with proof of completion: a
        # relevant college course (at most 10 of the 20 h) or CE from a non-ACPE provider.
        ACPE = "acpe", "ACPE-accredited (UAN)"
        COLLEGE = "college", "College course"
        NON_ACPE = "non_acpe", "Non-ACPE provider"

    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="ce_credits")
    completed_on = models.DateField(validators=[validate_plausible_date])
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=120)
    # db_default too: bulk writers that name their columns (the benchmark generator's COPY) get ACPE.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ACPE, db_default=Source.ACPE)
    uan = models.CharField("UAN", max_length=32, blank=True, help_text="ACPE universal activity number.")
    activity_type = models.CharField(max_length=1, choices=ActivityType.choices, blank=True)
    topic = models.CharField(
        max_length=2, blank=True, help_text="ACPE topic designator, from the UAN (chosen for CE without one)."
    )
    audience = models.CharField(max_length=1, choices=Audience.choices)
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=hours_validators(MAX_CE_ACTIVITY_HOURS, positive=True),
        help_text="Contact hours.",
    )
    evidence = models.FileField(upload_to="evidence/ce/%Y/%m/", blank=True, max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # CE without a UAN counts only once a manager has checked its proof of completion.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "CE credit"
        ordering = ["technician_id", "-completed_on", "-id"]
        indexes = [models.Index(fields=["technician", "completed_on"], name="ce_credit_cycle_idx")]
        constraints = [
            # CPE Monitor accepts an activity once per person; so do we.
            models.UniqueConstraint(
                fields=["technician", "uan"], condition=~Q(uan=""), name="ce_credit_once_per_activity"
            ),
            models.CheckConstraint(name="ce_credit_hours_positive", condition=Q(hours__gt=0)),
            models.CheckConstraint(name="ce_credit_uan_when_acpe", condition=~Q(source="acpe") | ~Q(uan="")),
        ]

    def __str__(self) -> str:
        return f"{self.uan or self.title} ({self.hours} h) of technician {self.technician_id}"

    @property
    def needs_verification(self) -> bool:
        """CE without a UAN counts once verified; ACPE credits are checked through CPE Monitor."""
        return self.source != self.Source.ACPE

    @property
    def counted(self) -> bool:
        return not self.needs_verification or self.verified_at is not None

    @property
    def topic_name(self) -> str:
        from certifications.acpe import topic_name

        return topic_name(self.topic) if self.topic else "General pharmacy"


class Attestation(TimeStampedModel):
    """A supervisor's yearly attestation of sterile-compounding competency, which PTCB asks
    for when a CSPT renews (PRODUCT.md section 2)."""

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="attestations")
    attested_on = models.DateField(validators=[validate_plausible_date])
    supervisor_name = models.CharField(max_length=120, help_text="The supervising pharmacist who signed.")
    supervisor_title = models.CharField(max_length=120, blank=True)
    supervisor_qualification = models.CharField(
        max_length=200,
        blank=True,
        help_text="What qualifies the supervisor to attest, e.g. pharmacist, USP <797> designated person, "
        "licence number.",
    )
    notes = models.TextField(blank=True, max_length=2000)
    evidence = models.FileField(upload_to="evidence/attestations/%Y/%m/", blank=True, max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["certification_id", "-attested_on", "-id"]

    def __str__(self) -> str:
        return f"Attestation of {self.certification_id} on {self.attested_on:%Y-%m-%d}"


# What the policy page and its history call each field.
POLICY_LABELS = {
    "ptcb_window_months": "PTCB window (months)",
    "practice_pass_mark": "Practice pass mark (%)",
    "expiring_days": "Expiring horizon (days)",
}
