"""A withheld starter (§1.6, §13.1): who started a case of a kind with ``withholds_starter`` (a violation report's
reporter) is known only to the starter, auditors and the holders of the kind's ``starter_seen_by`` roles (the
head of MCD). One rule, consulted by every view of a case, in two halves:

- **written withheld**: an audit entry of such a case that the starter made carries the actor ``WITHHELD`` (and
  the starter's username nowhere in its object or data): the insert-only, hash-chained log itself never holds the
  name, so neither the audit views, their exports, the proofs' leaves nor a search by actor can give it away;
- **shown withheld**: the instance's ``started_by`` (API), "Submitted by" (pages, lists, case file), the holder
  of the starter's own open task, the diagram's holders and the uploader of the starter's files read
  ``WITHHELD`` / "Reporter withheld" to everyone else, and lists filtered by person or text never match the
  starter of a withheld case for them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, false, or_

from forms.validate import N_
from storage import audit
from storage.models import Instance, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from processes.usecases.kinds import ProcessKind

WITHHELD = "~withheld"  # stands for the starter: no username can hold "~"
LABEL = N_("Reporter withheld")


def _kind(process_key: str | None) -> ProcessKind | None:
    from processes.catalog import UnknownProcess, kind_of

    try:
        return kind_of(process_key or "")
    except UnknownProcess:
        return None


def withholding_keys() -> frozenset[str]:
    from processes.catalog import kinds

    return frozenset(k for k, kind in kinds().items() if kind.withholds_starter)


def withholds(instance: Instance | None) -> bool:
    kind = _kind(instance.process_key) if instance is not None else None
    return bool(kind and kind.withholds_starter)


def seers(kind: ProcessKind) -> frozenset[str]:
    from processes.usecases.access import READ_ALL_ROLES

    return READ_ALL_ROLES | kind.starter_seen_by


def sees_starter(user: User | None, instance: Instance) -> bool:
    """Whether `user` may learn who started `instance` (always, unless its kind withholds the starter)."""
    kind = _kind(instance.process_key)
    if kind is None or not kind.withholds_starter:
        return True
    if user is None:
        return False
    return user.id == instance.started_by_id or bool(user.role_names & seers(kind))


def hidden(user: User | None, instance: Instance) -> bool:
    return not sees_starter(user, instance)


def starter_username(user: User | None, instance: Instance) -> str:
    return instance.started_by.username if sees_starter(user, instance) else WITHHELD


def is_starter(instance: Instance, person: User | None) -> bool:
    return person is not None and person.id == instance.started_by_id


def person_username(user: User | None, instance: Instance, person: User | None) -> str | None:
    """A person of the case (a task's assignee, a file's uploader) as `user` may see them."""
    if person is None:
        return None
    return WITHHELD if is_starter(instance, person) and hidden(user, instance) else person.username


def holder_line(user: User | None, instance: Instance, line: str | None, withheld_label: str) -> str | None:
    """`Instance.holder` (the names of who holds it now) without the starter's name for those who may not know it."""
    if not line or not hidden(user, instance):
        return line
    starter = instance.started_by
    names = {starter.full_name, *(starter.full_names or {}).values()} if starter else set()
    parts = [withheld_label if part.strip() in names else part for part in line.split(", ")]
    return ", ".join(parts)


def hidden_where(user: User | None) -> ColumnElement[bool]:
    """SQL over `Instance`: the cases whose starter `user` may not learn (for person and text filters)."""
    from processes.catalog import kinds

    terms = []
    for key, kind in kinds().items():
        if not kind.withholds_starter:
            continue
        if user is not None and user.role_names & seers(kind):
            continue
        own = Instance.started_by_id != user.id if user is not None else None
        terms.append(and_(Instance.process_key == key, own) if own is not None else Instance.process_key == key)
    return or_(*terms) if terms else false()


# --- the audit trail: written withheld ------------------------------------------------------------------

def _scrub(value: Any, username: str) -> Any:
    if isinstance(value, str):
        if value == username:
            return WITHHELD
        if value == f"user:{username}":
            return f"user:{WITHHELD}"
        return value
    if isinstance(value, list | tuple):
        return [_scrub(v, username) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, username) for k, v in value.items()}
    return value


def entry_filter(session: Session, actor: audit.Actor, instance_id: int | None, object_: str | None,
                 data: dict[str, Any] | None) -> tuple[audit.Actor, str | None, dict[str, Any] | None]:
    """Before an audit entry is hashed: the starter of a withheld case is written as `WITHHELD`."""
    ref = instance_id
    if ref is None and isinstance(data, dict) and isinstance(data.get("instance"), int):
        ref = data["instance"]  # e.g. a notification about the case marked read
    if ref is None:
        return actor, object_, data
    instance = session.get(Instance, ref)
    if instance is None or not withholds(instance):
        return actor, object_, data
    starter = instance.started_by or session.get(User, instance.started_by_id)
    if starter is None:
        return actor, object_, data
    name = starter.username
    if actor.username == name:
        actor = audit.Actor(WITHHELD, roles=None)
    return actor, _scrub(object_, name), _scrub(data, name) if data is not None else None


def register() -> None:
    if entry_filter not in audit.ENTRY_FILTERS:
        audit.ENTRY_FILTERS.append(entry_filter)


register()
