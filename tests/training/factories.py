"""Factories of the training app (programmes are seeded by migration: use ``program(code)``)."""

from __future__ import annotations

import datetime as dt

import factory

from tests.factories import TechnicianFactory
from training.models import Program, Rotation, TrainingAssignment


def program(code: str) -> Program:
    return Program.objects.get(code=code)


class TrainingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAssignment

    technician = factory.SubFactory(TechnicianFactory)
    program = factory.LazyFunction(lambda: program("HEALTH_SCREENINGS"))
    assigned_on = dt.date(2025, 5, 1)
    due_on = dt.date(2025, 6, 1)


class RotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rotation

    technician = factory.SubFactory(TechnicianFactory)
    station = Rotation.Station.FILLING
    start = dt.date(2025, 5, 5)
    end = dt.date(2025, 5, 9)
