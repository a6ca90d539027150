"""factory_boy factories shared by every test package."""

from __future__ import annotations

import datetime as dt

import factory

from technicians.models import Site, Technician, User
from tiers.models import Tier, TierAssignment


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Pharmacy {n}")
    kind = Site.Kind.RETAIL
    state = "OH"


class TechnicianFactory(factory.django.DjangoModelFactory):
    """A technician with a hire tier assignment (``tier`` = code, default TECH1)."""

    class Meta:
        model = Technician
        skip_postgeneration_save = True

    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda o: f"{o.employee_id.lower()}@example.org")
    site = factory.SubFactory(SiteFactory)
    hire_date = dt.date(2024, 1, 15)
    status = Technician.Status.ACTIVE

    @factory.post_generation
    def tier(obj, create, extracted, **kwargs):
        if not create:
            return
        code = extracted or "TECH1"
        TierAssignment.objects.create(
            technician=obj,
            tier=Tier.objects.get(code=code),
            start_date=obj.hire_date,
            reason=TierAssignment.Reason.HIRE,
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.TECHNICIAN
    password = factory.django.Password("careerladder-test")

    @factory.post_generation
    def sites(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.sites.set(extracted)
