"""Forms of the certification pages: input shape only; the rules are in ``services``."""

from __future__ import annotations

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone

from careerladder.core.forms import DateInput, form_helper
from careerladder.core.validators import MAX_CE_ACTIVITY_HOURS, PlausibleDateField
from certifications.acpe import EXAMPLE
from certifications.evidence import ACCEPT_ATTRIBUTE, max_bytes
from certifications.models import CECredit, CertificationType, OrgPolicy
from certifications.practice import DOMAINS
from certifications.services import NON_UAN_TOPICS
from technicians.forms import SiteField
from technicians.selectors import site_list


def evidence_field(*, label: str = "Evidence", help_text: str = "") -> forms.FileField:
    limit = max_bytes() // (1024 * 1024)
    return forms.FileField(
        label=label,
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=help_text or f"PDF, PNG or JPEG up to {limit} MB (a photo or scan of the card is fine).",
    )


class CertificationForm(forms.Form):
    type = forms.ModelChoiceField(
        queryset=CertificationType.objects.order_by("category", "name"), label="Certification", empty_label=None
    )
    number = forms.CharField(max_length=60, required=False, label="Certification / licence number")
    issued_on = PlausibleDateField(widget=DateInput(), label="Issued (certification date)")
    expires_on = PlausibleDateField(
        widget=DateInput(),
        required=False,
        label="Expires",
        help_text="Leave empty to use the type's validity (CPhT: 24 months); state registrations need it.",
    )
    evidence = evidence_field()

    def __init__(self, *args, submit: str = "Save", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit, multipart=True)
        self.helper.layout = Layout(
            "type",
            "number",
            Row(Column("issued_on", css_class="col-sm-6"), Column("expires_on", css_class="col-sm-6")),
            "evidence",
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The technician sees this, e.g. \u201cNumber not found in PTCB's verification lookup.\u201d",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Return to technician")


class CECreditForm(forms.Form):
    source = forms.ChoiceField(
        choices=CECredit.Source.choices,
        initial=CECredit.Source.ACPE,
        required=False,
        label="Kind of CE",
        help_text="CE without a UAN (a college course, up to 10 h; a non-ACPE provider) counts once a manager "
        "has checked the proof of completion.",
    )
    completed_on = PlausibleDateField(widget=DateInput(), label="Completed on")
    title = forms.CharField(max_length=200)
    provider = forms.CharField(max_length=120, label="Provider or college")
    uan = forms.CharField(
        max_length=40,
        required=False,
        label="UAN (ACPE CE only)",
        help_text=f"The ACPE universal activity number on the statement of credit, e.g. {EXAMPLE}. "
        "Topic (03 law, 05 patient safety, …) and audience (T or P) are read from it.",
        widget=forms.TextInput(attrs={"placeholder": EXAMPLE, "autocapitalize": "characters", "spellcheck": "false"}),
    )
    hours = forms.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_CE_ACTIVITY_HOURS,
        label="Contact hours",
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    topic = forms.ChoiceField(
        choices=list(NON_UAN_TOPICS.items()),
        required=False,
        label="Topic (CE without an ACPE number)",
        help_text="For ACPE CE the topic is read from the UAN.",
    )
    evidence = evidence_field(
        label="Statement of credit or proof of completion",
        help_text="PDF, PNG or JPEG. Required for CE without a UAN (certificate, transcript with the grade).",
    )

    def clean_source(self) -> str:
        return self.cleaned_data.get("source") or CECredit.Source.ACPE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].initial = timezone.localdate()
        self.helper = form_helper("Log CE credit", multipart=True)
        self.helper.layout = Layout(
            "source",
            "title",
            "provider",
            Row(Column("uan", css_class="col-md-7"), Column("topic", css_class="col-md-5")),
            Row(Column("completed_on", css_class="col-7"), Column("hours", css_class="col-5")),
            "evidence",
        )


SOURCE_SUGGESTIONS = ["Medical Hero", "PTCB Official Practice Exam", "Pharmacy Tech Scholar", "Employer study group"]


class PracticeTestForm(forms.Form):
    taken_on = PlausibleDateField(widget=DateInput(), label="Taken on")
    source = forms.CharField(
        max_length=80,
        widget=forms.TextInput(attrs={"list": "practice-sources"}),
        help_text="Where the practice exam came from, e.g. Medical Hero.",
    )
    score = forms.IntegerField(min_value=0, max_value=100, label="Overall score (%)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["taken_on"].initial = timezone.localdate()
        self.fields["source"].initial = "Medical Hero"
        for key, label in DOMAINS.items():
            self.fields[f"domain_{key}"] = forms.IntegerField(min_value=0, max_value=100, label=f"{label} (%)")
        self.helper = form_helper("Log practice test")
        self.helper.layout = Layout(
            Row(Column("taken_on", css_class="col-sm-6"), Column("source", css_class="col-sm-6")),
            HTML(
                '<datalist id="practice-sources">'
                + "".join(f'<option value="{s}"></option>' for s in SOURCE_SUGGESTIONS)
                + "</datalist>"
            ),
            Field("score", css_class="form-control-lg"),
            Fieldset(
                "Score per PTCE knowledge domain",
                Row(*[Column(f"domain_{key}", css_class="col-6 col-lg-3") for key in DOMAINS]),
            ),
        )

    def domain_scores(self) -> dict[str, int]:
        return {key: self.cleaned_data[f"domain_{key}"] for key in DOMAINS}


class PtcbExtensionForm(forms.Form):
    extended_to = PlausibleDateField(widget=DateInput(), label="New PTCB deadline")
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the extension, e.g. \u201cExam rescheduled by Pearson VUE after site closure.\u201d",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Grant extension")


class AttestationForm(forms.Form):
    attested_on = PlausibleDateField(widget=DateInput(), label="Signed on")
    supervisor_name = forms.CharField(max_length=120, label="Supervisor (pharmacist) who signed")
    supervisor_title = forms.CharField(max_length=120, required=False, label="Supervisor's title")
    supervisor_qualification = forms.CharField(
        max_length=200,
        label="Supervisor's qualification",
        help_text="What qualifies them to attest, e.g. pharmacist, USP <797> designated person, licence number.",
    )
    notes = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Competencies observed, e.g. aseptic technique, garbing, media fill.",
    )
    evidence = evidence_field(label="Signed attestation form")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attested_on"].initial = timezone.localdate()
        self.helper = form_helper("Record attestation", multipart=True)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = OrgPolicy
        fields = ["ptcb_window_months", "practice_pass_mark", "expiring_days"]
        labels = {
            "ptcb_window_months": "PTCB window (months after hire)",
            "practice_pass_mark": "Practice-test pass mark (%)",
            "expiring_days": "Show certifications as expiring (days before expiry)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Save policy")


class CertificationTypeForm(forms.ModelForm):
    class Meta:
        model = CertificationType
        fields = [
            "code",
            "name",
            "issuing_body",
            "category",
            "state",
            "validity_months",
            "requires",
            "ce_hours_required",
            "min_law_hours",
            "min_patient_safety_hours",
            "min_technician_hours",
            "max_pharmacist_hours",
            "renewal_window_opens_days",
            "renewal_due_days",
            "requires_attestation",
            "min_compounding_hours",
            "max_college_hours",
            "accepts_non_acpe",
            "reinstatement_months",
            "reinstatement_hours",
            "reinstatement_law_hours",
            "reinstatement_patient_safety_hours",
            "upgrade_of",
            "renewal_notes",
        ]
        labels = {
            "ce_hours_required": "Total CE hours per cycle",
            "min_law_hours": "At least, law hours (ACPE 03)",
            "min_patient_safety_hours": "At least, patient-safety hours (ACPE 05)",
            "min_technician_hours": "At least, technician-specific hours (T)",
            "max_pharmacist_hours": "At most, pharmacist-specific hours counted (P)",
            "renewal_window_opens_days": "Renewal window opens (days before expiry)",
            "renewal_due_days": "Application due (days before expiry; the late period runs from then to expiry)",
            "min_compounding_hours": "At least, sterile-compounding hours (ACPE 07)",
            "max_college_hours": "At most, college-course hours counted",
            "reinstatement_months": "Reinstatement period (months after expiry)",
            "reinstatement_hours": "Reinstatement: total CE hours",
            "reinstatement_law_hours": "Reinstatement: law hours",
            "reinstatement_patient_safety_hours": "Reinstatement: patient-safety hours",
            "upgrade_of": "Upgrade of",
        }
        widgets = {"renewal_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL_RULE_FIELDS:
            self.fields[name].required = False
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Codes never change: other tools rely on them."
        self.helper = form_helper("Save")
        self.helper.layout = Layout(
            Row(Column("code", css_class="col-sm-4"), Column("name", css_class="col-sm-8")),
            Row(
                Column("issuing_body", css_class="col-sm-5"),
                Column("category", css_class="col-sm-4"),
                Column("state", css_class="col-sm-3"),
            ),
            Row(Column("validity_months", css_class="col-sm-6"), Column("requires", css_class="col-sm-6")),
            Fieldset(
                "Renewal rule",
                Row(
                    Column("ce_hours_required", css_class="col-6 col-md-4"),
                    Column("min_law_hours", css_class="col-6 col-md-4"),
                    Column("min_patient_safety_hours", css_class="col-6 col-md-4"),
                    Column("min_technician_hours", css_class="col-6 col-md-4"),
                    Column("max_pharmacist_hours", css_class="col-6 col-md-4"),
                ),
                Row(
                    Column("min_compounding_hours", css_class="col-6 col-md-4"),
                    Column("max_college_hours", css_class="col-6 col-md-4"),
                    Column("accepts_non_acpe", css_class="col-12 col-md-4 pt-md-4"),
                ),
                Row(
                    Column("renewal_window_opens_days", css_class="col-6"),
                    Column("renewal_due_days", css_class="col-6"),
                ),
                "requires_attestation",
            ),
            Fieldset(
                "Reinstatement after expiry",
                Row(
                    Column("reinstatement_months", css_class="col-6 col-md-3"),
                    Column("reinstatement_hours", css_class="col-6 col-md-3"),
                    Column("reinstatement_law_hours", css_class="col-6 col-md-3"),
                    Column("reinstatement_patient_safety_hours", css_class="col-6 col-md-3"),
                ),
            ),
            Fieldset("Upgrade", "upgrade_of"),
            "renewal_notes",
        )

    # Parts of the rule a type may not have (most types have no college cap or reinstatement):
    # left empty, they take the model's default (0, no).
    OPTIONAL_RULE_FIELDS = (
        "min_compounding_hours",
        "max_college_hours",
        "reinstatement_months",
        "reinstatement_hours",
        "reinstatement_law_hours",
        "reinstatement_patient_safety_hours",
    )

    def clean(self):
        cleaned = super().clean()
        for name in self.OPTIONAL_RULE_FIELDS:
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = CertificationType._meta.get_field(name).default
        return cleaned

    def validate_unique(self):
        """The service reports a duplicate code in the pharmacy's words."""


class SiteFilterForm(forms.Form):
    site = SiteField(queryset=None, required=False, empty_label="All my sites")

    def __init__(self, *args, viewer, extra: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].set_sites(site_list(viewer=viewer).order_by("code"), viewer=viewer)
        for name, field in (extra or {}).items():
            self.fields[name] = field
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_class = "row g-2 align-items-end mb-3"
        columns = [Column("site", css_class="col-12 col-sm-6 col-md-4")]
        columns += [Column(name, css_class="col-12 col-sm-6 col-md-3") for name in (extra or {})]
        columns.append(Column(Submit("filter", "Show", css_class="w-100"), css_class="col-12 col-sm-6 col-md-2"))
        self.helper.layout = Layout(Row(*columns))

    def value(self, name: str):
        if self.is_bound and self.is_valid():
            value = self.cleaned_data.get(name)
            return value.pk if hasattr(value, "pk") else (value or None)
        return None
