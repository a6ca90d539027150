"""What every app's forms share: the date input and the crispy-forms helper."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker, in the ISO format it expects."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def form_helper(submit: str | None = "Save", *, multipart: bool = False, **attrs) -> FormHelper:
    """A POST form with one submit button labelled ``submit`` (none for ``None``); ``multipart``
    for file uploads; other keyword arguments are set on the helper (``form_tag=False``...)."""
    helper = FormHelper()
    helper.form_method = "post"
    if multipart:
        helper.attrs = {"enctype": "multipart/form-data"}
    if submit:
        helper.add_input(Submit("save", submit))
    for key, value in attrs.items():
        setattr(helper, key, value)
    return helper
