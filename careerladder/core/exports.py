"""The one guard every CSV and XLSX export puts its cells through (OWASP "CSV injection").

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula,
and some also do after a leading tab, carriage return or NUL; a technician named
``=HYPERLINK("http://…")`` would otherwise become a live link (or worse) in hr's export. Such
text cells get a leading apostrophe, which spreadsheets show as text. Real numbers (ints,
floats, Decimals: KPI values, counts) are not text and stay numeric cells, negative or not;
dates and ``None`` pass through for the writer to format.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def spreadsheet_safe(value):
    """``value`` as it may go into a CSV or XLSX cell: text that a spreadsheet would run as a
    formula is prefixed with an apostrophe; everything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
