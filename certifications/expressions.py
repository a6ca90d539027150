"""Database expressions for certification dates, so list pages filter and sort in SQL.

``AddMonths`` is ``careerladder.core.dates.add_months`` in SQL: calendar months clamped to the
month's end (2025-05-31 + 9 months = 2026-02-28). PostgreSQL's ``date + interval`` already
clamps; SQLite's ``date(..., '+9 months')`` would overflow into March, so there we take the
first day of the target month plus the day offset, capped at that month's last day.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import DateField, Func


class AddMonths(Func):
    output_field = DateField()

    def __init__(self, expression, months: int, **extra):
        self.months = int(months)
        super().__init__(expression, output_field=DateField(), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"AddMonths is not implemented for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + make_interval(months => %s))::date", [*params, self.months]

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        target = f"{self.months:+d} months"
        after = f"{self.months + 1:+d} months"
        candidate = (
            f"date({sql}, 'start of month', %s, '+' || (CAST(strftime('%%d', {sql}) AS INTEGER) - 1) || ' days')"
        )
        month_end = f"date({sql}, 'start of month', %s, '-1 day')"
        return f"MIN({candidate}, {month_end})", [*params, target, *params, *params, after]
