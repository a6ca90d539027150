"""Input validation for the ladder pages; the rules themselves live in ``tiers.services``."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone

from careerladder.core.validators import PlausibleDateField
from certifications.models import CertificationType
from competencies.models import ChecklistItem, Competency, SignOff
from technicians import selectors as technician_selectors
from tiers.models import RUBRIC, Evaluation, Tier
from tracks.models import LeadershipHourLog


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _helper(submit: str | None = "Save", **attrs) -> FormHelper:
    helper = FormHelper()
    if submit:
        helper.add_input(Submit("save", submit))
    for key, value in attrs.items():
        setattr(helper, key, value)
    return helper


class SignOffSheetForm(forms.Form):
    """The shared part of the sign-off screen; the items are checkboxes named ``item`` and CFU
    inputs named ``measurement-<item id>`` read by the view."""

    signed_on = PlausibleDateField(label="Date", widget=DateInput())
    method = forms.ChoiceField(choices=SignOff.Method.choices, initial=SignOff.Method.OBSERVATION)
    result = forms.ChoiceField(
        choices=SignOff.Result.choices,
        initial=SignOff.Result.PASS,
        help_text="For items without a measured value.",
    )
    comment = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signed_on"].initial = timezone.localdate()


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
        self.helper = _helper("Record evaluation")
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
        self.helper = _helper("Open promotion request")


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


class EnrolForm(forms.Form):
    position = forms.ModelChoiceField(queryset=None, label="Position to aim for")
    technician = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, technicians=None, positions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = positions
        if technicians is None:
            del self.fields["technician"]
        else:
            self.fields["technician"].queryset = technicians
            self.fields["technician"].required = True


class TctLogForm(forms.Form):
    checked_on = PlausibleDateField(widget=DateInput(), label="Day")
    verifications = forms.IntegerField(min_value=1, max_value=100_000)
    errors = forms.IntegerField(min_value=0, max_value=100_000, initial=0, label="Errors found in the audit")
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()
        self.helper = _helper(None, form_tag=False)


class LeadershipHoursForm(forms.Form):
    kind = forms.ChoiceField(choices=LeadershipHourLog.Kind.choices)
    worked_on = PlausibleDateField(widget=DateInput(), label="Day")
    hours = forms.DecimalField(min_value=0.5, max_value=24, decimal_places=1)
    activity = forms.CharField(max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worked_on"].initial = timezone.localdate()


class MeetingForm(forms.Form):
    mentee = forms.ModelChoiceField(queryset=None)
    met_on = PlausibleDateField(widget=DateInput(), label="Date")
    minutes = forms.IntegerField(min_value=5, max_value=480, initial=30)
    topics = forms.CharField(max_length=300)
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    next_steps = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, mentees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentee"].queryset = mentees
        self.fields["met_on"].initial = timezone.localdate()


class MentorAssignForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=None, label="Mentee")
    mentor = forms.ModelChoiceField(queryset=None, help_text="An active Tech III or Lead technician.")

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        scoped = technician_selectors.technician_list(viewer=viewer, status="active").order_by(
            "last_name", "first_name"
        )
        if technician_selectors.role_of(viewer) == "manager":
            scoped = scoped.filter(site_id__in=technician_selectors.viewer_site_ids(viewer))
        self.fields["technician"].queryset = scoped
        self.fields["mentor"].queryset = scoped.filter(current_tier_code__in=["TECH3", "LEAD"])


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
        self.helper = _helper("Save requirements")


class CompetencyForm(forms.ModelForm):
    class Meta:
        model = Competency
        fields = ["code", "name", "category", "revalidation_months", "usp797_kind", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(None, form_tag=False)


class ChecklistItemForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(max_length=300, required=False, label="Item")
    measure = forms.ChoiceField(choices=ChecklistItem.Measure.choices, required=False)
    max_cfu = forms.IntegerField(required=False, min_value=0, label="Max CFU")
    passes_required = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Passes in a row")
    initial_only = forms.BooleanField(required=False, label="Initial only")
    tct_min_checks = forms.IntegerField(required=False, min_value=1, label="TCT checks")
    tct_min_days = forms.IntegerField(required=False, min_value=1, label="TCT days")
    tct_min_accuracy = forms.DecimalField(required=False, min_value=0, max_value=100, decimal_places=2, label="TCT %")


ChecklistItemFormSet = forms.formset_factory(ChecklistItemForm, extra=3, can_delete=True)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)
