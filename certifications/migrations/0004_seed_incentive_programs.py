"""Default incentive programmes (PRODUCT.md section 2, Incentives): pay raise, bonus,
conference ticket and tuition reimbursement tied to CPhT within the window, promotion and CE
completion. Hr adjusts amounts, switches programmes on or off and adds more; the ones that
would pay twice for the same event (a raise *or* a bonus for CPhT; a ticket *or* tuition for
CE) start with one of the pair inactive. ``effective_from`` keeps older events from making
anyone eligible retroactively.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

PROGRAMS = [
    {
        "code": "CPHT_RAISE",
        "name": "CPhT within the window: pay raise",
        "kind": "pay_raise",
        "trigger": "cpht_within_window",
        "amount": Decimal("1.00"),
        "active": True,
        "description": "An hourly raise for technicians who hold CPhT by their PTCB deadline.",
    },
    {
        "code": "CPHT_BONUS",
        "name": "CPhT within the window: bonus",
        "kind": "bonus",
        "trigger": "cpht_within_window",
        "amount": Decimal("250.00"),
        "active": False,
        "description": "A one-time bonus instead of the raise, for organisations that prefer it.",
    },
    {
        "code": "PROMOTION_BONUS",
        "name": "Promotion bonus",
        "kind": "bonus",
        "trigger": "promotion",
        "amount": Decimal("500.00"),
        "active": True,
        "description": "A one-time bonus on promotion to a higher tier.",
    },
    {
        "code": "CE_CONFERENCE",
        "name": "CE complete: conference ticket",
        "kind": "conference_ticket",
        "trigger": "ce_completion",
        "amount": Decimal("450.00"),
        "active": True,
        "description": "A ticket to a state or national pharmacy conference once a renewal cycle's CE is complete.",
    },
    {
        "code": "CE_TUITION",
        "name": "CE complete: tuition reimbursement",
        "kind": "tuition_reimbursement",
        "trigger": "ce_completion",
        "amount": Decimal("1000.00"),
        "active": False,
        "description": "Tuition reimbursement for a certificate course instead of the conference ticket.",
    },
]


def seed(apps, schema_editor):
    IncentiveProgram = apps.get_model("certifications", "IncentiveProgram")
    for program in PROGRAMS:
        fields = {k: v for k, v in program.items() if k != "code"}
        IncentiveProgram.objects.get_or_create(
            code=program["code"], defaults={**fields, "effective_from": dt.date(2024, 1, 1)}
        )


class Migration(migrations.Migration):
    dependencies = [("certifications", "0003_ptcb_extensions_practice_tests_ce_credits_incentives")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
