"""How the rule tests reach each edge and read what a user would see there.

- ``api_*``: the JSON API through the test client (a session login, as the pages use).
- ``page_field_errors``: the messages crispy renders under a field of a page's form.
- ``admin_form_data`` / ``admin_errors``: the Django admin's change or add form as posted
  from the page it rendered (inlines included), and the errors it shows field by field.
- ``import_technicians``: a technicians file through the API (``/api/v1/imports/technicians/``)
  or the page (``/imports/``), answering the row errors each shows as (row, column, message).
- ``technician_state`` / ``written``: a technician's row, history and tier history before a
  refusal, and what changed since (``{}``: nothing was written).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CheckboxInput

from technicians.models import Technician
from tiers.models import TierAssignment

TECHNICIANS_API = "/api/v1/technicians/"
IMPORT_API = "/api/v1/imports/technicians/"
IMPORT_PAGE = "/imports/"
# The columns the rule tests import: absent optional columns leave those fields alone.
IMPORT_HEADER = ("employee_id", "first_name", "last_name", "site_code", "hire_date")


def text(fragment: str) -> str:
    """HTML as a reader sees it: tags out, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_text(response) -> str:
    return text(response.content.decode())


def page_field_errors(response, field: str) -> list[str]:
    """The error messages crispy renders right under ``field`` (``prefix-field`` for a prefixed form)."""
    page = response.content.decode()
    return [text(m) for m in re.findall(rf'<[^>]+id="error_\d+_id_{field}"[^>]*>(.*?)</(?:span|p|div)>', page, re.S)]


def edit_form(tech: Technician, **changes) -> dict:
    """The edit page's fields as it shows them for ``tech``, with ``changes``."""
    data = {
        "employee_id": tech.employee_id,
        "first_name": tech.first_name,
        "last_name": tech.last_name,
        "email": tech.email,
        "site": tech.site_id,
        "hire_date": tech.hire_date.isoformat(),
        "mentor": tech.mentor_id or "",
        "status": tech.status,
        "termination_date": tech.termination_date.isoformat() if tech.termination_date else "",
        "termination_type": tech.termination_type,
        "exit_reason": tech.exit_reason,
        "exit_notes": tech.exit_notes,
        "would_rehire": {True: "true", False: "false"}.get(tech.would_rehire, "unknown"),
    }
    return {**data, **changes}


def api_patch(client, technician_id: int, body: dict):
    return client.patch(f"{TECHNICIANS_API}{technician_id}/", body, content_type="application/json")


def api_post(client, path: str, body: dict):
    return client.post(path, body, content_type="application/json")


# ---- the Django admin --------------------------------------------------------------------------


def _posted(value) -> str | list:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def admin_form_data(page, **changes) -> dict:
    """What the admin page ``page`` (a GET response of a change or add form) posts back
    unchanged, inline formsets included, with ``changes`` (field name -> value) applied."""
    forms = [page.context["adminform"].form]
    data: dict = {}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management[name].html_name] = _posted(management[name].value())
        forms.extend(inline.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            data[bound.html_name] = _posted(value)
    for name, value in changes.items():
        data[name] = _posted(value)
    return data


def admin_errors(response) -> dict[str, list[str]]:
    """The errors the admin form shows: field name -> messages (``__all__`` above the form);
    none when the admin saved and redirected."""
    if response.context is None or "adminform" not in response.context:
        return {}
    return {name: list(messages) for name, messages in response.context["adminform"].form.errors.items()}


# ---- the technicians import ----------------------------------------------------------------------


def csv_file(header, rows, name: str = "hr-export.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def import_technicians(client, edge: str, header, rows) -> tuple[int, list[tuple[int, str, str]]]:
    """Import ``rows`` through ``edge`` ("api" or "page") as the logged-in ``client``, not a
    dry run; answers the status code and the row errors shown, as (row, column, message)."""
    upload = csv_file(header, rows)
    if edge == "api":
        response = client.post(IMPORT_API, {"file": upload})
        body = response.json()
        errors = [(e["row"], e["column"], e["message"]) for e in body.get("errors", [])]
        if errors:
            assert body["error_count"] == len(errors)
        return response.status_code, errors
    response = client.post(IMPORT_PAGE, {"kind": "technicians", "file": upload, "action": "import"})
    rows_shown = re.findall(
        r'<tr><td class="text-end font-monospace">(\d+)</td><td class="font-monospace">(.*?)</td><td>(.*?)</td></tr>',
        response.content.decode(),
        re.S,
    )
    return response.status_code, [(int(row), text(column), text(message)) for row, column, message in rows_shown]


# ---- what was written ---------------------------------------------------------------------------


def tier_history(technician) -> list[tuple[str, dt.date, dt.date | None, str]]:
    return list(
        TierAssignment.objects.filter(technician=technician)
        .order_by("start_date")
        .values_list("tier__code", "start_date", "end_date", "reason")
    )


def technician_state(technician) -> dict:
    """Everything an edit of ``technician`` could write: the row (``updated_at`` included),
    its audit history and its tier history."""
    return {
        "row": Technician.objects.filter(pk=technician.pk).values().get(),
        "history": technician.history.count(),
        "tiers": tier_history(technician),
        "tier_rows": list(TierAssignment.objects.filter(technician=technician).order_by("pk").values()),
    }


def written(before: dict, technician) -> dict:
    """What changed since ``before`` (a ``technician_state``): ``{}`` when nothing was written,
    else column -> (before, after), with ``history`` and ``tiers`` as a whole."""
    after = technician_state(technician)
    changed = {
        name: (value, after["row"][name]) for name, value in before["row"].items() if after["row"][name] != value
    }
    for part in ("history", "tiers", "tier_rows"):
        if after[part] != before[part]:
            changed[part] = (before[part], after[part])
    return changed
