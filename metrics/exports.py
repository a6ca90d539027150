"""CSV and XLSX exports of the KPI report.

Spreadsheet programs run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some treat
a leading tab, carriage return or NUL the same way) as a formula: text cells that begin so are
prefixed with an apostrophe (OWASP "CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from metrics import kpis

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
HEADER = ["scope", "site_code", "site_name", "start", "end", *kpis.KPI_FIELDS]


def safe_text(value: str) -> str:
    """Neutralise a text cell that a spreadsheet would run as a formula."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, str):
        return safe_text(value)
    return value


def report_rows(result: dict) -> list[list]:
    rows = []
    for row in result["rows"]:
        site = row["site"]
        rows.append(
            [
                _cell(row["scope"].lower()),
                _cell(site.code if site else ""),
                _cell(site.name if site else ""),
                result["start"],
                result["end"],
                *[row[name] for name in kpis.KPI_FIELDS],
            ]
        )
    return rows


def _filename(result: dict, extension: str) -> str:
    return f"careerladder-kpis-{result['start']:%Y%m%d}-{result['end']:%Y%m%d}.{extension}"


def csv_response(result: dict) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in report_rows(result):
        writer.writerow(
            ["" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value) for value in row]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(result, "csv")}"'
    return response


def xlsx_response(result: dict) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "KPIs"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report_rows(result):
        sheet.append(row)
    for column in ("D", "E"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "D2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(result, "xlsx")}"'
    return response
