"""Page helpers for a withheld starter (processes/usecases/withheld.py): who started a case, or who a person of
it is, as the person viewing the page may see them."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_login import current_user

from processes.usecases import withheld


def _viewer() -> Any:
    return getattr(current_user, "user", None) if current_user and current_user.is_authenticated else None


def _lang() -> str:
    from flask_babel import get_locale

    locale = str(get_locale() or "kk")
    return locale if locale in ("kk", "ru", "en") else "kk"


def starter_name(instance: Any) -> str:
    """"Submitted by": the starter's name, or "Reporter withheld"."""
    if withheld.hidden(_viewer(), instance):
        return gettext(withheld.LABEL)
    return instance.started_by.name_in(_lang())


def case_person(instance: Any, person: Any) -> str:
    """A person of the case (a task's holder, a file's uploader): their name, or "Reporter withheld" when it is
    the withheld starter."""
    if person is None:
        return ""
    if withheld.is_starter(instance, person) and withheld.hidden(_viewer(), instance):
        return gettext(withheld.LABEL)
    return person.name_in(_lang())


def holder_line(instance: Any) -> str:
    return withheld.holder_line(_viewer(), instance, instance.holder, gettext(withheld.LABEL)) or ""


GLOBALS = {"starter_name": starter_name, "case_person": case_person, "holder_line": holder_line,
           "WITHHELD": withheld.WITHHELD}
