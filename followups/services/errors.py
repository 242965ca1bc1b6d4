"""The one error the desk's services raise for a refused action."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DeskError(ValidationError):
    """A refused action, with a Chinese `.message` that says what to fix (shown to the user as is).

    A ValidationError, so forms and views that already handle those show it without special cases.
    """

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message, code=code)

    def __str__(self) -> str:
        return str(self.message)
