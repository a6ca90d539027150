"""The one exception type services raise for a rule a user broke.

``ApplicationError`` is a Django ``ValidationError`` too, so every edge translates it the same
way: a form shows it under the field it names (or at the top), the API answers 400 with the
field names as keys (``careerladder.core.api.exception_handler``), the Django admin shows it on
its form. A refusal of *who* may act (not a rule about the data) is Django's
``PermissionDenied`` (403), as everywhere in Django."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ApplicationError(ValidationError):
    """A business rule refused the change. ``field`` names the input it concerns, if any;
    ``errors`` gives several fields at once (``{field: message or [messages]}``)."""

    def __init__(
        self, message: str = "", *, field: str | None = None, errors: dict | None = None, extra: dict | None = None
    ):
        if errors:
            field_errors = {
                name: list(value) if isinstance(value, list | tuple) else [value] for name, value in errors.items()
            }
        else:
            field_errors = {field or NON_FIELD_ERRORS: [message]}
        super().__init__(field_errors)
        first_field, first_messages = next(iter(field_errors.items()))
        self.field = None if first_field == NON_FIELD_ERRORS else first_field
        self.message = message or str(first_messages[0])
        self.field_errors = {
            name: [str(m) for m in ValidationError(value).messages] for name, value in field_errors.items()
        }
        self.extra = extra or {}
        self._by_field = bool(errors)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        """The API's answer: ``{"detail": message}`` for one rule about no field, otherwise the
        messages by field name (errors about no field under ``non_field_errors``, as DRF has it)."""
        if not self._by_field and self.field is None:
            return {"detail": self.message, **self.extra}
        fields = {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in self.field_errors.items()}
        return {**fields, **self.extra}
