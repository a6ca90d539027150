"""SHRM's monthly turnover method (``voluntary_turnover_rate_monthly_sum``) beside section 3's.

Every expected value is worked out by hand below from ``quarter_world``'s table; section 3's
"employed on d" is ``hire_date <= d`` and (no termination date or ``d < termination_date``),
so someone who leaves on the 31st is not employed on the 31st.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from metrics import kpis, services
from metrics.models import KpiSnapshot
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.metrics.conftest import left, tech

pytestmark = pytest.mark.django_db
D = dt.date
Q1 = (D(2025, 1, 1), D(2025, 3, 31))
Q1_QUERY = {"start": "2025-01-01", "end": "2025-03-31"}
VOLUNTARY, INVOLUNTARY = "voluntary", "involuntary"

# Site A, Q1 2025, month by month (employed on the first day, on the last day; voluntary exits):
#   Jan: 6 (Al, Bo, Cy, Di, Fe, Gil), 4 (Di and Gil gone) -> average 5;   2 exits -> 40.0
#   Feb: 5 (Al, Bo, Cy, Fe, Em hired 02-01), 4 (Fe left 02-28) -> 4.5; 0 exits (Fe was let go) -> 0.0
#   Mar: 4 (Al, Bo, Cy, Em), 3 (Em gone) -> 3.5;                        1 exit (Em)  -> 100 / 3.5
A_MONTHLY_SUM = 40.0 + 0.0 + 100 / 3.5  # 68.571...
# Section 3 for the quarter: 6 on 01-01, 3 on 03-31, average 4.5; 3 exits -> 66.666...
A_PERIOD_RATE = 100 * 3 / 4.5
# Site B: Jan 2 (Hal, Ian), 3 (Jo hired 01-31) -> 2.5, 0 exits; Feb 3, 3 -> 3, 0 exits;
#   Mar 3, 2 (Ian left on 03-31 itself) -> 2.5, 1 exit -> 40.0
B_MONTHLY_SUM = 40.0
B_PERIOD_RATE = 100 * 1 / 2.0  # 2 on 01-01 (Hal, Ian), 2 on 03-31 (Hal, Jo)
# The organisation adds the sites' counts month by month (rates do not add up: 68.6 + 40 is not it):
#   Jan 8, 7 -> 7.5, 2 exits -> 26.666...; Feb 8, 7 -> 7.5, 0; Mar 7, 5 -> 6, 2 exits -> 33.333...
ORG_MONTHLY_SUM = 100 * 2 / 7.5 + 100 * 2 / 6  # 60.0
ORG_PERIOD_RATE = 100 * 4 / 6.5  # 8 on 01-01, 5 on 03-31; 4 exits


@pytest.fixture
def quarter_world(site_a, site_b):
    """| site | who | hired | left |
    | A | Al, Bo, Cy | 2020-01-01 | |
    | A | Di | 2020-01-01 | 2025-01-20 voluntary |
    | A | Em | 2025-02-01 | 2025-03-15 voluntary |
    | A | Fe | 2020-01-01 | 2025-02-28 involuntary |
    | A | Gil | 2020-01-01 | 2025-01-10 voluntary |
    | B | Hal | 2020-01-01 | |
    | B | Ian | 2020-01-01 | 2025-03-31 voluntary |
    | B | Jo | 2025-01-31 | |
    """
    old = D(2020, 1, 1)
    for name in ("Al", "Bo", "Cy"):
        tech(site_a, name, old)
    left(site_a, "Di", old, D(2025, 1, 20), VOLUNTARY)
    left(site_a, "Em", D(2025, 2, 1), D(2025, 3, 15), VOLUNTARY)
    left(site_a, "Fe", old, D(2025, 2, 28), INVOLUNTARY)
    left(site_a, "Gil", old, D(2025, 1, 10), VOLUNTARY)
    tech(site_b, "Hal", old)
    left(site_b, "Ian", old, D(2025, 3, 31), VOLUNTARY)
    tech(site_b, "Jo", D(2025, 1, 31))


# ---- the months of a period ---------------------------------------------------------------------


def test_the_months_of_a_period_are_clipped_to_it():
    assert kpis.period_months(D(2025, 3, 15), D(2025, 5, 10)) == [
        (D(2025, 3, 15), D(2025, 3, 31)),
        (D(2025, 4, 1), D(2025, 4, 30)),
        (D(2025, 5, 1), D(2025, 5, 10)),
    ]
    assert kpis.period_months(D(2024, 2, 10), D(2024, 2, 10)) == [(D(2024, 2, 10), D(2024, 2, 10))]
    assert kpis.period_months(D(2024, 12, 31), D(2025, 1, 1)) == [
        (D(2024, 12, 31), D(2024, 12, 31)),
        (D(2025, 1, 1), D(2025, 1, 1)),
    ]
    assert len(kpis.period_months(D(2015, 1, 1), D(2024, 12, 31))) == 120


def test_the_sum_of_monthly_rates_skips_empty_months_and_is_none_when_all_are():
    # (employed on the first day, on the last day, voluntary exits) per month
    assert kpis.monthly_sum_rate([(4, 4, 1), (0, 0, 1), (2, 0, 1)]) == 25.0 + 100.0
    assert kpis.monthly_sum_rate([(0, 0, 0), (0, 0, 2)]) is None
    assert kpis.monthly_sum_rate([(3, 1, 0)]) == 0.0


# ---- a three-month period, the organisation and each site --------------------------------------


def test_a_quarter_for_the_organisation_is_the_sum_of_its_monthly_rates(quarter_world):
    result = kpis.compute_kpis(start=Q1[0], end=Q1[1])
    assert result["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)
    assert result["voluntary_turnover_rate_monthly_sum"] == pytest.approx(60.0, rel=1e-12)
    # The first figure is unchanged beside it: section 3's method.
    assert result["voluntary_turnover_rate"] == pytest.approx(ORG_PERIOD_RATE, rel=1e-12)
    assert result["voluntary_turnover_rate_annualized"] == pytest.approx(ORG_PERIOD_RATE * 365 / 90, rel=1e-12)


def test_a_quarter_per_site_one_site_at_a_time_and_grouped(quarter_world, site_a, site_b):
    site_a_kpis = kpis.compute_kpis(start=Q1[0], end=Q1[1], site_id=site_a.pk)
    site_b_kpis = kpis.compute_kpis(start=Q1[0], end=Q1[1], site_id=site_b.pk)
    assert site_a_kpis["voluntary_turnover_rate_monthly_sum"] == pytest.approx(A_MONTHLY_SUM, rel=1e-12)
    assert site_a_kpis["voluntary_turnover_rate"] == pytest.approx(A_PERIOD_RATE, rel=1e-12)
    assert site_b_kpis["voluntary_turnover_rate_monthly_sum"] == pytest.approx(B_MONTHLY_SUM, rel=1e-12)
    assert site_b_kpis["voluntary_turnover_rate"] == pytest.approx(B_PERIOD_RATE, rel=1e-12)

    by_site = kpis.kpis_by_site(start=Q1[0], end=Q1[1])
    assert by_site[site_a.pk]["voluntary_turnover_rate_monthly_sum"] == pytest.approx(A_MONTHLY_SUM, rel=1e-12)
    assert by_site[site_b.pk]["voluntary_turnover_rate_monthly_sum"] == pytest.approx(B_MONTHLY_SUM, rel=1e-12)


def test_every_way_to_the_organisation_adds_the_sites_counts_month_by_month(quarter_world, site_a, site_b):
    """``kpis_all_scopes`` (snapshots), the cached organisation from per-bucket partial sums
    (reports, API) and a manager's two sites together all give the organisation's 60.0."""
    scopes = kpis.kpis_all_scopes(start=Q1[0], end=Q1[1], site_ids=[site_a.pk, site_b.pk])
    assert scopes[None]["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)
    assert scopes[site_a.pk]["voluntary_turnover_rate_monthly_sum"] == pytest.approx(A_MONTHLY_SUM, rel=1e-12)
    cached = kpis.compute_kpis_cached(start=Q1[0], end=Q1[1])
    assert cached["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)
    both = kpis.compute_kpis(start=Q1[0], end=Q1[1], site_ids=[site_a.pk, site_b.pk])
    assert both["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)


# ---- partial months, empty months, one month, long periods ---------------------------------------


def test_partial_months_at_the_edges_count_only_their_days_in_the_period(quarter_world, site_a):
    """2025-01-15 .. 2025-03-10 at site A, the months clipped to the period:
    - Jan 15..31: 5 on the 15th (Al, Bo, Cy, Di, Fe; Gil left 01-10), 4 on the 31st: average
      4.5; 1 exit (Di 01-20; Gil's is before the period) -> 100 / 4.5 = 22.2...
    - Feb: 5 and 4, average 4.5, no voluntary exit -> 0
    - Mar 1..10: 4 on the 1st and 4 on the 10th (Em leaves 03-15, after the period) -> 0
    Sum: 22.2... (whole months would have counted Gil and Em: 40 + 0 + 28.6)."""
    result = kpis.compute_kpis(start=D(2025, 1, 15), end=D(2025, 3, 10), site_id=site_a.pk)
    assert result["voluntary_turnover_rate_monthly_sum"] == pytest.approx(100 / 4.5, rel=1e-12)


def test_a_month_nobody_was_employed_at_either_end_adds_nothing(site_a):
    """Site A, February and March 2025:
    - Uma: hired 02-10, left voluntarily 02-20; Val: hired 03-05.
    - Feb: 0 employed on 02-01 and on 02-28: average 0, so Uma's exit adds nothing.
    - Mar: 0 on 03-01, 1 on 03-31 (Val): average 0.5, no exit -> 0.0.
    Sum over Feb-Mar: 0.0 (a month was counted), not null. February alone: every month's
    average is 0, so null; and so is section 3's rate (0 on both ends)."""
    left(site_a, "Uma", D(2025, 2, 10), D(2025, 2, 20), VOLUNTARY)
    tech(site_a, "Val", D(2025, 3, 5))

    both = kpis.compute_kpis(start=D(2025, 2, 1), end=D(2025, 3, 31), site_id=site_a.pk)
    february = kpis.compute_kpis(start=D(2025, 2, 1), end=D(2025, 2, 28), site_id=site_a.pk)

    assert both["voluntary_turnover_rate_monthly_sum"] == 0.0
    assert both["voluntary_turnover_rate"] == pytest.approx(100 * 1 / 0.5)  # 0 on 02-01, 1 on 03-31: 200 %
    assert february["voluntary_turnover_rate_monthly_sum"] is None
    assert february["voluntary_turnover_rate"] is None


def test_within_one_month_both_methods_agree(quarter_world, site_a):
    """March at site A: 4 on the 1st, 3 on the 31st, 1 exit: 100 / 3.5 by both methods."""
    result = kpis.compute_kpis(start=D(2025, 3, 1), end=D(2025, 3, 31), site_id=site_a.pk)
    assert result["voluntary_turnover_rate_monthly_sum"] == pytest.approx(100 / 3.5, rel=1e-12)
    assert result["voluntary_turnover_rate_monthly_sum"] == result["voluntary_turnover_rate"]


def test_a_period_longer_than_one_query_holds_reads_the_later_months_too(site_a, site_b):
    """2010-01 .. 2020-10 is 130 months, more than ``MONTHS_PER_QUERY``: the months past it are
    counted by one more query. Wes and Xia are hired 2010-01-01, Xia leaves voluntarily
    2020-06-15 (month 126): June has 2 on the 1st and 1 on the 30th, average 1.5 -> 66.6...;
    every other month has no exit. Site B has nobody."""
    assert len(kpis.period_months(D(2010, 1, 1), D(2020, 10, 31))) == 130 > kpis.MONTHS_PER_QUERY
    tech(site_a, "Wes", D(2010, 1, 1))
    left(site_a, "Xia", D(2010, 1, 1), D(2020, 6, 15), VOLUNTARY)
    start, end = D(2010, 1, 1), D(2020, 10, 31)

    assert kpis.compute_kpis(start=start, end=end)["voluntary_turnover_rate_monthly_sum"] == pytest.approx(
        100 / 1.5, rel=1e-12
    )
    assert kpis.kpis_by_site(start=start, end=end)[site_a.pk]["voluntary_turnover_rate_monthly_sum"] == (
        pytest.approx(100 / 1.5, rel=1e-12)
    )
    scopes = kpis.kpis_all_scopes(start=start, end=end, site_ids=[site_a.pk, site_b.pk])
    assert scopes[None]["voluntary_turnover_rate_monthly_sum"] == pytest.approx(100 / 1.5, rel=1e-12)
    assert scopes[site_b.pk]["voluntary_turnover_rate_monthly_sum"] is None


# ---- queries ----------------------------------------------------------------------------------------


def _queries(compute) -> int:
    with CaptureQueriesContext(connection) as context:
        compute()
    return len(context)


def test_the_monthly_figure_costs_no_query_and_none_per_technician(site_a, site_b):
    """A year's figure costs the queries of a one-month figure (the monthly counts are columns of
    the technicians query), and the same with 6 or 60 technicians, for one site, the grouped
    sites and the organisation."""

    def hire(count: int) -> None:
        for n in range(count):
            site = site_a if n % 2 else site_b
            if n % 3:
                TechnicianFactory(site=site, hire_date=D(2020, 1, 1))
            else:
                TechnicianFactory(
                    site=site,
                    hire_date=D(2020, 1, 1),
                    status="terminated",
                    termination_date=D(2025, 1 + n % 12, 1 + n % 28),
                    termination_type=VOLUNTARY,
                )

    year, month = (D(2025, 1, 1), D(2025, 12, 31)), (D(2025, 3, 1), D(2025, 3, 31))

    def counts() -> list[int]:
        kpis.compute_kpis(start=month[0], end=month[1])  # what is read once per process (policy, ladder)
        return [
            _queries(lambda p=period: kpis.compute_kpis(start=p[0], end=p[1], site_id=site_a.pk))
            for period in (year, month)
        ] + [
            _queries(lambda: kpis.kpis_by_site(start=year[0], end=year[1])),
            _queries(lambda: kpis.kpis_all_scopes(start=year[0], end=year[1], site_ids=[site_a.pk, site_b.pk])),
        ]

    hire(6)
    small = counts()
    hire(54)
    large = counts()
    assert small == large
    assert small[0] == small[1]  # twelve months cost what one month costs


# ---- the API and the snapshots -----------------------------------------------------------------------


def test_the_api_gives_the_monthly_figure_beside_the_others(client_for, hr_user, quarter_world, site_a):
    client = client_for(hr_user)
    org = client.get("/api/v1/kpis/", Q1_QUERY).json()
    one_site = client.get("/api/v1/kpis/", {**Q1_QUERY, "site": site_a.pk}).json()
    assert org["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)
    assert org["voluntary_turnover_rate"] == pytest.approx(ORG_PERIOD_RATE, rel=1e-12)
    assert one_site["voluntary_turnover_rate_monthly_sum"] == pytest.approx(A_MONTHLY_SUM, rel=1e-12)
    assert list(org).index("voluntary_turnover_rate_monthly_sum") == (
        list(org).index("voluntary_turnover_rate_annualized") + 1
    )


def test_a_managers_sites_through_the_api_add_their_counts(client_for, quarter_world, site_a, site_b):
    both = UserFactory(username="two-sites", role=User.Role.MANAGER, sites=[site_a, site_b])
    body = client_for(both).get("/api/v1/kpis/", Q1_QUERY).json()
    assert body["scope"] == "sites"
    assert body["voluntary_turnover_rate_monthly_sum"] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)


def test_snapshots_store_the_monthly_figure_and_older_rows_show_it_as_not_computed(
    client_for, hr_user, quarter_world, site_a
):
    """A monthly snapshot is its month's own rate: March at site A is 100 / 3.5, February 0.0
    (no voluntary exit). A row computed before the figure existed holds NULL and the API says
    null, never 0."""
    services.kpi_snapshots_compute_all(months=[D(2025, 2, 1), D(2025, 3, 1)], today=D(2025, 4, 30))
    march = KpiSnapshot.objects.get(site=site_a, month=D(2025, 3, 1))
    february = KpiSnapshot.objects.get(site=site_a, month=D(2025, 2, 1))
    assert march.voluntary_turnover_rate_monthly_sum == pytest.approx(100 / 3.5, rel=1e-12)
    assert february.voluntary_turnover_rate_monthly_sum == 0.0
    org_march = KpiSnapshot.objects.get(site__isnull=True, month=D(2025, 3, 1))
    assert org_march.voluntary_turnover_rate_monthly_sum == pytest.approx(100 * 2 / 6, rel=1e-12)

    KpiSnapshot.objects.filter(pk=march.pk).update(voluntary_turnover_rate_monthly_sum=None)  # as migrated
    body = client_for(hr_user).get("/api/v1/kpi-snapshots/", {"site": site_a.pk, "month": "2025-03"}).json()
    assert [row["voluntary_turnover_rate_monthly_sum"] for row in body["results"]] == [None]

    services.kpi_snapshots_compute_month(month=D(2025, 3, 1), today=D(2025, 4, 30))  # recomputed: filled in
    march.refresh_from_db()
    assert march.voluntary_turnover_rate_monthly_sum == pytest.approx(100 / 3.5, rel=1e-12)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_leaves_older_snapshots_not_computed():
    """Rows written before migration 0004 get NULL for the new figure, not 0."""
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("metrics", "0003_schedule_kpi_snapshot_reconciler")],
        [("metrics", "0004_kpisnapshot_voluntary_turnover_rate_monthly_sum")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    counts = dict.fromkeys(kpis.COUNT_FIELDS, 0)
    old_apps.get_model("metrics", "KpiSnapshot").objects.create(
        site=None,
        month=D(2024, 1, 1),
        period_start=D(2024, 1, 1),
        period_end=D(2024, 1, 31),
        average_headcount=0.0,
        computed_at=timezone.now(),
        **counts,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    assert KpiSnapshot.objects.get(month=D(2024, 1, 1)).voluntary_turnover_rate_monthly_sum is None


# ---- the reports page, its exports, the dashboard ------------------------------------------------------


def _report_table(html: str) -> tuple[list[str], list[list[str]]]:
    """The report table's column headings and its rows' cells (the scope first), as text."""

    def text(fragment: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()

    table = re.search(r"<table.*?</table>", html, re.S).group(0)
    head = [text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)]
    body = table.split("<tbody>", 1)[1]
    rows = [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return head, rows


def test_the_reports_page_shows_the_second_figure_beside_the_first_and_names_each_method(
    client_for, hr_user, quarter_world
):
    response = client_for(hr_user).get("/reports/", Q1_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    head, rows = _report_table(html)
    annualised = head.index("Voluntary turnover, annualised (%)")
    assert head[annualised + 1] == "Voluntary turnover, SHRM monthly method (%)"
    organisation = rows[0]
    assert organisation[0] == "Organisation"
    assert organisation[annualised + 1] == "60.0"  # ORG_MONTHLY_SUM, to one decimal
    assert organisation[annualised] == f"{ORG_PERIOD_RATE * 365 / 90:.1f}"  # 249.6
    assert [row[annualised + 1] for row in rows[1:]] == [f"{A_MONTHLY_SUM:.1f}", f"{B_MONTHLY_SUM:.1f}"]
    assert (
        "Voluntary turnover, annualised: separations ÷ average of start and end headcount, annualised by days" in html
    )
    assert "SHRM monthly method: sum of the monthly rates" in html


def test_the_print_view_names_the_methods_too(client_for, hr_user, quarter_world):
    html = client_for(hr_user).get("/reports/print/", Q1_QUERY).content.decode()
    assert "Voluntary turnover, SHRM monthly method (%)" in html
    assert "SHRM monthly method: sum of the monthly rates" in html


def test_the_csv_export_has_the_monthly_figure_after_the_annualised_one(client_for, hr_user, quarter_world):
    response = client_for(hr_user).get("/reports/kpis.csv", Q1_QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[0]
    column = header.index("voluntary_turnover_rate_monthly_sum")
    assert header[column - 1] == "voluntary_turnover_rate_annualized"
    assert [row[0] for row in rows[1:]] == ["organisation", "site", "site"]
    assert [float(row[column]) for row in rows[1:]] == [
        pytest.approx(ORG_MONTHLY_SUM, rel=1e-12),
        pytest.approx(A_MONTHLY_SUM, rel=1e-12),
        pytest.approx(B_MONTHLY_SUM, rel=1e-12),
    ]


def test_the_csv_leaves_an_empty_monthly_figure_empty(client_for, hr_user, site_a):
    left(site_a, "Uma", D(2025, 2, 10), D(2025, 2, 20), VOLUNTARY)  # nobody on 02-01 or 02-28
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(hr_user)
                .get("/reports/kpis.csv", {"start": "2025-02-01", "end": "2025-02-28"})
                .content.decode()
            )
        )
    )
    column = rows[0].index("voluntary_turnover_rate_monthly_sum")
    assert rows[1][column] == ""


def test_the_xlsx_export_has_the_monthly_figure_and_a_sheet_naming_the_methods(client_for, hr_user, quarter_world):
    response = client_for(hr_user).get("/reports/kpis.xlsx", Q1_QUERY)
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["KPIs"]
    header = [c.value for c in sheet[1]]
    org = [c.value for c in sheet[2]]
    assert org[header.index("voluntary_turnover_rate_monthly_sum")] == pytest.approx(ORG_MONTHLY_SUM, rel=1e-12)
    methods = {row[0]: row[1] for row in workbook["Turnover methods"].iter_rows(min_row=2, values_only=True)}
    assert methods == {
        "voluntary_turnover_rate": "Voluntary turnover: separations ÷ average of start and end headcount",
        "voluntary_turnover_rate_annualized": (
            "Voluntary turnover, annualised: separations ÷ average of start and end headcount, annualised by days"
        ),
        "voluntary_turnover_rate_monthly_sum": "SHRM monthly method: sum of the monthly rates",
    }


def test_the_dashboard_says_how_its_turnover_is_worked_out(client_for, hr_user, quarter_world):
    today = timezone.localdate()
    services.kpi_snapshots_compute_all(months=[today.replace(day=1)], today=today)
    html = client_for(hr_user).get("/dashboard/").content.decode()
    how = "separations ÷ average of start and end headcount, annualised by days"
    # Under the "Voluntary turnover" tile (its hint says "annualised"), under the chart's title
    # "Voluntary turnover, annualised (%)", and under the site comparison.
    assert re.search(r'class="tile-method[^"]*">' + re.escape(how.capitalize()) + "</div>", html)
    assert 'data-testid="chart-voluntary_turnover_rate_annualized-method">' + how.capitalize() + ".</p>" in html
    assert 'data-testid="comparison-turnover-method">Turnover, annualised %: ' + how + ".</p>" in html
    assert "{#" not in html and "#}" not in html
