"""The hand-built KPI data set: 20 technicians at two sites around March 2025.

Every KPI of PRODUCT.md section 3 for March 2025 (``MARCH``) is worked out by hand below, per
site and for the organisation, from the table in ``kpi_world``'s docstring; the tests check
the module, the API and the snapshots against these numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from careerladder.celery import app as celery_app
from certifications.models import PtcbExtension
from tests.factories import TechnicianFactory
from tests.metrics.factories import CertificationFactory, TrainingAssignmentFactory, tier_history

D = dt.date
MARCH = (D(2025, 3, 1), D(2025, 3, 31))  # 31 days
PROMOTION, HIRE, DEMOTION = "promotion", "hire", "demotion"

# Months in the prior tier of the March promotions (careerladder.core.dates.months_between):
AVA_MONTHS = 50.0  # 2021-01-10 -> 2025-03-10
CARA_MONTHS = 10.0  # 2024-05-31 -> 2025-03-31
KIM_MONTHS = 49 + 3 / 31  # 2021-02-28 -> 2025-03-31: 49 months to 03-28, then 3 of the 31 days to 04-28
QUINN_MONTHS = 8 + 23 / 28  # 2024-06-25 -> 2025-03-20: 8 months to 02-25, then 23 of 28 days
PAT_MONTHS = 9 + 2 / 31  # 2024-06-10 -> 2025-03-12: 9 months to 03-10, then 2 of 31 days

EXPECTED_A = {
    "headcount_start": 10,  # all ten (Gus hired on 03-01 counts; Eve, Finn and Ivy still there)
    "headcount_end": 7,  # Eve (left 03-31), Finn and Ivy gone
    "average_headcount": 8.5,
    "voluntary_separations": 3,  # Eve 03-31, Finn 03-15, Ivy 03-10
    "voluntary_turnover_rate": 100 * 3 / 8.5,
    "voluntary_turnover_rate_annualized": 100 * 3 / 8.5 * 365 / 31,
    # SHRM monthly method: March is the period's only month, so its one rate is the period's.
    "voluntary_turnover_rate_monthly_sum": 100 * 3 / 8.5,
    "promotions": 2,  # Ava to TECH3, Cara to TECH2
    "promotion_rate": 100 * 2 / 8.5,
    "median_months_to_promotion": (AVA_MONTHS + CARA_MONTHS) / 2,  # 30.0
    "stalled": 1,  # Hana, TECH1 since 2019 (Eve would be, but left on 03-31)
    "training_due": 4,  # Ava 03-10, Ben 03-20, Dan 03-31, Eve 03-01 (Hana's 04-02 is outside)
    "training_completed": 2,  # Ava, Ben (Eve completed 04-05, after the period)
    "training_on_time": 1,  # Ava
    "training_completion_rate": 50.0,
    "training_on_time_rate": 25.0,
    "ptcb_due": 3,  # Ben 03-30, Dan 03-01, Jon 03-28 (extension); Ivy left before 03-15
    "ptcb_met": 2,  # Ben (CPhT 03-15), Dan (CPhT on the deadline itself)
    "ptcb_on_time_rate": 100 * 2 / 3,
}
EXPECTED_B = {
    "headcount_start": 8,  # Nia left on 03-01 itself, Oli not hired yet
    "headcount_end": 7,  # Rae left 03-20 (involuntary)
    "average_headcount": 7.5,
    "voluntary_separations": 1,  # Nia 03-01
    "voluntary_turnover_rate": 100 * 1 / 7.5,
    "voluntary_turnover_rate_annualized": 100 * 1 / 7.5 * 365 / 31,
    "voluntary_turnover_rate_monthly_sum": 100 * 1 / 7.5,
    "promotions": 3,  # Kim, Quinn, Pat; Lee's demotion and Max's 02-28 promotion do not count
    "promotion_rate": 40.0,
    "median_months_to_promotion": PAT_MONTHS,  # middle of QUINN < PAT < KIM
    "stalled": 1,  # Sam: TECH2 for 36 months (24 expected); Tara exactly 24, not more
    "training_due": 1,  # Kim 03-15 (Lee's 02-28 is outside)
    "training_completed": 1,
    "training_on_time": 1,  # completed on the due date itself
    "training_completion_rate": 100.0,
    "training_on_time_rate": 100.0,
    "ptcb_due": 2,  # Pat 03-10, Quinn 03-25; Nia left before her 03-20 deadline
    "ptcb_met": 1,  # Quinn; Pat's verified CPhT came 03-11 and his 03-01 one is unverified
    "ptcb_on_time_rate": 50.0,
}
EXPECTED_ORG = {
    "headcount_start": 18,
    "headcount_end": 14,
    "average_headcount": 16.0,
    "voluntary_separations": 4,
    "voluntary_turnover_rate": 25.0,
    "voluntary_turnover_rate_annualized": 25.0 * 365 / 31,
    "voluntary_turnover_rate_monthly_sum": 25.0,
    "promotions": 5,
    "promotion_rate": 31.25,
    "median_months_to_promotion": CARA_MONTHS,  # QUINN < PAT < CARA < KIM < AVA
    "stalled": 2,
    "training_due": 5,
    "training_completed": 3,
    "training_on_time": 2,
    "training_completion_rate": 60.0,
    "training_on_time_rate": 40.0,
    "ptcb_due": 5,
    "ptcb_met": 3,
    "ptcb_on_time_rate": 60.0,
}


def assert_kpis(actual: dict, expected: dict) -> None:
    """Exact counts, rates to floating-point precision, and nothing missing or extra."""
    assert set(actual) >= set(expected)
    for name, value in expected.items():
        if isinstance(value, float):
            assert actual[name] == pytest.approx(value, rel=1e-9), name
        else:
            assert actual[name] == value, name


def tech(site, first_name, hire, **extra):
    return TechnicianFactory(
        site=site, first_name=first_name, last_name="Kpi", employee_id=f"K-{first_name}", hire_date=hire, **extra
    )


def left(site, first_name, hire, on, kind, reason="", **extra):
    return tech(
        site,
        first_name,
        hire,
        status="terminated",
        termination_date=on,
        termination_type=kind,
        exit_reason=reason,
        **extra,
    )


@pytest.fixture
def kpi_world(site_a, site_b):
    """| site | who | hired | left | tiers | PTCB deadline | CPhT | training (due → completed) |
    | A | Ava | 2020-01-10 | | T1, T2 2021-01-10, T3 2025-03-10 | | | 03-10 → 03-05 |
    | A | Ben | 2024-06-30 | | T1 | 2025-03-30 | 03-15 | 03-20 → 03-25 |
    | A | Cara | 2024-05-31 | | T1, T2 2025-03-31 | 2025-02-28 | | |
    | A | Dan | 2024-06-01 | | T1 | 2025-03-01 | 03-01 | 03-31 → — |
    | A | Eve | 2022-01-01 | 2025-03-31 voluntary | T1 | | | 03-01 → 04-05 |
    | A | Finn | 2023-05-01 | 2025-03-15 voluntary | T1 | | | |
    | A | Gus | 2025-03-01 | | T1 | | | |
    | A | Hana | 2019-01-01 | | T1 | | | 04-02 → — |
    | A | Ivy | 2024-06-15 | 2025-03-10 voluntary | T1 | 2025-03-15 | | |
    | A | Jon | 2024-07-01 | | T1 | 2025-04-01, extended to 03-28 | | |
    | B | Kim | 2021-02-28 | | T1, T2 2025-03-31 | | | 03-15 → 03-15 |
    | B | Lee | 2023-01-01 | | T2, T1 2025-03-05 (demotion) | | | 02-28 → 02-20 |
    | B | Max | 2022-02-01 | | T1, T2 2025-02-28 | | | |
    | B | Nia | 2024-06-20 | 2025-03-01 voluntary | T1 | 2025-03-20 | | |
    | B | Oli | 2025-04-01 | | T1 | | | |
    | B | Pat | 2024-06-10 | | T1, T2 2025-03-12 | 2025-03-10 | 03-11; unverified 03-01 | |
    | B | Quinn | 2024-06-25 | | T1, T2 2025-03-20 | 2025-03-25 | 2025-01-10 | |
    | B | Rae | 2020-03-01 | 2025-03-20 involuntary | T3 | | | |
    | B | Sam | 2021-03-31 | | T1, T2 2022-03-31 | | | |
    | B | Tara | 2022-03-31 | | T1, T2 2023-03-31 | | | |
    """
    a, b = site_a, site_b
    people = {}
    people["ava"] = tech(a, "Ava", D(2020, 1, 10))
    tier_history(
        people["ava"],
        ("TECH1", D(2020, 1, 10), HIRE),
        ("TECH2", D(2021, 1, 10), PROMOTION),
        ("TECH3", D(2025, 3, 10), PROMOTION),
    )
    people["ben"] = tech(a, "Ben", D(2024, 6, 30))
    people["cara"] = tech(a, "Cara", D(2024, 5, 31))
    tier_history(people["cara"], ("TECH1", D(2024, 5, 31), HIRE), ("TECH2", D(2025, 3, 31), PROMOTION))
    people["dan"] = tech(a, "Dan", D(2024, 6, 1))
    people["eve"] = left(a, "Eve", D(2022, 1, 1), D(2025, 3, 31), "voluntary", "pay")
    people["finn"] = left(a, "Finn", D(2023, 5, 1), D(2025, 3, 15), "voluntary", "career_growth")
    people["gus"] = tech(a, "Gus", D(2025, 3, 1))
    people["hana"] = tech(a, "Hana", D(2019, 1, 1))
    people["ivy"] = left(a, "Ivy", D(2024, 6, 15), D(2025, 3, 10), "voluntary", "pay")
    people["jon"] = tech(a, "Jon", D(2024, 7, 1))
    PtcbExtension.objects.create(
        technician=people["jon"], extended_to=D(2025, 3, 28), reason="Exam rescheduled", granted_on=D(2025, 2, 1)
    )

    people["kim"] = tech(b, "Kim", D(2021, 2, 28))
    tier_history(people["kim"], ("TECH1", D(2021, 2, 28), HIRE), ("TECH2", D(2025, 3, 31), PROMOTION))
    people["lee"] = tech(b, "Lee", D(2023, 1, 1))
    tier_history(people["lee"], ("TECH2", D(2023, 1, 1), HIRE), ("TECH1", D(2025, 3, 5), DEMOTION))
    people["max"] = tech(b, "Max", D(2022, 2, 1))
    tier_history(people["max"], ("TECH1", D(2022, 2, 1), HIRE), ("TECH2", D(2025, 2, 28), PROMOTION))
    people["nia"] = left(b, "Nia", D(2024, 6, 20), D(2025, 3, 1), "voluntary", "relocation")
    people["oli"] = tech(b, "Oli", D(2025, 4, 1))
    people["pat"] = tech(b, "Pat", D(2024, 6, 10))
    tier_history(people["pat"], ("TECH1", D(2024, 6, 10), HIRE), ("TECH2", D(2025, 3, 12), PROMOTION))
    people["quinn"] = tech(b, "Quinn", D(2024, 6, 25))
    tier_history(people["quinn"], ("TECH1", D(2024, 6, 25), HIRE), ("TECH2", D(2025, 3, 20), PROMOTION))
    people["rae"] = left(b, "Rae", D(2020, 3, 1), D(2025, 3, 20), "involuntary", tier="TECH3")
    people["sam"] = tech(b, "Sam", D(2021, 3, 31))
    tier_history(people["sam"], ("TECH1", D(2021, 3, 31), HIRE), ("TECH2", D(2022, 3, 31), PROMOTION))
    people["tara"] = tech(b, "Tara", D(2022, 3, 31))
    tier_history(people["tara"], ("TECH1", D(2022, 3, 31), HIRE), ("TECH2", D(2023, 3, 31), PROMOTION))

    CertificationFactory(technician=people["ben"], issued_on=D(2025, 3, 15))
    CertificationFactory(technician=people["dan"], issued_on=D(2025, 3, 1))
    CertificationFactory(technician=people["pat"], issued_on=D(2025, 3, 11))
    CertificationFactory(technician=people["pat"], issued_on=D(2025, 3, 1), verified=False)
    CertificationFactory(technician=people["quinn"], issued_on=D(2025, 1, 10))

    TrainingAssignmentFactory(technician=people["ava"], due_on=D(2025, 3, 10), completed_on=D(2025, 3, 5))
    TrainingAssignmentFactory(technician=people["ben"], due_on=D(2025, 3, 20), completed_on=D(2025, 3, 25))
    TrainingAssignmentFactory(technician=people["dan"], due_on=D(2025, 3, 31))
    TrainingAssignmentFactory(technician=people["eve"], due_on=D(2025, 3, 1), completed_on=D(2025, 4, 5))
    TrainingAssignmentFactory(technician=people["hana"], due_on=D(2025, 4, 2))
    TrainingAssignmentFactory(technician=people["kim"], due_on=D(2025, 3, 15), completed_on=D(2025, 3, 15))
    TrainingAssignmentFactory(technician=people["lee"], due_on=D(2025, 2, 28), completed_on=D(2025, 2, 20))
    return people


@contextlib.contextmanager
def celery_conf_override(**values):
    """Override Celery settings for a block, then put things back exactly: keys that were not
    set explicitly before are removed again, so Celery goes back to reading Django's settings
    (``careerladder.celery`` configures it from ``django.conf:settings``, read lazily)."""
    changes = celery_app.conf.maps[0]
    before = {key: changes[key] for key in values if key in changes}
    celery_app.conf.update(**values)
    try:
        yield celery_app
    finally:
        for key in values:
            if key in before:
                changes[key] = before[key]
            else:
                changes.pop(key, None)
