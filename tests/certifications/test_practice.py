"""Practice tests: weakest domain, readiness and score validation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from certifications.practice import Attempt, clean_domain_scores, practice_summary


def attempt(score, med, fed, safety, order):
    scores = {"medications": med, "federal_requirements": fed, "patient_safety": safety, "order_entry": order}
    return Attempt(taken_on=dt.date(2025, 1, 1), score=score, domain_scores=scores)


NEWEST_FIRST = [
    attempt(80, 85, 70, 82, 78),
    attempt(77, 80, 66, 79, 75),
    attempt(65, 70, 58, 60, 64),
    attempt(50, 55, 40, 45, 50),  # fourth-latest: left out of the weakest domain
]


def test_weakest_domain_is_the_lowest_average_of_the_last_three():
    summary = practice_summary(attempts_newest_first=NEWEST_FIRST, pass_mark=75)
    # Federal: (70 + 66 + 58) / 3 = 64.67; order entry 72.33; safety 73.67; medications 78.33.
    assert summary.weakest_domain == "federal_requirements"
    assert summary.weakest_domain_name == "Federal Requirements"
    assert summary.weakest_domain_average == 64.7


def test_ready_when_the_two_latest_reach_the_pass_mark():
    summary = practice_summary(attempts_newest_first=NEWEST_FIRST, pass_mark=75)
    assert (summary.ready, summary.latest_score, summary.attempts) == (True, 80, 4)
    assert summary.message == "Ready to schedule the PTCE: the last two attempts scored 80% and 77% (pass mark 75%)."


@pytest.mark.parametrize(("latest", "previous", "ready"), [(75, 75, True), (75, 74, False), (74, 90, False)])
def test_readiness_boundary(latest, previous, ready):
    tests = [attempt(latest, 70, 70, 70, 70), attempt(previous, 70, 70, 70, 70)]
    assert practice_summary(attempts_newest_first=tests, pass_mark=75).ready is ready


def test_not_ready_message_and_single_attempt():
    not_ready = practice_summary(attempts_newest_first=NEWEST_FIRST[1:], pass_mark=75)
    assert not_ready.message == "Not ready yet: the last two attempts scored 77% and 65%; both need 75% or more."
    single = practice_summary(attempts_newest_first=NEWEST_FIRST[2:3], pass_mark=75)
    assert single.ready is False
    assert single.message == "One attempt so far (65%); two in a row at 75% or more show you are ready for the PTCE."
    none = practice_summary(attempts_newest_first=[], pass_mark=75)
    assert (none.weakest_domain, none.message) == (None, "No practice tests yet.")


def test_a_tie_goes_to_the_domain_the_exam_weighs_more():
    tied = [attempt(70, 60, 60, 80, 80)]  # Medications (40 %) and Federal (12.5 %) both 60
    assert practice_summary(attempts_newest_first=tied, pass_mark=75).weakest_domain == "medications"


def test_domain_scores_need_all_four_whole_percentages():
    assert clean_domain_scores(
        {"medications": "78", "federal_requirements": 66.0, "patient_safety": 0, "order_entry": 100}
    ) == {"medications": 78, "federal_requirements": 66, "patient_safety": 0, "order_entry": 100}
    with pytest.raises(ValidationError) as info:
        clean_domain_scores({"medications": 101, "federal_requirements": 78.5, "patient_safety": -1, "pharmacology": 5})
    assert info.value.message_dict["domain_scores"] == [
        "Unknown domain(s): pharmacology.",
        "Missing domain(s): order_entry.",
        "Medications: enter a whole percentage from 0 to 100.",
        "Federal Requirements: enter a whole percentage from 0 to 100.",
        "Patient Safety and Quality Assurance: enter a whole percentage from 0 to 100.",
    ]
    with pytest.raises(ValidationError):
        clean_domain_scores([70, 70, 70, 70])
