"""Every KPI of PRODUCT.md section 3, for a period ``[start, end]`` (inclusive) and a scope.

The formulas are a contract; this module is their one implementation. The API's ``kpis/``,
the monthly snapshots (Celery and ``compute_kpis``), the reports and the site comparison all
call it. Counting is done by the database with conditional aggregates, ``Exists`` and
``Subquery``, the same SQL shape on SQLite and Postgres, in three queries per call whatever the
number of technicians (plus one each for the PTCB policy row and the ladder):

1. technicians: headcounts, voluntary separations, stalled, PTCB due and met;
2. tier assignments: the promotions effective in the period with the start of the prior tier;
3. training assignments: due, completed, on time.

``kpis_by_site`` runs the same three queries grouped by site, for comparisons and reports.

Decisions where section 3 leaves room (written here because nobody else can answer):

- The scope is the technician's site (``Technician.site``); a technician counts at the site
  they belong to today, including for past periods (the site is not historised).
- Headcount on day ``d`` = technicians hired on or before ``d`` minus those whose termination
  date is on or before ``d`` (the running sum of hire and separation events; identical to
  "employed on d" because a termination never precedes the hire, a database constraint).
- A promotion is a tier assignment whose tier rank is higher than that of the technician's
  previous assignment (by start date), with its start date in the period. Months to promotion
  run from the previous assignment's start to the promotion's start, in calendar months with
  the fraction of ``careerladder.core.dates.months_between``. The median is taken over the
  promotions of the period, read as one list of date pairs (one row per promotion, never per
  technician): neither SQLite nor Postgres offers that calendar arithmetic and a median alike.
- ``stalled``: months in tier on ``end`` count from the start of the assignment covering
  ``end``. "More than E months" is tested in SQL as ``tier start < threshold(E, end)`` where the
  threshold is the first start date whose E-month anniversary is not before ``end``, which is
  exactly ``months_between(start, end) > E`` (tests check this equivalence day by day).
- ``training_completed``: assignments due in the period and completed on or before ``end``;
  on time: completed on or before their due date. ``training_on_time`` (that count) is also
  returned, so combined scopes can be summed.
- PTCB: the deadline (policy window or the technician's latest extension) comes from
  ``certifications.selectors.with_ptcb``; "holding a CPhT" by the deadline is
  ``certifications.selectors.current_certifications`` on that deadline (verified, issued on or
  before it, not expired on it).
- Only technicians who can count in the period are read (``relevant_in``: hired by its end and
  not gone before its start); the others add nothing to any count (one who left before the
  start adds one hire and one separation to the headcount at the start, which cancel out), so
  a month of a five-year history reads that month's workforce, not every record ever kept.
- The organisation's monthly snapshot is the sum of its sites' counts (every technician has
  exactly one site) with the median taken over every promotion of the month:
  ``kpis_all_scopes`` computes a month for every site and the organisation in one pass.
- Counts are integers; ``average_headcount`` and rates are floats, unrounded (pages round);
  a rate whose denominator is 0 is ``None``.

Turnover is given by two methods, and the pages name the method beside each figure:

- ``voluntary_turnover_rate`` (and its annualised form): section 3's method, the period's
  voluntary separations over the average of the headcounts on its first and last day, annualised
  by days (× 365 / days in the period).
- ``voluntary_turnover_rate_monthly_sum``: SHRM's monthly method, the sum of the monthly rates.
  For each calendar month overlapping the period, clipped to the period (``period_months``: a
  period from 03-15 to 05-10 has the months 03-15..03-31, 04-01..04-30 and 05-01..05-10), the
  monthly rate is 100 × the voluntary separations in that stretch over its average headcount
  (employed on its first day + employed on its last day) / 2, with section 3's "employed on d".
  Clipping keeps the figure inside the period asked for: a separation outside it never counts
  and a partial month is not scaled up to a whole one. A month whose average headcount is 0
  contributes nothing (a technician hired and gone within that month is not a rate); if every
  month's is 0 the figure is ``None``. It is not annualised: over a year it is already an annual
  figure, over one month it equals ``voluntary_turnover_rate``.
- The monthly counts (employed on each month's first and last day, separations in it) are more
  columns of the technicians query (``_turnover_month_aggregates``), so the figure costs no
  query of its own: three columns a month, and for a period longer than ``MONTHS_PER_QUERY``
  months one more technicians query per further ``MONTHS_PER_QUERY`` months (both databases
  limit the columns of one query), still never one per technician. Those counts of disjoint
  scopes add up like the others (``add_counts``), so the organisation and a manager's sites
  get the figure from their sites' counts.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When

from careerladder.core import versions
from careerladder.core.dates import add_months, months_between
from certifications.selectors import CPHT, counted_as_q, current_certifications, policy_get, with_ptcb
from technicians.models import Technician
from technicians.selectors import employed_on
from tiers.selectors import promotions_in, stalled_on
from training.models import TrainingAssignment

# Field names of section 3, in its order (the API and the snapshot use exactly these).
COUNT_FIELDS = (
    "headcount_start",
    "headcount_end",
    "voluntary_separations",
    "promotions",
    "stalled",
    "training_due",
    "training_completed",
    "training_on_time",
    "ptcb_due",
    "ptcb_met",
)
KPI_FIELDS = (
    "headcount_start",
    "headcount_end",
    "average_headcount",
    "voluntary_separations",
    "voluntary_turnover_rate",
    "voluntary_turnover_rate_annualized",
    "voluntary_turnover_rate_monthly_sum",
    "promotions",
    "promotion_rate",
    "median_months_to_promotion",
    "stalled",
    "training_due",
    "training_completed",
    "training_on_time",
    "training_completion_rate",
    "training_on_time_rate",
    "ptcb_due",
    "ptcb_met",
    "ptcb_on_time_rate",
)
RATE_FIELDS = (
    "voluntary_turnover_rate",
    "voluntary_turnover_rate_annualized",
    "voluntary_turnover_rate_monthly_sum",
    "promotion_rate",
    "training_completion_rate",
    "training_on_time_rate",
    "ptcb_on_time_rate",
)
LABELS = {
    "headcount_start": "Headcount at start",
    "headcount_end": "Headcount at end",
    "average_headcount": "Average headcount",
    "voluntary_separations": "Voluntary separations",
    "voluntary_turnover_rate": "Voluntary turnover (%)",
    "voluntary_turnover_rate_annualized": "Voluntary turnover, annualised (%)",
    "voluntary_turnover_rate_monthly_sum": "Voluntary turnover, SHRM monthly method (%)",
    "promotions": "Promotions",
    "promotion_rate": "Promotion rate (%)",
    "median_months_to_promotion": "Median months to promotion",
    "stalled": "Stalled in tier",
    "training_due": "Training due",
    "training_completed": "Training completed",
    "training_on_time": "Training completed on time",
    "training_completion_rate": "Training completion (%)",
    "training_on_time_rate": "Training on time (%)",
    "ptcb_due": "PTCB deadlines",
    "ptcb_met": "PTCB met by deadline",
    "ptcb_on_time_rate": "PTCB on time (%)",
}

# How each turnover figure is worked out, in the words the dashboard, the reports and the
# exports use: the method's name, how it is worked out in one line, and the details.
TURNOVER_METHODS = {
    "voluntary_turnover_rate": {
        "name": "Voluntary turnover",
        "how": "separations ÷ average of start and end headcount",
        "detail": "For the period as a whole: voluntary separations in the period ÷ the average of the "
        "headcount on its first and on its last day, × 100.",
    },
    "voluntary_turnover_rate_annualized": {
        "name": "Voluntary turnover, annualised",
        "how": "separations ÷ average of start and end headcount, annualised by days",
        "detail": "The rate above × 365 ÷ the days in the period (both ends counted), so periods of "
        "different lengths compare.",
    },
    "voluntary_turnover_rate_monthly_sum": {
        "name": "SHRM monthly method",
        "how": "sum of the monthly rates",
        "detail": "Each calendar month's voluntary separations ÷ the average of its first- and last-day "
        "headcount, × 100, and those monthly rates added up. A month cut by the start or end of the "
        "period counts only its days in the period; a month with nobody employed on either day adds "
        "nothing. Not annualised: over 12 months it is already a yearly figure.",
    },
}

# In the counts of a scope: per calendar month of the period (``period_months``), the
# technicians employed on its first and on its last day and its voluntary separations.
TURNOVER_BY_MONTH = "turnover_by_month"
# Months of monthly turnover counts per technicians query (three columns each; Postgres allows
# 1,664 columns in a query, SQLite 2,000): a ten-year report still needs one query.
MONTHS_PER_QUERY = 122


def period_months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar months overlapping ``[start, end]``, each clipped to the period:
    ``(first day in the period, last day in the period)``."""
    months = []
    first = start
    while first <= end:
        following = add_months(first.replace(day=1), 1)
        months.append((first, min(following - dt.timedelta(days=1), end)))
        first = following
    return months


def monthly_sum_rate(by_month: Iterable[Sequence[int]]) -> float | None:
    """SHRM's monthly method: the sum over the months of 100 × separations / average headcount
    ((first day + last day) / 2). A month whose average is 0 adds nothing; ``None`` when every
    month's is 0 (or there is no month)."""
    rates = [_rate(separations, (first + last) / 2) for first, last, separations in by_month]
    counted = [rate for rate in rates if rate is not None]
    return sum(counted) if counted else None


def zero_counts(*, start: dt.date, end: dt.date) -> dict:
    """The counts of a scope with nobody in it, ready for ``add_counts``."""
    return {
        **dict.fromkeys(COUNT_FIELDS, 0),
        TURNOVER_BY_MONTH: [[0, 0, 0] for _ in period_months(start, end)],
    }


def add_counts(total: dict, counts: dict) -> dict:
    """Add the counts of a disjoint scope into ``total`` (in place; returned for chaining)."""
    for name in COUNT_FIELDS:
        total[name] += counts[name]
    total[TURNOVER_BY_MONTH] = [
        [a + b for a, b in zip(mine, theirs, strict=True)]
        for mine, theirs in zip(total[TURNOVER_BY_MONTH], counts[TURNOVER_BY_MONTH], strict=True)
    ]
    return total


def _rate(numerator: float, denominator: float) -> float | None:
    """100 × numerator / denominator; ``None`` (never 0, never an error) for a zero denominator."""
    if not denominator:
        return None
    return 100 * numerator / denominator


def derive_rates(counts: dict, *, start: dt.date, end: dt.date, median: float | None = None) -> dict:
    """Section 3's derived figures from its counts. Counts of disjoint scopes add up, so a
    manager's sites are combined by summing their counts and deriving again (the median of a
    union cannot be derived from medians: pass it when it is known).

    The SHRM monthly figure needs the counts per month (``TURNOVER_BY_MONTH``). A period within
    one calendar month (a monthly snapshot, or a sum of them) is its own only month, so there
    the period's headcounts and separations are that month's counts and may be all there is."""
    average = (counts["headcount_start"] + counts["headcount_end"]) / 2
    days = (end - start).days + 1
    turnover = _rate(counts["voluntary_separations"], average)
    by_month = counts.get(TURNOVER_BY_MONTH)
    if by_month is None:
        if (start.year, start.month) != (end.year, end.month):
            raise ValueError(f"The counts of {start}..{end} need {TURNOVER_BY_MONTH} (more than one month).")
        by_month = [(counts["headcount_start"], counts["headcount_end"], counts["voluntary_separations"])]
    return {
        **{name: counts[name] for name in COUNT_FIELDS},
        "average_headcount": average,
        "voluntary_turnover_rate": turnover,
        "voluntary_turnover_rate_annualized": None if turnover is None else turnover * 365 / days,
        "voluntary_turnover_rate_monthly_sum": monthly_sum_rate(by_month),
        "promotion_rate": _rate(counts["promotions"], average),
        "median_months_to_promotion": median,
        "training_completion_rate": _rate(counts["training_completed"], counts["training_due"]),
        "training_on_time_rate": _rate(counts["training_on_time"], counts["training_due"]),
        "ptcb_on_time_rate": _rate(counts["ptcb_met"], counts["ptcb_due"]),
    }


def ordered(kpis: dict) -> dict:
    """The KPI dict in section 3's order."""
    return {name: kpis[name] for name in KPI_FIELDS}


# ---- building blocks (also used by the dashboards' action lists) ------------------------------


def relevant_in(start: dt.date, end: dt.date) -> Q:
    """Technicians who can add to a count of ``[start, end]``: hired by ``end`` and not gone
    before ``start``."""
    return Q(hire_date__lte=end) & (Q(termination_date__isnull=True) | Q(termination_date__gte=start))


def median_months(pairs: Iterable[tuple[dt.date, dt.date]]) -> float | None:
    """Median of calendar months (``months_between``) from prior-tier start to promotion."""
    values = [months_between(prior, promoted) for prior, promoted in pairs]
    return statistics.median(values) if values else None


# ---- the computation ---------------------------------------------------------------------------


def _ptcb_due(start: dt.date, end: dt.date) -> Q:
    """The PTCB deadline falls in ``[start, end]`` and the technician is employed on it."""
    employed_on_deadline = Q(hire_date__lte=F("ptcb_deadline")) & (
        Q(termination_date__isnull=True) | Q(termination_date__gt=F("ptcb_deadline"))
    )
    return Q(ptcb_deadline__gte=start, ptcb_deadline__lte=end) & employed_on_deadline


def _annotated_technicians(
    qs: QuerySet[Technician], *, start: dt.date, end: dt.date, window_months: int
) -> QuerySet[Technician]:
    # Every Exists is an annotation referenced by name: mixing an inline Exists with
    # annotated ones in one aggregate() makes Django wrap the query and lose the outer column.
    # Each sits in a CASE, so its subquery runs only for the rows it can count: the CPhT check
    # for a deadline in the period, the stalled check for someone employed at the end.
    qs = with_ptcb(qs, today=end, window_months=window_months)
    cpht_on_deadline = current_certifications(on=OuterRef("ptcb_deadline")).filter(
        counted_as_q(CPHT), technician=OuterRef("pk")
    )
    return qs.annotate(
        ptcb_met_by_deadline=Case(
            When(_ptcb_due(start, end), then=Exists(cpht_on_deadline)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        stalled_at_end=Case(
            When(employed_on(end), then=stalled_on(end)), default=Value(False), output_field=BooleanField()
        ),
    )


def _turnover_month_aggregates(months: Sequence[tuple[dt.date, dt.date]], *, first_index: int = 0) -> dict:
    """Three counts per (clipped) month, named by the month's index in the period: employed on
    its first day, employed on its last day (section 3's rule, ``employed_on``) and its voluntary
    separations."""
    aggregates = {}
    for index, (first, last) in enumerate(months, start=first_index):
        aggregates[f"month_{index}_employed_first"] = Count("id", filter=employed_on(first))
        aggregates[f"month_{index}_employed_last"] = Count("id", filter=employed_on(last))
        aggregates[f"month_{index}_separations"] = Count(
            "id",
            filter=Q(
                termination_type=Technician.TerminationType.VOLUNTARY,
                termination_date__gte=first,
                termination_date__lte=last,
            ),
        )
    return aggregates


def _later_month_chunks(start: dt.date, end: dt.date) -> list[dict]:
    """The monthly turnover aggregates past the first ``MONTHS_PER_QUERY`` months (those are
    part of ``_technician_aggregates``): one dict per further technicians query."""
    months = period_months(start, end)
    return [
        _turnover_month_aggregates(months[offset : offset + MONTHS_PER_QUERY], first_index=offset)
        for offset in range(MONTHS_PER_QUERY, len(months), MONTHS_PER_QUERY)
    ]


def _technician_aggregates(*, start: dt.date, end: dt.date) -> dict:
    """Aggregates over technicians from ``_annotated_technicians``, with the monthly turnover
    counts of the period's first ``MONTHS_PER_QUERY`` months."""
    ptcb_due = _ptcb_due(start, end)
    return {
        **_turnover_month_aggregates(period_months(start, end)[:MONTHS_PER_QUERY]),
        # Headcount on d: hires on or before d less separations on or before d.
        "hired_by_start": Count("id", filter=Q(hire_date__lte=start)),
        "left_by_start": Count("id", filter=Q(termination_date__lte=start)),
        "hired_by_end": Count("id", filter=Q(hire_date__lte=end)),
        "left_by_end": Count("id", filter=Q(termination_date__lte=end)),
        "voluntary_separations": Count(
            "id",
            filter=Q(
                termination_type=Technician.TerminationType.VOLUNTARY,
                termination_date__gte=start,
                termination_date__lte=end,
            ),
        ),
        "stalled": Count("id", filter=employed_on(end) & Q(stalled_at_end=True)),
        "ptcb_due": Count("id", filter=ptcb_due),
        "ptcb_met": Count("id", filter=ptcb_due & Q(ptcb_met_by_deadline=True)),
    }


def _training_aggregates(*, end: dt.date) -> dict:
    return {
        "training_due": Count("id"),
        "training_completed": Count("id", filter=Q(completed_on__lte=end)),
        "training_on_time": Count("id", filter=Q(completed_on__lte=F("due_on"))),
    }


def _counts_from(tech_row: dict, training_row: dict, promotions: int, *, months: int) -> dict:
    return {
        TURNOVER_BY_MONTH: [
            [
                tech_row[f"month_{index}_employed_first"],
                tech_row[f"month_{index}_employed_last"],
                tech_row[f"month_{index}_separations"],
            ]
            for index in range(months)
        ],
        "headcount_start": tech_row["hired_by_start"] - tech_row["left_by_start"],
        "headcount_end": tech_row["hired_by_end"] - tech_row["left_by_end"],
        "voluntary_separations": tech_row["voluntary_separations"],
        "promotions": promotions,
        "stalled": tech_row["stalled"],
        "training_due": training_row["training_due"],
        "training_completed": training_row["training_completed"],
        "training_on_time": training_row["training_on_time"],
        "ptcb_due": tech_row["ptcb_due"],
        "ptcb_met": tech_row["ptcb_met"],
    }


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")


def compute_kpis(
    *, start: dt.date, end: dt.date, site_id: int | None = None, site_ids: Iterable[int] | None = None
) -> dict:
    """Every section-3 KPI for ``[start, end]``: the organisation (no site given), one site
    (``site_id``) or the union of several (``site_ids``, a manager's sites)."""
    _check_period(start, end)
    window = policy_get().ptcb_window_months
    technicians = Technician.objects.filter(relevant_in(start, end))
    training = TrainingAssignment.objects.filter(due_on__gte=start, due_on__lte=end)
    promotions = promotions_in(start, end)
    if site_id is not None:
        site_ids = [site_id]
    if site_ids is not None:
        site_ids = list(site_ids)
        technicians = technicians.filter(site_id__in=site_ids)
        training = training.filter(technician__site_id__in=site_ids)
        promotions = promotions.filter(technician__site_id__in=site_ids)
    tech_row = _annotated_technicians(technicians, start=start, end=end, window_months=window).aggregate(
        **_technician_aggregates(start=start, end=end)
    )
    for aggregates in _later_month_chunks(start, end):
        tech_row.update(technicians.aggregate(**aggregates))
    training_row = training.aggregate(**_training_aggregates(end=end))
    pairs = list(promotions.values_list("prior_start", "start_date"))
    counts = _counts_from(tech_row, training_row, len(pairs), months=len(period_months(start, end)))
    return ordered(derive_rates(counts, start=start, end=end, median=median_months(pairs)))


def compute_kpis_cached(
    *, start: dt.date, end: dt.date, site_id: int | None = None, site_ids: Iterable[int] | None = None
) -> dict:
    """``compute_kpis``, kept in the cache under the data versions of its scope
    (``careerladder.core.versions``): asking again for the same period costs a cache read until
    a technician of the scope, one of their records or the configuration changes."""
    if site_id is not None:
        scope: list[int] | None = [site_id]
    else:
        scope = sorted(site_ids) if site_ids is not None else None
    compute = (
        (lambda: _organisation_from_sites(start=start, end=end))
        if scope is None
        else (lambda: compute_kpis(start=start, end=end, site_ids=scope))
    )
    # The figures of given sites are the same for every viewer allowed to ask (the callers
    # check the scope): ``scope=None``.
    return versions.cached("kpi-figures", scope=None, site_ids=scope, parts=[start, end], compute=compute)


def _organisation_from_sites(*, start: dt.date, end: dt.date) -> dict:
    """The organisation's KPIs as ``kpis_all_scopes`` derives them (the sum of its sites'
    counts, every technician having exactly one site, and the median of every promotion),
    from partial sums kept per group of sites under that group's data versions
    (``versions.cached_by_bucket``): after a write at one site, only its group is counted
    again, not the whole organisation."""
    from technicians.models import Site

    _check_period(start, end)

    def partial_sums(site_ids: list[int] | None) -> dict[int, tuple[dict, list[float]]]:
        sums: dict[int, tuple[dict, list[float]]] = {}
        for site_id, (counts, pairs) in _counts_by_site(start=start, end=end, site_ids=site_ids).items():
            totals, months = sums.setdefault(versions.bucket_of(site_id), (zero_counts(start=start, end=end), []))
            add_counts(totals, counts)
            months.extend(months_between(prior, promoted) for prior, promoted in pairs)
        asked = {versions.bucket_of(pk) for pk in site_ids} if site_ids is not None else set(every_bucket)
        for bucket in asked:  # a group with nothing to count still has its (zero) entry
            sums.setdefault(bucket, (zero_counts(start=start, end=end), []))
        return sums

    site_ids = list(Site.objects.order_by("pk").values_list("pk", flat=True))
    every_bucket = {versions.bucket_of(pk) for pk in site_ids}
    by_bucket = versions.cached_by_bucket(
        "kpi-bucket-counts", site_ids=site_ids, parts=[start, end], compute=partial_sums
    )
    totals = zero_counts(start=start, end=end)
    for counts, _ in by_bucket.values():
        add_counts(totals, counts)
    months = [m for _, values in by_bucket.values() for m in values]
    return ordered(derive_rates(totals, start=start, end=end, median=statistics.median(months) if months else None))


def _counts_by_site(
    *, start: dt.date, end: dt.date, site_ids: Iterable[int] | None = None
) -> dict[int, tuple[dict, list]]:
    """Section 3's counts and the promotions' date pairs of every site with technicians who
    count in the period: the three queries of ``compute_kpis``, grouped by site."""
    _check_period(start, end)
    window = policy_get().ptcb_window_months
    technicians = Technician.objects.filter(relevant_in(start, end))
    training = TrainingAssignment.objects.filter(due_on__gte=start, due_on__lte=end)
    promotions = promotions_in(start, end)
    if site_ids is not None:
        site_ids = list(site_ids)
        technicians = technicians.filter(site_id__in=site_ids)
        training = training.filter(technician__site_id__in=site_ids)
        promotions = promotions.filter(technician__site_id__in=site_ids)
    tech_rows = {
        row.pop("site_id"): row
        for row in _annotated_technicians(technicians, start=start, end=end, window_months=window)
        .values("site_id")
        .annotate(**_technician_aggregates(start=start, end=end))
        .order_by()
    }
    for aggregates in _later_month_chunks(start, end):
        for row in technicians.values("site_id").annotate(**aggregates).order_by():
            tech_rows[row.pop("site_id")].update(row)
    training_rows = {
        row.pop("technician__site_id"): row
        for row in training.values("technician__site_id").annotate(**_training_aggregates(end=end)).order_by()
    }
    pairs_by_site: dict[int, list] = defaultdict(list)
    for site_id, prior, promoted in promotions.values_list("technician__site_id", "prior_start", "start_date"):
        pairs_by_site[site_id].append((prior, promoted))
    no_training = {"training_due": 0, "training_completed": 0, "training_on_time": 0}
    # A site can have training due or a promotion in the period without a technician who
    # counts in it (someone who left before it started): its other counts are zero.
    no_technicians = dict.fromkeys(_technician_aggregates(start=start, end=end), 0)
    for aggregates in _later_month_chunks(start, end):
        no_technicians.update(dict.fromkeys(aggregates, 0))
    months = len(period_months(start, end))
    result = {}
    for site_id in {*tech_rows, *training_rows, *pairs_by_site}:
        pairs = pairs_by_site.get(site_id, [])
        tech_row = tech_rows.get(site_id, no_technicians)
        counts = _counts_from(tech_row, training_rows.get(site_id, no_training), len(pairs), months=months)
        result[site_id] = (counts, pairs)
    return result


def kpis_by_site(*, start: dt.date, end: dt.date, site_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """``compute_kpis`` for every site (or the given ones) at once: the same three queries,
    grouped by site. Sites with nothing to count in the period are absent."""
    return {
        site_id: ordered(derive_rates(counts, start=start, end=end, median=median_months(pairs)))
        for site_id, (counts, pairs) in _counts_by_site(start=start, end=end, site_ids=site_ids).items()
    }


def kpis_by_site_cached(*, start: dt.date, end: dt.date, site_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """``kpis_by_site``, kept in the cache under the data versions of those sites (every site:
    the organisation's) like ``compute_kpis_cached``."""
    scope = sorted(site_ids) if site_ids is not None else None
    return versions.cached(
        "kpi-figures-by-site",
        scope=None,
        site_ids=scope,
        parts=[start, end],
        compute=lambda: kpis_by_site(start=start, end=end, site_ids=scope),
    )


def kpis_all_scopes(*, start: dt.date, end: dt.date, site_ids: Iterable[int]) -> dict[int | None, dict]:
    """``compute_kpis`` for each of ``site_ids`` and for the organisation (key ``None``), in the
    three grouped queries of ``kpis_by_site``: a site nobody counts at gets all-zero counts
    (exactly what ``compute_kpis`` gives it), the organisation the sum of every site's counts
    and the median of every promotion. Equal to calling ``compute_kpis`` once per scope."""
    by_site = _counts_by_site(start=start, end=end)
    zero = zero_counts(start=start, end=end)
    result: dict[int | None, dict] = {}
    for site_id in site_ids:
        counts, pairs = by_site.get(site_id, (zero, []))
        result[site_id] = ordered(derive_rates(counts, start=start, end=end, median=median_months(pairs)))
    totals = zero_counts(start=start, end=end)
    for counts, _ in by_site.values():
        add_counts(totals, counts)
    every_pair = [pair for _, pairs in by_site.values() for pair in pairs]
    result[None] = ordered(derive_rates(totals, start=start, end=end, median=median_months(every_pair)))
    return result


def month_period(month: dt.date, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period a monthly snapshot covers: the whole month, or the month to date for the
    current month (its snapshot is recomputed nightly and final once the month is over)."""
    first = month.replace(day=1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    if first > today:
        raise ValueError(f"{first:%Y-%m} is in the future.")
    return first, min(last, today)


def months_from_to(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s to ``last``'s, both included."""
    month, stop, months = first.replace(day=1), last.replace(day=1), []
    while month <= stop:
        months.append(month)
        month = add_months(month, 1)
    return months
