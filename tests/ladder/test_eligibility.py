"""Eligibility for the next tier: one computation, every kind of missing requirement worked out
by hand. Today is fixed at 2025-06-30; tech_a (site A) was hired 2024-01-15 as Tech I."""

from __future__ import annotations

import datetime as dt

import pytest

from progress.selectors import ladder_progress
from tests.factories import TechnicianFactory
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, items_of, set_requirements, sign
from tiers.models import Tier, TierAssignment
from tiers.selectors import ladder_standing, ladder_standing_many

TODAY = dt.date(2025, 6, 30)


def _missing(standing) -> list[dict]:
    return [{k: m[k] for k in ("kind", "code", "detail")} for m in standing.missing]


@pytest.fixture
def dispensing(db):
    return CompetencyFactory(code="DISP_BASICS", name="Dispensing basics", items=2, revalidation_months=12)


@pytest.fixture
def billing(db):
    return CompetencyFactory(code="BILL_BASICS", name="Billing basics", items=1, revalidation_months=12)


@pytest.fixture
def tech2_ladder(dispensing, billing):
    """Tech II asks for two competencies, a CPhT, an average of 3.00 and 6 months as Tech I."""
    return set_requirements(
        "TECH2", competencies=[dispensing, billing], certifications=["CPHT"], average="3.00", months=6
    )


@pytest.fixture
def all_met(tech_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder):
    achieve(tech_a, evaluator_user, dispensing, dt.date(2025, 3, 10))
    achieve(tech_a, evaluator_user, billing, dt.date(2025, 4, 2))
    certify(tech_a, "CPHT", issued_on=dt.date(2024, 6, 1))  # expires 2026-06-01
    for month in (4, 5, 6):
        evaluate(tech_a, manager_user, dt.date(2025, month, 1), 3, today=TODAY)
    return tech_a


def test_every_requirement_met_makes_the_technician_eligible(all_met):
    standing = ladder_standing(technician=all_met, today=TODAY)

    assert standing.tier.code == "TECH1"
    assert standing.next_tier.code == "TECH2"
    assert standing.missing == []
    assert standing.eligible is True
    assert str(standing.evaluation_average) == "3.00"


def test_progress_output_of_an_eligible_technician(all_met):
    progress = ladder_progress(technician=all_met, today=TODAY)

    assert progress["tier"] == "TECH1"
    assert progress["next_tier"] == "TECH2"
    assert progress["eligible"] is True
    assert progress["missing"] == []
    rows = {row["code"]: row for row in progress["competencies"]}
    assert rows["DISP_BASICS"]["status"] == "achieved"
    assert rows["DISP_BASICS"]["achieved_on"] == dt.date(2025, 3, 10)
    assert rows["DISP_BASICS"]["expires_on"] == dt.date(2026, 3, 10)
    assert (rows["DISP_BASICS"]["items_signed"], rows["DISP_BASICS"]["items_total"]) == (2, 2)
    assert rows["BILL_BASICS"]["expires_on"] == dt.date(2026, 4, 2)


def test_competency_not_started_lists_every_item(
    tech_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder
):
    achieve(tech_a, evaluator_user, billing, dt.date(2025, 4, 2))
    certify(tech_a, "CPHT")
    for month in (4, 5, 6):
        evaluate(tech_a, manager_user, dt.date(2025, month, 1), 4, today=TODAY)

    standing = ladder_standing(technician=tech_a, today=TODAY)

    assert standing.eligible is False
    assert _missing(standing) == [
        {
            "kind": "competency",
            "code": "DISP_BASICS",
            "detail": "Dispensing basics: 0 of 2 checklist items signed off. "
            "Still to sign: Dispensing basics task 1; Dispensing basics task 2.",
        }
    ]


def test_competency_half_signed_lists_the_item_still_to_sign(all_met, evaluator_user, dispensing):
    # A second technician, same site, with only the first dispensing item signed.
    tech = TechnicianFactory(site=all_met.site, hire_date=dt.date(2024, 1, 15))
    sign(tech, evaluator_user, items_of(dispensing)[0], dt.date(2025, 5, 5))

    standing = ladder_standing(technician=tech, today=TODAY)

    by_code = {m["code"]: m for m in _missing(standing)}
    assert by_code["DISP_BASICS"] == {
        "kind": "competency",
        "code": "DISP_BASICS",
        "detail": "Dispensing basics: 1 of 2 checklist items signed off. Still to sign: Dispensing basics task 2.",
    }
    assert standing.competencies[dispensing.pk].status == "in_progress"


def test_expired_competency_is_missing_with_its_expiry(all_met, evaluator_user, dispensing):
    # Achieved 2024-05-01 with a 12-month interval: valid until 2025-04-30, expired on 2025-05-01.
    tech = TechnicianFactory(site=all_met.site, hire_date=dt.date(2024, 1, 15))
    achieve(tech, evaluator_user, dispensing, dt.date(2024, 5, 1))

    on_last_valid_day = ladder_standing(technician=tech, today=dt.date(2025, 4, 30))
    after = ladder_standing(technician=tech, today=TODAY)

    assert on_last_valid_day.competencies[dispensing.pk].status == "expiring"
    assert after.competencies[dispensing.pk].status == "expired"
    assert {m["code"]: m for m in _missing(after)}["DISP_BASICS"] == {
        "kind": "competency",
        "code": "DISP_BASICS",
        "detail": "Dispensing basics: expired on 2025-05-01; re-validation 0 of 2 checklist items signed off. "
        "Still to sign: Dispensing basics task 1; Dispensing basics task 2.",
    }


@pytest.mark.parametrize(
    "certificate",
    [
        None,  # never held
        {"issued_on": dt.date(2023, 1, 1), "expires_on": dt.date(2025, 1, 1)},  # expired
        {"issued_on": dt.date(2024, 6, 1), "verified": False},  # self-reported, not verified yet
        {"issued_on": dt.date(2025, 7, 1)},  # issued after today
    ],
    ids=["missing", "expired", "unverified", "future"],
)
def test_certification_missing_expired_or_unverified(
    certificate, tech_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder
):
    achieve(tech_a, evaluator_user, dispensing, dt.date(2025, 3, 10))
    achieve(tech_a, evaluator_user, billing, dt.date(2025, 4, 2))
    for month in (4, 5, 6):
        evaluate(tech_a, manager_user, dt.date(2025, month, 1), 3, today=TODAY)
    if certificate is not None:
        certify(tech_a, "CPHT", **certificate)

    standing = ladder_standing(technician=tech_a, today=TODAY)

    assert standing.eligible is False
    assert _missing(standing) == [
        {
            "kind": "certification",
            "code": "CPHT",
            "detail": "No current, verified Certified Pharmacy Technician (CPhT) on record.",
        }
    ]


def test_fewer_than_three_evaluations(tech_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder):
    achieve(tech_a, evaluator_user, dispensing, dt.date(2025, 3, 10))
    achieve(tech_a, evaluator_user, billing, dt.date(2025, 4, 2))
    certify(tech_a, "CPHT")
    evaluate(tech_a, manager_user, dt.date(2025, 5, 1), 4, today=TODAY)
    evaluate(tech_a, manager_user, dt.date(2025, 6, 1), 4, today=TODAY)

    standing = ladder_standing(technician=tech_a, today=TODAY)

    assert _missing(standing) == [
        {
            "kind": "evaluation",
            "code": "EVAL_AVG",
            "detail": "2 of the 3 monthly evaluations needed are on record (average so far 4.00); "
            "Pharmacy Technician II needs an average of at least 3.00 over the last 3.",
        }
    ]


def test_average_of_the_last_three_evaluations_too_low(
    tech_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder
):
    achieve(tech_a, evaluator_user, dispensing, dt.date(2025, 3, 10))
    achieve(tech_a, evaluator_user, billing, dt.date(2025, 4, 2))
    certify(tech_a, "CPHT")
    # An old, poor month that no longer counts: only the last 3 do.
    evaluate(tech_a, manager_user, dt.date(2025, 3, 1), 1, today=TODAY)
    # 3+3+3+2+2 = 13 / 5 = 2.60;  3.00;  4+3+3+3+3 = 16 / 5 = 3.20
    evaluate(
        tech_a,
        manager_user,
        dt.date(2025, 4, 1),
        {"accuracy": 3, "productivity": 3, "teamwork": 3, "compliance": 2, "communication": 2},
        today=TODAY,
    )
    evaluate(tech_a, manager_user, dt.date(2025, 5, 1), 3, today=TODAY)
    evaluate(
        tech_a,
        manager_user,
        dt.date(2025, 6, 1),
        {"accuracy": 4, "productivity": 3, "teamwork": 3, "compliance": 3, "communication": 3},
        today=TODAY,
    )

    standing = ladder_standing(technician=tech_a, today=TODAY)

    # (2.60 + 3.00 + 3.20) / 3 = 8.80 / 3 = 2.933... -> 2.93
    assert str(standing.evaluation_average) == "2.93"
    assert _missing(standing) == [
        {
            "kind": "evaluation",
            "code": "EVAL_AVG",
            "detail": "Average of the last 3 monthly evaluations is 2.93; Pharmacy Technician II needs at least 3.00.",
        }
    ]


def test_months_in_tier_below_the_floor(site_a, evaluator_user, manager_user, dispensing, billing, tech2_ladder):
    # Hired 2025-01-15: on 2025-06-30 that is 5 whole months (to 06-15) + 15/30 of the next = 5.5.
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2025, 1, 15))
    achieve(tech, evaluator_user, dispensing, dt.date(2025, 3, 10))
    achieve(tech, evaluator_user, billing, dt.date(2025, 4, 2))
    certify(tech, "CPHT", issued_on=dt.date(2025, 3, 1))
    for month in (4, 5, 6):
        evaluate(tech, manager_user, dt.date(2025, month, 1), 5, today=TODAY)

    standing = ladder_standing(technician=tech, today=TODAY)

    assert _missing(standing) == [
        {
            "kind": "tenure",
            "code": "TECH1",
            "detail": "5.5 of the 6 months required as Pharmacy Technician I; the floor is reached on 2025-07-15.",
        }
    ]
    assert ladder_standing(technician=tech, today=dt.date(2025, 7, 15)).eligible is True


def test_months_count_from_the_current_tier_not_from_hire(site_a):
    # Tech II since 2025-03-01; Tech III asks for 12 months as Tech II (seeded floor).
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2023, 1, 9))
    first = tech.tier_assignments.get()
    first.end_date = dt.date(2025, 3, 1)
    first.save()
    TierAssignment.objects.create(
        technician=tech, tier=Tier.objects.get(code="TECH2"), start_date=dt.date(2025, 3, 1), reason="promotion"
    )

    standing = ladder_standing(technician=tech, today=TODAY)

    tenure = [m for m in _missing(standing) if m["kind"] == "tenure"]
    # 2025-03-01 -> 06-01 = 3 months, + 29 of June's 30 days = 3.97, shown rounded down as 3.9.
    assert tenure == [
        {
            "kind": "tenure",
            "code": "TECH2",
            "detail": "3.9 of the 12 months required as Pharmacy Technician II; the floor is reached on 2026-03-01.",
        }
    ]


def test_tenure_alone_never_makes_anyone_eligible(tech_a):
    set_requirements("TECH2", months=6)  # nothing but a time floor, which tech_a has long passed

    standing = ladder_standing(technician=tech_a, today=TODAY)

    assert standing.eligible is False
    assert _missing(standing) == [
        {
            "kind": "competency",
            "code": "TECH2",
            "detail": "Pharmacy Technician II has no requirements besides time in tier, and tenure alone never makes "
            "anyone eligible: HR must set its competencies, certifications or evaluation floor first.",
        }
    ]


def test_specialty_requirement_names_the_choices_and_the_closest(site_a, evaluator_user, manager_user):
    vendor = CompetencyFactory(code="VENDOR_X", name="Vendor basics", items=1)
    sterile = CompetencyFactory(code="STERILE_X", name="Sterile basics", items=2)
    robots = CompetencyFactory(code="ROBOT_X", name="Automation basics", items=1)
    set_requirements("TECH3", competencies=[vendor], specialties=[sterile, robots], min_specialties=1)
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2022, 1, 10), tier="TECH2")
    achieve(tech, evaluator_user, vendor, dt.date(2025, 2, 1))
    sign(tech, evaluator_user, items_of(sterile)[0], dt.date(2025, 6, 1))

    standing = ladder_standing(technician=tech, today=TODAY)

    assert _missing(standing) == [
        {
            "kind": "competency",
            "code": "SPECIALTY",
            "detail": "1 more specialty competency needed (0 of 1 achieved); choose from: Automation basics, "
            "Sterile basics. Closest: Sterile basics, 1 of 2 items signed.",
        }
    ]

    achieve(tech, evaluator_user, robots, dt.date(2025, 6, 2))
    assert ladder_standing(technician=tech, today=TODAY).eligible is True


def test_every_kind_missing_at_once_in_ladder_order(site_a, dispensing, billing, tech2_ladder):
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2025, 3, 3))

    standing = ladder_standing(technician=tech, today=TODAY)

    # Competencies in name order, then certifications, evaluations and time in tier.
    assert [(m["kind"], m["code"]) for m in standing.missing] == [
        ("competency", "BILL_BASICS"),
        ("competency", "DISP_BASICS"),
        ("certification", "CPHT"),
        ("evaluation", "EVAL_AVG"),
        ("tenure", "TECH1"),
    ]
    assert standing.missing[3]["detail"] == (
        "0 of the 3 monthly evaluations needed are on record; Pharmacy Technician II needs an average of at least "
        "3.00 over the last 3."
    )


def test_retired_competency_no_longer_required(all_met, dispensing):
    other = TechnicianFactory(site=all_met.site, hire_date=dt.date(2024, 1, 15))
    dispensing.active = False
    dispensing.save()

    codes = [m["code"] for m in ladder_standing(technician=other, today=TODAY).missing]

    assert "DISP_BASICS" not in codes
    assert "BILL_BASICS" in codes


def test_terminated_technician_is_never_eligible(all_met):
    all_met.status = "terminated"
    all_met.termination_date = dt.date(2025, 6, 20)
    all_met.termination_type = "voluntary"
    all_met.save()

    assert ladder_standing(technician=all_met, today=TODAY).eligible is False


def test_top_of_the_ladder_has_no_next_tier(site_a):
    lead = TechnicianFactory(site=site_a, tier="LEAD")

    standing = ladder_standing(technician=lead, today=TODAY)

    assert (standing.tier.code, standing.next_tier, standing.eligible, standing.missing) == ("LEAD", None, False, [])


def test_many_technicians_in_a_fixed_number_of_queries(
    all_met, site_a, dispensing, billing, django_assert_max_num_queries
):
    others = [TechnicianFactory(site=site_a) for _ in range(20)]

    with django_assert_max_num_queries(12):
        standings = ladder_standing_many(technicians=[all_met, *others], today=TODAY)

    assert standings[all_met.pk].eligible is True
    assert sum(1 for s in standings.values() if s.eligible) == 1
