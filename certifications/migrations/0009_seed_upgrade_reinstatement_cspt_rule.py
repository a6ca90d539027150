"""PTCB's current numbers for the new parts of the renewal rule, and the CPhT-Adv upgrade.

- CPhT and CPhT-Adv: verified college-course CE counts for at most 10 h; verified CE from
  non-ACPE providers counts; after expiry the credential may be reinstated within 12 months with
  20 h of CE including 2 h of law and 1 h of patient safety (PTCB: the CPhT's rule plus one more
  law hour).
- CSPT: 2.5 h of sterile-compounding CE (ACPE topic 07) in each 12-month cycle. PTCB asks for
  5 sterile-compounding hours of the 20 in a two-year cycle; a one-year CSPT cycle carries half.
  Hr changes it on the certification type page.
- CPhT-Adv upgrades CPhT (same number, same cycle): existing CPhT-Adv records are linked to
  the CPhT record they upgraded (same number, else the latest CPhT issued on or before the
  upgrade), and take its expiry date when they had none.

Values hr has changed already are kept: a field is set only while it has its default.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import Q

PTCB_CE = {
    "max_college_hours": Decimal("10"),
    "accepts_non_acpe": True,
    "reinstatement_months": 12,
    "reinstatement_hours": Decimal("20"),
    "reinstatement_law_hours": Decimal("2"),
    "reinstatement_patient_safety_hours": Decimal("1"),
}
DEFAULTS = {
    "max_college_hours": Decimal("0"),
    "accepts_non_acpe": False,
    "reinstatement_months": 0,
    "reinstatement_hours": Decimal("0"),
    "reinstatement_law_hours": Decimal("0"),
    "reinstatement_patient_safety_hours": Decimal("0"),
    "min_compounding_hours": Decimal("0"),
}


def forward(apps, schema_editor):
    CertificationType = apps.get_model("certifications", "CertificationType")
    Certification = apps.get_model("certifications", "Certification")
    types = {t.code: t for t in CertificationType.objects.filter(code__in=["CPHT", "CPHT_ADV", "CSPT"])}

    def seed(cert_type, values):
        # A queryset update: the new fields only, the row's other columns (updated_at) untouched.
        changed = {name: value for name, value in values.items() if getattr(cert_type, name) == DEFAULTS[name]}
        if changed:
            CertificationType.objects.filter(pk=cert_type.pk).update(**changed)

    for code in ("CPHT", "CPHT_ADV"):
        if code in types:
            seed(types[code], PTCB_CE)
    if "CSPT" in types:
        seed(types["CSPT"], {"min_compounding_hours": Decimal("2.5")})
    if "CPHT" in types and "CPHT_ADV" in types and types["CPHT_ADV"].upgrade_of_id is None:
        CertificationType.objects.filter(pk=types["CPHT_ADV"].pk).update(upgrade_of=types["CPHT"])

    if "CPHT" in types and "CPHT_ADV" in types:
        linked = set(Certification.objects.filter(upgraded_from__isnull=False).values_list("upgraded_from", flat=True))
        for adv in Certification.objects.filter(type=types["CPHT_ADV"], upgraded_from__isnull=True).order_by("id"):
            # The live rule's: a CPhT held (issued, not expired) on the upgrade's issue date.
            candidates = (
                Certification.objects.filter(
                    technician_id=adv.technician_id, type=types["CPHT"], issued_on__lte=adv.issued_on
                )
                .exclude(pk__in=linked)
                .exclude(expires_on__lte=adv.issued_on)
            )
            same_number = candidates.filter(~Q(number=""), number=adv.number).order_by("-issued_on", "-id").first()
            cpht = same_number or candidates.order_by("-issued_on", "-id").first()
            if cpht is None:
                continue
            adv.upgraded_from_id = cpht.pk
            if adv.expires_on is None and cpht.expires_on and cpht.expires_on > adv.issued_on:
                adv.expires_on = cpht.expires_on
            if not adv.number:
                adv.number = cpht.number
            adv.save(update_fields=["upgraded_from", "expires_on", "number"])
            linked.add(cpht.pk)


class Migration(migrations.Migration):
    dependencies = [("certifications", "0008_cphtadv_upgrade_renewal_policy_ce_sources")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
