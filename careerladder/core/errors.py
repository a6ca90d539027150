"""The one exception type that services raise for a rule a user broke."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the change. ``field`` names the input it concerns, if any."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def as_dict(self) -> dict:
        if self.field:
            return {self.field: [self.message], **self.extra}
        return {"detail": self.message, **self.extra}
