"""Domain messages (forms.validate.Message) in the reader's language: counts as its numbers (200 000)."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import format_decimal, gettext

from forms.validate import Message


def _number(value: int) -> str:
    return format_decimal(value)


def render(message: Message) -> str:
    """The message alone, as shown at its field."""
    return message.render(gettext, _number)


def labelled(message: Message) -> str:
    """The message after the label of its field ("Change 1 — New text: This field is required."), as an
    error summary or the JSON API says it."""
    return message.labelled(gettext, _number)


def field_errors(errors: Mapping[str, Message]) -> dict[str, str]:
    """Each field's message, for showing at the field."""
    return {name: render(m) for name, m in errors.items()}


def summary(errors: Mapping[str, Message]) -> dict[str, str]:
    """Each field's labelled message, for the error summary and the API."""
    return {name: labelled(m) for name, m in errors.items()}
