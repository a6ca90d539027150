"""Sign-offs: achievement and expiry, re-validation rounds, self sign-off refused (service and
database), USP <797> measured results and intervals, tech-check-tech validation targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from careerladder.core.errors import ApplicationError
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog
from competencies.selectors import revalidation_interval
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.ladder.factories import CompetencyFactory, achieve, items_of, sign
from tiers.selectors import ladder_standing

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def intake(db):
    return CompetencyFactory(code="INTAKE_X", name="Intake basics", items=3, revalidation_months=12)


def _status(tech, competency, day):
    return ladder_standing(technician=tech, today=day).competencies[competency.pk]


def test_achieved_when_every_item_is_signed_and_expires_from_the_latest(tech_a, evaluator_user, intake):
    first, second, third = items_of(intake)
    sign(tech_a, evaluator_user, [first, second], dt.date(2025, 1, 10))
    assert _status(tech_a, intake, TODAY).status == "in_progress"

    sign(tech_a, evaluator_user, third, dt.date(2025, 2, 20))

    round_ = CompetencyRound.objects.get(technician=tech_a, competency=intake)
    assert (round_.number, round_.started_on, round_.achieved_on, round_.expires_on, round_.interval_months) == (
        1,
        dt.date(2025, 1, 10),
        dt.date(2025, 2, 20),
        dt.date(2026, 2, 20),
        12,
    )
    status = _status(tech_a, intake, TODAY)
    assert (status.status, status.achieved_on, status.expires_on) == (
        "achieved",
        dt.date(2025, 2, 20),
        dt.date(2026, 2, 20),
    )


def test_a_failed_item_is_kept_but_does_not_count(tech_a, evaluator_user, intake):
    first, second, third = items_of(intake)
    sign(tech_a, evaluator_user, [first, second], dt.date(2025, 1, 10))
    sign(tech_a, evaluator_user, third, dt.date(2025, 1, 11), result="fail")
    assert _status(tech_a, intake, TODAY).status == "in_progress"
    assert [i.text for i in _status(tech_a, intake, TODAY).items_to_sign] == ["Intake basics task 3"]

    sign(tech_a, evaluator_user, third, dt.date(2025, 1, 25))

    assert _status(tech_a, intake, TODAY).achieved_on == dt.date(2025, 1, 25)
    assert list(SignOff.objects.filter(item=third).values_list("result", flat=True)) == ["fail", "pass"]


def test_revalidation_starts_a_new_round_and_keeps_the_old_one(tech_a, evaluator_user, intake):
    achieve(tech_a, evaluator_user, intake, dt.date(2024, 3, 1))  # valid until 2025-03-01
    first, second, third = items_of(intake)

    sign(tech_a, evaluator_user, [first, second], dt.date(2025, 2, 10))

    rounds = list(CompetencyRound.objects.filter(technician=tech_a, competency=intake).order_by("number"))
    assert [(r.number, r.achieved_on, r.expires_on) for r in rounds] == [
        (1, dt.date(2024, 3, 1), dt.date(2025, 3, 1)),
        (2, None, None),
    ]
    # While the re-validation is under way, the first round still holds until it expires.
    during = _status(tech_a, intake, dt.date(2025, 2, 15))
    assert (during.status, during.expires_on, during.items_signed, during.items_total) == (
        "expiring",
        dt.date(2025, 3, 1),
        2,
        3,
    )
    lapsed = _status(tech_a, intake, dt.date(2025, 3, 5))
    assert (lapsed.status, lapsed.expires_on) == ("expired", dt.date(2025, 3, 1))

    sign(tech_a, evaluator_user, third, dt.date(2025, 3, 20))

    # Re-validated: expires 12 months after its own latest sign-off; round 1 is untouched.
    revalidated = _status(tech_a, intake, TODAY)
    assert (revalidated.status, revalidated.achieved_on, revalidated.expires_on) == (
        "achieved",
        dt.date(2025, 3, 20),
        dt.date(2026, 3, 20),
    )
    assert CompetencyRound.objects.get(technician=tech_a, competency=intake, number=1).expires_on == dt.date(2025, 3, 1)
    assert SignOff.objects.filter(technician=tech_a, round__number=1).count() == 3
    assert ladder_standing(technician=tech_a, today=dt.date(2026, 3, 20)).competencies[intake.pk].status == "expired"


def test_revalidation_must_be_dated_after_the_achievement(tech_a, evaluator_user, intake):
    achieve(tech_a, evaluator_user, intake, dt.date(2025, 3, 1))

    with pytest.raises(ApplicationError) as err:
        sign(tech_a, evaluator_user, items_of(intake)[0], dt.date(2025, 3, 1))

    assert err.value.field == "signed_on"
    assert CompetencyRound.objects.filter(technician=tech_a, competency=intake).count() == 1


def test_self_signoff_is_refused_by_the_service(evaluator_user, intake):
    own = evaluator_user.technician

    with pytest.raises(ApplicationError) as err:
        sign(own, evaluator_user, items_of(intake)[0], dt.date(2025, 1, 10))

    assert str(err.value) == "You cannot sign off your own competencies."
    assert SignOff.objects.count() == 0
    assert CompetencyRound.objects.count() == 0


def test_self_signoff_is_refused_by_the_database(tech_a, evaluator_user, intake):
    own = evaluator_user.technician
    round_ = CompetencyRound.objects.create(technician=own, competency=intake, started_on=dt.date(2025, 1, 10))

    with pytest.raises(IntegrityError), transaction.atomic():
        SignOff.objects.create(
            round=round_,
            item=items_of(intake)[0],
            technician=own,
            evaluator=evaluator_user,
            evaluator_technician=own,
            signed_on=dt.date(2025, 1, 10),
            method="observation",
        )
    assert SignOff.objects.count() == 0


def test_signoff_dates_and_batches_are_all_or_nothing(tech_a, evaluator_user, intake):
    first, second, _third = items_of(intake)
    with pytest.raises(ApplicationError) as future:
        competencies_services.signoff_record_many(
            technician=tech_a,
            evaluator=evaluator_user,
            entries=[competencies_services.SignOffInput(item=first)],
            signed_on=dt.date(2025, 7, 1),
            method="observation",
            today=TODAY,
        )
    assert future.value.field == "signed_on"
    with pytest.raises(ApplicationError) as before_hire:
        sign(tech_a, evaluator_user, first, dt.date(2023, 12, 31))
    assert before_hire.value.field == "signed_on"
    # One bad entry (a measurement on a plain item) and nothing of the batch is kept.
    with pytest.raises(ApplicationError):
        competencies_services.signoff_record_many(
            technician=tech_a,
            evaluator=evaluator_user,
            entries=[
                competencies_services.SignOffInput(item=first),
                competencies_services.SignOffInput(item=second, measurement=Decimal(2)),
            ],
            signed_on=dt.date(2025, 1, 10),
            method="observation",
            today=TODAY,
        )
    assert SignOff.objects.count() == 0
    assert CompetencyRound.objects.count() == 0


def test_a_manager_signs_off_and_is_recorded_as_the_evaluator(tech_a, manager_user, intake):
    [signoff] = sign(tech_a, manager_user, items_of(intake)[0], dt.date(2025, 1, 10), method="demonstration")

    assert (signoff.evaluator_id, signoff.evaluator_technician_id, signoff.method, signoff.result) == (
        manager_user.pk,
        None,
        "demonstration",
        "pass",
    )


# ---------------------------------------------------------------------------------------------
# USP <797>
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def sterile(db):
    """The seeded USP <797> garbing and aseptic-technique competency."""
    return Competency.objects.get(code="STERILE_797")


def _item(competency, fragment):
    return competency.items.get(text__icontains=fragment)


def test_seeded_usp797_checklist_carries_the_pass_rules(sterile):
    garbing = _item(sterile, "0 CFU on 3 tests")
    media = _item(sterile, "thumb sampling after the media fill")

    assert (garbing.measure, garbing.max_cfu, garbing.passes_required, garbing.initial_only) == ("cfu", 0, 3, True)
    assert (media.measure, media.max_cfu, media.passes_required, media.initial_only) == ("cfu", 3, 1, False)
    assert sterile.usp797_kind == "garbing_aseptic"


@pytest.mark.parametrize(
    ("fragment", "cfu", "result"),
    [
        ("0 CFU on 3 tests", 0, "pass"),
        ("0 CFU on 3 tests", 1, "fail"),
        ("thumb sampling after the media fill", 3, "pass"),
        ("thumb sampling after the media fill", 4, "fail"),
    ],
)
def test_gloved_fingertip_results_follow_the_cfu_limit(tech_a, evaluator_user, sterile, fragment, cfu, result):
    [signoff] = sign(tech_a, evaluator_user, _item(sterile, fragment), dt.date(2025, 1, 10), measurement=cfu)

    assert (signoff.result, signoff.measurement) == (result, Decimal(cfu))


def test_a_cfu_item_needs_its_count_and_a_contradicting_result_is_refused(tech_a, evaluator_user, sterile):
    garbing = _item(sterile, "0 CFU on 3 tests")
    with pytest.raises(ApplicationError) as missing:
        sign(tech_a, evaluator_user, garbing, dt.date(2025, 1, 10))
    assert missing.value.field == "measurement"
    with pytest.raises(ApplicationError) as contradiction:
        sign(tech_a, evaluator_user, garbing, dt.date(2025, 1, 10), measurement=2, result="pass")
    assert contradiction.value.field == "result"


def test_initial_garbing_needs_three_passes_in_a_row(site_a, evaluator_user, sterile):
    site_a.compounding_category = "2"
    site_a.save()
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15))
    garbing = _item(sterile, "0 CFU on 3 tests")
    others = [i for i in items_of(sterile) if i.pk != garbing.pk]
    media = _item(sterile, "thumb sampling after the media fill")
    surface = _item(sterile, "surface sample")
    plain = [i for i in others if i.pk not in (media.pk, surface.pk)]
    sign(tech, evaluator_user, plain, dt.date(2025, 1, 6))
    sign(tech, evaluator_user, media, dt.date(2025, 1, 6), measurement=1)
    sign(tech, evaluator_user, surface, dt.date(2025, 1, 6), measurement=0)
    for day, cfu in ((7, 0), (8, 2), (9, 0), (10, 0)):  # pass, FAIL, pass, pass: a run of only 2
        sign(tech, evaluator_user, garbing, dt.date(2025, 1, day), measurement=cfu)

    standing = _status(tech, sterile, dt.date(2025, 2, 1))
    assert standing.status == "in_progress"
    assert [i.pk for i in standing.items_to_sign] == [garbing.pk]

    sign(tech, evaluator_user, garbing, dt.date(2025, 1, 13), measurement=0)  # third pass in a row

    standing = _status(tech, sterile, dt.date(2025, 2, 1))
    # Category 2: garbing and aseptic technique are re-assessed every 6 months.
    assert (standing.status, standing.achieved_on, standing.expires_on) == (
        "achieved",
        dt.date(2025, 1, 13),
        dt.date(2025, 7, 13),
    )


def test_revalidation_skips_the_initial_only_garbing_test(site_a, evaluator_user, sterile):
    site_a.compounding_category = "3"
    site_a.save()
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15))
    garbing = _item(sterile, "0 CFU on 3 tests")
    media = _item(sterile, "thumb sampling after the media fill")
    surface = _item(sterile, "surface sample")
    plain = [i for i in items_of(sterile) if i.pk not in (garbing.pk, media.pk, surface.pk)]
    sign(tech, evaluator_user, plain, dt.date(2025, 1, 6))
    sign(tech, evaluator_user, [media, surface], dt.date(2025, 1, 6), measurement=0)
    for day in (7, 8, 9):
        sign(tech, evaluator_user, garbing, dt.date(2025, 1, day), measurement=0)
    # Category 3: every 3 months.
    assert _status(tech, sterile, dt.date(2025, 2, 1)).expires_on == dt.date(2025, 4, 9)

    with pytest.raises(ApplicationError) as err:
        sign(tech, evaluator_user, garbing, dt.date(2025, 3, 30), measurement=0)
    assert "initial assessment only" in str(err.value)
    sign(tech, evaluator_user, plain, dt.date(2025, 3, 30))
    sign(tech, evaluator_user, surface, dt.date(2025, 3, 30), measurement=1)
    sign(tech, evaluator_user, media, dt.date(2025, 4, 2), measurement=3)

    standing = _status(tech, sterile, dt.date(2025, 4, 15))
    assert (standing.status, standing.round_number, standing.achieved_on, standing.expires_on) == (
        "achieved",
        2,
        dt.date(2025, 4, 2),
        dt.date(2025, 7, 2),
    )


@pytest.mark.parametrize(
    ("code", "category", "months"),
    [
        ("STERILE_797", "1", 6),
        ("STERILE_797", "2", 6),
        ("STERILE_797", "3", 3),
        ("STERILE_797", "", 6),  # no category on the site: the competency's own default
        ("STERILE_DIDACTIC", "3", 12),
        ("STERILE_DIDACTIC", "", 12),
        ("DISPENSING", "3", 12),
    ],
)
def test_usp797_intervals_follow_the_compounding_category(db, code, category, months):
    competency = Competency.objects.get(code=code)

    assert revalidation_interval(competency=competency, compounding_category=category) == months


# ---------------------------------------------------------------------------------------------
# Tech-check-tech validation
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def tct(db):
    return Competency.objects.get(code="TCT")


def _log_days(tech, pharmacist, rows):
    for day, checks, errors in rows:
        TctValidationLog.objects.create(
            technician=tech, checked_on=day, verifications=checks, errors=errors, audited_by=pharmacist
        )


def test_tct_validation_passes_at_500_checks_5_days_and_99_8_percent(tech_a, evaluator_user, tct):
    validation = tct.items.get(measure=ChecklistItem.Measure.TCT)
    # 5 days, 100 checks each = 500 checks; 1 error -> 499/500 = 99.80 %.
    _log_days(tech_a, evaluator_user, [(dt.date(2025, 5, d), 100, 1 if d == 12 else 0) for d in (12, 13, 14, 15, 16)])

    [signoff] = sign(tech_a, evaluator_user, validation, dt.date(2025, 5, 20))

    assert (signoff.result, signoff.measurement) == ("pass", Decimal("99.80"))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        # 2 errors in 500: 498/500 = 99.60 %
        (
            [(dt.date(2025, 5, d), 100, 2 if d == 12 else 0) for d in (12, 13, 14, 15, 16)],
            "500 of 500 checks, 5 of 5 days, 99.60 % accuracy (target 99.80 %)",
        ),
        # 500 checks, no error, but over 4 days only
        (
            [(dt.date(2025, 5, d), 125, 0) for d in (12, 13, 14, 15)],
            "500 of 500 checks, 4 of 5 days, 100.00 % accuracy (target 99.80 %)",
        ),
        # 5 days, 480 checks
        (
            [(dt.date(2025, 5, d), 96, 0) for d in (12, 13, 14, 15, 16)],
            "480 of 500 checks, 5 of 5 days, 100.00 % accuracy (target 99.80 %)",
        ),
    ],
    ids=["accuracy", "days", "checks"],
)
def test_tct_validation_short_of_its_target_is_refused(tech_a, evaluator_user, tct, rows, message):
    validation = tct.items.get(measure=ChecklistItem.Measure.TCT)
    _log_days(tech_a, evaluator_user, rows)

    with pytest.raises(ApplicationError) as err:
        sign(tech_a, evaluator_user, validation, dt.date(2025, 5, 20))

    assert str(err.value) == f"The tech-check-tech validation is not complete: {message}."
    assert SignOff.objects.count() == 0


def test_tct_log_service_refuses_self_and_impossible_counts(tech_a, evaluator_user):
    with pytest.raises(ApplicationError):
        competencies_services.tct_log_record(
            technician=evaluator_user.technician,
            audited_by=evaluator_user,
            checked_on=dt.date(2025, 5, 1),
            verifications=100,
            errors=0,
        )
    with pytest.raises(ApplicationError) as err:
        competencies_services.tct_log_record(
            technician=tech_a, audited_by=evaluator_user, checked_on=dt.date(2025, 5, 1), verifications=10, errors=11
        )
    assert err.value.field == "errors"


def test_an_evaluator_of_another_site_is_no_evaluator_here(site_b, tech_a, intake):
    other = UserFactory(role=User.Role.EVALUATOR, sites=[site_b])
    from competencies.permissions import can_sign_off

    assert can_sign_off(other, tech_a) is False
