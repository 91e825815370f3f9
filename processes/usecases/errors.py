"""Domain errors; the web layer maps each to one HTTP status in one place."""
from __future__ import annotations

from forms.validate import Message


class DomainError(Exception):
    """Base: a request that cannot be carried out; `message` is a translatable Message."""

    status = 400

    def __init__(self, msgid: str, **params):
        super().__init__(msgid % params if params else msgid)
        self.message = Message(msgid, params)
        self.denial: tuple[str, str] | None = None


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Submitted data failed validation; `errors` maps field names to messages."""

    status = 422

    def __init__(self, errors: dict[str, Message]):
        super().__init__("The submitted data is not valid.")
        self.errors = errors


class TooLarge(DomainError):
    status = 413


def denied(error: DomainError, obj: str, operation: str) -> DomainError:
    """Mark an error as an access denial, which the transaction owner audits after rolling back."""
    error.denial = (obj, operation)
    return error
