"""The ladder's demo data: realistic rows that respect every rule, and a technician login one
checklist item away from Tech II."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import F

from competencies.models import CompetencyRound, SignOff
from technicians import demo as technician_demo
from technicians.models import User
from tiers.demo import demo_ladder_create, demo_ladder_delete
from tiers.models import Evaluation, Promotion
from tiers.selectors import ladder_standing

TODAY = dt.date(2026, 3, 16)


@pytest.fixture
def workforce(db):
    technician_demo.demo_data_create(technicians=80, sites=3, years=2, seed=11, today=TODAY)
    # seed_demo already ran the ladder demo; start this one from a bare workforce.
    demo_ladder_delete()


def test_demo_ladder_data_follows_the_rules(workforce):
    summary = demo_ladder_create(rng=random.Random(11), today=TODAY)

    assert summary.signoffs > 500
    assert summary.rounds > 100
    assert summary.evaluations > 200
    assert summary.promotions_approved > 0
    assert summary.meetings > 0
    assert (SignOff.objects.count(), Evaluation.objects.count()) == (summary.signoffs, summary.evaluations)
    # Nobody signed their own checklist, no sign-off is in the future, rounds end on their latest sign-off.
    assert not SignOff.objects.filter(evaluator_technician_id=F("technician_id")).exists()
    assert not SignOff.objects.filter(signed_on__gt=TODAY).exists()
    for round_ in CompetencyRound.objects.filter(achieved_on__isnull=False).prefetch_related("signoffs")[:200]:
        assert round_.achieved_on == max(s.signed_on for s in round_.signoffs.all())
    assert Promotion.objects.filter(status="approved", tier_assignment__isnull=True).count() == 0


def test_the_technician_login_is_one_item_from_tech2(workforce):
    demo_ladder_create(rng=random.Random(11), today=TODAY)
    login = User.objects.get(username="technician").technician

    standing = ladder_standing(technician=login, today=TODAY)

    assert (standing.tier.code, standing.next_tier.code) == ("TECH1", "TECH2")
    competency_gaps = [m for m in standing.missing if m["kind"] == "competency"]
    assert [m["code"] for m in competency_gaps] == ["BILLING"]
    assert competency_gaps[0]["todo"] == ["Keeps audit documentation (ICD-10 codes, prescriber clarifications)"]
    # Evaluations and time in tier hold; only the CPhT may be missing (the certification demo's part).
    assert {m["kind"] for m in standing.missing} <= {"competency", "certification"}
    assert len(standing.missing) <= 2


def test_demo_ladder_is_deterministic_and_can_be_deleted(workforce):
    first = demo_ladder_create(rng=random.Random(5), today=TODAY)
    rows = list(
        SignOff.objects.order_by("technician_id", "item_id", "signed_on").values_list(
            "technician_id", "item_id", "signed_on"
        )
    )
    demo_ladder_delete()
    assert SignOff.objects.count() == 0

    second = demo_ladder_create(rng=random.Random(5), today=TODAY)

    assert first == second
    assert rows == list(
        SignOff.objects.order_by("technician_id", "item_id", "signed_on").values_list(
            "technician_id", "item_id", "signed_on"
        )
    )


def test_demo_has_each_usp797_and_tct_case(workforce):
    """A Category 3 technician at a Category 2 site due 3 months after achieving sterile
    compounding (TODAY - 20 days = 2026-02-24 -> 2026-05-24), a media fill failed by its surface
    sample, and a tech-check-tech duty withdrawn after 6 idle months (validated on
    TODAY - 245 days = 2025-07-14, no check since)."""
    from competencies.models import Competency
    from technicians.models import Technician
    from technicians.selectors import compounding_category_of
    from tiers.selectors import signoff_sheet
    from training.selectors import duty_standings

    summary = demo_ladder_create(rng=random.Random(11), today=TODAY)
    sterile = Competency.objects.get(code="STERILE_797")

    cat3 = Technician.objects.select_related("site").get(pk=summary.category3_technician)
    assert (cat3.compounding_category, cat3.site.compounding_category, compounding_category_of(cat3)) == ("3", "2", "3")
    standing = ladder_standing(technician=cat3, today=TODAY).competencies[sterile.pk]
    assert (standing.status, standing.achieved_on, standing.expires_on) == (
        "achieved",
        dt.date(2026, 2, 24),
        dt.date(2026, 5, 24),
    )

    failed = Technician.objects.select_related("site").get(pk=summary.surface_sample_failed)
    assert ladder_standing(technician=failed, today=TODAY).competencies[sterile.pk].status == "in_progress"
    row = next(c for c in signoff_sheet(technician=failed, today=TODAY)["competencies"] if c.competency == sterile)
    assert [f.failure for f in row.failed_items] == ["fail: 5 CFU, limit 3"]

    idle = Technician.objects.select_related("site").get(pk=summary.tct_idle)
    [verification] = [
        s for s in duty_standings(technicians=[idle], on=TODAY)[idle.pk] if s.duty.code == "PRODUCT_VERIFICATION"
    ]
    assert verification.authorised is False
    assert str(verification.withdrawn) == "no checks since 2025-07-14"
