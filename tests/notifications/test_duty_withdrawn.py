"""A duty withdrawn for ongoing tech-check-tech competence is told to the managers of the
technician's site, once per withdrawal, and shown on the manager's warning list.

Wisconsin's default rule (Wis. Admin. Code Phar 7.14, ``competencies.selectors``): 500 checks
over 5 days at 99.80 % to validate; withdrawn after 6 months without a check, or when the
12-month accuracy falls below 99.80 %. Dates below are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competencies.models import Competency, CompetencyRound, TctValidationLog
from notifications import selectors
from notifications.models import Notification
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.ladder.factories import items_of, sign
from tests.notifications.conftest import D, run

pytestmark = pytest.mark.django_db

REVALIDATE = "Revalidate before scheduling them at the verification station."


def _log(tech, pharmacist, rows):
    for day, checks, errors in rows:
        TctValidationLog.objects.create(
            technician=tech, checked_on=day, verifications=checks, errors=errors, audited_by=pharmacist
        )


def _validate_tct(tech, evaluator, day, *, checks_a_day=100):
    """Achieve TCT on ``day``: the written test, and ``checks_a_day`` error-free checks on each
    of the 5 days before (the log since the last validation must meet the rule)."""
    _log(tech, evaluator, [(day - dt.timedelta(days=back), checks_a_day, 0) for back in (5, 4, 3, 2, 1)])
    sign(tech, evaluator, items_of(Competency.objects.get(code="TCT")), day)


def _withdrawn(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="duty_withdrawn").order_by("created_on", "id"))


@pytest.fixture
def alice(tech_a, technician_user, evaluator_user):
    """Alice Archer (site A, OH: the default rule) has the login ``technician``."""
    return tech_a


@pytest.fixture
def other_managers(site_a, site_b):
    return {
        "b": UserFactory(username="manager-b", role=User.Role.MANAGER, sites=[site_b]),
        "ab": UserFactory(username="manager-ab", role=User.Role.MANAGER, sites=[site_a, site_b]),
    }


def test_six_idle_months_tell_the_sites_managers_once(alice, evaluator_user, manager_user, other_managers):
    """Validated 2025-01-10, last check 2025-02-03: 2025-02-03 + 6 months = 2025-08-03 is the
    first day withdrawn. The managers of site A (manager, manager-ab) are told that day, once;
    site B's manager and Alice's own login are not; later runs add nothing."""
    _validate_tct(alice, evaluator_user, D(2025, 1, 10))
    _log(alice, evaluator_user, [(D(2025, 2, 3), 80, 0)])

    run(D(2025, 8, 2))
    assert Notification.objects.filter(kind="duty_withdrawn").count() == 0

    summary = run(D(2025, 8, 3))

    [notice] = _withdrawn(manager_user)
    assert notice.title == "Product verification withdrawn for Alice Archer"
    assert notice.detail == f"No tech-check-tech checks since February 3, 2025. {REVALIDATE}"
    assert (notice.threshold, notice.escalated, notice.technician_id) == ("withdrawn", True, alice.pk)
    assert notice.link == f"/technicians/{alice.pk}/signoffs/"
    duty_id = notice.key.split(":")[2]
    assert notice.key == f"duty_withdrawn:{alice.pk}:{duty_id}:2025-01-10:idle-2025-02-03"
    assert [n.title for n in _withdrawn(other_managers["ab"])] == ["Product verification withdrawn for Alice Archer"]
    assert _withdrawn(other_managers["b"]) == []
    assert Notification.objects.filter(kind="duty_withdrawn", recipient__role=User.Role.TECHNICIAN).count() == 0
    assert summary.notices_created == 2

    again = run(D(2025, 8, 3))
    run(D(2025, 8, 4))
    run(D(2025, 9, 15))

    assert again.notices_created == 0
    assert len(_withdrawn(manager_user)) == 1
    assert Notification.objects.filter(kind="duty_withdrawn").count() == 2


def test_a_revalidation_then_a_new_idle_period_is_a_second_notice(alice, evaluator_user, manager_user):
    """Withdrawn 2025-08-03 (idle since 2025-02-03). Revalidated 2025-08-20: authorised again
    (the checks before it count for the validation, not after it). No check follows, so
    2025-08-20 + 6 months = 2026-02-20 withdraws it again, under the new validation."""
    _validate_tct(alice, evaluator_user, D(2025, 1, 10))
    _log(alice, evaluator_user, [(D(2025, 2, 3), 80, 0)])
    run(D(2025, 8, 3))
    _validate_tct(alice, evaluator_user, D(2025, 8, 20))

    run(D(2025, 8, 21))
    run(D(2026, 2, 19))
    assert len(_withdrawn(manager_user)) == 1

    run(D(2026, 2, 20))
    run(D(2026, 2, 21))

    first, second = _withdrawn(manager_user)
    assert first.key.endswith(":2025-01-10:idle-2025-02-03")
    assert second.key.endswith(":2025-08-20:idle-2025-08-20")
    assert second.created_on == D(2026, 2, 20)
    assert second.detail == f"No tech-check-tech checks since August 20, 2025. {REVALIDATE}"


def test_accuracy_below_the_threshold_is_told_once_while_the_figure_moves(
    alice, evaluator_user, manager_user, other_managers
):
    """Validated 2025-01-10. 2025-03-03: 500 checks, 2 errors = 99.60 % < 99.80 %: withdrawn
    that day. 2025-04-07 adds 500 checks with 3 errors (1,000 with 5 = 99.50 %): the same
    withdrawal, no second notice."""
    _validate_tct(alice, evaluator_user, D(2025, 1, 10))
    _log(alice, evaluator_user, [(D(2025, 3, 3), 500, 2)])

    run(D(2025, 3, 2))
    assert _withdrawn(manager_user) == []
    run(D(2025, 3, 3))
    _log(alice, evaluator_user, [(D(2025, 4, 7), 500, 3)])
    run(D(2025, 4, 7))
    run(D(2025, 4, 8))

    [notice] = _withdrawn(manager_user)
    assert notice.title == "Product verification withdrawn for Alice Archer"
    assert notice.detail == (
        "Tech-check-tech accuracy over the last 12 months was 99.60 % on March 3, 2025, "
        f"below the 99.80 % required. {REVALIDATE}"
    )
    assert notice.key.endswith(":2025-01-10:accuracy")
    assert len(_withdrawn(other_managers["ab"])) == 1
    assert _withdrawn(other_managers["b"]) == []


def test_accuracy_withdrawn_again_after_a_revalidation_is_a_second_notice(alice, evaluator_user, manager_user):
    """After the 99.50 % above, revalidation needs the log since 2025-01-10 at 99.80 %: 2,000
    more error-free checks (5 days of 400) make 3,000 with 5 errors = 99.83 %; achieved
    2025-05-20. 2025-06-02: 500 checks with 2 errors after it = 99.60 %: withdrawn again."""
    _validate_tct(alice, evaluator_user, D(2025, 1, 10))
    _log(alice, evaluator_user, [(D(2025, 3, 3), 500, 2), (D(2025, 4, 7), 500, 3)])
    run(D(2025, 4, 7))
    _validate_tct(alice, evaluator_user, D(2025, 5, 20), checks_a_day=400)
    assert CompetencyRound.objects.filter(technician=alice, achieved_on=D(2025, 5, 20)).exists()

    run(D(2025, 5, 21))
    assert len(_withdrawn(manager_user)) == 1
    _log(alice, evaluator_user, [(D(2025, 6, 2), 500, 2)])
    run(D(2025, 6, 2))
    run(D(2025, 6, 3))

    first, second = _withdrawn(manager_user)
    assert first.key.endswith(":2025-01-10:accuracy")
    assert second.key.endswith(":2025-05-20:accuracy")
    assert second.detail.startswith("Tech-check-tech accuracy over the last 12 months was 99.60 % on June 2, 2025")


def test_a_technician_without_login_is_told_and_a_terminated_one_is_not(site_a, evaluator_user, manager_user):
    no_login = TechnicianFactory(site=site_a, first_name="Nia", last_name="Noor")
    gone = TechnicianFactory(site=site_a, first_name="Gus", last_name="Gone")
    for tech in (no_login, gone):
        _validate_tct(tech, evaluator_user, D(2025, 1, 10))
    type(gone).objects.filter(pk=gone.pk).update(
        status="terminated", termination_date=D(2025, 6, 1), termination_type="voluntary"
    )

    run(D(2025, 7, 10))  # 2025-01-10 + 6 months, no check since the validation

    assert [n.title for n in _withdrawn(manager_user)] == ["Product verification withdrawn for Nia Noor"]
    assert _withdrawn(manager_user)[0].detail == f"No tech-check-tech checks since January 10, 2025. {REVALIDATE}"


def _due_queries(day) -> int:
    with CaptureQueriesContext(connection) as queries:
        items = list(selectors.duties_withdrawn(today=day))
    assert all(item.kind == "duty_withdrawn" for item in items)
    return len(queries)


def test_finding_withdrawals_takes_the_same_queries_for_one_or_four_technicians(site_a, site_b, evaluator_user):
    """No candidate costs one query; with candidates the count does not grow with them."""
    day = D(2025, 7, 10)
    assert _due_queries(day) == 1

    evaluator_user.sites.add(site_b)
    first = TechnicianFactory(site=site_a)
    _validate_tct(first, evaluator_user, D(2025, 1, 10))
    _due_queries(day)  # the configuration read once (ladder, rules) is then memoised
    one = _due_queries(day)
    assert len(list(selectors.duties_withdrawn(today=day))) == 1

    for site in (site_a, site_b, site_b):
        _validate_tct(TechnicianFactory(site=site), evaluator_user, D(2025, 1, 10))
    _due_queries(day)
    four = _due_queries(day)

    assert len(list(selectors.duties_withdrawn(today=day))) == 4
    assert four == one, (one, four)


def test_the_warning_list_shows_a_withdrawn_duty_first(client_for, manager_user, alice, evaluator_user):
    """The matrix page's warning list (``training.selectors.duties_lapsing``): validated 220
    days ago without a check since, product verification is withdrawn today."""
    today = timezone.localdate()
    validated = today - dt.timedelta(days=220)
    _validate_tct(alice, evaluator_user, validated)

    page = client_for(manager_user).get("/training/matrix/").content.decode()

    assert "Authorised duties withdrawn or lapsing within 30 days" in page
    assert (
        "Alice Archer</a> · Product verification (tech-check-tech): "
        f'<span class="badge text-bg-danger">Withdrawn</span> no checks since {validated:%Y-%m-%d}'
    ) in page


def test_the_notice_list_shows_the_withdrawal(client_for, manager_user, alice, evaluator_user):
    _validate_tct(alice, evaluator_user, D(2025, 1, 10))
    run(D(2025, 7, 10), send=False)

    page = client_for(manager_user).get("/notifications/").content.decode()

    assert "Withdrawn</span>" in page
    assert "Product verification withdrawn for Alice Archer" in page
    assert "Duty withdrawn" in page  # the kind, under the notice
