"""``AddMonths`` in SQL must equal ``careerladder.core.dates.add_months`` on every edge."""

from __future__ import annotations

import datetime as dt

import pytest

from careerladder.core.dates import add_months
from certifications.expressions import AddMonths
from technicians.models import Technician
from tests.factories import TechnicianFactory

EDGE_DAYS = [
    dt.date(2023, 5, 31),
    dt.date(2024, 1, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 31),
    dt.date(2024, 8, 31),
    dt.date(2024, 12, 31),
    dt.date(2025, 1, 1),
    dt.date(2025, 2, 28),
    dt.date(2025, 5, 30),
    dt.date(2025, 11, 30),
]


@pytest.mark.django_db
@pytest.mark.parametrize("months", [1, 9, 11, 12, 13, 24, -1, -24])
def test_add_months_in_sql_matches_python(site_a, months):
    for index, day in enumerate(EDGE_DAYS):
        TechnicianFactory(site=site_a, hire_date=day, employee_id=f"X{months}-{index}")
    rows = Technician.objects.annotate(shifted=AddMonths("hire_date", months)).values_list("hire_date", "shifted")
    assert dict(rows) == {day: add_months(day, months) for day in EDGE_DAYS}
