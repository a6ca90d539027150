from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

from careerladder.core.errors import ApplicationError
from careerladder.core.validators import validate_plausible_date
from technicians import selectors
from technicians.models import Site, Technician, User
from tiers import services as tiers_services


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "code", "name", "kind", "state"]


class TechnicianSerializer(serializers.ModelSerializer):
    """``tier`` is the current tier code. On create it is the starting tier (default TECH1),
    effective from ``hire_date``; later changes go through promotions."""

    tier = serializers.CharField(
        source="current_tier_code", required=False, max_length=20, help_text="Current tier code, e.g. TECH1."
    )
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.none())
    mentor = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none(), required=False, allow_null=True)
    termination_type = serializers.ChoiceField(
        choices=Technician.TerminationType.choices, required=False, allow_blank=True, allow_null=True
    )

    class Meta:
        model = Technician
        fields = [
            "id",
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "site",
            "hire_date",
            "status",
            "tier",
            "termination_date",
            "termination_type",
            "exit_reason",
            "exit_notes",
            "would_rehire",
            "mentor",
            "compounding_category",
        ]
        extra_kwargs = {
            "hire_date": {"validators": [validate_plausible_date]},
            "termination_date": {"validators": [validate_plausible_date]},
        }

    def __init__(self, *args, site_queryset=None, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if site_queryset is not None:
            self.fields["site"].queryset = site_queryset
        if technician_queryset is not None:
            self.fields["mentor"].queryset = technician_queryset
        request = self.context.get("request")
        if request is not None and not selectors.reads_all_in_scope(request.user, selectors.Record.SEPARATIONS):
            # An evaluator reads no separation or exit interview, not even their own (they have
            # none while at work): the fields depend on the role alone, so a list cached for a
            # role and its sites is the same for every evaluator of those sites.
            for name in selectors.SEPARATION_FIELDS:
                self.fields.pop(name, None)

    def validate_tier(self, value):
        # The rule is the ladder's (``tier_get_by_code``); this only puts its answer under the field.
        try:
            tiers_services.tier_get_by_code(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.message) from None
        return value

    def validate_termination_type(self, value):
        return value or ""

    def validate(self, attrs):
        if self.instance is not None and "current_tier_code" in attrs:
            tier = attrs.pop("current_tier_code")
            if tier != getattr(self.instance, "current_tier_code", None):
                raise serializers.ValidationError(
                    {"tier": "Change a tier through a promotion (promotions/), not by editing the technician."}
                )
        return attrs


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all(), required=False, allow_null=True)
    sites = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), many=True, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "password",
            "role",
            "technician",
            "sites",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "last_login",
        ]
        read_only_fields = ["last_login"]

    def validate(self, attrs):
        password = attrs.get("password")
        if self.instance is None and not password:
            raise serializers.ValidationError({"password": "A password is required for a new login."})
        if password:
            # The similarity check compares with every attribute it knows (username, e-mail,
            # first and last name): the new value where given, else the login's own.
            candidate = User(
                **{
                    name: attrs.get(name, getattr(self.instance, name, ""))
                    for name in ("username", "email", "first_name", "last_name")
                }
            )
            try:
                validate_password(password, user=candidate)
            except Exception as exc:  # django ValidationError: report under the field
                raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
