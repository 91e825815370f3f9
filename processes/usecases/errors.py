"""Domain errors; the web layer maps each to one HTTP status in one place."""
from __future__ import annotations

from typing import Any

from forms.validate import N_, Message


class DomainError(Exception):
    """Base: a request that cannot be carried out; `message` is a translatable Message."""

    status = 400

    def __init__(self, msgid: str, **params):
        super().__init__(msgid % params if params else msgid)
        self.message = Message(msgid, params)
        self.denial: tuple[str, str] | None = None


class Unauthenticated(DomainError):
    """Wrong credentials (an unknown user, a wrong password or a disabled account: never which)."""

    status = 401


class TooManyAttempts(DomainError):
    """Log-in refused by the throttle until `retry_after` seconds have passed."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(N_("Too many failed attempts. Try again in %(s)s seconds."), s=retry_after)
        self.retry_after = retry_after


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Submitted data failed validation; `errors` maps field names to messages, and `values` (when given)
    are the values to show the user again (e.g. without the files that were not kept)."""

    status = 422

    def __init__(self, errors: dict[str, Message], values: dict[str, Any] | None = None):
        super().__init__("The submitted data is not valid.")
        self.errors = errors
        self.values = values


class TooLarge(DomainError):
    status = 413


def denied(error: DomainError, obj: str, operation: str) -> DomainError:
    """Mark an error as an access denial, which the transaction owner audits after rolling back."""
    error.denial = (obj, operation)
    return error
