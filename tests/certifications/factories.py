"""factory_boy factories for certification records. Types and incentive programmes are seeded
by migrations: ``cert_type("CPHT")`` fetches one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from careerladder.core.dates import add_months
from certifications.acpe import parse_uan
from certifications.models import CECredit, Certification, CertificationType, PracticeTest, PtcbExtension
from incentives.models import Incentive, IncentiveProgram
from tests.factories import TechnicianFactory


def cert_type(code: str) -> CertificationType:
    return CertificationType.objects.get(code=code)


class CertificationFactory(factory.django.DjangoModelFactory):
    """A verified CPhT by default; ``expires_on`` follows the type's validity."""

    class Meta:
        model = Certification

    technician = factory.SubFactory(TechnicianFactory)
    type = factory.LazyFunction(lambda: cert_type("CPHT"))
    number = factory.Sequence(lambda n: f"{100000 + n}")
    issued_on = dt.date(2024, 9, 1)
    expires_on = factory.LazyAttribute(
        lambda o: add_months(o.issued_on, o.type.validity_months) if o.type.validity_months else None
    )
    verified_at = factory.LazyFunction(timezone.now)
    self_reported = False


class UnverifiedCertificationFactory(CertificationFactory):
    verified_at = None
    self_reported = True


class PracticeTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeTest

    technician = factory.SubFactory(TechnicianFactory)
    taken_on = dt.date(2025, 3, 1)
    source = "Medical Hero"
    score = 72
    domain_scores = factory.LazyFunction(
        lambda: {"medications": 70, "federal_requirements": 65, "patient_safety": 76, "order_entry": 74}
    )


class CECreditFactory(factory.django.DjangoModelFactory):
    """``uan`` decides topic and audience, as the service does."""

    class Meta:
        model = CECredit

    technician = factory.SubFactory(TechnicianFactory)
    completed_on = dt.date(2025, 2, 1)
    title = factory.Sequence(lambda n: f"Technician CE activity {n}")
    provider = "RxLearn Continuing Education"
    uan = factory.Sequence(lambda n: f"0145-0000-25-{n % 1000:03d}-H04-T")
    hours = Decimal("1.00")
    activity_type = factory.LazyAttribute(lambda o: parse_uan(o.uan).activity_type)
    topic = factory.LazyAttribute(lambda o: parse_uan(o.uan).topic)
    audience = factory.LazyAttribute(lambda o: parse_uan(o.uan).audience)


class PtcbExtensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PtcbExtension

    technician = factory.SubFactory(TechnicianFactory)
    extended_to = dt.date(2026, 6, 30)
    reason = "Exam rescheduled by the test centre."
    granted_on = dt.date(2025, 9, 1)


class IncentiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incentive

    technician = factory.SubFactory(TechnicianFactory)
    program = factory.LazyFunction(lambda: IncentiveProgram.objects.get(code="CPHT_RAISE"))
    trigger_key = factory.Sequence(lambda n: f"manual:{n}")
    trigger_detail = "CPhT issued within the window"
    eligible_on = dt.date(2025, 1, 10)
    amount = Decimal("1.00")
