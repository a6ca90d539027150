"""SHRM's monthly turnover method: the rule written out in Python next to its SQL form.

Like "PTCB due and met in a period" in tests/twins/test_python_and_sql_agree.py, the rule has
one form in the code, in SQL (``metrics.kpis``: three conditional counts a month in the
technicians query); the Python form here is the rule as words say it, day by day, written
without the module's helpers: for each calendar month of the period, cut to the period, the
voluntary separations in it over the average of the technicians employed on its first and on
its last day (section 3's "employed on d"), × 100; a month with an average of 0 adds nothing;
the figure is the sum, or null when no month counted. Rows sit at the rule's edges and the
periods start and end on the days around month ends, a leap day and a new year; both forms
must give the same figure for every site and for the organisation in every period.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import kpis
from technicians.models import Technician
from tests.factories import TechnicianFactory

D = dt.date
pytestmark = pytest.mark.django_db
VOLUNTARY = Technician.TerminationType.VOLUNTARY


def build_rows(site_a, site_b) -> list[Technician]:
    """Hires and exits on the first and last days of months, on the leap day and at the new year."""
    rows = [
        (site_a, D(2020, 1, 1), None, ""),  # there all along
        (site_a, D(2020, 1, 1), None, ""),
        (site_a, D(2024, 2, 1), None, ""),  # hired on a month's first day
        (site_a, D(2024, 2, 29), None, ""),  # hired on the leap day, a month's last day
        (site_a, D(2020, 1, 1), D(2024, 2, 1), VOLUNTARY),  # leaves on a first day: not employed on it
        (site_a, D(2020, 1, 1), D(2024, 2, 29), VOLUNTARY),  # leaves on a last day: not employed on it
        (site_a, D(2024, 3, 10), D(2024, 3, 20), VOLUNTARY),  # in and out within a month
        (site_a, D(2020, 1, 1), D(2024, 3, 1), Technician.TerminationType.INVOLUNTARY),  # not voluntary
        (site_b, D(2020, 1, 1), None, ""),
        (site_b, D(2020, 1, 1), D(2024, 12, 31), VOLUNTARY),
        (site_b, D(2020, 1, 1), D(2025, 1, 1), VOLUNTARY),  # the new year's day
        (site_b, D(2020, 1, 1), D(2024, 4, 15), Technician.TerminationType.RETIREMENT),
        (site_b, D(2024, 4, 16), D(2024, 4, 30), VOLUNTARY),  # the only one at B that month's end
    ]
    technicians = []
    for site, hired, gone, kind in rows:
        extra = {"status": "terminated", "termination_date": gone, "termination_type": kind} if gone else {}
        technicians.append(TechnicianFactory(site=site, hire_date=hired, **extra))
    return technicians


def employed(technician: Technician, day: dt.date) -> bool:
    gone = technician.termination_date
    return technician.hire_date <= day and (gone is None or day < gone)


def monthly_sum_in_python(technicians: list[Technician], start: dt.date, end: dt.date) -> float | None:
    """The rule, day by day: the period's days grouped by calendar month."""
    months: dict[tuple[int, int], list[dt.date]] = {}
    day = start
    while day <= end:
        months.setdefault((day.year, day.month), []).append(day)
        day += dt.timedelta(days=1)
    rates = []
    for days in months.values():
        first, last = days[0], days[-1]
        average = (sum(employed(t, first) for t in technicians) + sum(employed(t, last) for t in technicians)) / 2
        exits = sum(
            t.termination_type == VOLUNTARY and t.termination_date is not None and first <= t.termination_date <= last
            for t in technicians
        )
        if average:
            rates.append(100 * exits / average)
    return sum(rates) if rates else None


STARTS = [D(2024, 1, 31), D(2024, 2, 1), D(2024, 2, 15), D(2024, 2, 29), D(2024, 3, 1), D(2024, 12, 31)]
ENDS = [D(2024, 2, 29), D(2024, 3, 1), D(2024, 3, 31), D(2024, 4, 15), D(2024, 4, 30), D(2025, 1, 1)]
PERIODS = [(start, end) for start in STARTS for end in ENDS if end >= start]


def test_the_monthly_sum_in_sql_follows_the_rule_in_every_period(site_a, site_b):
    technicians = build_rows(site_a, site_b)
    at = {site_a.pk: [t for t in technicians if t.site_id == site_a.pk]}
    at[site_b.pk] = [t for t in technicians if t.site_id == site_b.pk]
    disagreements = []
    for start, end in PERIODS:
        by_site = kpis.kpis_by_site(start=start, end=end)
        sql = {
            "organisation": kpis.compute_kpis(start=start, end=end)["voluntary_turnover_rate_monthly_sum"],
            **{
                f"site {pk}": by_site[pk]["voluntary_turnover_rate_monthly_sum"] if pk in by_site else None for pk in at
            },
        }
        python = {
            "organisation": monthly_sum_in_python(technicians, start, end),
            **{f"site {pk}": monthly_sum_in_python(rows, start, end) for pk, rows in at.items()},
        }
        for scope, want in python.items():
            got = sql[scope]
            if (want is None) != (got is None) or (want is not None and got != pytest.approx(want, rel=1e-12)):
                disagreements.append(f"{start}..{end} {scope}: SQL gives {got!r}, the rule {want!r}")
    assert disagreements == []


def test_the_rule_here_gives_the_hand_worked_figure(site_a, site_b):
    """February 2024 at site A, worked out by hand, so the Python form is checked too: employed
    on 02-01: the two there all along, the one hired 02-01, the one leaving 02-29 and the
    involuntary leaver (the one leaving 02-01 is not) = 5; on 02-29: the two, the 02-01 and the
    02-29 hires and the involuntary leaver (the 02-29 leaver is not) = 5. Average 5; voluntary
    exits in February: 02-01 and 02-29 = 2; 100 × 2 / 5 = 40.0."""
    technicians = [t for t in build_rows(site_a, site_b) if t.site_id == site_a.pk]
    assert monthly_sum_in_python(technicians, D(2024, 2, 1), D(2024, 2, 29)) == 40.0
    result = kpis.compute_kpis(start=D(2024, 2, 1), end=D(2024, 2, 29), site_id=site_a.pk)
    assert result["voluntary_turnover_rate_monthly_sum"] == 40.0
