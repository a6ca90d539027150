"""Rules written twice, once in Python and once in SQL, run on the same rows.

A rule has two forms where a page about one technician reads it from what it has loaded (no
query) while lists, notifications and KPIs count it in the database. Each test builds rows at
the rule's edges, works the answer out by hand and asserts, row by row (the row named in the
failure), that both forms give exactly that answer, then that they agree on the days around:

| rule | Python | SQL |
|---|---|---|
| PTCB deadline and status | ``certifications.selectors.ptcb_for`` (``certifications.ptcb``), with and without the records in hand | ``certifications.selectors.with_ptcb`` (``AddMonths``, ``Technician.ptcb_extended_to``) |
| PTCB due and met in a period | the rule of PRODUCT.md section 3 with ``ptcb_for`` on the deadline | ``metrics.kpis`` (``kpis_by_site``: one site per row) |
| a certificate counts (verified, issued, not expired) | ``certifications.selectors.is_current``, ``Certification.verified`` | ``current_certifications``, ``certification_list(verified=...)`` |
| training status | ``TrainingAssignment.status_on`` | ``training.selectors.with_assignment_status``, ``assignment_list``, the dashboard's overdue list |

A certificate's status (active / expiring / expired) has one form only, in SQL
(``with_certification_status``): its edges are checked here by hand. *Stalled* is in
tests/ladder/test_stalled_and_ready.py; the stored PTCB extension date in
tests/twins/test_stored_ptcb_date.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from certifications import selectors as certification_selectors
from certifications.models import Certification, CertificationType, PtcbExtension
from certifications.ptcb import PtcbStatus
from metrics import kpis
from metrics import selectors as metrics_selectors
from technicians.models import Technician
from tests.factories import SiteFactory, TechnicianFactory
from tests.training.factories import TrainingAssignmentFactory
from training.models import TrainingAssignment
from training.selectors import assignment_list, with_assignment_status

D = dt.date
pytestmark = pytest.mark.django_db

MET, ON_TRACK, DUE_SOON, OVERDUE = PtcbStatus.MET, PtcbStatus.ON_TRACK, PtcbStatus.DUE_SOON, PtcbStatus.OVERDUE


def disagreements(expected: dict, **forms: dict) -> list[str]:
    """One line per row and form that does not give the expected value."""
    return [
        f"{row}: {form} gives {values.get(row)!r}, expected {want!r}"
        for row, want in expected.items()
        for form, values in forms.items()
        if values.get(row) != want
    ]


def left(**extra) -> dict:
    """A technician who has left on ``termination_date``."""
    return {"status": Technician.Status.TERMINATED, "termination_type": Technician.TerminationType.VOLUNTARY, **extra}


def cert(technician, *, issued_on, expires_on=None, code="CPHT", verified=True, self_reported=False, rejected=False):
    """A certificate; a CPhT expires 24 months after issue unless ``expires_on`` is given."""
    cert_type = CertificationType.objects.get(code=code)
    if expires_on is None and cert_type.validity_months:
        expires_on = issued_on.replace(year=issued_on.year + cert_type.validity_months // 12)
    return Certification.objects.create(
        technician=technician,
        type=cert_type,
        number=f"{code}-{technician.pk}-{issued_on:%Y%m%d}",
        issued_on=issued_on,
        expires_on=expires_on,
        self_reported=self_reported,
        verified_at=timezone.now() if verified else None,
        rejected_at=timezone.now() if rejected else None,
        rejection_reason="Unreadable scan" if rejected else "",
    )


def extend(technician, *dates: dt.date) -> None:
    """Extensions in the order given (the last one governs), through the model's own save."""
    for extended_to in dates:
        PtcbExtension.objects.create(
            technician=technician, extended_to=extended_to, reason="Exam rescheduled", granted_on=D(2025, 9, 1)
        )


# --- PTCB deadline and status ----------------------------------------------------------------

TODAY = D(2026, 4, 30)  # a month's last day; the policy window is the default 9 months


def build_ptcb_rows() -> dict[str, tuple[Technician, tuple[dt.date, str]]]:
    """name -> (technician, (deadline, status) on TODAY, worked out by hand)."""
    rows = {}

    def row(name, hire, expected, *, extensions=(), certificates=(), **extra):
        technician = TechnicianFactory(hire_date=hire, last_name=name, **extra)
        extend(technician, *extensions)
        for certificate in certificates:
            cert(technician, **certificate)
        rows[name] = (technician, expected)

    row("deadline today", D(2025, 7, 30), (D(2026, 4, 30), DUE_SOON))  # the deadline day is not overdue
    row("deadline yesterday", D(2025, 7, 29), (D(2026, 4, 29), OVERDUE))
    row("deadline tomorrow", D(2025, 8, 1), (D(2026, 5, 1), DUE_SOON))
    row("hired on the 31st, clamped to today", D(2025, 7, 31), (D(2026, 4, 30), DUE_SOON))  # no 31 April
    row("hired on the 31st, clamped to February", D(2025, 5, 31), (D(2026, 2, 28), OVERDUE))
    row("clamped to a leap day", D(2023, 5, 31), (D(2024, 2, 29), OVERDUE))
    row("hired on a leap day", D(2024, 2, 29), (D(2024, 11, 29), OVERDUE))
    row("deadline in exactly 60 days", D(2025, 9, 29), (D(2026, 6, 29), DUE_SOON))  # 1 + 31 + 28
    row("deadline in 61 days", D(2025, 9, 30), (D(2026, 6, 30), ON_TRACK))
    row("extended", D(2025, 5, 31), (D(2026, 5, 31), DUE_SOON), extensions=[D(2026, 5, 31)])
    row(
        "extended twice, the later grant earlier",  # the newest grant governs, not the latest date
        D(2025, 5, 31),
        (D(2026, 6, 30), ON_TRACK),
        extensions=[D(2026, 9, 30), D(2026, 6, 30)],
    )
    row(
        "left before the deadline",  # both forms still give a deadline; lists drop leavers
        D(2025, 7, 29),
        (D(2026, 4, 29), OVERDUE),
        **left(termination_date=D(2026, 1, 15)),
    )
    # Hired 2025-05-31: the deadline is 2026-02-28, overdue unless a CPhT counts today.
    missed = D(2025, 5, 31)
    row("CPhT issued after the deadline", missed, (D(2026, 2, 28), MET), certificates=[{"issued_on": D(2026, 3, 10)}])
    row("CPhT issued today", missed, (D(2026, 2, 28), MET), certificates=[{"issued_on": TODAY}])
    row("CPhT issued tomorrow", missed, (D(2026, 2, 28), OVERDUE), certificates=[{"issued_on": D(2026, 5, 1)}])
    row("CPhT expiring today", missed, (D(2026, 2, 28), OVERDUE), certificates=[{"issued_on": D(2024, 4, 30)}])
    row("CPhT expiring tomorrow", missed, (D(2026, 2, 28), MET), certificates=[{"issued_on": D(2024, 5, 1)}])
    row(
        "CPhT self-reported, unverified",
        missed,
        (D(2026, 2, 28), OVERDUE),
        certificates=[{"issued_on": D(2026, 1, 5), "verified": False, "self_reported": True}],
    )
    row(
        "CPhT self-reported, verified",
        missed,
        (D(2026, 2, 28), MET),
        certificates=[{"issued_on": D(2026, 1, 5), "self_reported": True}],
    )
    row(
        "CPhT expired, renewal verified",
        missed,
        (D(2026, 2, 28), MET),
        certificates=[{"issued_on": D(2023, 4, 1)}, {"issued_on": D(2025, 4, 1)}],
    )
    row("only BLS", missed, (D(2026, 2, 28), OVERDUE), certificates=[{"issued_on": D(2025, 6, 1), "code": "BLS"}])
    # CPhT-Adv upgrades the CPhT: held alone, it counts; unverified, or expired, it does not.
    row(
        "only a CPhT-Adv",
        missed,
        (D(2026, 2, 28), MET),
        certificates=[{"issued_on": D(2025, 12, 1), "code": "CPHT_ADV"}],
    )
    row(
        "CPhT-Adv unverified",
        missed,
        (D(2026, 2, 28), OVERDUE),
        certificates=[{"issued_on": D(2025, 12, 1), "code": "CPHT_ADV", "verified": False, "self_reported": True}],
    )
    row(
        "CPhT-Adv expiring today",
        missed,
        (D(2026, 2, 28), OVERDUE),
        certificates=[{"issued_on": D(2024, 4, 30), "code": "CPHT_ADV"}],
    )
    return rows


def ptcb_forms(rows: dict, day: dt.date) -> dict[str, dict[str, tuple]]:
    """(deadline, status) of every row on ``day`` in each form."""
    by_pk = {
        t.pk: (t.ptcb_deadline, t.ptcb_status)
        for t in certification_selectors.with_ptcb(Technician.objects.all(), today=day, window_months=9)
    }
    python, python_with_records, sql = {}, {}, {}
    for name, (technician, _) in rows.items():
        alone = certification_selectors.ptcb_for(technician=technician, today=day)
        records = certification_selectors.technician_certifications(technician=technician, today=day)
        in_hand = certification_selectors.ptcb_for(technician=technician, today=day, certifications=records)
        python[name] = (alone["deadline"], alone["status"])
        python_with_records[name] = (in_hand["deadline"], in_hand["status"])
        sql[name] = by_pk[technician.pk]
    return {"ptcb_for": python, "ptcb_for with the records": python_with_records, "with_ptcb": sql}


def test_ptcb_deadline_and_status_are_the_same_in_python_and_sql_on_every_row():
    rows = build_ptcb_rows()

    expected = {name: want for name, (_, want) in rows.items()}
    assert disagreements(expected, **ptcb_forms(rows, TODAY)) == []


@pytest.mark.parametrize(
    "day",
    [D(2026, 2, 28), D(2026, 3, 1), D(2026, 4, 29), D(2026, 5, 1), D(2026, 6, 29), D(2026, 6, 30), D(2026, 7, 1)],
)
def test_ptcb_forms_agree_on_the_days_around(day):
    rows = build_ptcb_rows()

    forms = ptcb_forms(rows, day)
    sql = forms.pop("with_ptcb")
    assert disagreements(sql, **forms) == []


# --- PTCB due and met in a KPI period --------------------------------------------------------

APRIL = (D(2026, 4, 1), D(2026, 4, 30))


def test_ptcb_due_and_met_counted_in_sql_follow_the_rule_on_every_row():
    """PRODUCT.md section 3: due when the deadline falls in the period and the technician is
    employed on it; met when they hold, on the deadline, a verified CPhT issued on or before it
    and not expired on it. Each technician has a site of its own, so the KPI of each site is
    that row's answer."""
    start, end = APRIL
    cases = {
        # name: (hire, extensions, certificates, termination, (due, met) by hand)
        "deadline on the first day, CPhT the day before": (
            D(2025, 7, 1),
            [],
            [{"issued_on": D(2026, 3, 31)}],
            None,
            (1, 1),
        ),
        "deadline on the last day, CPhT on the deadline": (D(2025, 7, 30), [], [{"issued_on": end}], None, (1, 1)),
        "hired on the 31st, deadline clamped to the last day": (D(2025, 7, 31), [], [], None, (1, 0)),
        "CPhT issued the day after the deadline": (D(2025, 7, 10), [], [{"issued_on": D(2026, 4, 11)}], None, (1, 0)),
        "CPhT expired on the deadline": (D(2025, 7, 15), [], [{"issued_on": D(2024, 4, 15)}], None, (1, 0)),
        "CPhT expires the day after the deadline": (D(2025, 7, 16), [], [{"issued_on": D(2024, 4, 17)}], None, (1, 1)),
        "CPhT unverified": (
            D(2025, 7, 20),
            [],
            [{"issued_on": D(2026, 1, 5), "verified": False, "self_reported": True}],
            None,
            (1, 0),
        ),
        "CPhT held since before the hire": (D(2025, 7, 8), [], [{"issued_on": D(2025, 1, 2)}], None, (1, 1)),
        "deadline the day before the period (extension)": (D(2025, 5, 31), [D(2026, 3, 31)], [], None, (0, 0)),
        "deadline the day after the period": (D(2025, 8, 1), [], [], None, (0, 0)),
        "extended into the period, CPhT before the new deadline": (
            D(2025, 5, 31),
            [D(2026, 4, 20)],
            [{"issued_on": D(2026, 4, 19)}],
            None,
            (1, 1),
        ),
        "extended out of the period": (D(2025, 7, 12), [D(2026, 5, 15)], [], None, (0, 0)),
        "left on the deadline": (D(2025, 7, 5), [], [], D(2026, 4, 5), (0, 0)),
        "left the day after the deadline": (D(2025, 7, 6), [], [], D(2026, 4, 7), (1, 0)),
    }
    rows = {}
    for name, (hire, extensions, certificates, termination, _) in cases.items():
        extra = left(termination_date=termination) if termination else {}
        technician = TechnicianFactory(site=SiteFactory(), hire_date=hire, last_name=name, **extra)
        extend(technician, *extensions)
        for certificate in certificates:
            cert(technician, **certificate)
        rows[name] = technician

    by_site = kpis.kpis_by_site(start=start, end=end)
    sql = {
        name: (by_site.get(t.site_id, {}).get("ptcb_due", 0), by_site.get(t.site_id, {}).get("ptcb_met", 0))
        for name, t in rows.items()
    }
    python = {}
    for name, t in rows.items():
        deadline = certification_selectors.ptcb_for(technician=t, today=end)["deadline"]
        employed = t.hire_date <= deadline and (t.termination_date is None or deadline < t.termination_date)
        due = start <= deadline <= end and employed
        met = due and certification_selectors.ptcb_for(technician=t, today=deadline)["status"] == MET
        python[name] = (int(due), int(met))

    expected = {name: case[-1] for name, case in cases.items()}
    assert disagreements(expected, **{"the section 3 rule with ptcb_for": python, "metrics.kpis": sql}) == []


# --- Certificates: status, verified, counted -------------------------------------------------


def build_certificate_rows(technician) -> dict[str, tuple[Certification, tuple[str, bool, bool]]]:
    """name -> (certificate, (status, verified, counted) on TODAY by hand). The policy's
    expiring window is the default 60 days: TODAY + 60 is 2026-06-29."""
    specs = {
        "no expiry date": ({"issued_on": D(2020, 1, 6), "code": "TPV"}, ("active", True, True)),
        "expired yesterday": ({"issued_on": D(2024, 4, 29)}, ("expired", True, False)),
        "expires today": ({"issued_on": D(2024, 4, 30)}, ("expired", True, False)),
        "expires tomorrow": ({"issued_on": D(2024, 5, 1)}, ("expiring", True, True)),
        "expires in 60 days": ({"issued_on": D(2024, 6, 29)}, ("expiring", True, True)),
        "expires in 61 days": ({"issued_on": D(2024, 6, 30)}, ("active", True, True)),
        "issued today": ({"issued_on": TODAY}, ("active", True, True)),
        "issued tomorrow": ({"issued_on": D(2026, 5, 1)}, ("active", True, False)),
        "self-reported, unverified": (
            {"issued_on": D(2025, 6, 1), "verified": False, "self_reported": True},
            ("active", False, False),
        ),
        "self-reported, verified": ({"issued_on": D(2025, 6, 2), "self_reported": True}, ("active", True, True)),
        "entered by a manager, not yet verified": (
            {"issued_on": D(2025, 6, 3), "verified": False},
            ("active", False, False),
        ),
        "returned to the technician": (
            {"issued_on": D(2025, 6, 4), "verified": False, "self_reported": True, "rejected": True},
            ("active", False, False),
        ),
    }
    return {name: (cert(technician, **spec), want) for name, (spec, want) in specs.items()}


def counted_forms(rows: dict, day: dt.date) -> dict[str, dict[str, bool]]:
    current = set(certification_selectors.current_certifications(on=day).values_list("pk", flat=True))
    return {
        "is_current": {name: certification_selectors.is_current(c, on=day) for name, (c, _) in rows.items()},
        "current_certifications": {name: c.pk in current for name, (c, _) in rows.items()},
    }


def test_certificate_status_verified_and_counted_on_every_row(tech_a, hr_user):
    rows = build_certificate_rows(tech_a)

    listed = {c.pk: c for c in certification_selectors.certification_list(viewer=hr_user, today=TODAY)}
    verified_sql = set(
        certification_selectors.certification_list(viewer=hr_user, today=TODAY, verified=True).values_list(
            "pk", flat=True
        )
    )
    counted = counted_forms(rows, TODAY)
    status = {name: listed[c.pk].status for name, (c, _) in rows.items()}
    assert disagreements({name: want[0] for name, (_, want) in rows.items()}, with_certification_status=status) == []
    assert (
        disagreements(
            {name: want[1] for name, (_, want) in rows.items()},
            **{
                "Certification.verified": {name: c.verified for name, (c, _) in rows.items()},
                "certification_list(verified=True)": {name: c.pk in verified_sql for name, (c, _) in rows.items()},
            },
        )
        == []
    )
    assert disagreements({name: want[2] for name, (_, want) in rows.items()}, **counted) == []


@pytest.mark.parametrize("day", [D(2026, 4, 29), D(2026, 5, 1), D(2026, 6, 29), D(2026, 6, 30), D(2026, 7, 1)])
def test_counted_certificates_agree_on_the_days_around(tech_a, day):
    rows = build_certificate_rows(tech_a)

    forms = counted_forms(rows, day)
    assert disagreements(forms.pop("current_certifications"), **forms) == []


# --- Training status -------------------------------------------------------------------------

DUE_DAY = D(2025, 6, 1)


def build_training_rows(site) -> dict[str, tuple[TrainingAssignment, str]]:
    """name -> (assignment, status on DUE_DAY by hand)."""
    here = TechnicianFactory(site=site, last_name="Trainee")
    gone = TechnicianFactory(site=site, last_name="Gone", **left(termination_date=D(2025, 5, 20)))
    specs = {
        "due today, not started": ({"due_on": DUE_DAY}, "assigned"),
        "due today, started": ({"due_on": DUE_DAY, "started_on": D(2025, 5, 10)}, "in_progress"),
        "due tomorrow": ({"due_on": D(2025, 6, 2)}, "assigned"),
        "due yesterday, not started": ({"due_on": D(2025, 5, 31)}, "overdue"),
        "due yesterday, started": ({"due_on": D(2025, 5, 31), "started_on": D(2025, 5, 2)}, "overdue"),
        "started today": ({"due_on": D(2025, 6, 10), "started_on": DUE_DAY}, "in_progress"),
        "assigned and due today": ({"assigned_on": DUE_DAY, "due_on": DUE_DAY}, "assigned"),
        "completed late": ({"due_on": D(2025, 5, 20), "completed_on": D(2025, 5, 25)}, "completed"),
        "completed on the due date": ({"due_on": D(2025, 5, 28), "completed_on": D(2025, 5, 28)}, "completed"),
        "completed today, a day late": ({"due_on": D(2025, 5, 31), "completed_on": DUE_DAY}, "completed"),
        "completed before it was due": ({"due_on": D(2025, 6, 30), "completed_on": D(2025, 5, 15)}, "completed"),
        "overdue, the technician has left": ({"due_on": D(2025, 5, 15), "technician": gone}, "overdue"),
    }
    return {
        name: (TrainingAssignmentFactory(**{"technician": here, **spec}), want) for name, (spec, want) in specs.items()
    }


def training_forms(rows: dict, day: dt.date, viewer) -> dict[str, dict[str, str]]:
    annotated = dict(with_assignment_status(TrainingAssignment.objects.all(), today=day).values_list("pk", "status"))
    listed = dict(assignment_list(viewer=viewer, today=day).values_list("pk", "status"))
    return {
        "status_on": {name: a.status_on(day) for name, (a, _) in rows.items()},
        "with_assignment_status": {name: annotated[a.pk] for name, (a, _) in rows.items()},
        "assignment_list": {name: listed[a.pk] for name, (a, _) in rows.items()},
    }


def on_dashboard_overdue_list(rows: dict, day: dt.date, viewer) -> dict[str, tuple[str, bool]]:
    """The dashboard's "training overdue" restates the rule in SQL (not completed, due before
    today) for employed technicians: the Python status and employment give the same list."""
    listed = {a.pk for a in metrics_selectors.training_overdue(viewer=viewer, today=day, limit=100)["rows"]}
    python, sql = {}, {}
    for name, (a, _) in rows.items():
        t = a.technician
        employed = t.hire_date <= day and (t.termination_date is None or day < t.termination_date)
        python[name] = a.status_on(day) == TrainingAssignment.Status.OVERDUE and employed
        sql[name] = a.pk in listed
    return {"status_on and employed": python, "metrics.selectors.training_overdue": sql}


def test_training_status_is_the_same_in_python_and_sql_on_every_row(site_a, hr_user):
    rows = build_training_rows(site_a)

    expected = {name: want for name, (_, want) in rows.items()}
    assert disagreements(expected, **training_forms(rows, DUE_DAY, hr_user)) == []
    on_the_list = {
        name: want == "overdue" and name != "overdue, the technician has left" for name, want in expected.items()
    }
    assert disagreements(on_the_list, **on_dashboard_overdue_list(rows, DUE_DAY, hr_user)) == []


@pytest.mark.parametrize("day", [D(2025, 5, 15), D(2025, 5, 16), D(2025, 5, 31), D(2025, 6, 2), D(2025, 6, 11)])
def test_training_forms_agree_on_the_days_around(site_a, hr_user, day):
    rows = build_training_rows(site_a)

    forms = training_forms(rows, day, hr_user)
    assert disagreements(forms.pop("status_on"), **forms) == []
    overdue = on_dashboard_overdue_list(rows, day, hr_user)
    assert disagreements(overdue.pop("status_on and employed"), **overdue) == []
