"""Calendar arithmetic: careerladder/core/dates.py (PRODUCT.md sections 2 and 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from careerladder.core.dates import add_months, months_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 5, 31), 9, D(2026, 2, 28)),  # PRODUCT.md's own example: clamped to February's end
        (D(2023, 5, 31), 9, D(2024, 2, 29)),  # ... which is the 29th in a leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2025, 1, 31), 3, D(2025, 4, 30)),
        (D(2025, 3, 15), 9, D(2025, 12, 15)),  # lands on December, not month 0
        (D(2025, 4, 15), 9, D(2026, 1, 15)),  # crosses the year
        (D(2025, 6, 16), 0, D(2025, 6, 16)),
        (D(2025, 6, 16), -12, D(2024, 6, 16)),
        (D(2025, 1, 10), -1, D(2024, 12, 10)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2025, 1, 1), 120, D(2035, 1, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2023, 3, 1), D(2025, 3, 1), 24.0),  # PRODUCT.md's example
        (D(2023, 3, 1), D(2024, 3, 1), 12.0),
        (D(2025, 6, 16), D(2025, 6, 16), 0.0),
        # 15 whole months to 2025-06-01, then 15 of June's 30 days.
        (D(2024, 3, 1), D(2025, 6, 16), 15.5),
        # 14 of February 2025's 28 days; 14 of February 2024's 29 days.
        (D(2025, 2, 1), D(2025, 2, 15), 0.5),
        (D(2024, 2, 1), D(2024, 2, 15), 14 / 29),
        # 2025-01-15 + 1 month is 2025-02-15, after the end: no whole month, 17 of the 31 days
        # from 2025-01-15 to 2025-02-15.
        (D(2025, 1, 15), D(2025, 2, 1), 17 / 31),
        # Month-end starts: 2025-01-31 + 1 month is clamped to 2025-02-28, a whole month.
        (D(2025, 1, 31), D(2025, 2, 28), 1.0),
        # 2023-01-31 + 1 month = 2023-02-28; + 2 months = 2023-03-31 (after 2023-03-15), so one
        # whole month, then 15 of the 31 days from 2023-02-28 to 2023-03-31.
        (D(2023, 1, 31), D(2023, 3, 15), 1 + 15 / 31),
        # Backwards is the same span, negative.
        (D(2025, 3, 1), D(2023, 3, 1), -24.0),
        (D(2025, 6, 16), D(2024, 3, 1), -15.5),
    ],
)
def test_months_between(start, end, expected):
    assert months_between(start, end) == pytest.approx(expected)
