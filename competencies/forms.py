"""Forms of the sign-off sheet, the tech-check-tech log and the competency editor (hr)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput, form_helper
from careerladder.core.validators import PlausibleDateField
from competencies.models import ChecklistItem, Competency, CompetencyPolicy, SignOff, TctRule
from technicians.models import US_STATES


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


class TctLogForm(forms.Form):
    checked_on = PlausibleDateField(widget=DateInput(), label="Day")
    verifications = forms.IntegerField(min_value=1, max_value=100_000)
    errors = forms.IntegerField(min_value=0, max_value=100_000, initial=0, label="Errors found in the audit")
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()
        self.helper = form_helper(None, form_tag=False)


class CompetencyForm(forms.ModelForm):
    class Meta:
        model = Competency
        fields = ["code", "name", "category", "revalidation_months", "usp797_kind", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(None, form_tag=False)


class ChecklistItemForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(max_length=300, required=False, label="Item")
    measure = forms.ChoiceField(choices=ChecklistItem.Measure.choices, required=False)
    max_cfu = forms.IntegerField(required=False, min_value=0, label="Max CFU")
    passes_required = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Passes in a row")
    initial_only = forms.BooleanField(required=False, label="Initial only")


ChecklistItemFormSet = forms.formset_factory(ChecklistItemForm, extra=3, can_delete=True)


class CompetencyPolicyForm(forms.ModelForm):
    """hr's USP <797> policy (``competencies.services.competency_policy_update`` checks it)."""

    class Meta:
        model = CompetencyPolicy
        fields = [
            "garbing_months_cat1",
            "garbing_months_cat2",
            "garbing_months_cat3",
            "didactic_months",
            "garbing_consecutive",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(None, form_tag=False)


class TctRuleForm(forms.ModelForm):
    """A state's tech-check-tech rule; an empty state is the default rule."""

    state = forms.ChoiceField(choices=[("", "Default (every other state)"), *US_STATES], required=False)

    class Meta:
        model = TctRule
        fields = ["state", "min_checks", "min_days", "min_accuracy", "ongoing_window_months", "idle_months"]
        labels = {
            "min_checks": "Checks at least",
            "min_days": "Over separate days, at least",
            "min_accuracy": "Accuracy (%) at least",
            "ongoing_window_months": "Ongoing accuracy window (months)",
            "idle_months": "Withdrawn after months without checks",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(None, form_tag=False)

    def validate_unique(self):
        """A rule for a state that has one changes it (``tct_rule_save``), so no uniqueness error."""
