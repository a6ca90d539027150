"""CSV and XLSX exports of the KPI report.

Every text cell goes through ``careerladder.core.exports.spreadsheet_safe`` (a cell that a
spreadsheet would run as a formula gets a leading apostrophe; OWASP "CSV injection"). Numbers
stay numbers.

Turnover comes by two methods, one column each: ``voluntary_turnover_rate`` and its
``_annualized`` form (separations ÷ average of start and end headcount, annualised by days) and
``voluntary_turnover_rate_monthly_sum`` (SHRM's monthly method: the sum of the monthly rates).
The workbook says so on a second sheet, "Turnover methods"; the CSV keeps one table (a row of
prose would break the scripts that read it), its column names are the API's.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from careerladder.core.exports import spreadsheet_safe
from metrics import kpis

HEADER = ["scope", "site_code", "site_name", "start", "end", *kpis.KPI_FIELDS]


def report_rows(result: dict) -> list[list]:
    rows = []
    for row in result["rows"]:
        site = row["site"]
        rows.append(
            [
                spreadsheet_safe(row["scope"].lower()),
                spreadsheet_safe(site.code if site else ""),
                spreadsheet_safe(site.name if site else ""),
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
    methods = workbook.create_sheet("Turnover methods")
    methods.append(["column", "method", "how it is worked out"])
    for cell in methods[1]:
        cell.font = Font(bold=True)
    for name, method in kpis.TURNOVER_METHODS.items():
        methods.append([name, f"{method['name']}: {method['how']}", method["detail"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(result, "xlsx")}"'
    return response
