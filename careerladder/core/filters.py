"""What the FilterSets of every app share (django-filter). A list's filters are one FilterSet,
used by its page and its API endpoint alike (``technicians.filters``, ``tiers.filters``)."""

from __future__ import annotations

import django_filters
from django import forms

from careerladder.core.validators import MAX_DATABASE_ID


class IdFilter(django_filters.NumberFilter):
    """A filter on a record's id: a whole number a database id can be (1 to 2^63 - 1), so that
    ``?technician=1e200`` answers 400 with the reason instead of overflowing the database."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DATABASE_ID)
        super().__init__(*args, **kwargs)


class TechnicianRecordFilterSet(django_filters.FilterSet):
    """Lists of technicians' records: ``?technician=`` and ``?site=`` by id."""

    technician = IdFilter(field_name="technician_id")
    site = IdFilter(field_name="technician__site_id")
