"""Factories for the KPI tests: certifications, training assignments and tier histories."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from certifications.models import Certification, CertificationType
from tiers.models import Tier, TierAssignment
from training.models import Program, TrainingAssignment


class CertificationFactory(factory.django.DjangoModelFactory):
    """A verified CPhT by default (``verified=False`` leaves it self-reported and unverified)."""

    class Meta:
        model = Certification

    class Params:
        verified = True

    type = factory.LazyFunction(lambda: CertificationType.objects.get(code="CPHT"))
    number = factory.Sequence(lambda n: f"CPHT-{n:06d}")
    issued_on = dt.date(2025, 1, 10)
    expires_on = factory.LazyAttribute(lambda o: o.issued_on.replace(year=o.issued_on.year + 2))
    self_reported = factory.LazyAttribute(lambda o: not o.verified)
    verified_at = factory.LazyAttribute(lambda o: timezone.now() if o.verified else None)


class TrainingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAssignment

    program = factory.LazyFunction(lambda: Program.objects.order_by("code").first())
    assigned_on = factory.LazyAttribute(lambda o: o.due_on - dt.timedelta(days=30))
    due_on = dt.date(2025, 3, 15)
    completed_on = None


def tier_history(technician, *steps: tuple[str, dt.date, str]) -> None:
    """Replace ``technician``'s tier history by ``steps`` = (tier code, start, reason), in order;
    each assignment ends (exclusive) where the next starts, the last stays open."""
    TierAssignment.objects.filter(technician=technician).delete()
    for index, (code, start, reason) in enumerate(steps):
        end = steps[index + 1][1] if index + 1 < len(steps) else None
        TierAssignment.objects.create(
            technician=technician, tier=Tier.objects.get(code=code), start_date=start, end_date=end, reason=reason
        )
