"""Forms of awarding an incentive and editing a programme."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput, form_helper
from careerladder.core.validators import PlausibleDateField
from incentives.models import IncentiveProgram


class AwardForm(forms.Form):
    awarded_on = PlausibleDateField(widget=DateInput(), label="Awarded on")
    amount = forms.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=0,
        required=False,
        label="Amount (US$)",
        help_text="Leave as is unless the amount paid differs from the programme's.",
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["awarded_on"].initial = timezone.localdate()
        self.helper = form_helper("Mark awarded")


class IncentiveProgramForm(forms.ModelForm):
    class Meta:
        model = IncentiveProgram
        fields = ["code", "name", "kind", "trigger", "amount", "effective_from", "active", "description"]
        widgets = {"effective_from": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
        self.helper = form_helper("Save")

    def validate_unique(self):
        """The service reports a duplicate code."""
