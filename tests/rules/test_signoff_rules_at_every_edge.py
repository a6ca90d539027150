"""The sign-off rules (PRODUCT.md section 1; ``competencies.services.signoff_record_many``):
nobody signs off their own checklist; evaluators and managers sign off technicians of their
own sites only; an administrator signs off anyone. At every edge that records a sign-off: the
sign-off page (``/technicians/<id>/signoffs/``), ``POST /api/v1/signoffs/``, the Django admin's
"add sign-off" form; and in the service itself, which is where the rule must hold for every
edge (the pages answer 404 and the API 403 from ``competencies.permissions.can_sign_off``
before the service is called).

Eve Evans (``evaluator_user``) is an evaluator of site A and a Lead technician there herself;
Alice Archer (``tech_a``) works at site A, Bob Baker (``tech_b``) at site B. No management
command records sign-offs.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from competencies import services as competencies_services
from competencies.models import Competency, CompetencyRound, SignOff
from tests.rules.edges import api_post

OWN = "You cannot sign off your own competencies."
NOT_YOURS = "You may not sign off this technician's competencies."
SIGNOFFS_API = "/api/v1/signoffs/"


@pytest.fixture
def item(db):
    """The first checklist item of the seeded Dispensing competency (a plain pass/fail item)."""
    return Competency.objects.get(code="DISPENSING").items.order_by("position").first()


def recorded() -> tuple[int, int, int]:
    """Sign-offs, their history rows and competency rounds: what a sign-off writes."""
    return SignOff.objects.count(), SignOff.history.count(), CompetencyRound.objects.count()


def sheet(client, technician, item):
    """The sign-off page, posted with one item ticked."""
    return client.post(
        f"/technicians/{technician.pk}/signoffs/",
        {
            "signed_on": timezone.localdate().isoformat(),
            "method": "observation",
            "result": "pass",
            "comment": "",
            "item": [str(item.pk)],
        },
    )


def api(client, technician, item):
    return api_post(
        client,
        SIGNOFFS_API,
        {
            "technician": technician.pk,
            "item": item.pk,
            "signed_on": timezone.localdate().isoformat(),
            "method": "observation",
        },
    )


# ---- no self sign-off -------------------------------------------------------------------------------


def test_the_sign_off_page_refuses_an_evaluator_their_own_checklist(client_for, evaluator_user, item):
    before = recorded()

    response = sheet(client_for(evaluator_user), evaluator_user.technician, item)

    assert response.status_code == 404
    assert recorded() == before


def test_the_api_refuses_an_evaluator_their_own_checklist(client_for, evaluator_user, item):
    before = recorded()

    response = api(client_for(evaluator_user), evaluator_user.technician, item)

    assert (response.status_code, response.json()) == (403, {"detail": NOT_YOURS})
    assert recorded() == before


def test_the_service_refuses_an_evaluator_their_own_checklist(evaluator_user, item):
    before = recorded()

    with pytest.raises(ApplicationError) as refused:
        competencies_services.signoff_record_many(
            technician=evaluator_user.technician,
            evaluator=evaluator_user,
            entries=[competencies_services.SignOffInput(item=item)],
            signed_on=timezone.localdate(),
            method="observation",
        )

    assert (refused.value.field, refused.value.message) == ("technician", OWN)
    assert recorded() == before


def admin_add(client, **fields):
    """The Django admin's "add sign-off" form, posted with ``fields``."""
    url = "/admin/competencies/signoff/add/"
    return client.get(url), client.post(
        url, {"signed_on": timezone.localdate(), "method": "observation", "result": "pass", **fields}
    )


@pytest.mark.parametrize("evaluator_record", ["given", "left-empty"])
def test_the_admin_adds_no_sign_off_on_ones_own_checklist(
    client_for, admin_user, evaluator_user, item, evaluator_record
):
    """A superuser tries to enter a sign-off whose evaluator is Eve, on Eve's own checklist: the
    admin adds no sign-offs (they are recorded on the sheet or through the API, under the
    service's rules), so the page is refused and nothing is written."""
    eve = evaluator_user.technician
    round_ = CompetencyRound.objects.create(technician=eve, competency=item.competency, started_on=eve.hire_date)
    before = recorded()

    page, response = admin_add(
        client_for(admin_user),
        round=round_.pk,
        item=item.pk,
        technician=eve.pk,
        evaluator=evaluator_user.pk,
        evaluator_technician=eve.pk if evaluator_record == "given" else "",
    )

    assert (page.status_code, response.status_code, recorded()) == (403, 403, before)


def test_the_admin_adds_no_sign_off_by_an_evaluator_of_another_site(
    client_for, admin_user, evaluator_user, tech_b, item
):
    """A superuser tries to enter a sign-off of Bob (site B) in Eve's name (evaluator of site A)."""
    round_ = CompetencyRound.objects.create(technician=tech_b, competency=item.competency, started_on=tech_b.hire_date)
    before = recorded()

    page, response = admin_add(
        client_for(admin_user),
        round=round_.pk,
        item=item.pk,
        technician=tech_b.pk,
        evaluator=evaluator_user.pk,
        evaluator_technician=evaluator_user.technician_id,
    )

    assert (page.status_code, response.status_code, recorded()) == (403, 403, before)


# ---- an administrator signs off anyone ----------------------------------------------------------------


def test_an_administrator_signs_off_a_technician_of_any_site_on_the_page(client_for, admin_user, tech_b, item):
    response = sheet(client_for(admin_user), tech_b, item)

    assert (response.status_code, response["Location"]) == (302, f"/technicians/{tech_b.pk}/signoffs/")
    assert list(SignOff.objects.values_list("technician_id", "item_id", "evaluator_id", "result")) == [
        (tech_b.pk, item.pk, admin_user.pk, "pass")
    ]


def test_an_administrator_signs_off_a_technician_of_any_site_through_the_api(client_for, admin_user, tech_b, item):
    response = api(client_for(admin_user), tech_b, item)

    assert response.status_code == 201, response.json()
    assert (response.json()["technician"], response.json()["evaluator"]) == (tech_b.pk, admin_user.pk)
    assert SignOff.objects.filter(technician=tech_b, evaluator=admin_user).count() == 1


def test_the_service_lets_an_administrator_sign_off_anyone(admin_user, tech_b, item):
    [signoff] = competencies_services.signoff_record_many(
        technician=tech_b,
        evaluator=admin_user,
        entries=[competencies_services.SignOffInput(item=item)],
        signed_on=timezone.localdate(),
        method="observation",
    )

    assert (signoff.technician_id, signoff.evaluator_id, signoff.result) == (tech_b.pk, admin_user.pk, "pass")
