"""Factories and small builders for the ladder tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from certifications.models import Certification, CertificationType
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency
from tiers import services
from tiers.models import Tier


class CompetencyFactory(factory.django.DjangoModelFactory):
    """A competency with ``items`` plain checklist items (default 2)."""

    class Meta:
        model = Competency
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"COMP_{n}")
    name = factory.Sequence(lambda n: f"Competency {n}")
    category = Competency.Category.CORE
    revalidation_months = 12

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):
        if not create:
            return
        count = 2 if extracted is None else extracted
        for position in range(1, count + 1):
            ChecklistItem.objects.create(competency=obj, position=position, text=f"{obj.name} task {position}")


def items_of(competency: Competency) -> list[ChecklistItem]:
    return list(competency.items.filter(active=True).order_by("position", "id"))


def sign(technician, evaluator, items, on: dt.date, *, method="observation", result=None, measurement=None):
    """Sign off ``items`` (a list or one item) for ``technician`` on ``on``, through the service."""
    items = items if isinstance(items, list | tuple) else [items]
    return competencies_services.signoff_record_many(
        technician=technician,
        evaluator=evaluator,
        entries=[
            competencies_services.SignOffInput(
                item=item, result=result, measurement=Decimal(measurement) if measurement is not None else None
            )
            for item in items
        ],
        signed_on=on,
        method=method,
        today=max(on, timezone.localdate()),
    )


def achieve(technician, evaluator, competency, on: dt.date):
    """Sign off every plain item of ``competency`` on ``on``."""
    return sign(technician, evaluator, items_of(competency), on)


def certify(technician, code: str = "CPHT", *, issued_on=dt.date(2024, 6, 1), expires_on=None, verified=True):
    cert_type = CertificationType.objects.get(code=code)
    if expires_on is None and cert_type.validity_months:
        from careerladder.core.dates import add_months

        expires_on = add_months(issued_on, cert_type.validity_months)
    return Certification.objects.create(
        technician=technician,
        type=cert_type,
        number=f"{code}-{technician.pk}",
        issued_on=issued_on,
        expires_on=expires_on,
        verified_at=timezone.now() if verified else None,
    )


def evaluate(technician, evaluator, month: dt.date, score: int | dict, *, today=None):
    scores = (
        score
        if isinstance(score, dict)
        else dict.fromkeys(("accuracy", "productivity", "teamwork", "compliance", "communication"), score)
    )
    return services.evaluation_create(
        technician=technician,
        evaluator=evaluator,
        month=month,
        scores=scores,
        today=today or max(month, timezone.localdate()),
    )


def set_requirements(
    code: str, *, competencies=(), specialties=(), min_specialties=0, certifications=(), average=None, months=None
) -> Tier:
    tier = Tier.objects.get(code=code)
    return services.tier_requirements_set(
        tier=tier,
        required_competencies=list(competencies),
        specialty_competencies=list(specialties),
        min_specialty_competencies=min_specialties,
        required_certifications=list(CertificationType.objects.filter(code__in=certifications)),
        min_evaluation_average=Decimal(average) if average is not None else None,
        min_months_in_prior_tier=months,
    )
