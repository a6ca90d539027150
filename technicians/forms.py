from __future__ import annotations

import copy

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError

from careerladder.core import versions
from careerladder.core.forms import DateInput
from careerladder.core.validators import PlausibleDateField
from imports.models import ImportRun
from technicians import selectors, services
from technicians.models import Site, Technician
from technicians.roles import Role
from tiers import selectors as ladder_selectors
from tiers import services as tiers_services
from tiers.models import Tier

# Up to this many sites in a viewer's scope, a site is picked from a drop-down; beyond it (hr
# in a health system of thousands of sites) it is typed by its code: a list of ten thousand
# options is neither usable nor quick to send.
SITE_SELECT_LIMIT = 200
MENTOR_SELECT_LIMIT = 300


class TypedChoiceField(forms.ModelChoiceField):
    """A record picked from a drop-down while there are few, typed by its key (a site's code,
    a technician's employee id) past ``limit``: a list of tens of thousands of options is
    neither usable nor quick to send. Subclasses say how a typed text is found (``find``),
    which field shows (``key``) and what a miss says (``missing``)."""

    key = ""
    placeholder = ""
    large = False

    def choose(self, queryset, *, count: int, limit: int) -> None:
        self.queryset = queryset
        self.large = count > limit
        if self.large:
            self.widget = forms.TextInput(attrs={"placeholder": self.placeholder, "autocomplete": "off"})
            self.widget.is_required = self.required

    def find(self, text: str):
        raise NotImplementedError

    def missing(self, text: str) -> str:
        raise NotImplementedError

    def to_python(self, value):
        if not self.large or value in self.empty_values:
            return super().to_python(value)
        if isinstance(value, self.queryset.model):
            return value
        text = str(value).strip()[:40]
        found = self.find(text)
        if found is None:
            raise ValidationError(self.missing(text), code="invalid_choice")
        return found

    def prepare_value(self, value):
        """The key in the box: that of a record or of an id (a saved value, a link's
        ``?site=<id>``); a typed key stays as typed."""
        if not self.large:
            return super().prepare_value(value)
        model = self.queryset.model
        if isinstance(value, model):
            return getattr(value, self.key)
        if isinstance(value, int):
            return model._default_manager.filter(pk=value).values_list(self.key, flat=True).first() or value
        if isinstance(value, str) and value.strip():
            found = self.find(value.strip()[:40])
            if found is not None and str(getattr(found, self.key)).lower() != value.strip().lower():
                return getattr(found, self.key)  # found by its id: show its key
        return value


class SiteField(TypedChoiceField):
    """A site in the viewer's scope, typed by its code past ``SITE_SELECT_LIMIT`` sites. Call
    ``set_sites`` with the scope's queryset and the viewer. A typed text is looked up as
    ``technicians.selectors.site_find`` does: the code first, then the id (links that carry
    ``?site=<id>`` keep working)."""

    key = "code"
    placeholder = "Site code, e.g. S00042"

    def set_sites(self, queryset, *, viewer) -> None:
        count = selectors.site_count(viewer=viewer)
        self.choose(queryset, count=count, limit=SITE_SELECT_LIMIT)
        if self.large:
            self.help_text = self.help_text or f"{count:,} sites: type the site's code."

    def find(self, text: str):
        return selectors.site_find(sites=self.queryset, text=text)

    def missing(self, text: str) -> str:
        return f"No site with the code “{text}” among yours."


class MentorField(TypedChoiceField):
    """A mentor among the active Tech III and Lead technicians in scope, typed by employee id
    past ``MENTOR_SELECT_LIMIT`` candidates (hr in a health system would otherwise get a list
    of tens of thousands of names). ``set_mentors`` sets the candidates."""

    key = "employee_id"
    placeholder = "Employee id"

    def set_mentors(self, queryset, *, count: int) -> None:
        self.choose(queryset, count=count, limit=MENTOR_SELECT_LIMIT)

    def find(self, text: str):
        return self.queryset.filter(employee_id__iexact=text).first()

    def missing(self, text: str) -> str:
        return f"No active Tech III or Lead with the employee id “{text}” among yours."


class TechnicianFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Name, employee id or e-mail", "type": "search"}),
    )
    site = SiteField(queryset=None, required=False, empty_label="All sites")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Technician.Status.choices])
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"), required=False, empty_label="Any tier", to_field_name="code"
    )

    def __init__(self, *args, viewer, fixed_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_site is not None:
            del self.fields["site"]
        else:
            self.fields["site"].set_sites(selectors.site_list(viewer=viewer).order_by("code"), viewer=viewer)
        self.fields["status"].initial = "active"
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end mb-3"
        self.helper.disable_csrf = True
        self.helper.form_show_labels = True
        cols = [Column("q", css_class="col-12 col-md-4")]
        if "site" in self.fields:
            cols.append(Column("site", css_class="col-6 col-md-3"))
        cols += [Column("status", css_class="col-6 col-md-2"), Column("tier", css_class="col-6 col-md-2")]
        self.helper.layout = Layout(
            Row(*cols, Column(Submit("filter", "Filter", css_class="w-100"), css_class="col-6 col-md-1"))
        )

    def cleaned_filters(self) -> dict:
        data = self.cleaned_data
        return {
            "search": data.get("q") or "",
            "site": data["site"].pk if data.get("site") else None,
            "status": data.get("status") or None,
            "tier": data["tier"].code if data.get("tier") else None,
        }


class TechnicianForm(forms.ModelForm):
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"), to_field_name="code", empty_label=None, label="Starting tier"
    )

    class Meta:
        model = Technician
        fields = [
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "site",
            "compounding_category",
            "hire_date",
            "mentor",
            "status",
            "termination_date",
            "termination_type",
            "exit_reason",
            "exit_notes",
            "would_rehire",
        ]
        widgets = {
            "hire_date": DateInput(),
            "termination_date": DateInput(),
            "exit_notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"termination_date": "Last day employed; together with status 'Terminated' and a type."}
        field_classes = {
            "hire_date": PlausibleDateField,
            "termination_date": PlausibleDateField,
            "site": SiteField,
            "mentor": MentorField,
        }

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        manageable = selectors.site_list(viewer=viewer)
        if selectors.role_of(viewer) == Role.MANAGER:
            manageable = manageable.filter(pk__in=selectors.viewer_site_ids(viewer))
        self.fields["site"].set_sites(manageable.order_by("code"), viewer=viewer)
        mentors = (
            ladder_selectors.technician_list(viewer=viewer)
            .filter(status=Technician.Status.ACTIVE)
            .filter(current_tier_code__in=tiers_services.MENTOR_TIERS)
        )
        if self.instance.pk:
            mentors = mentors.exclude(pk=self.instance.pk)
            del self.fields["tier"]
        else:
            self.fields["tier"].initial = "TECH1"
            for name in ("status", "termination_date", "termination_type", "exit_reason", "exit_notes", "would_rehire"):
                del self.fields[name]
        # How many candidates (kept under the data versions): a few hundred fit a drop-down.
        count = versions.cached(
            "mentor-candidates",
            scope=selectors.viewer_scope(viewer),
            parts=[self.instance.pk],
            compute=mentors.count,
        )
        self.fields["mentor"].set_mentors(mentors.order_by("last_name", "first_name"), count=count)
        self.fields["mentor"].help_text = (
            "The employee id of a Tech III or Lead technician."
            if self.fields["mentor"].large
            else "A Tech III or Lead technician."
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # The service's separation rule, checked here so that its messages stand next to
            # the fields; otherwise the model's check constraints answer first, with a bare
            # "Constraint … is violated" above the form.
            candidate = copy.copy(self.instance)
            for name in ("hire_date", "status", "termination_date", "termination_type", "mentor"):
                if name in cleaned:
                    setattr(candidate, name, cleaned[name])
            try:
                services.technician_check_separation(technician=candidate)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


class ImportForm(forms.Form):
    """The imports page: what the file holds and the file. Its content is checked by the
    import service (type by content, size, columns, every row)."""

    kind = forms.ChoiceField(
        label="What the file holds",
        choices=ImportRun.Kind.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="File (CSV or XLSX)",
        help_text="CSV saved as UTF-8, or an Excel .xlsx workbook (first sheet); at most 20 MB. Row 1 names the columns.",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"data-import-form": ""}
        self.helper.layout = Layout(
            "kind",
            "file",
            Div(
                StrictButton(
                    "Check only (dry run)", type="submit", name="action", value="check", css_class="btn-outline-primary"
                ),
                StrictButton("Import", type="submit", name="action", value="import", css_class="btn-primary"),
                css_class="d-flex flex-wrap gap-2",
            ),
        )


class SiteCompoundingForm(forms.Form):
    """Hr sets the USP <797> category a site compounds at: the default of every technician
    there who has no category of their own."""

    compounding_category = forms.ChoiceField(
        label="Site default",
        choices=Site._meta.get_field("compounding_category").choices,
        required=False,
        help_text="Technicians with a category of their own keep it. Re-assessment dates follow from the next "
        "achievement on.",
    )
