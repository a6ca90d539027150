"""The KPI report's period form (hr): input validation only."""

from __future__ import annotations

import datetime as dt

from django import forms

from careerladder.core.dates import add_months
from careerladder.core.validators import PlausibleDateField
from metrics import selectors
from technicians.forms import SiteField

MAX_REPORT_DAYS = 366 * 10


class ReportForm(forms.Form):
    """``start`` and ``end`` (inclusive) and an optional site. Unset fields default to the last
    12 complete months, so the page and its exports always show something sensible."""

    start = PlausibleDateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = PlausibleDateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    site = SiteField(queryset=None, required=False, empty_label="Organisation and every site")

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].set_sites(selectors.sites_in_scope(viewer=viewer), viewer=viewer)

    @classmethod
    def from_query(cls, query, *, viewer, today: dt.date) -> ReportForm:
        this_month = today.replace(day=1)
        data = {
            "start": add_months(this_month, -12).isoformat(),
            "end": (this_month - dt.timedelta(days=1)).isoformat(),
            "site": "",
        }
        data.update({key: query.get(key) for key in ("start", "end", "site") if query.get(key) is not None})
        return cls(data, viewer=viewer)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("end", "A report covers at most ten years.")
        return cleaned
