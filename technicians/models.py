"""Sites, technicians and the logins that look at them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from careerladder.core.models import TimeStampedModel
from technicians.roles import Role

US_STATES = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
]


# USP <797> compounding categories (the categories of compounded sterile preparations).
COMPOUNDING_CATEGORIES = [("1", "Category 1"), ("2", "Category 2"), ("3", "Category 3")]


class Site(TimeStampedModel):
    class Kind(models.TextChoices):
        RETAIL = "retail", "Retail"
        HOSPITAL = "hospital", "Hospital"
        SPECIALTY = "specialty", "Specialty / mail-order"
        CLINIC = "clinic", "Clinic"

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Use capital letters, digits, '-' or '_'.")],
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=2, choices=US_STATES)
    # USP <797> re-assessment intervals follow the category of sterile compounding done here
    # (garbing and media fill every 6 months for Category 1-2, every 3 months for Category 3).
    compounding_category = models.CharField(
        max_length=1,
        blank=True,
        default="",
        choices=[("", "No sterile compounding"), *COMPOUNDING_CATEGORIES],
        help_text="Highest USP <797> category compounded at this site.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Technician(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LEAVE = "leave", "On leave"
        TERMINATED = "terminated", "Terminated"

    class TerminationType(models.TextChoices):
        VOLUNTARY = "voluntary", "Voluntary"
        INVOLUNTARY = "involuntary", "Involuntary"
        RETIREMENT = "retirement", "Retirement"
        OTHER = "other", "Other"

    class ExitReason(models.TextChoices):
        # Categories follow the reasons technicians give most (pay, career growth, workload,
        # staffing, conditions; Drug Topics / ASHP surveys), plus life events.
        PAY = "pay", "Pay"
        CAREER_GROWTH = "career_growth", "Lack of career growth"
        WORKLOAD = "workload", "Workload / staffing"
        SCHEDULE = "schedule", "Schedule / hours"
        CONDITIONS = "conditions", "Working conditions"
        MANAGEMENT = "management", "Management"
        RELOCATION = "relocation", "Relocation"
        EDUCATION = "education", "Went back to school"
        PERSONAL = "personal", "Personal / family"
        OTHER = "other", "Other"

    employee_id = models.CharField(max_length=40, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="technicians")
    hire_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    termination_date = models.DateField(null=True, blank=True)
    termination_type = models.CharField(max_length=12, choices=TerminationType.choices, blank=True)
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    exit_notes = models.TextField(blank=True, max_length=4000)
    would_rehire = models.BooleanField(null=True, blank=True)
    mentor = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="mentees")
    # USP <797> re-assessment follows the category of the technician's own sterile compounding;
    # blank follows the site's (``technicians.selectors.compounding_category_of``): a Category 3
    # compounder at a Category 2 site is re-assessed every 3 months.
    compounding_category = models.CharField(
        max_length=1,
        blank=True,
        default="",
        db_default="",
        choices=[("", "As the site"), *COMPOUNDING_CATEGORIES],
        verbose_name="USP <797> compounding category",
        help_text="The category of this technician's own sterile compounding; empty follows the site's.",
    )
    # The latest PTCB extension's date (``certifications.PtcbExtension``, the highest id), stored.
    # Decision: it stays a column for the KPI job's speed. The deadline is
    # ``Coalesce(ptcb_extended_to, hire date + window)`` and Django repeats an annotation's SQL
    # wherever a query refers to it: as a Subquery over the extensions it runs eight times per
    # technician row in the KPI aggregate (due, met, employed on the deadline), and in the roster
    # and the dashboard's PTCB list, at the same query counts (docs/benchmarks.md: most of the
    # snapshot backfill's time). Written only by ``PtcbExtension.save`` (a new extension) and
    # ``PtcbExtension.delete``, and by ``certifications.services.ptcb_extensions_store_latest``
    # after bulk writes; saving a technician never writes it (``save`` below), the admin and the
    # API neither change nor delete extensions, and no import writes them.
    # tests/twins/test_stored_ptcb_date.py compares it with the extensions after each of those.
    # Its history is the extensions' own list.
    ptcb_extended_to = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["ptcb_extended_to"])

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["site", "status"]),
            models.Index(fields=["hire_date"]),
            models.Index(fields=["termination_date"]),
            models.Index(fields=["last_name", "first_name"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="technician_terminated_has_date_and_type",
                condition=(Q(status="terminated", termination_date__isnull=False) & ~Q(termination_type=""))
                | (~Q(status="terminated") & Q(termination_date__isnull=True, termination_type="")),
            ),
            models.CheckConstraint(
                name="technician_termination_not_before_hire",
                condition=Q(termination_date__isnull=True) | Q(termination_date__gte=models.F("hire_date")),
            ),
            models.CheckConstraint(name="technician_not_own_mentor", condition=~Q(mentor=models.F("pk"))),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The site it was loaded with: a transfer moves the data versions of both sites
        # (careerladder/core/versions.py).
        instance._loaded_site_id = instance.__dict__.get("site_id")
        # And its mentor's: a mentor's own page lists their mentees, wherever they work.
        instance._loaded_mentor_id = instance.__dict__.get("mentor_id")
        return instance

    def save(self, *args, **kwargs):
        """Saving a loaded technician never writes ``ptcb_extended_to``: only a new extension
        does (``PtcbExtension.save``), so an edit made from a copy loaded before an extension was
        granted cannot put the old deadline back."""
        if not self._state.adding and kwargs.get("update_fields") is None and self.pk is not None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "ptcb_extended_to"
            ]
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_id})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class User(AbstractUser):
    Role = Role  # technicians.roles: the one definition

    role = models.CharField(max_length=12, choices=Role.choices, default=Role.TECHNICIAN)
    technician = models.OneToOneField(Technician, on_delete=models.SET_NULL, null=True, blank=True, related_name="user")
    sites = models.ManyToManyField(Site, blank=True, related_name="staff")

    @property
    def effective_role(self) -> str:
        """A Django superuser is an admin whatever its stored role."""
        return self.Role.ADMIN if self.is_superuser else self.role
