"""Units' responsible persons for media questions (§7.10.4): each unit head keeps them current (name,
position, phone, e-mail, optionally the person's Kelisim account); MCD and auditors see every unit's.

Nothing is overwritten: an edit makes a new row that supersedes the old one (`ended_at`, `superseded_by_id`),
a removal only ends the row; confirming an entry unchanged sets `confirmed_at`. Each change is audited with
§7.10.4. An entry neither changed nor confirmed for a year is flagged to its unit head once (the worker)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.validate import N_, Message
from processes.usecases import notifications
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid, NotFound, denied
from processes.usecases.units import head_of, is_head_of
from storage import audit
from storage.models import Unit, UnitMediaContact, User

CLAUSE = "§7.10.4"
READERS = frozenset({"mcd_head", "mcd_specialist", "auditor"})  # every unit's contacts
STALE_AFTER = timedelta(days=365)
FIELDS = ("name", "position", "phone", "email", "user")
LIMITS = {"name": 300, "position": 300, "phone": 50, "email": 254, "user": 80}
LABELS = {"name": N_("Full name"), "position": N_("Position"), "phone": N_("Phone"), "email": N_("E-mail"),
          "user": N_("Kelisim account")}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,48}")


def current_contacts(session: Session, unit_id: int) -> list[UnitMediaContact]:
    """The unit's current responsible persons for media questions (not ended), oldest first."""
    return list(session.execute(select(UnitMediaContact).where(
        UnitMediaContact.unit_id == unit_id, UnitMediaContact.ended_at.is_(None))
        .order_by(UnitMediaContact.created_at, UnitMediaContact.id)).scalars())


# --- who may do what ---------------------------------------------------------------------------------

def may_read_all(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & READERS)


def may_read(ctx: Ctx, unit: Unit) -> bool:
    return may_read_all(ctx) or is_head_of(ctx.user, unit)


def may_edit(ctx: Ctx, unit: Unit) -> bool:
    return is_head_of(ctx.user, unit)


def _unit(ctx: Ctx, code: str) -> Unit:
    unit = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise NotFound(N_("No unit %(code)s."), code=code)
    return unit


def _require_head(ctx: Ctx, unit: Unit) -> None:
    ctx.me  # noqa: B018 - 401 before anything else when nobody is logged in
    if not may_edit(ctx, unit):
        raise denied(Forbidden(N_("Only the head of the unit keeps its media contacts (§7.10.4).")),
                     f"unit:{unit.code}", "media_contacts_edit")


# --- reading -----------------------------------------------------------------------------------------

def unit_contacts(ctx: Ctx, code: str) -> tuple[Unit, list[UnitMediaContact]]:
    """A unit and its current contacts, for MCD, auditors and the unit's head (403 for anyone else)."""
    unit = _unit(ctx, code)
    ctx.me  # noqa: B018
    if not may_read(ctx, unit):
        raise denied(Forbidden(N_("Only MCD, auditors and the unit's head see its media contacts.")),
                     f"unit:{unit.code}", "media_contacts_read")
    return unit, current_contacts(ctx.session, unit.id)


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    head: User | None
    contacts: list[UnitMediaContact]


def overview(ctx: Ctx) -> list[UnitRow]:
    """Every unit with its current contacts (MCD and auditors), units without any included."""
    ctx.me  # noqa: B018
    if not may_read_all(ctx):
        raise denied(Forbidden(N_("Only MCD and auditors see every unit's media contacts.")),
                     "media_contacts", "read")
    units = list(ctx.session.execute(select(Unit).order_by(Unit.code)).scalars())
    by_unit: dict[int, list[UnitMediaContact]] = {}
    for c in ctx.session.execute(select(UnitMediaContact).where(UnitMediaContact.ended_at.is_(None))
                                 .order_by(UnitMediaContact.created_at, UnitMediaContact.id)).scalars():
        by_unit.setdefault(c.unit_id, []).append(c)
    return [UnitRow(u, head_of(ctx, u), by_unit.get(u.id, [])) for u in units]


def headed_units(ctx: Ctx) -> list[Unit]:
    """The units the current user heads (whose contacts they keep)."""
    if ctx.user is None:
        return []
    units = ctx.session.execute(select(Unit).order_by(Unit.code)).scalars()
    return [u for u in units if is_head_of(ctx.user, u)]


# --- changing ----------------------------------------------------------------------------------------

def _error(field: str, msgid: str, **params: Any) -> Message:
    return Message(msgid, params, label=Message(LABELS.get(field, field)))


def _clean(ctx: Ctx, body: Any, base: UnitMediaContact | None) -> dict[str, Any]:
    """The checked values: the body's, over `base`'s for an edit. 422 with a message per field."""
    if not isinstance(body, Mapping):
        raise Invalid({"_form": Message(N_("The data must be a JSON object."))})
    errors: dict[str, Message] = {}
    for key in body:
        if key not in FIELDS:
            errors[str(key)] = _error(str(key), N_("Unknown field."))
    values: dict[str, Any] = {
        "name": base.name if base else "", "position": base.position if base else "",
        "phone": base.phone if base else "", "email": base.email if base else "",
        "user": base.user.username if base is not None and base.user is not None else ""}
    for key in FIELDS:
        if key not in body:
            continue
        raw = body[key]
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            errors[key] = _error(key, N_("Enter text."))
            continue
        values[key] = " ".join(raw.split())
        if len(values[key]) > LIMITS[key]:
            errors[key] = _error(key, N_("At most %(n)s characters (you entered %(count)s)."),
                                 n=LIMITS[key], count=len(values[key]))
    if "name" not in errors and not values["name"]:
        errors["name"] = _error("name", N_("This field is required."))
    if "email" not in errors and values["email"] and not _EMAIL.fullmatch(values["email"]):
        errors["email"] = _error("email", N_("Enter an e-mail address such as name@kineu.kz."))
    if "phone" not in errors and values["phone"] and not _PHONE.fullmatch(values["phone"]):
        errors["phone"] = _error("phone", N_("Enter a phone number such as +7 714 255 00 00."))
    if not values["email"] and not values["phone"] and "email" not in errors and "phone" not in errors:
        errors["phone"] = _error("phone", N_("Give a phone number or an e-mail address (§7.10.4)."))
    account = None
    if values["user"] and "user" not in errors:
        account = ctx.session.execute(select(User).where(User.username == values["user"])).scalar_one_or_none()
        if account is None:
            errors["user"] = _error("user", N_("No account %(name)s."), name=values["user"])
        elif not account.is_active:
            errors["user"] = _error("user", N_("The account %(name)s is disabled."), name=values["user"])
    if errors:
        raise Invalid(errors)
    return {**values, "account": account}


def _snapshot(c: UnitMediaContact) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "position": c.position, "phone": c.phone, "email": c.email,
            "user": c.user.username if c.user else None}


def _find(ctx: Ctx, unit: Unit, contact_id: int) -> UnitMediaContact:
    row = ctx.session.get(UnitMediaContact, contact_id)
    if row is None or row.unit_id != unit.id:
        raise NotFound(N_("No such media contact of unit %(code)s."), code=unit.code)
    return row


def _current(ctx: Ctx, unit: Unit, contact_id: int) -> UnitMediaContact:
    from processes.usecases.errors import Conflict

    row = _find(ctx, unit, contact_id)
    if row.ended_at is not None:
        raise Conflict(N_("This entry was already changed or removed: reload the page to see the current one."))
    return row


def add(ctx: Ctx, code: str, body: Any) -> UnitMediaContact:
    unit = _unit(ctx, code)
    _require_head(ctx, unit)
    v = _clean(ctx, body, None)
    now = ctx.now()
    row = UnitMediaContact(unit_id=unit.id, user_id=v["account"].id if v["account"] else None, name=v["name"],
                           position=v["position"], phone=v["phone"], email=v["email"], created_at=now,
                           created_by_id=ctx.me.id, confirmed_at=now)
    ctx.session.add(row)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "media_contact_added", object=f"unit:{unit.code}", clause=CLAUSE,
                 request_id=ctx.request_id, data={"unit": unit.code, "after": _snapshot(row)})
    return row


def edit(ctx: Ctx, code: str, contact_id: int, body: Any) -> UnitMediaContact:
    """A new row with the changed values supersedes the old one (which is kept, ended)."""
    unit = _unit(ctx, code)
    _require_head(ctx, unit)
    old = _current(ctx, unit, contact_id)
    v = _clean(ctx, body, old)
    now = ctx.now()
    row = UnitMediaContact(unit_id=unit.id, user_id=v["account"].id if v["account"] else None, name=v["name"],
                           position=v["position"], phone=v["phone"], email=v["email"], created_at=now,
                           created_by_id=ctx.me.id, confirmed_at=now)
    ctx.session.add(row)
    ctx.session.flush()
    old.ended_at, old.superseded_by_id = now, row.id
    audit.append(ctx.session, ctx.actor, "media_contact_changed", object=f"unit:{unit.code}", clause=CLAUSE,
                 request_id=ctx.request_id, data={"unit": unit.code, "before": _snapshot(old), "after": _snapshot(row)})
    return row


def remove(ctx: Ctx, code: str, contact_id: int) -> UnitMediaContact:
    unit = _unit(ctx, code)
    _require_head(ctx, unit)
    row = _current(ctx, unit, contact_id)
    row.ended_at = ctx.now()
    audit.append(ctx.session, ctx.actor, "media_contact_removed", object=f"unit:{unit.code}", clause=CLAUSE,
                 request_id=ctx.request_id, data={"unit": unit.code, "before": _snapshot(row)})
    return row


def confirm(ctx: Ctx, code: str, contact_id: int) -> UnitMediaContact:
    """The head confirms the entry is still current: a new year starts (and a new flag after it)."""
    unit = _unit(ctx, code)
    _require_head(ctx, unit)
    row = _current(ctx, unit, contact_id)
    row.confirmed_at, row.stale_flagged_at = ctx.now(), None
    audit.append(ctx.session, ctx.actor, "media_contact_confirmed", object=f"unit:{unit.code}", clause=CLAUSE,
                 request_id=ctx.request_id, data={"unit": unit.code, "contact": _snapshot(row)})
    return row


# --- the worker's flag ---------------------------------------------------------------------------------

def flag_stale(ctx: Ctx) -> int:
    """Tell each unit head once about every entry of their unit neither changed nor confirmed for a year
    (in the app and by e-mail); a later confirmation starts the cycle again. Returns how many were flagged."""
    due = list(ctx.session.execute(select(UnitMediaContact).where(
        UnitMediaContact.ended_at.is_(None), UnitMediaContact.stale_flagged_at.is_(None),
        UnitMediaContact.confirmed_at <= ctx.now() - STALE_AFTER).order_by(UnitMediaContact.id)).scalars())
    for row in due:
        head = head_of(ctx, row.unit)
        row.stale_flagged_at = ctx.now()
        if head is not None:
            notifications.notify(ctx, head.id, None, "media_contact_stale", title=row.name, unit=row.unit.code)
        audit.append(ctx.session, ctx.actor, "media_contact_flagged", object=f"unit:{row.unit.code}",
                     clause=CLAUSE, request_id=ctx.request_id,
                     data={"unit": row.unit.code, "contact": _snapshot(row),
                           "confirmed_at": row.confirmed_at.isoformat(), "told": head.username if head else None})
    ctx.session.flush()
    return len(due)


def contact_json(c: UnitMediaContact) -> dict[str, Any]:
    return {"id": c.id, "unit": c.unit.code, "name": c.name, "position": c.position, "phone": c.phone,
            "email": c.email, "user": c.user.username if c.user else None,
            "created_at": c.created_at.isoformat(), "confirmed_at": c.confirmed_at.isoformat(),
            "stale": c.stale_flagged_at is not None}


def seed_demo(ctx: Ctx) -> str | None:
    """One contact for FE-IS (employee2's account) and one for MCD, once."""
    made = []
    for code, username, name, position, phone in (
            ("FE-IS", "employee2", None, "Оқытушы, БАҚ сұрақтары бойынша жауапты", "+7 714 255 10 21"),
            ("MCD", "mcd.specialist", None, "Маркетинг және коммуникациялар бөлімінің маманы", "+7 714 255 10 05")):
        unit = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        user = ctx.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if unit is None or user is None or current_contacts(ctx.session, unit.id):
            continue
        row = UnitMediaContact(unit_id=unit.id, user_id=user.id, name=name or user.full_name, position=position,
                               phone=phone, email=user.email or "", created_at=ctx.now(), confirmed_at=ctx.now())
        ctx.session.add(row)
        ctx.session.flush()
        audit.append(ctx.session, ctx.actor, "media_contact_added", object=f"unit:{code}", clause=CLAUSE,
                     request_id=ctx.request_id, data={"unit": code, "after": _snapshot(row), "demo": True})
        made.append(code)
    return f"media contacts for {', '.join(made)}" if made else None
