"""Review of the credential rules: the CPhT-Adv upgrade where other apps read it (renewal,
notifications, calendar, training matrix, incentives, imports, the seed migration).

Dates are worked out by hand in each test; TODAY is 2026-06-15 unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile

from certifications import selectors, services
from certifications.models import Certification
from incentives import services as incentive_services
from incentives.models import Incentive, IncentiveProgram
from notifications import selectors as notification_selectors
from tests.certifications.factories import CECreditFactory, CertificationFactory, cert_type
from training import selectors as training_selectors

D = dt.date
H = Decimal
TODAY = D(2026, 6, 15)

pytestmark = pytest.mark.django_db


CPHT_ISSUED, CPHT_EXPIRES, ADV_ISSUED = D(2024, 7, 1), D(2026, 7, 1), D(2025, 9, 1)


def upgraded_cpht(tech, manager_user, *, cpht_issued=CPHT_ISSUED, expires=CPHT_EXPIRES, adv_issued=ADV_ISSUED):
    """A verified CPhT and the CPhT-Adv a manager recorded for it (linked: same number, same
    expiry)."""
    cpht = CertificationFactory(technician=tech, number="318207", issued_on=cpht_issued, expires_on=expires)
    adv = services.certification_record(
        technician=tech, type=cert_type("CPHT_ADV"), issued_on=adv_issued, recorded_by=manager_user, today=TODAY
    )
    assert (adv.upgraded_from_id, adv.expires_on) == (cpht.pk, expires)
    return cpht, adv


# --- Renewing the upgrade ------------------------------------------------------------------


def test_renewing_a_cpht_adv_by_moving_its_expiry_is_accepted(tech_a, manager_user):
    """CPhT issued 2024-07-01, expires 2026-07-01; upgraded to CPhT-Adv on 2025-09-01 (same
    expiry). The edit page says "to record a renewal, set the new expiry date": on 2026-06-15
    the manager moves the CPhT-Adv to 2028-07-01 (2026-07-01 + 24 months, the same cycle). It
    must be accepted; an expiry off the cycle (2028-02-10) is still refused."""
    _, adv = upgraded_cpht(tech_a, manager_user)
    with pytest.raises(services.ApplicationError):
        services.certification_update(
            certification=adv, data={"expires_on": D(2028, 2, 10)}, updated_by=manager_user, today=TODAY
        )
    renewed = services.certification_update(
        certification=adv, data={"expires_on": D(2028, 7, 1)}, updated_by=manager_user, today=TODAY
    )
    assert renewed.expires_on == D(2028, 7, 1)


def test_a_renewed_cpht_adv_leaves_no_expired_cpht_notice_deadline_or_calendar_event(tech_a, manager_user):
    """As above, renewed to 2028-07-01 (the upgraded CPhT record keeps 2026-07-01). On
    2026-07-10 the CPhT record is 9 days past its date but renews as the upgrade: no
    "CPhT expired" notice, no "CPhT expired" to-do, no "CPhT expires" calendar event."""
    cpht, adv = upgraded_cpht(tech_a, manager_user)
    Certification.objects.filter(pk=adv.pk).update(expires_on=D(2028, 7, 1))
    day = D(2026, 7, 10)
    items = [i for i in notification_selectors.certifications_due(today=day) if i.technician_id == tech_a.pk]
    assert items == []
    standing = selectors.technician_standing(technician=tech_a, today=day)
    assert [d["text"] for d in standing["deadlines"] if "CPhT " in d["text"]] == []
    events = notification_selectors.calendar_events(technician=tech_a, today=day)
    assert [e.summary for e in events if "expires" in e.summary] == ["CPhT-Adv expires"]


# --- An upgraded CPhT expiring with its upgrade --------------------------------------------


def test_an_upgraded_cpht_expiring_with_its_adv_is_notified_once(tech_a, manager_user):
    """CPhT and CPhT-Adv both expire 2026-07-01; on 2026-06-15 that is 16 days away (the 30-day
    step). One credential, one notice: the CPhT-Adv's."""
    upgraded_cpht(tech_a, manager_user)
    items = [i for i in notification_selectors.certifications_due(today=TODAY) if i.technician_id == tech_a.pk]
    assert [(i.subject, i.due_on) for i in items] == [("CPhT-Adv", D(2026, 7, 1))]


def test_an_upgraded_cpht_expiring_with_its_adv_is_one_deadline(tech_a, manager_user):
    """Same records. The to-do list shows the CPhT-Adv renewal (due 2026-06-01, 30 days before
    2026-07-01: past, so overdue) and nothing about the CPhT on its own."""
    upgraded_cpht(tech_a, manager_user)
    standing = selectors.technician_standing(technician=tech_a, today=TODAY)
    texts = [d["text"] for d in standing["deadlines"]]
    assert [t for t in texts if t.startswith("CPhT ")] == []
    assert any(t.startswith("CPhT-Adv renewal due") for t in texts)


def test_the_calendar_has_one_expiry_event_for_an_upgraded_cpht(tech_a, manager_user):
    """Same records: one "expires" event on 2026-07-01, the CPhT-Adv's, not a CPhT one too."""
    upgraded_cpht(tech_a, manager_user)
    events = notification_selectors.calendar_events(technician=tech_a, today=TODAY)
    assert [(e.summary, e.day) for e in events if "expires" in e.summary] == [("CPhT-Adv expires", D(2026, 7, 1))]


# --- The training matrix --------------------------------------------------------------------


def test_the_matrix_cpht_column_shows_a_cpht_adv_holder_as_holding_cpht(tech_a, hr_user):
    """Only a CPhT-Adv record (issued 2026-03-20, expires 2028-04-01; the CPhT record was never
    entered): an active CPhT-Adv satisfies every CPhT requirement, so the CPhT column is held
    (achieved), not "not started"."""
    CertificationFactory(
        technician=tech_a, type=cert_type("CPHT_ADV"), issued_on=D(2026, 3, 20), expires_on=D(2028, 4, 1)
    )
    columns = training_selectors.matrix_columns(kind="certification")
    rows = training_selectors.matrix_rows(viewer=hr_user, technicians=[tech_a], columns=columns, today=TODAY)
    cells = {column.code: cell for column, cell in zip(columns, rows[0].cells, strict=True)}
    assert cells["CPHT_ADV"].status == "achieved"
    assert cells["CPHT"].status == "achieved"


# --- Incentives: CE completion --------------------------------------------------------------


def _ce_program():
    return IncentiveProgram.objects.filter(trigger=IncentiveProgram.Trigger.CE_COMPLETION, active=True).first()


def test_the_ce_incentive_counts_the_upgrade_cycle_as_the_renewal_page_does(tech_a, manager_user):
    """CPhT issued 2023-04-01, renewed to 2027-04-01 (cycle 2025-04-01..2027-04-01); upgraded
    on 2026-02-10. 25 h of CE (CPhT-Adv), all technician-specific, incl. 1 h law and 1 h
    patient safety: 20 h completed 2025-06-01 (before the upgrade, inside the cycle) and 5 h on
    2026-03-01. The renewal page counts 25 h, complete; the CE-completion incentive must fire
    for the same cycle, dated 2026-03-01 (the credit that completed it)."""
    program = _ce_program()
    if program is None:
        pytest.skip("no CE-completion programme seeded")
    upgraded_cpht(tech_a, manager_user, cpht_issued=D(2023, 4, 1), expires=D(2027, 4, 1), adv_issued=D(2026, 2, 10))
    for day, uan, hours in [
        (D(2025, 6, 1), "0145-0000-25-101-H03-T", "1"),
        (D(2025, 6, 1), "0145-0000-25-102-H05-T", "1"),
        (D(2025, 6, 1), "0145-0000-25-103-H04-T", "18"),
        (D(2026, 3, 1), "0145-0000-26-104-H04-T", "5"),
    ]:
        CECreditFactory(technician=tech_a, completed_on=day, uan=uan, hours=H(hours))
    renewals = selectors.renewal_progress_for(technician=tech_a, today=TODAY)
    assert [(r["type"], r["complete"]) for r in renewals] == [("CPHT_ADV", True)]
    incentive_services.incentives_evaluate(technician_ids=[tech_a.pk], today=TODAY)
    fired = Incentive.objects.filter(technician=tech_a, program=program)
    assert [(i.trigger_key.split(":")[0], i.eligible_on) for i in fired] == [("ce", D(2026, 3, 1))]


def test_the_ce_incentive_waits_while_the_upgrade_waits_for_verification(tech_a, technician_user, manager_user):
    """Decision: one cycle, one award. CPhT issued 2024-07-01, expires 2026-07-01; the technician
    self-reports a CPhT-Adv on 2025-09-01 (unverified, linked). 20 h of CE completed 2025-10-01
    complete the CPhT's rule but no award fires while the upgrade waits: once verified, the
    cycle is the CPhT-Adv's (25 h), awarded under its key when its CE is complete; a returned
    and withdrawn upgrade gives the cycle back to the CPhT."""
    program = _ce_program()
    if program is None:
        pytest.skip("no CE-completion programme seeded")
    CertificationFactory(technician=tech_a, number="318207", issued_on=D(2024, 7, 1), expires_on=D(2026, 7, 1))
    adv = services.certification_record(
        technician=tech_a, type=cert_type("CPHT_ADV"), issued_on=D(2025, 9, 1), recorded_by=technician_user, today=TODAY
    )
    assert adv.verified_at is None and adv.upgraded_from_id
    for uan, hours in [
        ("0145-0000-25-201-H03-T", "1"),
        ("0145-0000-25-202-H05-T", "1"),
        ("0145-0000-25-203-H04-T", "18"),
    ]:
        CECreditFactory(technician=tech_a, completed_on=D(2025, 10, 1), uan=uan, hours=H(hours))
    incentive_services.incentives_evaluate(technician_ids=[tech_a.pk], today=TODAY)
    assert Incentive.objects.filter(technician=tech_a, program=program).count() == 0

    services.certification_verify(certification=adv, verified_by=manager_user, today=TODAY)
    CECreditFactory(technician=tech_a, completed_on=D(2025, 11, 1), uan="0145-0000-25-204-H01-T", hours=H("5"))
    incentive_services.incentives_evaluate(technician_ids=[tech_a.pk], today=TODAY)
    fired = Incentive.objects.filter(technician=tech_a, program=program)
    assert [(i.trigger_key.split(":")[1], i.eligible_on) for i in fired] == [(str(adv.pk), D(2025, 11, 1))]


# --- The certifications import ---------------------------------------------------------------


def test_an_imported_cpht_adv_without_expiry_keeps_the_cphts_cycle(tech_a, hr_user):
    """CPhT 318207 issued 2023-04-01, renewed to 2027-04-01. The HR file has a CPhT-Adv issued
    2026-02-10 with no expiry. It is linked to the CPhT, so it must take the CPhT's expiry
    (2027-04-01) as ``certification_record`` does, not 2026-02-10 + 24 months = 2028-02-10."""
    from imports.certifications import certifications_import

    cpht = CertificationFactory(technician=tech_a, number="318207", issued_on=D(2023, 4, 1), expires_on=D(2027, 4, 1))
    body = f"employee_id,type,number,issued_on,expires_on\n{tech_a.employee_id},CPHT_ADV,,2026-02-10,\n"
    result = certifications_import(
        upload=SimpleUploadedFile("certs.csv", body.encode(), content_type="text/csv"), user=hr_user, today=TODAY
    )
    assert not result.errors
    adv = Certification.objects.get(technician=tech_a, type__code="CPHT_ADV")
    assert (adv.upgraded_from_id, adv.number, adv.expires_on) == (cpht.pk, "318207", D(2027, 4, 1))


# --- The seed migration ---------------------------------------------------------------------


def test_the_seed_migration_does_not_link_a_cpht_adv_renewal_to_an_expired_cpht(tech_a):
    """CPhT 100001 issued 2019-01-01 (to 2021-01-01) and its renewal record 2021-01-01 (to
    2023-01-01); CPhT-Adv issued 2022-06-01 (to 2023-01-01) and its renewal record issued
    2022-12-01 (to 2025-01-01). The first CPhT-Adv upgrades the 2021 CPhT; the renewal record
    upgrades nothing (the 2019 CPhT expired 2021-01-01, before it was issued)."""
    CertificationFactory(technician=tech_a, number="100001", issued_on=D(2019, 1, 1), expires_on=D(2021, 1, 1))
    cpht = CertificationFactory(technician=tech_a, number="100001", issued_on=D(2021, 1, 1), expires_on=D(2023, 1, 1))
    adv_type = cert_type("CPHT_ADV")
    first = CertificationFactory(
        technician=tech_a, type=adv_type, number="100001", issued_on=D(2022, 6, 1), expires_on=D(2023, 1, 1)
    )
    renewal = CertificationFactory(
        technician=tech_a, type=adv_type, number="100001", issued_on=D(2022, 12, 1), expires_on=D(2025, 1, 1)
    )
    migration = importlib.import_module("certifications.migrations.0009_seed_upgrade_reinstatement_cspt_rule")
    migration.forward(django_apps, None)
    first.refresh_from_db()
    renewal.refresh_from_db()
    assert first.upgraded_from_id == cpht.pk
    assert renewal.upgraded_from_id is None
