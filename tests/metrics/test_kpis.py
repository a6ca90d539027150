"""The KPI module against the hand-built data set (tests/metrics/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from careerladder.core.dates import add_months, months_between
from metrics import kpis
from tests.factories import SiteFactory
from tests.metrics.conftest import EXPECTED_A, EXPECTED_B, EXPECTED_ORG, MARCH, assert_kpis
from tiers import selectors as tiers_selectors

pytestmark = pytest.mark.django_db


def test_organisation_kpis_for_march_match_the_hand_worked_values(kpi_world):
    assert_kpis(kpis.compute_kpis(start=MARCH[0], end=MARCH[1]), EXPECTED_ORG)


def test_site_kpis_for_march_match_the_hand_worked_values(kpi_world, site_a, site_b):
    assert_kpis(kpis.compute_kpis(start=MARCH[0], end=MARCH[1], site_id=site_a.pk), EXPECTED_A)
    assert_kpis(kpis.compute_kpis(start=MARCH[0], end=MARCH[1], site_id=site_b.pk), EXPECTED_B)


def test_every_section_3_field_is_returned_in_order(kpi_world):
    result = kpis.compute_kpis(start=MARCH[0], end=MARCH[1])
    assert list(result) == list(kpis.KPI_FIELDS)
    assert set(EXPECTED_ORG) == set(result)


def test_grouped_by_site_gives_the_same_numbers_in_the_same_queries(
    kpi_world, site_a, site_b, django_assert_num_queries
):
    kpis.policy_get()  # the policy is read (and kept for the process) before counting
    with django_assert_num_queries(4):  # ladder, technicians, training, promotions
        by_site = kpis.kpis_by_site(start=MARCH[0], end=MARCH[1])
    assert set(by_site) == {site_a.pk, site_b.pk}
    assert_kpis(by_site[site_a.pk], EXPECTED_A)
    assert_kpis(by_site[site_b.pk], EXPECTED_B)


def test_all_scopes_of_a_month_equal_one_computation_per_scope(kpi_world, site_a, site_b, django_assert_num_queries):
    empty = SiteFactory(code="C01")  # nobody works here: all-zero counts, rates None
    kpis.policy_get()
    with django_assert_num_queries(4):  # ladder, technicians, training, promotions
        scopes = kpis.kpis_all_scopes(start=MARCH[0], end=MARCH[1], site_ids=[site_a.pk, site_b.pk, empty.pk])
    assert set(scopes) == {None, site_a.pk, site_b.pk, empty.pk}
    assert_kpis(scopes[None], EXPECTED_ORG)
    assert_kpis(scopes[site_a.pk], EXPECTED_A)
    assert_kpis(scopes[site_b.pk], EXPECTED_B)
    assert scopes[empty.pk] == kpis.compute_kpis(start=MARCH[0], end=MARCH[1], site_id=empty.pk)
    assert scopes[empty.pk]["headcount_end"] == 0 and scopes[empty.pk]["promotion_rate"] is None


@pytest.mark.parametrize("month", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
def test_all_scopes_match_compute_kpis_in_every_month_of_the_year(kpi_world, site_a, site_b, month):
    start = dt.date(2025, month, 1)
    end = add_months(start, 1) - dt.timedelta(days=1)
    scopes = kpis.kpis_all_scopes(start=start, end=end, site_ids=[site_a.pk, site_b.pk])
    assert scopes[None] == kpis.compute_kpis(start=start, end=end)
    assert scopes[site_a.pk] == kpis.compute_kpis(start=start, end=end, site_id=site_a.pk)
    assert scopes[site_b.pk] == kpis.compute_kpis(start=start, end=end, site_id=site_b.pk)


def test_a_managers_two_sites_together_are_the_organisation_here(kpi_world, site_a, site_b):
    both = kpis.compute_kpis(start=MARCH[0], end=MARCH[1], site_ids=[site_a.pk, site_b.pk])
    assert_kpis(both, EXPECTED_ORG)


def test_query_count_does_not_depend_on_the_number_of_technicians(kpi_world, django_assert_num_queries):
    kpis.policy_get()  # read once, then kept for the process
    with django_assert_num_queries(4):  # ladder, technicians, training, promotions
        kpis.compute_kpis(start=MARCH[0], end=MARCH[1])


def test_zero_denominators_give_none_never_zero(kpi_world):
    empty_site = SiteFactory(code="EMPTY")
    result = kpis.compute_kpis(start=MARCH[0], end=MARCH[1], site_id=empty_site.pk)
    assert result["average_headcount"] == 0
    for name in kpis.RATE_FIELDS + ("median_months_to_promotion",):
        assert result[name] is None, name
    before_anyone = kpis.compute_kpis(start=dt.date(2010, 1, 1), end=dt.date(2010, 12, 31))
    assert before_anyone["headcount_end"] == 0
    assert before_anyone["voluntary_turnover_rate"] is None
    assert before_anyone["training_completion_rate"] is None


def test_a_one_day_period_annualises_over_one_day(kpi_world, site_b):
    # Nia left on 2025-03-01: one voluntary separation; 7 employed on 03-01 at site B (both ends).
    result = kpis.compute_kpis(start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 1), site_id=site_b.pk)
    assert (result["headcount_start"], result["headcount_end"], result["voluntary_separations"]) == (8, 8, 1)
    assert result["voluntary_turnover_rate"] == pytest.approx(12.5)
    assert result["voluntary_turnover_rate_annualized"] == pytest.approx(12.5 * 365)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        kpis.compute_kpis(start=dt.date(2025, 3, 2), end=dt.date(2025, 3, 1))


@pytest.mark.parametrize("expected_months", [1, 12, 24, 36])
def test_stalled_threshold_is_exactly_more_than_the_expected_months(expected_months):
    """``start < threshold`` ⇔ ``months_between(start, on) > expected`` for every day around it."""
    for on in (dt.date(2025, 3, 31), dt.date(2025, 2, 28), dt.date(2024, 2, 29), dt.date(2025, 7, 15)):
        threshold = tiers_selectors.stalled_start_threshold(expected_months=expected_months, on=on)
        around = add_months(on, -expected_months)
        for offset in range(-40, 40):
            start = around + dt.timedelta(days=offset)
            assert (start < threshold) == (months_between(start, on) > expected_months), (on, start)


def test_month_periods_cover_whole_months_and_the_current_one_to_date():
    assert kpis.month_period(dt.date(2025, 2, 1), today=dt.date(2025, 6, 1)) == (
        dt.date(2025, 2, 1),
        dt.date(2025, 2, 28),
    )
    assert kpis.month_period(dt.date(2025, 6, 1), today=dt.date(2025, 6, 17)) == (
        dt.date(2025, 6, 1),
        dt.date(2025, 6, 17),
    )
    with pytest.raises(ValueError):
        kpis.month_period(dt.date(2025, 7, 1), today=dt.date(2025, 6, 17))
    assert kpis.months_from_to(dt.date(2024, 11, 20), dt.date(2025, 2, 3)) == [
        dt.date(2024, 11, 1),
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 1),
    ]


# ---- the organisation's figures from per-group partial sums (kpis.compute_kpis_cached) -------


def test_the_organisation_from_partial_sums_equals_one_computation(kpi_world, site_a, site_b):
    assert_kpis(kpis.compute_kpis_cached(start=MARCH[0], end=MARCH[1]), EXPECTED_ORG)
    assert kpis.compute_kpis_cached(start=MARCH[0], end=MARCH[1]) == kpis.compute_kpis(start=MARCH[0], end=MARCH[1])


def test_after_a_hire_at_one_site_only_that_sites_group_is_counted_again(kpi_world, site_a, site_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careerladder.core import versions
    from tests.factories import TechnicianFactory

    before = kpis.compute_kpis_cached(start=MARCH[0], end=MARCH[1])
    assert before["headcount_end"] == EXPECTED_ORG["headcount_end"]
    assert versions.bucket_of(site_a.pk) != versions.bucket_of(site_b.pk)

    TechnicianFactory(site=site_b, hire_date=dt.date(2025, 3, 10))

    with CaptureQueriesContext(connection) as captured:
        after = kpis.compute_kpis_cached(start=MARCH[0], end=MARCH[1])
    assert after["headcount_end"] == EXPECTED_ORG["headcount_end"] + 1
    assert after == kpis.compute_kpis(start=MARCH[0], end=MARCH[1])
    # Site B's group only: its technicians, training and promotions, each filtered to site B.
    counted = [q["sql"] for q in captured.captured_queries if "technicians_technician" in q["sql"]]
    assert len(counted) == 3
    assert all(f"IN ({site_b.pk})" in sql for sql in counted), counted
