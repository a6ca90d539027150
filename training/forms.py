"""Forms of the training pages: input shape only; the rules are in ``training.services``."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput, form_helper
from careerladder.core.validators import PlausibleDateField
from competencies.models import Competency
from technicians.forms import SiteField
from technicians.selectors import site_list
from tiers.models import Tier
from tracks.models import Track
from training.models import Program, Rotation
from training.selectors import COLUMN_KINDS

DEFAULT_DUE_DAYS = 30


def _program_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Program.objects.filter(active=True).order_by("category", "name"), label="Programme"
    )


class AssignForm(forms.Form):
    program = _program_field()
    due_on = PlausibleDateField(widget=DateInput(), label="Due on")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].initial = timezone.localdate() + dt.timedelta(days=DEFAULT_DUE_DAYS)
        self.helper = form_helper("Assign")
        self.helper.layout = Layout("program", "due_on", "note")


class BulkAssignForm(forms.Form):
    """One programme for every employed technician of a site and/or a tier in scope."""

    program = _program_field()
    site = SiteField(queryset=None, required=False, empty_label="All my sites")
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"), to_field_name="code", required=False, empty_label="Every tier"
    )
    due_on = PlausibleDateField(widget=DateInput(), label="Due on")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].set_sites(site_list(viewer=viewer).order_by("code"), viewer=viewer)
        self.fields["due_on"].initial = timezone.localdate() + dt.timedelta(days=DEFAULT_DUE_DAYS)
        self.helper = form_helper("Assign to all of them")
        self.helper.layout = Layout(
            "program", Row(Column("site", css_class="col-md-6"), Column("tier", css_class="col-md-6")), "due_on", "note"
        )

    def clean(self):
        data = super().clean()
        if not data.get("site") and not data.get("tier"):
            raise forms.ValidationError("Choose a site, a tier or both.")
        return data


class CompleteForm(forms.Form):
    completed_on = PlausibleDateField(widget=DateInput(), label="Completed on", required=False)
    uan = forms.CharField(
        max_length=40,
        required=False,
        label="UAN",
        help_text="For a CE-bearing programme: the ACPE UAN on the statement of credit, if the programme has none.",
    )


class RotationForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=None)
    station = forms.ChoiceField(choices=Rotation.Station.choices)
    start = PlausibleDateField(widget=DateInput())
    end = PlausibleDateField(widget=DateInput())
    learning_week = forms.BooleanField(required=False, label="Learning week (shadowing)")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, technicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form carries the site and week as well
        self.helper.layout = Layout(
            "technician",
            "station",
            Row(Column("start", css_class="col-6"), Column("end", css_class="col-6")),
            "learning_week",
            "note",
        )


class MatrixFilterForm(forms.Form):
    site = SiteField(queryset=None, required=False, empty_label="All sites")
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"), to_field_name="code", required=False, empty_label="Every tier"
    )
    track = forms.ModelChoiceField(
        queryset=Track.objects.order_by("name"), to_field_name="code", required=False, empty_label="Any track"
    )
    kind = forms.ChoiceField(choices=[("", "Everything"), *COLUMN_KINDS], required=False, label="Show")
    category = forms.ChoiceField(
        choices=[
            ("", "Every category"),
            ("Competencies", Competency.Category.choices),
            ("Programmes", Program.Category.choices),
        ],
        required=False,
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].set_sites(site_list(viewer=viewer).order_by("code"), viewer=viewer)
        for field in self.fields.values():  # Bootstrap's look for the bare widgets of the filter row
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
