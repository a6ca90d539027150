"""Reading ACPE universal activity numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from certifications.acpe import parse_uan


def test_reads_every_part_of_a_uan():
    uan = parse_uan("0145-0000-25-012-H03-T")
    assert uan.number == "0145-0000-25-012-H03-T"
    assert uan.provider == "0145"
    assert uan.jointly_provided is False
    assert uan.release_year == 2025
    assert uan.sequence == "012"
    assert (uan.activity_type, uan.topic, uan.audience) == ("H", "03", "T")
    assert uan.topic_name == "Pharmacy law"


def test_normalises_case_spaces_and_dashes():
    uan = parse_uan(" 0145 \u2013 0000-25-012-l05-p ")
    assert uan.number == "0145-0000-25-012-L05-P"
    assert (uan.activity_type, uan.topic, uan.audience, uan.topic_name) == ("L", "05", "P", "Patient safety")


def test_joint_providers_and_joint_accreditation_numbers():
    assert parse_uan("0204-9999-24-101-B06-T").jointly_provided is True
    ja = parse_uan("JA0002895-0000-24-072-H01-P")
    assert (ja.provider, ja.topic, ja.audience) == ("JA0002895", "01", "P")


def test_unknown_topics_are_accepted_with_a_generic_name():
    assert parse_uan("0145-0000-25-012-H12-T").topic_name == "ACPE topic 12"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("0145-0000-25-012-X03-T", "is not an ACPE universal activity number"),  # activity type X
        ("0145-0000-25-012-H03", "is not an ACPE universal activity number"),  # no audience
        ("0145-0000-25-012-H03-Q", "is not an ACPE universal activity number"),  # audience Q
        ("145-0000-25-012-H03-T", "is not an ACPE universal activity number"),  # 3-digit provider
        ("0145-0000-2025-012-H03-T", "is not an ACPE universal activity number"),
        ("", "is not an ACPE universal activity number"),
        ("0145-1234-25-012-H03-T", "0000 (one provider) or 9999"),
        ("0145-0000-25-012-H00-T", "Topic 00 does not exist"),
    ],
)
def test_rejects_malformed_numbers_with_a_reason(raw, fragment):
    with pytest.raises(ValidationError) as info:
        parse_uan(raw)
    assert fragment in info.value.message_dict["uan"][0]


def test_an_activity_cannot_be_completed_before_its_release_year():
    with pytest.raises(ValidationError) as info:
        parse_uan("0145-0000-26-001-H03-T", completed_on=dt.date(2025, 12, 31))
    assert info.value.message_dict == {"uan": ["This activity was released in 2026, after the completion date."]}
    assert parse_uan("0145-0000-26-001-H03-T", completed_on=dt.date(2026, 1, 1)).release_year == 2026
