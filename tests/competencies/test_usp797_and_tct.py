"""USP <797> per-technician compounding category and policy, the media fill's surface sample,
tech-check-tech rules by state and ongoing tech-check-tech competence (PRODUCT.md section 2,
"Competencies and checklists" and "Authorised duties"). Dates are worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careerladder.core.errors import ApplicationError
from competencies import selectors as competencies_selectors
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency, CompetencyPolicy, CompetencyRound, TctRule, TctValidationLog
from technicians.selectors import compounding_category_of
from tests.factories import SiteFactory, TechnicianFactory
from tests.ladder.factories import items_of, sign
from tests.rules.edges import edit_form
from tiers.selectors import ladder_standing, signoff_sheet
from training.selectors import duty_standings


@pytest.fixture
def sterile(db):
    return Competency.objects.get(code="STERILE_797")


@pytest.fixture
def cat2_site(db):
    return SiteFactory(code="CAT2", name="Infusion Centre", kind="hospital", state="OH", compounding_category="2")


def _item(competency, fragment):
    return competency.items.get(text__icontains=fragment)


def _achieve_sterile(tech, evaluator, sterile, day, *, surface_cfu=0):
    """Round 1 of STERILE_797, every item on ``day`` (3 garbing passes the 3 days before)."""
    garbing = _item(sterile, "0 CFU on 3 tests")
    media = _item(sterile, "thumb sampling after the media fill")
    surface = _item(sterile, "surface sample")
    plain = [i for i in items_of(sterile) if i.pk not in (garbing.pk, media.pk, surface.pk)]
    for back in (3, 2, 1):
        sign(tech, evaluator, garbing, day - dt.timedelta(days=back), measurement=0)
    sign(tech, evaluator, plain, day)
    sign(tech, evaluator, media, day, measurement=1)
    return sign(tech, evaluator, surface, day, measurement=surface_cfu)


# ---- compounding category per technician --------------------------------------------------------


def test_a_category_3_technician_at_a_category_2_site_is_due_after_3_months(cat2_site, evaluator_user, sterile):
    evaluator_user.sites.add(cat2_site)
    tech = TechnicianFactory(site=cat2_site, hire_date=dt.date(2025, 6, 2), compounding_category="3")
    colleague = TechnicianFactory(site=cat2_site, hire_date=dt.date(2025, 6, 2))

    _achieve_sterile(tech, evaluator_user, sterile, dt.date(2026, 1, 15))
    _achieve_sterile(colleague, evaluator_user, sterile, dt.date(2026, 1, 15))

    assert compounding_category_of(tech) == "3"
    assert compounding_category_of(colleague) == "2"
    # Category 3: 2026-01-15 + 3 months = 2026-04-15; the site's Category 2: + 6 months.
    assert ladder_standing(technician=tech, today=dt.date(2026, 2, 1)).competencies[sterile.pk].expires_on == (
        dt.date(2026, 4, 15)
    )
    assert ladder_standing(technician=colleague, today=dt.date(2026, 2, 1)).competencies[
        sterile.pk
    ].expires_on == dt.date(2026, 7, 15)


def test_the_technician_page_and_site_page_show_the_category(client_for, manager_user, site_a):
    site_a.compounding_category = "2"
    site_a.save()
    own = TechnicianFactory(site=site_a, first_name="Cora", last_name="Cleanroom", compounding_category="3")
    TechnicianFactory(site=site_a, first_name="Dan", last_name="Default")
    client = client_for(manager_user)

    detail = client.get(f"/technicians/{own.pk}/").content.decode()
    site_page = client.get(f"/sites/{site_a.pk}/").content.decode()

    assert 'Category 3 <span class="text-secondary">(own; site: Category 2)</span>' in detail
    assert "Site default: <strong>Category 2</strong>. 1 technician with a category of their own:" in site_page
    assert "Cora Cleanroom</a>: Category 3" in site_page


def test_the_technician_form_edits_the_category_and_refuses_a_bad_one(client_for, manager_user, tech_a):
    client = client_for(manager_user)
    form = edit_form(tech_a)

    bad = client.post(f"/technicians/{tech_a.pk}/edit/", {**form, "compounding_category": "4"})
    tech_a.refresh_from_db()
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()
    assert tech_a.compounding_category == ""

    good = client.post(f"/technicians/{tech_a.pk}/edit/", {**form, "compounding_category": "3"})
    tech_a.refresh_from_db()
    assert good.status_code == 302
    assert tech_a.compounding_category == "3"


# ---- the USP <797> policy -------------------------------------------------------------------------


def test_a_policy_change_of_an_interval_applies_to_the_next_achievement_with_history(
    cat2_site, evaluator_user, hr_user, sterile
):
    evaluator_user.sites.add(cat2_site)
    tech = TechnicianFactory(site=cat2_site, hire_date=dt.date(2025, 6, 2))

    competencies_services.competency_policy_update(data={"garbing_months_cat2": 4}, updated_by=hr_user)
    _achieve_sterile(tech, evaluator_user, sterile, dt.date(2026, 1, 15))

    round_ = CompetencyRound.objects.get(technician=tech, competency=sterile)
    # 2026-01-15 + 4 months = 2026-05-15.
    assert (round_.interval_months, round_.expires_on) == (4, dt.date(2026, 5, 15))
    record = CompetencyPolicy.history.latest("history_date")
    assert record.history_user == hr_user
    assert record.history_change_reason == "Garbing and media fill, Category 2 (months): 6 \u2192 4"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"garbing_months_cat3": 0}, "garbing_months_cat3"),
        ({"didactic_months": 99}, "didactic_months"),
        ({"garbing_consecutive": "maybe"}, "garbing_consecutive"),
        ({"tct_window": 3}, None),
    ],
)
def test_a_bad_policy_value_is_refused_and_nothing_changes(hr_user, data, field):
    before = CompetencyPolicy.history.count()

    with pytest.raises(ApplicationError) as err:
        competencies_services.competency_policy_update(data=data, updated_by=hr_user)

    assert field is None or field in err.value.field_errors
    assert CompetencyPolicy.history.count() == before
    policy = CompetencyPolicy.objects.get(pk=1)
    assert (policy.garbing_months_cat3, policy.didactic_months, policy.garbing_consecutive) == (3, 12, True)


def test_non_consecutive_policy_counts_three_passes_with_a_fail_between(site_a, evaluator_user, hr_user, sterile):
    site_a.compounding_category = "2"
    site_a.save()
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15))
    garbing = _item(sterile, "0 CFU on 3 tests")
    media = _item(sterile, "thumb sampling after the media fill")
    surface = _item(sterile, "surface sample")
    plain = [i for i in items_of(sterile) if i.pk not in (garbing.pk, media.pk, surface.pk)]
    competencies_services.competency_policy_update(data={"garbing_consecutive": False}, updated_by=hr_user)

    sign(tech, evaluator_user, plain, dt.date(2025, 1, 6))
    sign(tech, evaluator_user, [media, surface], dt.date(2025, 1, 6), measurement=0)
    for day, cfu in ((7, 0), (8, 2), (9, 0), (10, 0)):  # pass, FAIL, pass, pass: 3 passes
        sign(tech, evaluator_user, garbing, dt.date(2025, 1, day), measurement=cfu)

    standing = ladder_standing(technician=tech, today=dt.date(2025, 2, 1)).competencies[sterile.pk]
    # Achieved on the third pass, 2025-01-10; Category 2: + 6 months.
    assert (standing.status, standing.achieved_on, standing.expires_on) == (
        "achieved",
        dt.date(2025, 1, 10),
        dt.date(2025, 7, 10),
    )


def test_hr_edits_the_policy_on_its_page_and_sees_the_history(client_for, hr_user, manager_user):
    client = client_for(hr_user)
    post = {
        "action": "policy",
        "policy-garbing_months_cat1": "6",
        "policy-garbing_months_cat2": "6",
        "policy-garbing_months_cat3": "2",
        "policy-didactic_months": "12",
        "policy-garbing_consecutive": "on",
    }

    response = client.post("/ladder/competencies/policy/", post)
    page = client.get("/ladder/competencies/policy/").content.decode()

    assert response.status_code == 302
    assert CompetencyPolicy.objects.get(pk=1).garbing_months_cat3 == 2
    assert "Garbing and media fill, Category 3 (months): 3 \u2192 2" in page
    # A manager reads it, but may not change it.
    assert client_for(manager_user).get("/ladder/competencies/policy/").status_code == 200
    assert client_for(manager_user).post("/ladder/competencies/policy/", post).status_code == 403


def test_a_bad_policy_value_on_the_page_is_shown_and_nothing_changes(client_for, hr_user):
    response = client_for(hr_user).post(
        "/ladder/competencies/policy/",
        {
            "action": "policy",
            "policy-garbing_months_cat1": "6",
            "policy-garbing_months_cat2": "6",
            "policy-garbing_months_cat3": "0",
            "policy-didactic_months": "12",
        },
    )

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert CompetencyPolicy.objects.get(pk=1).garbing_months_cat3 == 3


# ---- the media fill's surface sample -------------------------------------------------------------


def test_the_seeded_checklist_has_the_surface_sample_after_the_media_fill(sterile):
    media = _item(sterile, "thumb sampling after the media fill")
    surface = _item(sterile, "surface sample")

    assert (surface.measure, surface.max_cfu, surface.passes_required, surface.initial_only) == ("cfu", 3, 1, False)
    assert surface.position == media.position + 1


def test_a_media_fill_failed_by_its_surface_sample_keeps_the_competency_from_being_achieved(
    client_for, site_a, evaluator_user, sterile
):
    site_a.compounding_category = "2"
    site_a.save()
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15), first_name="Sam", last_name="Surface")

    [surface_signoff] = _achieve_sterile(tech, evaluator_user, sterile, dt.date(2025, 3, 10), surface_cfu=5)

    assert surface_signoff.result == "fail"
    standing = ladder_standing(technician=tech, today=dt.date(2025, 4, 1)).competencies[sterile.pk]
    assert standing.status == "in_progress"
    assert [i.text for i in standing.items_to_sign] == [_item(sterile, "surface sample").text]
    sheet = signoff_sheet(technician=tech, today=dt.date(2025, 4, 1))
    row = next(c for c in sheet["competencies"] if c.competency.pk == sterile.pk)
    assert [f.failure for f in row.failed_items] == ["fail: 5 CFU, limit 3"]

    page = client_for(evaluator_user).get(f"/technicians/{tech.pk}/signoffs/").content.decode()
    assert "fail: 5 CFU, limit 3" in page
    assert "Not passed:" in page


# ---- tech-check-tech rules by state ------------------------------------------------------------


def test_the_default_rule_is_wisconsins_from_the_seeded_item(db):
    rule = competencies_selectors.tct_rule_for(state="")

    assert (rule.min_checks, rule.min_days, rule.min_accuracy, rule.ongoing_window_months, rule.idle_months) == (
        500,
        5,
        Decimal("99.80"),
        12,
        6,
    )


def _log(tech, pharmacist, rows):
    for day, checks, errors in rows:
        TctValidationLog.objects.create(
            technician=tech, checked_on=day, verifications=checks, errors=errors, audited_by=pharmacist
        )


def test_the_state_rule_is_chosen_by_the_site_state(db, evaluator_user, hr_user):
    md_site = SiteFactory(code="MD1", state="MD")
    evaluator_user.sites.add(md_site)
    tech = TechnicianFactory(site=md_site, hire_date=dt.date(2024, 1, 15))
    tct = Competency.objects.get(code="TCT")
    validation = tct.items.get(measure=ChecklistItem.Measure.TCT)
    competencies_services.tct_rule_save(
        state="MD", data={"min_checks": 1500, "min_days": 5, "min_accuracy": Decimal("99.80")}, updated_by=hr_user
    )
    # 500 checks over 5 days without error: Wisconsin's default is met, Maryland's 1,500 are not.
    _log(tech, evaluator_user, [(dt.date(2025, 5, d), 100, 0) for d in (12, 13, 14, 15, 16)])

    with pytest.raises(ApplicationError) as err:
        sign(tech, evaluator_user, validation, dt.date(2025, 5, 20))

    assert "500 of 1500 checks, 5 of 5 days, 100.00 % accuracy (target 99.80 %)" in str(err.value)
    assert TctRule.history.filter(state="MD").latest("history_date").history_user == hr_user
    assert competencies_selectors.tct_rule_for(state="OH").min_checks == 500


@pytest.mark.parametrize(
    ("state", "data", "field"),
    [
        ("ZZ", {"min_checks": 500}, "state"),
        ("WI", {"min_checks": 0}, "min_checks"),
        ("WI", {"min_accuracy": Decimal("100.5")}, "min_accuracy"),
        ("WI", {"idle_months": 0}, "idle_months"),
    ],
)
def test_a_bad_tct_rule_is_refused_and_nothing_is_written(hr_user, state, data, field):
    with pytest.raises(ApplicationError) as err:
        competencies_services.tct_rule_save(state=state, data=data, updated_by=hr_user)

    assert field in err.value.field_errors
    assert list(TctRule.objects.values_list("state", flat=True)) == [""]


def test_the_default_rule_cannot_be_removed(hr_user):
    with pytest.raises(ApplicationError):
        competencies_services.tct_rule_delete(rule_id=TctRule.objects.get(state="").pk, deleted_by=hr_user)
    assert TctRule.objects.filter(state="").exists()


def test_hr_adds_a_state_rule_on_the_page(client_for, hr_user, evaluator_user):
    client = client_for(hr_user)
    post = {
        "action": "rule",
        "rule-state": "OR",
        "rule-min_checks": "1500",
        "rule-min_days": "5",
        "rule-min_accuracy": "99.80",
        "rule-ongoing_window_months": "12",
        "rule-idle_months": "6",
    }

    assert client.post("/ladder/competencies/policy/", post).status_code == 302
    assert TctRule.objects.get(state="OR").min_checks == 1500
    assert "OR rule created" in client.get("/ladder/competencies/policy/").content.decode()
    assert client_for(evaluator_user).post("/ladder/competencies/policy/", post).status_code == 403


# ---- ongoing tech-check-tech competence -----------------------------------------------------------


def _validate_tct(tech, evaluator, day):
    """Achieve TCT on ``day``: the written test, the log's 500 checks over the 5 days before."""
    tct = Competency.objects.get(code="TCT")
    _log(tech, evaluator, [(day - dt.timedelta(days=back), 100, 0) for back in (5, 4, 3, 2, 1)])
    sign(tech, evaluator, items_of(tct), day)
    return tct


def _product_verification(tech, on):
    return next(s for s in duty_standings(technicians=[tech], on=on)[tech.pk] if s.duty.code == "PRODUCT_VERIFICATION")


def test_tct_duty_is_withdrawn_after_6_idle_months_and_restored_by_revalidation(tech_a, evaluator_user):
    _validate_tct(tech_a, evaluator_user, dt.date(2025, 1, 10))
    _log(tech_a, evaluator_user, [(dt.date(2025, 2, 3), 80, 0)])

    # Last check 2025-02-03 + 6 months = 2025-08-03: authorised the day before, withdrawn from then.
    assert _product_verification(tech_a, dt.date(2025, 8, 2)).authorised is True
    withdrawn = _product_verification(tech_a, dt.date(2025, 8, 3))
    assert withdrawn.authorised is False
    assert withdrawn.missing == ["product verification withdrawn: no checks since 2025-02-03"]

    _validate_tct(tech_a, evaluator_user, dt.date(2025, 8, 20))

    assert _product_verification(tech_a, dt.date(2025, 8, 21)).authorised is True


def test_tct_duty_is_withdrawn_for_12_month_accuracy_below_the_threshold(tech_a, evaluator_user):
    _validate_tct(tech_a, evaluator_user, dt.date(2025, 1, 10))
    # After the validation: 1,000 checks with 5 errors = 99.50 %.
    _log(tech_a, evaluator_user, [(dt.date(2025, 3, 3), 500, 2), (dt.date(2025, 4, 7), 500, 3)])

    standing = _product_verification(tech_a, dt.date(2025, 5, 1))

    assert standing.authorised is False
    assert str(standing.withdrawn) == "12-month accuracy 99.50 % below 99.80 %"


def test_the_technician_page_shows_why_product_verification_was_withdrawn(client_for, manager_user, tech_a):
    from django.utils import timezone

    today = timezone.localdate()
    _validate_tct(tech_a, manager_user, today - dt.timedelta(days=220))

    page = client_for(manager_user).get(f"/technicians/{tech_a.pk}/").content.decode()

    since = (today - dt.timedelta(days=220)).isoformat()
    assert f"product verification withdrawn: no checks since {since}" in page
