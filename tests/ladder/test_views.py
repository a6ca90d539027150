"""The ladder pages: the career map, the sign-off screen, evaluations, the promotion queue and
ready list, tracks, logs and mentoring; query counts that do not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careerladder.core.dates import add_months
from competencies.models import ChecklistItem, Competency, SignOff, TctValidationLog
from tests.factories import TechnicianFactory
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, items_of, set_requirements, sign
from tiers import services
from tiers.models import Evaluation, Promotion, Tier
from tracks import services as tracks_services


def _today():
    return timezone.localdate()


@pytest.fixture
def two_items(db):
    """Tech II asks for one two-item competency, a CPhT, an average of 3.00 and 6 months."""
    competency = CompetencyFactory(code="MAP_X", name="Map basics", items=2)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    return competency


@pytest.fixture
def almost(tech_a, evaluator_user, manager_user, two_items):
    """tech_a misses only the second item of Map basics."""
    sign(tech_a, evaluator_user, items_of(two_items)[0], _today() - dt.timedelta(days=3))
    certify(tech_a, "CPHT", issued_on=_today() - dt.timedelta(days=60))
    for back in (3, 2, 1):
        evaluate(tech_a, manager_user, add_months(_today().replace(day=1), -back), 4)
    return tech_a


def test_me_is_a_career_map_with_what_to_do_next(client_for, technician_user, almost):
    response = client_for(technician_user).get("/me/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your career map" in html
    assert "Pharmacy Technician I" in html and "Pharmacy Technician II" in html
    assert "3 of 4 requirements met" in html
    assert "Map basics: 1 of 2 checklist items signed off. Still to sign: Map basics task 2." in html
    assert "Ask your evaluator to observe and sign off the remaining items." in html
    assert 'aria-valuenow="75"' in html


def test_technician_page_offers_the_manager_the_ladder_actions(client_for, manager_user, almost):
    html = client_for(manager_user).get(f"/technicians/{almost.pk}/").content.decode()

    assert "Career map" in html
    assert f"/technicians/{almost.pk}/signoffs/" in html
    assert f"/technicians/{almost.pk}/evaluations/" in html
    assert f"/technicians/{almost.pk}/promote/" in html


def test_signoff_screen_signs_several_items_in_one_go(client_for, evaluator_user, tech_a):
    dispensing = items_of(Competency.objects.get(code="DISPENSING"))
    client = client_for(evaluator_user)

    page = client.get(f"/technicians/{tech_a.pk}/signoffs/")
    response = client.post(
        f"/technicians/{tech_a.pk}/signoffs/",
        {
            "signed_on": _today().isoformat(),
            "method": "demonstration",
            "result": "pass",
            "comment": "Morning fill",
            "item": [str(i.pk) for i in dispensing[:4]],
        },
    )

    assert page.status_code == 200
    assert "Sign off competencies: Alice Archer" in page.content.decode()
    assert response.status_code == 302
    assert SignOff.objects.filter(technician=tech_a, method="demonstration", comment="Morning fill").count() == 4
    follow = client.get(response["Location"]).content.decode()
    assert "4 sign-offs recorded for Alice Archer." in follow


def test_signoff_screen_takes_cfu_counts_and_shows_errors(client_for, evaluator_user, tech_a):
    sterile = Competency.objects.get(code="STERILE_797")
    media = sterile.items.get(text__icontains="thumb sampling after the media fill")
    client = client_for(evaluator_user)

    missing_count = client.post(
        f"/technicians/{tech_a.pk}/signoffs/",
        {"signed_on": _today().isoformat(), "method": "observation", "result": "pass", "item": [str(media.pk)]},
    )
    counted = client.post(
        f"/technicians/{tech_a.pk}/signoffs/",
        {
            "signed_on": _today().isoformat(),
            "method": "observation",
            "result": "pass",
            "item": [str(media.pk)],
            f"measurement-{media.pk}": "5",
        },
    )

    assert missing_count.status_code == 200
    assert "Enter the colony count (CFU)" in missing_count.content.decode()
    assert counted.status_code == 302
    assert SignOff.objects.get(item=media).result == "fail"  # 5 CFU > 3


def test_signoff_screen_is_not_for_the_technician_nor_hr(client_for, technician_user, hr_user, evaluator_user, tech_a):
    assert client_for(technician_user).get(f"/technicians/{tech_a.pk}/signoffs/").status_code == 404
    assert client_for(hr_user).get(f"/technicians/{tech_a.pk}/signoffs/").status_code == 404
    own = evaluator_user.technician
    assert client_for(evaluator_user).get(f"/technicians/{own.pk}/signoffs/").status_code == 404


def _sign_many(tech, evaluator, count: int) -> None:
    plain = list(
        ChecklistItem.objects.filter(measure="", initial_only=False, competency__active=True)
        .select_related("competency")
        .order_by("competency__code", "position")[:count]
    )
    assert len(plain) == count
    for item in plain:
        sign(tech, evaluator, item, _today() - dt.timedelta(days=2))


def test_signoff_screen_query_count_is_flat(client_for, evaluator_user, site_a):
    few = TechnicianFactory(site=site_a)
    many = TechnicianFactory(site=site_a)
    _sign_many(few, evaluator_user, 5)
    _sign_many(many, evaluator_user, 50)
    client = client_for(evaluator_user)
    client.get(f"/technicians/{few.pk}/signoffs/")  # warm the session

    with CaptureQueriesContext(connection) as with_5:
        assert client.get(f"/technicians/{few.pk}/signoffs/").status_code == 200
    with CaptureQueriesContext(connection) as with_50:
        assert client.get(f"/technicians/{many.pk}/signoffs/").status_code == 200

    assert SignOff.objects.filter(technician=many).count() == 50
    assert len(with_5) == len(with_50), "the sign-off screen's queries grow with its rows"
    assert len(with_50) <= 30


def _pending_promotions(site, manager, count: int) -> None:
    for _ in range(count):
        tech = TechnicianFactory(site=site)
        services.promotion_nominate(technician=tech, nominated_by=manager, effective_date=_today())


def test_promotion_queue_query_count_is_flat(client_for, manager_user, site_a, two_items):
    client = client_for(manager_user)
    _pending_promotions(site_a, manager_user, 5)
    client.get("/promotions/")
    with CaptureQueriesContext(connection) as with_5:
        response = client.get("/promotions/")
    assert response.content.decode().count("Review<span") == 5

    _pending_promotions(site_a, manager_user, 45)
    with CaptureQueriesContext(connection) as with_50:
        response = client.get("/promotions/")

    assert response.content.decode().count("Review<span") == 50
    assert len(with_5) == len(with_50), "the promotion queue's queries grow with its rows"
    assert len(with_50) <= 30


def test_promotion_queue_shows_eligibility_and_the_manager_approves(
    client_for, manager_user, almost, evaluator_user, two_items
):
    promotion = services.promotion_nominate(technician=almost, nominated_by=manager_user, effective_date=_today())
    client = client_for(manager_user)

    queue = client.get("/promotions/").content.decode()
    assert "1 missing" in queue
    refused = client.post(f"/promotions/{promotion.pk}/approve/")
    promotion.refresh_from_db()
    assert (refused.status_code, promotion.status) == (302, "pending")

    sign(almost, evaluator_user, items_of(two_items)[1], _today())
    detail = client.get(f"/promotions/{promotion.pk}/").content.decode()
    assert "Eligible" in detail
    approved = client.post(f"/promotions/{promotion.pk}/approve/")

    promotion.refresh_from_db()
    assert (approved.status_code, approved["Location"], promotion.status) == (302, "/promotions/", "approved")
    assert almost.tier_assignments.get(end_date__isnull=True).tier.code == "TECH2"


def test_ready_list_shows_who_is_eligible_and_who_is_close(
    client_for, manager_user, almost, evaluator_user, two_items, site_a
):
    ready = TechnicianFactory(site=site_a, first_name="Rita", last_name="Ready")
    achieve(ready, evaluator_user, two_items, _today() - dt.timedelta(days=1))
    certify(ready, "CPHT", issued_on=_today() - dt.timedelta(days=60))
    for back in (3, 2, 1):
        evaluate(ready, manager_user, add_months(_today().replace(day=1), -back), 3)

    html = client_for(manager_user).get(f"/promotions/ready/?site={site_a.pk}").content.decode()

    eligible_part, close_part = html.split("Close: one or two requirements away")
    assert "Rita Ready" in eligible_part and "Alice Archer" not in eligible_part
    assert "Alice Archer" in close_part
    assert "Still to sign: Map basics task 2." in close_part


def test_manager_records_an_evaluation_and_the_technician_acknowledges(
    client_for, manager_user, technician_user, tech_a
):
    month = _today().replace(day=1)
    response = client_for(manager_user).post(
        f"/technicians/{tech_a.pk}/evaluations/",
        {
            "month": month.strftime("%Y-%m"),
            "accuracy": 4,
            "productivity": 3,
            "teamwork": 5,
            "compliance": 4,
            "communication": 4,
            "comments": "Great on the billing rejects.",
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(technician=tech_a)
    assert (evaluation.month, str(evaluation.overall)) == (month, "4.00")

    technician = client_for(technician_user)
    me = technician.get("/me/").content.decode()
    assert "Acknowledge" in me
    assert technician.post(f"/technicians/{tech_a.pk}/evaluations/", {}).status_code == 403
    ack = technician.post(f"/evaluations/{evaluation.pk}/acknowledge/", {"comment": "Thank you"})
    evaluation.refresh_from_db()
    assert (ack.status_code, ack["Location"], evaluation.technician_comment) == (302, "/me/", "Thank you")


def test_hr_edits_tier_requirements_and_competencies_on_pages(client_for, hr_user, manager_user):
    tier = Tier.objects.get(code="LEAD")
    mentoring = Competency.objects.get(code="MENTORING")
    assert client_for(manager_user).get(f"/ladder/tiers/{tier.pk}/edit/").status_code == 404
    client = client_for(hr_user)  # the same test client, now logged in as hr
    response = client.post(
        f"/ladder/tiers/{tier.pk}/edit/",
        {
            "expected_months": 48,
            "duties": "Scheduling and training.",
            "min_evaluation_average": "3.75",
            "min_months_in_prior_tier": 18,
            "required_competencies": [mentoring.pk],
            "min_specialty_competencies": 0,
            "required_certifications": [],
        },
    )
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (str(tier.min_evaluation_average), tier.min_months_in_prior_tier) == ("3.75", 18)
    assert list(tier.required_competencies.values_list("code", flat=True)) == ["MENTORING"]
    assert list(tier.required_certifications.all()) == []

    created = client.post(
        "/ladder/competencies/new/",
        {
            "code": "DELIVERY",
            "name": "Home delivery",
            "category": "operations",
            "revalidation_months": 24,
            "usp797_kind": "",
            "description": "",
            "active": "on",
            "items-TOTAL_FORMS": 3,
            "items-INITIAL_FORMS": 0,
            "items-0-text": "Checks patient identity at the door",
            "items-0-passes_required": 1,
            "items-1-text": "Keeps the cold chain in the van",
            "items-1-passes_required": 1,
            "items-2-text": "",
            "items-2-passes_required": 1,
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    assert list(Competency.objects.get(code="DELIVERY").items.values_list("text", flat=True)) == [
        "Checks patient identity at the door",
        "Keeps the cold chain in the van",
    ]


def test_ladder_tracks_and_mentoring_pages_render(client_for, users, evaluator_user, tech_a, manager_user):
    tracks_services.mentor_assign(technician=tech_a, mentor=evaluator_user.technician, assigned_by=manager_user)
    for role in ("technician", "evaluator", "manager", "hr", "admin"):
        client = client_for(users[role])
        assert client.get("/ladder/").status_code == 200, role
        assert client.get("/tracks/").status_code == 200, role
    assert client_for(users["technician"]).get("/mentoring/").status_code == 404  # no mentees
    mentoring = client_for(evaluator_user).get("/mentoring/").content.decode()
    assert "Your mentees" in mentoring and "Alice Archer" in mentoring
    assert (
        "Sterile compounding: garbing and aseptic technique (USP &lt;797&gt;)"
        in client_for(users["hr"]).get("/ladder/").content.decode()
    )


def test_technician_enrols_on_a_track_from_the_page(client_for, technician_user, tech_a):
    from tracks.models import TrackPosition

    position = TrackPosition.objects.get(code="MED_HISTORY_TECH")

    response = client_for(technician_user).post("/tracks/enrol/", {"position": position.pk})

    assert (response.status_code, response["Location"]) == (302, "/me/")
    assert tech_a.enrolments.get().position == position
    assert "Medication History Technician" in client_for(technician_user).get("/me/").content.decode()


@pytest.mark.parametrize("position", ["abc", "-1", "1e9", str(2**64)])
def test_enrolling_with_a_position_that_is_no_id_asks_for_one(client_for, technician_user, tech_a, position):
    client = client_for(technician_user)

    response = client.post("/tracks/enrol/", {"position": position})

    assert (response.status_code, response["Location"]) == (302, "/tracks/")
    assert not tech_a.enrolments.exists()
    assert "Choose a position to aim for." in client.get("/tracks/").content.decode()


def test_logs_page_records_tct_days_and_hours(client_for, evaluator_user, tech_a):
    client = client_for(evaluator_user)

    tct = client.post(
        f"/technicians/{tech_a.pk}/logs/",
        {"log": "tct", "tct-checked_on": _today().isoformat(), "tct-verifications": 120, "tct-errors": 0},
    )
    hours = client.post(
        f"/technicians/{tech_a.pk}/logs/",
        {
            "log": "hours",
            "hours-kind": "shadowing",
            "hours-worked_on": _today().isoformat(),
            "hours-hours": "4",
            "hours-activity": "Shadowed the pharmacy manager's schedule build",
        },
    )

    assert (tct.status_code, hours.status_code) == (302, 302)
    assert TctValidationLog.objects.get(technician=tech_a).verifications == 120
    page = client.get(f"/technicians/{tech_a.pk}/logs/").content.decode()
    assert "120</strong> checks" in page


def test_promotion_pages_are_scoped(client_for, manager_user, tech_b, site_b):
    from technicians.models import User
    from tests.factories import UserFactory

    manager_b = UserFactory(role=User.Role.MANAGER, sites=[site_b])
    promotion = services.promotion_nominate(technician=tech_b, nominated_by=manager_b, effective_date=_today())

    assert client_for(manager_user).get(f"/promotions/{promotion.pk}/").status_code == 404
    assert client_for(manager_user).post(f"/promotions/{promotion.pk}/approve/").status_code == 404
    assert Promotion.objects.get(pk=promotion.pk).status == "pending"
