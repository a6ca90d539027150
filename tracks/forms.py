"""Forms of enrolment, leadership hours, mentoring meetings and mentor assignment."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput
from careerladder.core.validators import PlausibleDateField
from technicians import selectors as technician_selectors
from technicians.models import Technician
from technicians.roles import Role
from tiers.selectors import technician_list
from tracks.models import LeadershipHourLog


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
        scoped = (
            technician_list(viewer=viewer).filter(status=Technician.Status.ACTIVE).order_by("last_name", "first_name")
        )
        if technician_selectors.role_of(viewer) == Role.MANAGER:
            scoped = scoped.filter(site_id__in=technician_selectors.viewer_site_ids(viewer))
        self.fields["technician"].queryset = scoped
        self.fields["mentor"].queryset = scoped.filter(current_tier_code__in=["TECH3", "LEAD"])
