from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from careerladder.core.errors import ApplicationError


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class UserSession(models.Model):
    """Which login a server-side session belongs to.

    Django's session table is keyed by a random session key and keeps the user id inside the
    signed session data, so "every session of this login" would mean decoding every live
    session. A row is written here at each login (``careerladder.core.security``), so that
    deactivating a login or separating a technician ends that login's sessions with one
    indexed query (OWASP ASVS 5.0 V7.4: terminate all sessions when an account is disabled).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "login session"

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


def full_clean_fields(obj, *, exclude=()) -> None:
    """The model's field validation (not the unique checks and constraints, which the database
    enforces), re-raised with the API's field names (``site``, not ``site_id``)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError(errors={k.removesuffix("_id"): v for k, v in exc.message_dict.items()}) from None
