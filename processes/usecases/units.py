"""Units: the tree of faculties, departments and offices, with their names in Kazakh, Russian and English
and their heads — administrators only, every change audited in the same transaction.

Nothing about belonging is overwritten: moving a person to another unit ends their membership and opens
a new one (`UnitMembership`), moving a unit under another ends its place in the tree and opens a new one
(`UnitParentHistory`); the current state stays in `User.unit_id` and `Unit.parent_id`.

Audited as `unit_created` (the unit after), `unit_updated` (the changed names, kind or head before and
after) and `unit_moved` (the parent before and after); a person's move is part of `user_updated`.

The head of a unit is the person the unit names (`Unit.head_id`) or, as before units named one, a
member holding a head role (unit_head, mcd_head): `is_head_of` is the one rule, `head_of` the person."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.usecases.access import HEAD_ROLES
from processes.usecases.admin import require_admin
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Invalid, NotFound
from storage import accounts, audit
from storage.models import Unit, UnitMembership, UnitParentHistory, User

KINDS = ("university", "faculty", "department", "office")
KIND_LABELS = {"university": N_("University"), "faculty": N_("Faculty"), "department": N_("Department"),
               "office": N_("Office")}
ROOT_KIND = "university"  # the top of the tree: never under another unit
CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,63}")
LANGS = ("kk", "ru", "en")
MAX_NAME = 300
FIELDS = frozenset({"code", "name", "kind", "parent", "head"})

LABELS = {
    "code": N_("Code"),
    "name.kk": N_("Name in Kazakh"),
    "name.ru": N_("Name in Russian"),
    "name.en": N_("Name in English"),
    "kind": N_("Kind of unit"),
    "parent": N_("Parent unit"),
    "head": N_("Head"),
}


def _error(field: str, msgid: str, **params: Any) -> Message:
    return Message(msgid, params, label=Message(LABELS.get(field, field)))


# --- heads -------------------------------------------------------------------------------------------

def is_head_of(user: User | None, unit: Unit | None, roles: Iterable[str] = HEAD_ROLES) -> bool:
    """Whether `user` heads `unit`: named its head, or a member holding one of `roles`."""
    if user is None or unit is None or not user.is_active:
        return False
    if unit.head_id is not None and unit.head_id == user.id:
        return True
    return user.unit_id == unit.id and bool(user.role_names & set(roles))


def headed_unit_ids(user: User, roles: Iterable[str] = HEAD_ROLES) -> set[int]:
    """The ids of the units `user` heads (by `is_head_of`)."""
    if not user.is_active:
        return set()
    ids = {u.id for u in user.headed_units}
    if user.unit_id is not None and user.role_names & set(roles):
        ids.add(user.unit_id)
    return ids


def head_of(ctx: Ctx, unit: Unit) -> User | None:
    """Who heads the unit: the person it names when active, else its one active member with a head role."""
    if unit.head is not None and unit.head.is_active:
        return unit.head
    members = ctx.session.execute(select(User).where(User.unit_id == unit.id, User.is_active.is_(True))
                                  .order_by(User.seniority, User.username)).scalars().unique()
    heads = [m for m in members if m.role_names & HEAD_ROLES]
    return heads[0] if len(heads) == 1 else None


# --- reading -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int
    members: int  # active people whose unit it is
    head: User | None


def _find(ctx: Ctx, code: object) -> Unit:
    unit = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none() \
        if isinstance(code, str) else None
    if unit is None:
        raise NotFound(N_("No such unit."))
    return unit


def get_unit(ctx: Ctx, code: str) -> Unit:
    require_admin(ctx)
    return _find(ctx, code)


def all_units(ctx: Ctx) -> list[Unit]:
    return list(ctx.session.execute(select(Unit).order_by(Unit.code)).scalars())


def tree(ctx: Ctx, lang: str = "kk", *, operator: bool = False) -> list[TreeRow]:
    """Every unit, each under its parent (depth-first; siblings by kind, then by name in `lang`)."""
    _require(ctx, operator)
    units = all_units(ctx)
    counts = dict(ctx.session.execute(select(User.unit_id, func.count()).where(
        User.unit_id.is_not(None), User.is_active.is_(True)).group_by(User.unit_id)).tuples().all())
    children: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (KINDS.index(u.kind) if u.kind in KINDS
                                                                    else len(KINDS), u.name_in(lang).casefold())):
            if unit.id in seen:
                continue
            seen.add(unit.id)
            rows.append(TreeRow(unit, depth, counts.get(unit.id, 0), head_of(ctx, unit)))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return rows


def members(ctx: Ctx, unit: Unit) -> list[User]:
    """The active people whose unit it is, by name."""
    require_admin(ctx)
    return list(ctx.session.execute(select(User).where(User.unit_id == unit.id, User.is_active.is_(True))
                                    .order_by(User.full_name)).scalars().unique())


def unit_memberships(ctx: Ctx, unit: Unit) -> list[UnitMembership]:
    """Who belonged to the unit when, the latest first."""
    require_admin(ctx)
    return list(ctx.session.execute(select(UnitMembership).where(UnitMembership.unit_id == unit.id)
                                    .order_by(UnitMembership.started_at.desc(), UnitMembership.id.desc()))
                .scalars().unique())


def parent_history(ctx: Ctx, unit: Unit) -> list[UnitParentHistory]:
    """Where the unit stood in the tree when, the latest first."""
    require_admin(ctx)
    return list(ctx.session.execute(select(UnitParentHistory).where(UnitParentHistory.unit_id == unit.id)
                                    .order_by(UnitParentHistory.id.desc())).scalars().unique())


def person_memberships(ctx: Ctx, user: User) -> list[UnitMembership]:
    """The units a person belonged to when, the latest first."""
    require_admin(ctx)
    return list(ctx.session.execute(select(UnitMembership).where(UnitMembership.user_id == user.id)
                                    .order_by(UnitMembership.started_at.desc(), UnitMembership.id.desc()))
                .scalars().unique())


def _codes(ctx: Ctx) -> dict[int, str]:
    return dict(ctx.session.execute(select(Unit.id, Unit.code)).tuples().all())


# --- validation --------------------------------------------------------------------------------------

@dataclass
class _Values:
    code: str | None = None
    name: dict[str, str] | None = None
    kind: str | None = None
    parent: Unit | None = None
    parent_given: bool = False
    head: User | None = None
    head_given: bool = False


def _validate(ctx: Ctx, body: Mapping[str, Any], *, creating: bool) -> _Values:
    """Check the fields given (all required ones when creating); every error at once (422)."""
    errors: dict[str, Message] = {}
    values = _Values()
    unknown = sorted(k for k in body if k not in FIELDS)
    if unknown:
        errors[unknown[0]] = _error(unknown[0], N_("Unknown field."))
    if creating:
        code = body.get("code")
        code = code.strip().upper() if isinstance(code, str) else code
        if not isinstance(code, str) or not CODE.fullmatch(code):
            errors["code"] = _error("code", N_(
                "Use 1 to 64 characters: capital Latin letters, digits, dots, hyphens and underscores, starting "
                "with a letter or a digit."))
        else:
            values.code = code
    elif "code" in body:
        errors["code"] = _error("code", N_("A unit's code cannot be changed."))
    if creating or "name" in body:
        raw = body.get("name")
        if not isinstance(raw, Mapping) or set(raw) - set(LANGS):
            errors["name.kk"] = _error("name.kk", N_("Give the texts in Kazakh, Russian and English."))
        else:
            names: dict[str, str] = {}
            for lang in LANGS:
                value = raw.get(lang) or ""
                if not isinstance(value, str):
                    errors[f"name.{lang}"] = _error(f"name.{lang}", N_("Enter text."))
                    continue
                value = " ".join(value.split())
                if len(value) > MAX_NAME:
                    errors[f"name.{lang}"] = _error(f"name.{lang}", N_("At most %(n)s characters."), n=MAX_NAME)
                names[lang] = value
            if not names.get("kk") and "name.kk" not in errors:
                errors["name.kk"] = _error("name.kk", N_("Enter the name in Kazakh."))
            values.name = names
    if creating or "kind" in body:
        kind = body.get("kind")
        if kind not in KINDS:
            errors["kind"] = _error("kind", N_("Choose the kind of unit."))
        else:
            values.kind = kind
    if "parent" in body:
        code = body.get("parent")
        if code in (None, ""):
            values.parent_given = True
        else:
            parent = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none() \
                if isinstance(code, str) else None
            if parent is None:
                errors["parent"] = _error("parent", N_("No such unit."))
            else:
                values.parent, values.parent_given = parent, True
    if "head" in body:
        username = body.get("head")
        if username in (None, ""):
            values.head_given = True
        else:
            head = accounts.find_user(ctx.session, username) if isinstance(username, str) else None
            if head is None:
                errors["head"] = _error("head", N_("No such user."))
            elif not head.is_active:
                errors["head"] = _error("head", N_("This account is disabled: choose an active person."))
            else:
                values.head, values.head_given = head, True
    if errors:
        raise Invalid(errors)
    return values


def _check_place(ctx: Ctx, unit: Unit | None, kind: str, parent: Unit | None) -> None:
    """A university stays at the top; a unit goes under neither itself nor one of its own units (409)."""
    if parent is None:
        return
    if kind == ROOT_KIND:
        raise Conflict(N_("The university is the top of the tree: it cannot be placed under another unit."))
    if unit is None:
        return
    parents = dict(ctx.session.execute(select(Unit.id, Unit.parent_id)).tuples().all())
    at: int | None = parent.id
    steps = 0
    while at is not None and steps <= len(parents):
        if at == unit.id:
            raise Conflict(N_("A unit cannot be placed under itself or under one of its own units."))
        at = parents.get(at)
        steps += 1


# --- changes -----------------------------------------------------------------------------------------

def create_unit(ctx: Ctx, body: Mapping[str, Any], *, operator: bool = False) -> Unit:
    """Add a unit (code, names, kind; parent and head optional); a taken code → 409. Audited as
    `unit_created`. `operator`: the `kelisim` command (no account)."""
    _require(ctx, operator)
    values = _validate(ctx, body, creating=True)
    assert values.code is not None and values.name is not None and values.kind is not None
    if ctx.session.execute(select(Unit.id).where(Unit.code == values.code)).first() is not None:
        raise Conflict(N_("A unit with this code exists already."))
    _check_place(ctx, None, values.kind, values.parent)
    unit = Unit(code=values.code, name_kk=values.name["kk"], name_ru=values.name["ru"], name_en=values.name["en"],
                kind=values.kind, parent_id=values.parent.id if values.parent else None,
                head_id=values.head.id if values.head else None)
    unit.head = values.head
    ctx.session.add(unit)
    ctx.session.flush()
    ctx.session.add(UnitParentHistory(unit_id=unit.id, parent_id=unit.parent_id, started_at=ctx.now(),
                                      recorded_by=_by(ctx, operator)))
    ctx.session.flush()
    audit.append(ctx.session, _actor(ctx, operator), "unit_created", object=f"unit:{unit.code}",
                 data={"after": _snapshot(ctx, unit)}, request_id=ctx.request_id)
    return unit


def update_unit(ctx: Ctx, code: str, body: Mapping[str, Any], *, operator: bool = False) -> Unit:
    """Change what is given of a unit's names, kind and head (`unit_updated`, the changed values before
    and after); a `parent` given moves it (`move_unit`)."""
    _require(ctx, operator)
    unit = _find(ctx, code)
    values = _validate(ctx, body, creating=False)
    kind = values.kind or unit.kind
    if values.parent_given:
        _check_place(ctx, unit, kind, values.parent)
    elif values.kind is not None and unit.parent_id is not None:
        _check_place(ctx, unit, kind, ctx.session.get(Unit, unit.parent_id))
    before = _snapshot(ctx, unit)
    if values.name is not None:
        unit.name_kk, unit.name_ru, unit.name_en = values.name["kk"], values.name["ru"], values.name["en"]
    if values.kind is not None:
        unit.kind = values.kind
    if values.head_given:
        unit.head_id = values.head.id if values.head else None
        unit.head = values.head
    ctx.session.flush()
    after = _snapshot(ctx, unit)
    changed = [k for k in ("name", "kind", "head") if before[k] != after[k]]
    if changed:
        audit.append(ctx.session, _actor(ctx, operator), "unit_updated", object=f"unit:{unit.code}",
                     data={"before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}},
                     request_id=ctx.request_id)
    if values.parent_given:
        _move(ctx, unit, values.parent, operator)
    return unit


def move_unit(ctx: Ctx, code: str, parent: str | None, *, operator: bool = False) -> Unit:
    """Place a unit under another (None or "": at the top). Under itself or one of its own units, or the
    university under anything → 409. Audited as `unit_moved`, its place in the tree kept in its history."""
    return update_unit(ctx, code, {"parent": parent}, operator=operator)


def _move(ctx: Ctx, unit: Unit, parent: Unit | None, operator: bool) -> None:
    new = parent.id if parent else None
    if new == unit.parent_id:
        return
    before = _codes(ctx).get(unit.parent_id) if unit.parent_id else None
    now = ctx.now()
    for row in ctx.session.execute(select(UnitParentHistory).where(
            UnitParentHistory.unit_id == unit.id, UnitParentHistory.ended_at.is_(None))).scalars().unique():
        row.ended_at = now
    unit.parent_id = new
    ctx.session.add(UnitParentHistory(unit_id=unit.id, parent_id=new, started_at=now, recorded_by=_by(ctx, operator)))
    ctx.session.flush()
    audit.append(ctx.session, _actor(ctx, operator), "unit_moved", object=f"unit:{unit.code}",
                 data={"before": {"parent": before}, "after": {"parent": parent.code if parent else None}},
                 request_id=ctx.request_id)


def record_membership(ctx: Ctx, user: User, old_unit_id: int | None, *, operator: bool = False) -> None:
    """After a person's unit changed from `old_unit_id`: end their open membership, open one in the new unit
    (part of the change the caller audits)."""
    if user.unit_id == old_unit_id:
        return
    now = ctx.now()
    for row in ctx.session.execute(select(UnitMembership).where(
            UnitMembership.user_id == user.id, UnitMembership.ended_at.is_(None))).scalars().unique():
        row.ended_at = now
    if user.unit_id is not None:
        ctx.session.add(UnitMembership(user_id=user.id, unit_id=user.unit_id, started_at=now,
                                       recorded_by=_by(ctx, operator)))
    ctx.session.flush()


# --- helpers -----------------------------------------------------------------------------------------

def _require(ctx: Ctx, operator: bool) -> None:
    if not (operator and ctx.user is None):
        require_admin(ctx)


def _actor(ctx: Ctx, operator: bool) -> audit.Actor:
    return audit.Actor(None, "cli") if operator and ctx.user is None else ctx.actor


def _by(ctx: Ctx, operator: bool) -> str | None:
    return ctx.user.username if ctx.user is not None else ("cli" if operator else None)


def _snapshot(ctx: Ctx, unit: Unit) -> dict[str, Any]:
    codes = _codes(ctx)
    return {"code": unit.code, "name": {"kk": unit.name_kk, "ru": unit.name_ru, "en": unit.name_en},
            "kind": unit.kind, "parent": codes.get(unit.parent_id) if unit.parent_id else None,
            "head": unit.head.username if unit.head else None}


def as_json(unit: Unit, codes: Mapping[int, str]) -> dict[str, Any]:
    """A unit as the API gives it: code, names, kind, parent's code, head's username."""
    return {"code": unit.code, "name": {"kk": unit.name_kk, "ru": unit.name_ru, "en": unit.name_en},
            "kind": unit.kind, "parent": codes.get(unit.parent_id) if unit.parent_id else None,
            "head": unit.head.username if unit.head else None}

