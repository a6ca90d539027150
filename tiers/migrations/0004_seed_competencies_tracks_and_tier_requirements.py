"""The default competencies, their checklists, the tier requirements and the two tracks.

Checklist items paraphrase DOMAIN.md section 2 (state rules, USP <795>/<797>/<800>, PTCB
content outlines, ISMP, DEA); the tiers follow DOMAIN.md section 1.2 and the issue:
- TECH2: the core checklists (dispensing, intake, inventory, controlled substances) plus
  insurance billing and non-sterile compounding; CPhT required.
- TECH3: vendor communication plus one specialty of the advanced duties (sterile compounding per
  USP <797>, hazardous drugs, automation, medication history, tech-check-tech, immunization
  support, point-of-care testing) - the "proficient in N function areas" model of Northside.
- LEAD: training and precepting junior staff, scheduling/workflow and pharmacist liaison,
  mentoring.
USP <797> intervals: garbing and aseptic technique follow the site's compounding category
(6 months for Category 1-2, 3 for Category 3; ``revalidation_months`` holds the 6-month
default); didactic training every 12 months. Competencies without a regulatory interval are
re-validated yearly, as many hospitals do (Joint Commission asks for at least every 3 years).
Track hour targets are derived (DOMAIN.md marks them unverified): 40 h of shadowing for a first
management position, more for Assistant Pharmacy Manager.
"""

from decimal import Decimal

from django.db import migrations

OBS, DEMO, WRITTEN, SIM = "observation", "demonstration", "written_test", "simulation"

# code, name, category, revalidation_months, usp797_kind, items
# item: text, or (text, {measure fields})
COMPETENCIES = [
    (
        "DISPENSING",
        "Dispensing and filling accuracy",
        "core",
        12,
        "",
        [
            "Scans every stock bottle against the label: drug, strength and dosage form",
            "Counts and measures correctly; cleans the tray after cytotoxic, penicillin or sulfa products",
            "Checks expiry and beyond-use dates and rotates stock",
            "Applies auxiliary labels; reconstitutes suspensions with the labelled volume of water",
            "Separates look-alike/sound-alike and high-alert products",
            "Repackages unit doses with lot and expiry recorded",
            "Reports near-misses through the site's safety system",
        ],
    ),
    (
        "RX_INTAKE",
        "Prescription intake and data entry",
        "core",
        12,
        "",
        [
            "Confirms two patient identifiers (name and date of birth)",
            "Checks prescriber NPI/DEA, drug, strength, quantity, directions and refills",
            "Updates allergies and the medication list",
            "Enters sig, days' supply, DAW and origin codes",
            "Applies Schedule II rules (no refills)",
            "Routes clinical questions and DUR alerts to the pharmacist",
        ],
    ),
    (
        "INVENTORY",
        "Inventory control and ordering",
        "operations",
        12,
        "",
        [
            "Places the daily wholesaler order and checks receipts against invoices",
            "Tunes par levels from usage",
            "Adds new NDC barcodes to the formulary/BCMA database",
            "Tracks shortages and keeps DSCSA transaction data",
            "Checks outdates at least quarterly; processes recalls and returns",
            "Logs refrigerator and freezer temperatures and acts on excursions",
        ],
    ),
    (
        "CS_HANDLING",
        "Controlled substances and counts",
        "operations",
        12,
        "",
        [
            "Orders Schedule II on DEA Form 222 or CSOS; checks in and signs receipts",
            "Keeps perpetual Schedule II counts per policy",
            "Takes the biennial inventory: exact counts for CII, estimates for CIII-V unless over 1,000 units",
            "Witnesses waste and reports theft or loss on DEA Form 106",
            "Spots diversion red flags and forged prescriptions",
        ],
    ),
    (
        "BILLING",
        "Insurance billing and adjudication",
        "billing",
        12,
        "",
        [
            "Captures BIN, PCN, group, cardholder ID and person code",
            "Resolves common rejects: 70, 75, 76, 79, 88 and 41",
            "Runs coordination of benefits, primary then secondary",
            "Initiates and tracks prior authorizations",
            "Reverses unclaimed prescriptions within the payer's contract window",
            "Keeps audit documentation (ICD-10 codes, prescriber clarifications)",
        ],
    ),
    (
        "NONSTERILE_795",
        "Non-sterile compounding (USP <795>)",
        "compounding",
        12,
        "",
        [
            "Performs hand hygiene and garbing; cleans and sanitises surfaces; verifies the balance",
            "Follows the Master Formulation Record and completes the Compounding Record",
            "Assigns default beyond-use dates (aqueous 14/35 days, non-aqueous oral 90, other 180)",
            "Labels BUD and storage; inspects the preparation before release",
            "Handles non-sterile hazardous drugs under USP <800>",
        ],
    ),
    (
        "STERILE_797",
        "Sterile compounding: garbing and aseptic technique (USP <797>)",
        "compounding",
        6,
        "garbing_aseptic",
        [
            "Hand hygiene and garbing in order, dirtiest to cleanest, without jewellery or cosmetics",
            (
                "Initial gloved-fingertip sampling after garbing: 0 CFU on 3 tests in a row",
                {"measure": "cfu", "max_cfu": 0, "passes_required": 3, "initial_only": True},
            ),
            "Media-fill test: no growth after incubation",
            (
                "Gloved-fingertip and thumb sampling after the media fill: 3 CFU or fewer",
                {"measure": "cfu", "max_cfu": 3},
            ),
            "Aseptic technique: sterile 70 % IPA on critical sites, never blocks first air",
            "Confirms the ISO 5 primary engineering control is running and within certification",
            "Cleans and disinfects the PEC and room surfaces top to bottom, and logs it",
        ],
    ),
    (
        "STERILE_DIDACTIC",
        "Sterile compounding didactic training (USP <797>)",
        "compounding",
        12,
        "didactic",
        [
            "Written test: aseptic principles, first air and critical sites",
            "Written test: cleaning, disinfecting and environmental monitoring",
            "Written test: beyond-use dates and compounding categories",
        ],
    ),
    (
        "HD_800",
        "Hazardous drug handling (USP <800>)",
        "compounding",
        12,
        "",
        [
            "Knows the site's HD list and assessment of risk; unpacks and stores HDs in designated areas",
            "Wears two pairs of ASTM D6978 gloves changed every 30 minutes and a gown changed every 2-3 hours",
            "Compounds in a C-PEC in a negative-pressure room",
            "Deactivates, decontaminates, cleans and disinfects; runs a spill kit and documents it",
            "Disposes of trace and bulk HD waste correctly",
        ],
    ),
    (
        "AUTOMATION",
        "Automated dispensing cabinets and robotics",
        "operations",
        12,
        "",
        [
            "Restocks from scheduled reports and scans every item loaded",
            "Resolves cabinet discrepancies by the end of the shift; blind counts on controlled pockets",
            "Checks pocket outdates and empties return bins",
            "Cleans and calibrates counting robots; runs downtime procedures",
        ],
    ),
    (
        "MED_HISTORY",
        "Medication history and reconciliation",
        "clinical",
        12,
        "",
        [
            "Prioritises admissions and runs a structured patient or caregiver interview",
            "Verifies the list with at least two sources (outpatient pharmacy, PCP, facility MAR)",
            "Records dose, route, frequency, last dose, allergies, OTC and herbal products",
            "Enters the history in the EHR for the pharmacist's discrepancy review",
            "Passes an accuracy audit at 90 % or better",
        ],
    ),
    (
        "IMMUNIZATION",
        "Immunization support",
        "clinical",
        12,
        "",
        [
            "Completed an ACPE practical immunization course and holds current CPR/BLS",
            "Gives two intramuscular and one subcutaneous injection observed by a trained pharmacist",
            "Picks the needle length by age and size; hands out the VIS",
            "Logs vaccine storage temperatures and documents in the state registry",
            "Manages the anaphylaxis kit, sharps and the needle-stick protocol",
        ],
    ),
    (
        "POCT",
        "Point-of-care testing",
        "clinical",
        12,
        "",
        [
            "Follows OSHA bloodborne-pathogen practice, PPE and biohazard waste rules",
            "Tests only under the site's CLIA certificate of waiver",
            "Follows the manufacturer's instructions (glucose, A1c, lipids, blood pressure, flu, strep, COVID-19)",
            "Runs internal and external quality control; flags invalid results",
        ],
    ),
    (
        "TCT",
        "Tech-check-tech (product verification)",
        "core",
        12,
        "",
        [
            "Written test on error types: wrong drug, strength, form or quantity, omission, expired, LASA, high-alert",
            (
                "Validation: at least 500 checks over at least 5 days at 99.8 % accuracy or better, "
                "with a 100 % pharmacist audit",
                {"measure": "tct", "tct_min_checks": 500, "tct_min_days": 5, "tct_min_accuracy": Decimal("99.80")},
            ),
            "Checks only barcode-scanned unit-dose or unit-of-use products, never own work",
        ],
    ),
    (
        "VENDOR_COMM",
        "Vendor communication",
        "operations",
        12,
        "",
        [
            "Places specialty and drop-ship orders",
            "Chases backorders and sources alternatives with the pharmacist",
            "Reconciles invoices; files credits and returns",
            "Follows GPO and contract pricing; acts on recalls; keeps vendor contacts current",
        ],
    ),
    (
        "PRECEPTING",
        "Training and precepting junior staff",
        "leadership",
        24,
        "",
        [
            "Completed preceptor training",
            "Uses the standard checklist and sign-off methods",
            "Observes a return demonstration before signing off; gives same-shift feedback",
            "Holds 30/60/90-day check-ins with new hires",
            "Escalates safety gaps to the pharmacist in charge",
        ],
    ),
    (
        "WORKFLOW",
        "Scheduling, workflow and pharmacist liaison",
        "leadership",
        24,
        "",
        [
            "Builds the schedule from peak-time and productivity reports",
            "Keeps the state pharmacist-to-technician ratio on every shift",
            "Assigns stations and covers call-outs and downtime",
            "Monitors fill times, queue and rejects; raises workflow issues with the pharmacist in charge",
        ],
    ),
    (
        "MENTORING",
        "Mentoring",
        "leadership",
        24,
        "",
        [
            "Completed the mentor orientation",
            "Holds monthly meetings with each mentee and records goals",
            "Gives feedback tied to the mentee's next-tier checklist",
        ],
    ),
    (
        "CONFLICT",
        "Communication and conflict resolution",
        "leadership",
        24,
        "",
        [
            "Leads a shift huddle with clear hand-offs",
            "De-escalates a patient or colleague conflict and documents it",
            "Delegates tasks matching each technician's competencies",
        ],
    ),
    (
        "BUDGET_METRICS",
        "Budgeting and operational metrics",
        "leadership",
        24,
        "",
        [
            "Reads the site's labour and inventory budget reports",
            "Tracks inventory turns against the target (12 or more a year)",
            "Presents monthly workflow and quality metrics to the pharmacy manager",
        ],
    ),
]

TIER_REQUIREMENTS = {
    "TECH2": {
        "required": ["DISPENSING", "RX_INTAKE", "INVENTORY", "CS_HANDLING", "BILLING", "NONSTERILE_795"],
        "specialty": [],
        "min_specialty": 0,
        "certifications": ["CPHT"],
    },
    "TECH3": {
        "required": ["VENDOR_COMM"],
        "specialty": ["STERILE_797", "HD_800", "AUTOMATION", "MED_HISTORY", "TCT", "IMMUNIZATION", "POCT"],
        "min_specialty": 1,
        "certifications": ["CPHT"],
    },
    "LEAD": {
        "required": ["PRECEPTING", "WORKFLOW", "MENTORING"],
        "specialty": [],
        "min_specialty": 0,
        "certifications": ["CPHT"],
    },
}

# code, name, kind, description, positions
# position: code, name, min tier, competencies, certifications, shadowing h, leadership h, description
TRACKS = [
    (
        "CLINICAL",
        "Clinical track",
        "clinical",
        "Patient-facing services beside the pharmacist: immunization support, health screenings, "
        "medication history and reconciliation, sterile compounding.",
        [
            (
                "IMMUNIZATION_TECH",
                "Immunization Technician",
                "TECH2",
                ["IMMUNIZATION"],
                ["CPHT", "BLS"],
                0,
                0,
                "Gives vaccines under pharmacist supervision (HHS PREP Act; state law).",
            ),
            (
                "POCT_TECH",
                "Point-of-Care Testing Technician",
                "TECH2",
                ["POCT"],
                ["CPHT"],
                0,
                0,
                "Blood pressure, glucose and other CLIA-waived screenings.",
            ),
            (
                "MED_HISTORY_TECH",
                "Medication History Technician",
                "TECH2",
                ["MED_HISTORY"],
                ["CPHT"],
                0,
                0,
                "Structured medication histories at admission for the pharmacist's reconciliation.",
            ),
            (
                "STERILE_TECH",
                "Sterile Compounding Technician",
                "TECH2",
                ["STERILE_797", "STERILE_DIDACTIC", "HD_800"],
                ["CPHT", "CSPT"],
                0,
                0,
                "IV admixture and hazardous-drug compounding in the cleanroom.",
            ),
        ],
    ),
    (
        "MANAGEMENT",
        "Management track",
        "management",
        "Scheduling and workflow, communication and conflict resolution, inventory and vendor management, "
        "budgeting and operational metrics; shadowing and rotational leadership are logged.",
        [
            (
                "INVENTORY_COORD",
                "Inventory Coordinator",
                "TECH2",
                ["INVENTORY", "VENDOR_COMM", "CS_HANDLING"],
                ["CPHT"],
                40,
                0,
                "Purchasing, shortages, DSCSA records and the biennial controlled-substance inventory.",
            ),
            (
                "LEAD_TECH",
                "Lead Technician",
                "TECH3",
                ["PRECEPTING", "WORKFLOW", "MENTORING"],
                ["CPHT"],
                40,
                120,
                "Schedules, trains and runs quality checks for a team.",
            ),
            (
                "ASST_MANAGER",
                "Assistant Pharmacy Manager",
                "LEAD",
                ["WORKFLOW", "CONFLICT", "BUDGET_METRICS"],
                ["CPHT"],
                80,
                240,
                "Runs technician operations with the pharmacy manager: budget, metrics, staffing.",
            ),
        ],
    ),
]


def seed(apps, schema_editor):
    Competency = apps.get_model("tiers", "Competency")
    ChecklistItem = apps.get_model("tiers", "ChecklistItem")
    Tier = apps.get_model("tiers", "Tier")
    Track = apps.get_model("tiers", "Track")
    TrackPosition = apps.get_model("tiers", "TrackPosition")
    CertificationType = apps.get_model("certifications", "CertificationType")

    competencies = {}
    for code, name, category, months, usp797_kind, items in COMPETENCIES:
        competency, _ = Competency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "revalidation_months": months,
                "usp797_kind": usp797_kind,
                "active": True,
            },
        )
        competencies[code] = competency
        if competency.items.exists():
            continue  # hr may have edited the checklist since; never overwrite it
        for position, item in enumerate(items, start=1):
            text, extra = (item, {}) if isinstance(item, str) else item
            ChecklistItem.objects.create(competency=competency, position=position, text=text, **extra)

    certification_types = {c.code: c for c in CertificationType.objects.all()}
    for tier_code, spec in TIER_REQUIREMENTS.items():
        tier = Tier.objects.filter(code=tier_code).first()
        if tier is None:
            continue
        tier.required_competencies.set([competencies[c] for c in spec["required"]])
        tier.specialty_competencies.set([competencies[c] for c in spec["specialty"]])
        tier.min_specialty_competencies = spec["min_specialty"]
        tier.save(update_fields=["min_specialty_competencies"])
        tier.required_certifications.set(
            [certification_types[c] for c in spec["certifications"] if c in certification_types]
        )

    tiers = {t.code: t for t in Tier.objects.all()}
    for code, name, kind, description, positions in TRACKS:
        track, _ = Track.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "description": description}
        )
        for order, (p_code, p_name, min_tier, comps, certs, shadowing, leadership, p_description) in enumerate(
            positions, 1
        ):
            position, _ = TrackPosition.objects.update_or_create(
                code=p_code,
                defaults={
                    "track": track,
                    "name": p_name,
                    "position": order,
                    "description": p_description,
                    "min_tier": tiers.get(min_tier),
                    "min_shadowing_hours": Decimal(shadowing),
                    "min_leadership_hours": Decimal(leadership),
                },
            )
            position.required_competencies.set([competencies[c] for c in comps])
            position.required_certifications.set([certification_types[c] for c in certs if c in certification_types])


def unseed(apps, schema_editor):
    """Clear the tier requirements; the rows themselves go with 0003's tables when it is reversed."""
    Tier = apps.get_model("tiers", "Tier")
    for tier in Tier.objects.all():
        tier.required_competencies.clear()
        tier.specialty_competencies.clear()
        tier.required_certifications.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0003_competencies_signoffs_evaluations_promotions_tracks"),
        ("certifications", "0002_seed_certification_types"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
