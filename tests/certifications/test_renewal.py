"""Renewal progress against PTCB's CPhT rule, worked out by hand.

The CPhT below was issued 2024-03-15 and expires 2026-03-15 (24 months): the cycle runs from
2024-03-15, the renewal window opens 60 days before expiry (2026-01-14) and the application is
due 30 days before it (2026-02-13).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from certifications.renewal import AttestationLine, CreditLine, RenewalRule, renewal_progress

D = dt.date
H = Decimal
CPHT = RenewalRule(
    ce_hours_required=H(20),
    min_law_hours=H(1),
    min_patient_safety_hours=H(1),
    min_technician_hours=H(15),
    max_pharmacist_hours=H(5),
    renewal_window_opens_days=60,
    renewal_due_days=30,
    validity_months=24,
)
CSPT = RenewalRule(validity_months=12, requires_attestation=True, renewal_window_opens_days=60, renewal_due_days=30)


def credit(day, topic, audience, hours):
    return CreditLine(completed_on=day, topic=topic, audience=audience, hours=H(str(hours)))


TODAY, ISSUED, EXPIRES = D(2025, 12, 1), D(2024, 3, 15), D(2026, 3, 15)


def progress(credits, *, today=TODAY, issued=ISSUED, expires=EXPIRES, rule=CPHT):
    return renewal_progress(rule=rule, issued_on=issued, expires_on=expires, credits=credits, today=today)


def test_counts_the_cycle_and_says_what_is_missing():
    result = progress(
        [
            credit(D(2024, 3, 1), "03", "T", 2),  # before the cycle: not counted
            credit(D(2024, 5, 1), "04", "T", 6),
            credit(D(2024, 9, 10), "01", "T", 5),
            credit(D(2025, 2, 20), "05", "T", 1),
            credit(D(2025, 6, 1), "01", "P", 4),
            credit(D(2025, 10, 1), "06", "T", "1.5"),
        ]
    )
    # T = 6 + 5 + 1 + 1.5 = 13.5; P = 4 (under the 5 h cap); counted 17.5; law 0; safety 1.
    assert (result.cycle_start, result.window_opens_on, result.due_on) == (
        D(2024, 3, 15),
        D(2026, 1, 14),
        D(2026, 2, 13),
    )
    assert result.counted_hours == H("17.5")
    assert result.technician_hours == H("13.5")
    assert result.pharmacist_hours_counted == H(4)
    assert (result.law_hours, result.patient_safety_hours) == (H(0), H(1))
    # More = max(20 - 17.5, 15 - 13.5, 1 law + 0 safety) = 2.5
    assert result.more_hours == H("2.5")
    assert result.credits_counted == 5
    assert result.percent == 87
    assert result.complete is False
    assert result.status == "in_progress"
    assert result.message == "2.5 h more CE, incl. 1 h of law and 1.5 h technician-specific, by February 13, 2026."


def test_the_issue_example():
    # Due March 14 means expiry on April 13, 2026. T 16.5 (incl. 1 h safety) + P 1 = 17.5, no law.
    result = progress(
        [
            credit(D(2025, 1, 5), "01", "T", "15.5"),
            credit(D(2025, 2, 5), "05", "T", 1),
            credit(D(2025, 3, 5), "04", "P", 1),
        ],
        issued=D(2024, 4, 13),
        expires=D(2026, 4, 13),
    )
    assert result.message == "2.5 h more CE, incl. 1 h of law, by March 14, 2026."


def test_pharmacist_hours_count_for_at_most_five():
    result = progress(
        [
            credit(D(2025, 1, 5), "03", "T", 1),
            credit(D(2025, 1, 6), "05", "T", 1),
            credit(D(2025, 1, 7), "01", "T", 10),
            credit(D(2025, 2, 1), "01", "P", 8),
        ]
    )
    # T 12, P 8 counted as 5: 17; both the total and the technician-specific floor need 3 h more.
    assert (result.counted_hours, result.pharmacist_hours, result.pharmacist_hours_counted) == (H(17), H(8), H(5))
    assert result.more_hours == H(3)
    assert result.message == "3 h more technician-specific CE, by February 13, 2026."


def test_nothing_logged_yet():
    result = progress([])
    assert result.message == (
        "20 h more CE, incl. 1 h of law, 1 h of patient safety and 15 h technician-specific, by February 13, 2026."
    )
    assert result.percent == 0


def test_complete_before_the_window_opens():
    result = progress(
        [
            credit(D(2025, 1, 5), "03", "T", 1),
            credit(D(2025, 1, 6), "05", "T", 1),
            credit(D(2025, 1, 7), "01", "T", 17),
            credit(D(2025, 1, 8), "01", "P", 2),
        ]
    )
    assert result.complete is True
    assert result.status == "complete"
    assert result.counted_hours == H(21)
    assert result.percent == 100
    assert result.message == (
        "CE complete: 21 h counted of 20. Apply for renewal between January 14, 2026 and February 13, 2026."
    )


@pytest.mark.parametrize(
    ("today", "phase", "status"),
    [
        (D(2026, 1, 13), "not_open", "in_progress"),
        (D(2026, 1, 14), "open", "due_soon"),  # the window opens 60 days before expiry
        (D(2026, 2, 13), "open", "due_soon"),  # the due day itself
        (D(2026, 2, 14), "late", "overdue"),
    ],
)
def test_window_boundaries(today, phase, status):
    result = progress([credit(D(2025, 1, 5), "01", "T", 19)], today=today)
    assert (result.phase, result.status) == (phase, status)


def test_late_message_names_both_dates():
    result = progress(
        [credit(D(2025, 1, 5), "05", "T", 18), credit(D(2025, 1, 6), "01", "T", "0.5")], today=D(2026, 2, 20)
    )
    assert result.message == (
        "1.5 h more CE, incl. 1 h of law: the renewal was due February 13, 2026 and it expires March 15, 2026."
    )


def test_after_a_renewal_the_cycle_is_the_last_24_months():
    # Certified in 2020 and renewed twice: the cycle is 2024-03-15 -> 2026-03-15.
    result = progress(
        [credit(D(2023, 6, 1), "03", "T", 5), credit(D(2024, 3, 15), "03", "T", 1)], issued=D(2020, 3, 15)
    )
    assert result.cycle_start == D(2024, 3, 15)
    assert (result.counted_hours, result.law_hours) == (H(1), H(1))


def test_cspt_needs_a_supervisor_attestation_each_cycle():
    kwargs = {"rule": CSPT, "issued": D(2025, 6, 1), "expires": D(2026, 6, 1), "today": D(2026, 1, 10)}
    missing = progress([], **kwargs)
    assert missing.message == "A supervisor's attestation of sterile-compounding competency, by May 2, 2026."
    assert missing.ce_required == 0

    done = renewal_progress(
        rule=CSPT,
        issued_on=D(2025, 6, 1),
        expires_on=D(2026, 6, 1),
        credits=[],
        attestations=[AttestationLine(D(2024, 12, 1), "Old Form"), AttestationLine(D(2025, 12, 1), "Dana Reyes")],
        today=D(2026, 1, 10),
    )
    assert (done.complete, done.attested_on, done.attested_by) == (True, D(2025, 12, 1), "Dana Reyes")
    assert done.message == (
        "Attested on December 1, 2025 by Dana Reyes. Apply for renewal between April 2, 2026 and May 2, 2026."
    )
