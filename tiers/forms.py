"""Input validation for the ladder pages; the rules themselves live in ``tiers.services``."""

from __future__ import annotations

import datetime as dt

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput, form_helper
from careerladder.core.validators import PlausibleDateField
from certifications.models import CertificationType
from competencies.models import Competency
from technicians import selectors as technician_selectors
from tiers.models import RUBRIC, Evaluation, Tier


class EvaluationForm(forms.ModelForm):
    month = PlausibleDateField(
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text="The month evaluated.",
    )

    class Meta:
        model = Evaluation
        fields = ["month", *RUBRIC, "comments"]
        widgets = {name: forms.Select(choices=[(i, str(i)) for i in range(5, 0, -1)]) for name in RUBRIC}
        widgets["comments"] = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["month"].initial = today.replace(day=1)
        for name in RUBRIC:
            self.fields[name].initial = 3
        self.helper = form_helper("Record evaluation")
        self.helper.layout = Layout(
            "month",
            Row(*[Column(name, css_class="col-6 col-md") for name in RUBRIC]),
            "comments",
        )

    def validate_unique(self):
        """One evaluation per month is the service's rule (it answers with a clear message)."""


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000, label="Your comment (optional)")


class NominationForm(forms.Form):
    effective_date = PlausibleDateField(widget=DateInput(), help_text="The day the new tier starts; today or earlier.")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Why now")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = timezone.localdate()
        self.helper = form_helper("Open promotion request")


class ApproveForm(forms.Form):
    justification = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="HR only, and only to approve a technician who is not yet eligible.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReadyFilterForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None, required=True, empty_label=None)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = technician_selectors.site_list(viewer=viewer).order_by("code")


class TierRequirementsForm(forms.ModelForm):
    required_competencies = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.filter(active=True).order_by("category", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialty_competencies = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.filter(active=True).order_by("category", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required_certifications = forms.ModelMultipleChoiceField(
        queryset=CertificationType.objects.order_by("category", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Tier
        fields = [
            "expected_months",
            "duties",
            "min_evaluation_average",
            "min_months_in_prior_tier",
            "required_competencies",
            "specialty_competencies",
            "min_specialty_competencies",
            "required_certifications",
        ]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Save requirements")


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)
