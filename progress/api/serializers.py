"""What ``technicians/{id}/progress/`` answers (``progress.selectors.technician_progress``)."""

from __future__ import annotations

from rest_framework import serializers

from competencies.api.serializers import CompetencyProgressSerializer
from tracks.api.serializers import TrackProgressSerializer


class MissingRequirementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["competency", "certification", "evaluation", "tenure"])
    code = serializers.CharField()
    detail = serializers.CharField()


class PtcbSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=["met", "on_track", "due_soon", "overdue"])
    policy_deadline = serializers.DateField(help_text="Hire date + the policy window, before any extension.")
    extended = serializers.BooleanField()
    days_left = serializers.IntegerField(help_text="Days to the deadline; negative once it has passed.")
    summary = serializers.CharField(help_text='In plain words, e.g. "PTCB due in 41 days".')
    awaiting_verification = serializers.BooleanField(
        help_text="Not met, and a self-reported CPhT (or CPhT-Adv) waits for a manager's verification."
    )
    lapsed_on = serializers.DateField(
        allow_null=True, help_text="Not met: the day the last verified CPhT (or CPhT-Adv) expired, if one did."
    )


class HeldCertificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    name = serializers.CharField()
    number = serializers.CharField(allow_blank=True)
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["active", "expiring", "expired"])
    verified = serializers.BooleanField()
    self_reported = serializers.BooleanField()
    awaiting_verification = serializers.BooleanField(help_text="Self-reported, not verified yet: it does not count.")
    upgraded_to = serializers.CharField(
        allow_null=True,
        help_text="Code of the active upgrade of this record (CPHT_ADV for a CPhT), which renews instead.",
    )


class CeProgressSerializer(serializers.Serializer):
    """Renewal progress of one held certification (PTCB's CE rule, attestation, window)."""

    certification = serializers.IntegerField()
    type = serializers.CharField()
    name = serializers.CharField()
    cycle_start = serializers.DateField()
    expires_on = serializers.DateField()
    window_opens_on = serializers.DateField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=["complete", "in_progress", "due_soon", "overdue"])
    ce_required = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    counted_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    technician_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    pharmacist_hours_counted = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    law_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    patient_safety_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    more_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    compounding_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    compounding_needed = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Sterile-compounding (ACPE 07) hours still missing.",
    )
    college_hours_counted = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Verified college-course hours, up to the cap.",
    )
    waiting_verification_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, help_text="CE without a UAN not verified yet."
    )
    attestation_required = serializers.BooleanField()
    attested_on = serializers.DateField(allow_null=True)
    attested_qualification = serializers.CharField(allow_blank=True)
    complete = serializers.BooleanField()
    message = serializers.CharField(help_text='What is still needed, e.g. "2.5 h more CE, incl. 1 h of law, by …".')


class ReinstatementSerializer(serializers.Serializer):
    """An expired credential that may still be reinstated, or may not any more."""

    certification = serializers.IntegerField()
    type = serializers.CharField()
    name = serializers.CharField()
    expired_on = serializers.DateField()
    deadline = serializers.DateField(help_text="The last day to reinstate (expiry + the reinstatement period).")
    status = serializers.ChoiceField(choices=["reinstate", "lapsed"])
    ce_required = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    counted_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    law_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    patient_safety_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    more_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    complete = serializers.BooleanField()
    headline = serializers.CharField(
        help_text='"Expired — reinstate by DATE", or "Lapsed beyond reinstatement: retake the exam".'
    )
    message = serializers.CharField()


class PracticeTestsProgressSerializer(serializers.Serializer):
    attempts = serializers.IntegerField()
    latest_score = serializers.IntegerField(allow_null=True)
    pass_mark = serializers.IntegerField()
    ready = serializers.BooleanField(help_text="The two latest attempts reached the pass mark.")
    weakest_domain = serializers.CharField(allow_null=True)
    weakest_domain_name = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class CphtAdvSerializer(serializers.Serializer):
    holds = serializers.BooleanField()
    eligible = serializers.BooleanField()
    experience_months = serializers.FloatField()
    certificates_held = serializers.IntegerField()
    certificates_needed = serializers.IntegerField()
    has_cspt = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class DeadlineSerializer(serializers.Serializer):
    date = serializers.DateField()
    text = serializers.CharField()
    detail = serializers.CharField()
    severity = serializers.ChoiceField(choices=["danger", "warning", "info", "success"])


class TrainingDueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    program = serializers.CharField(help_text="Programme code.")
    name = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=["assigned", "in_progress", "overdue"])
    days_left = serializers.IntegerField(help_text="Days to the due date; negative once it has passed.")
    ce_hours = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, coerce_to_string=False)


class RotationNextSerializer(serializers.Serializer):
    station = serializers.CharField()
    name = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    learning_week = serializers.BooleanField()


class ProgressSerializer(serializers.Serializer):
    tier = serializers.CharField(allow_null=True)
    next_tier = serializers.CharField(allow_null=True)
    eligible = serializers.BooleanField()
    missing = MissingRequirementSerializer(many=True)
    evaluation_average = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    months_in_tier = serializers.FloatField(allow_null=True)
    competencies = CompetencyProgressSerializer(many=True)
    tracks = TrackProgressSerializer(many=True)
    ptcb = PtcbSerializer()
    certifications = HeldCertificationSerializer(many=True)
    ce_progress = CeProgressSerializer(many=True)
    reinstatements = ReinstatementSerializer(many=True)
    practice_tests = PracticeTestsProgressSerializer()
    cpht_adv = CphtAdvSerializer()
    deadlines = DeadlineSerializer(many=True)
    training_due = TrainingDueSerializer(many=True, help_text="Open training assignments, soonest due first.")
    rotations_next = RotationNextSerializer(many=True, help_text="The current and next rotations (up to four).")
