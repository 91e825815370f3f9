"""People: accounts created, edited, disabled and re-enabled by administrators; passwords set by their
owners through one-time links (the administrator never sees nor sets one) or changed by themselves.

Every change is audited in the same transaction, with the values before and after an edit
(`user_created`, `user_updated`, `user_disabled`, `user_enabled`, `password_link_issued` — never the
token —, `password_set`, `password_changed`)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forms.validate import N_, Message
from processes.usecases import paging
from processes.usecases import units as unit_tree
from processes.usecases.admin import ADMIN, require_admin
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, DomainError, Invalid, NotFound, TooManyAttempts
from storage import accounts, audit
from storage.models import AuditEvent, PasswordLink, Unit, User, UserRole

# The roles the processes know (their own starters, routing and access rules); roles some account
# already holds are offered too.
KNOWN_ROLES = ("employee", "unit_head", "mcd_specialist", "mcd_head", "public_person", "rector", "vice_rector",
               "dean", "registry_clerk", "council_secretary", "amd_head", "auditor", ADMIN)
# A vice-rector's area of responsibility, as the routing tables name it (`vice_rector:finance`).
AREAS = ("finance", "academic", "research", "international", "youth")
LANGS = ("kk", "ru", "en")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
FIELDS = frozenset({"username", "full_name", "email", "unit", "position", "roles", "area"})
MAX_TEXT = 200

LABELS = {
    "username": N_("Username"),
    "full_name.kk": N_("Full name in Kazakh"),
    "full_name.ru": N_("Full name in Russian"),
    "full_name.en": N_("Full name in English"),
    "email": N_("E-mail"),
    "unit": N_("Unit"),
    "position": N_("Position"),
    "position.kk": N_("Position in Kazakh"),
    "position.ru": N_("Position in Russian"),
    "position.en": N_("Position in English"),
    "roles": N_("Roles"),
    "area": N_("Area of responsibility"),
    "active": N_("Status"),
    "reason": N_("Reason for disabling"),
    "confirm": N_("Confirmation"),
    "password": N_("New password"),
    "password2": N_("New password again"),
    "current": N_("Current password"),
}


def field_error(field: str, msgid: str, **params: Any) -> Message:
    return Message(msgid, params, label=Message(LABELS.get(field, field)))


class LinkGone(DomainError):
    """A password link that was used, replaced by a newer one, or expired."""

    status = 410


@dataclass(frozen=True)
class Person:
    """Validated account fields; None means "not given" (a partial update leaves it as it is)."""

    username: str | None = None
    full_name: dict[str, str] | None = None
    email: str | None = None
    email_given: bool = False
    unit: Unit | None = None
    unit_given: bool = False
    position: dict[str, str] | None = None
    roles: list[str] | None = None
    area: str | None = None
    area_given: bool = False


def assignable_roles(ctx: Ctx) -> list[str]:
    held = set(ctx.session.execute(select(UserRole.role)).scalars())
    return sorted(set(KNOWN_ROLES) | held)


def units(ctx: Ctx) -> list[Unit]:
    return list(ctx.session.execute(select(Unit).order_by(Unit.name_kk)).scalars())


def snapshot(user: User) -> dict[str, Any]:
    """What an administrator edits, as the audit trail records it before and after a change."""
    return {"full_name": dict(user.full_names), "email": user.email, "unit": user.unit.code if user.unit else None,
            "position": dict(user.positions), "roles": sorted(user.role_names), "area": user.area,
            "active": user.is_active}


def _texts(raw: object, field: str, errors: dict[str, Message], required_kk: bool) -> dict[str, str] | None:
    """{"kk", "ru", "en"} texts of up to 200 characters; a single text counts as all three languages."""
    if isinstance(raw, str):
        raw = {lang: raw for lang in LANGS}
    if not isinstance(raw, Mapping) or set(raw) - set(LANGS):
        errors[field] = field_error(f"{field}.kk", N_("Give the texts in Kazakh, Russian and English."))
        return None
    texts: dict[str, str] = {}
    for lang in LANGS:
        value = raw.get(lang, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[f"{field}.{lang}"] = field_error(f"{field}.{lang}", N_("Enter text."))
            continue
        value = " ".join(value.split())
        if len(value) > MAX_TEXT:
            errors[f"{field}.{lang}"] = field_error(f"{field}.{lang}", N_("At most %(n)s characters."), n=MAX_TEXT)
        texts[lang] = value
    if required_kk and not texts.get("kk") and f"{field}.kk" not in errors:
        errors[f"{field}.kk"] = field_error(f"{field}.kk", N_("Enter the full name in Kazakh."))
    return texts


def validate(ctx: Ctx, body: Mapping[str, Any], *, creating: bool) -> Person:
    """Check an account's fields (all of them when creating, those given when editing); every error at once
    (422, by field path: `full_name.kk`, `roles`, …)."""
    errors: dict[str, Message] = {}
    values: dict[str, Any] = {}
    if creating or "username" in body:
        username = body.get("username")
        if not isinstance(username, str) or not USERNAME.fullmatch(username.strip()):
            errors["username"] = field_error("username", N_(
                "Use 2 to 80 characters: small Latin letters, digits, dots, hyphens and underscores, starting with "
                "a letter or a digit."))
        else:
            values["username"] = username.strip()
    if creating or "full_name" in body:
        values["full_name"] = _texts(body.get("full_name"), "full_name", errors, required_kk=True)
    if "position" in body:
        position = _texts(body.get("position") or {}, "position", errors, required_kk=False)
        if position is not None and not any(k.startswith("position") for k in errors):
            values["position"] = accounts.position_fields(position)  # a missing language takes another's
    if "email" in body:
        email = body.get("email")
        email = email.strip() if isinstance(email, str) else email
        if email in (None, ""):
            values.update(email=None, email_given=True)
        elif not isinstance(email, str) or len(email) > MAX_TEXT or not EMAIL.fullmatch(email):
            errors["email"] = field_error("email", N_("Not a valid e-mail address."))
        else:
            values.update(email=email, email_given=True)
    if "unit" in body:
        code = body.get("unit")
        if code in (None, ""):
            values.update(unit=None, unit_given=True)
        else:
            unit = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none() \
                if isinstance(code, str) else None
            if unit is None:
                errors["unit"] = field_error("unit", N_("No such unit."))
            else:
                values.update(unit=unit, unit_given=True)
    area_from_roles: str | None = None
    if creating or "roles" in body:
        raw = body.get("roles")
        known = set(assignable_roles(ctx))
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            errors["roles"] = field_error("roles", N_("Choose at least one role."))
        else:
            roles: set[str] = set()
            for item in raw:
                role, _, area = item.strip().partition(":")  # `vice_rector:finance`: the role and its area
                if role not in known or (area and area not in AREAS):
                    errors["roles"] = field_error("roles", N_("No such role: %(role)s."), role=item)
                    break
                if area:
                    if area_from_roles not in (None, area):
                        errors["roles"] = field_error("roles", N_("A person has one area of responsibility."))
                        break
                    area_from_roles = area
                roles.add(role)
            else:
                if not roles:
                    errors["roles"] = field_error("roles", N_("Choose at least one role."))
                values["roles"] = sorted(roles)
    if "area" in body or area_from_roles:
        area = body.get("area", area_from_roles)
        if area in (None, ""):
            area = area_from_roles
        if area is not None and (not isinstance(area, str) or area not in AREAS):
            errors["area"] = field_error("area", N_("No such area of responsibility."))
        elif area_from_roles and area != area_from_roles:
            errors["area"] = field_error("area", N_("A person has one area of responsibility."))
        else:
            values.update(area=area, area_given=True)
    if errors:
        raise Invalid(errors)
    return Person(**values)


def _require(ctx: Ctx, operator: bool) -> None:
    """Administrators only; `operator`: the `kelisim` command run by whoever operates the server (no account)."""
    if not (operator and ctx.user is None):
        require_admin(ctx)


def _find(ctx: Ctx, username: str) -> User:
    user = accounts.find_user(ctx.session, username)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def list_users(ctx: Ctx, *, after: str | None = None, limit: int | None = None) -> list[User]:
    """Accounts by username (those after `after`, at most `limit`)."""
    require_admin(ctx)
    query = select(User).order_by(User.username).options(selectinload(User.roles))  # the list shows them
    if after:
        query = query.where(User.username > after)
    if limit:
        query = query.limit(limit)
    return list(ctx.session.execute(query).scalars().unique())


def get_user(ctx: Ctx, username: str) -> User:
    require_admin(ctx)
    return _find(ctx, username)


# accounts in the order of their usernames (unique): the key of the list's keyset paging
BY_USERNAME = paging.Segment(((User.username, False),))


def search_users(ctx: Ctx, *, q: str = "", status: str = "", after: paging.Key | None = None,
                 before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[User]:
    """One page of accounts by username (the shared keyset paging, with its count): those whose username or
    name (in any language) contains `q`, `status` "active" or "disabled" (else all)."""
    require_admin(ctx)
    query = select(User)
    text = " ".join(q.split())[:MAX_TEXT]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(like, escape="\\") for column in (
            User.username, User.full_name, User.full_name_ru, User.full_name_en))))
    if status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "disabled":
        query = query.where(User.is_active.is_(False))
    return paging.fetch(ctx.session, query, [BY_USERNAME], after=after, before=before, limit=limit)


@dataclass(frozen=True)
class Disabling:
    reason: str | None
    by: str | None  # the full name of whoever disabled the account (their username when no longer known)
    at: Any


def disabling(ctx: Ctx, user: User) -> Disabling | None:
    """Why, by whom and when a disabled account was disabled (its latest `user_disabled` audit entry)."""
    require_admin(ctx)
    if user.is_active:
        return None
    found = audit.entries(ctx.session, AuditEvent.object == f"user:{user.username}",
                          AuditEvent.action == "user_disabled", newest_first=True, limit=1)
    if not found:
        return Disabling(None, None, None)
    entry = found[0]
    by = None
    if entry.actor:
        actor = accounts.find_user(ctx.session, entry.actor)
        by = actor.full_name if actor else entry.actor
    reason = (entry.data or {}).get("reason")
    return Disabling(reason if isinstance(reason, str) else None, by, entry.at)


def _apply(user: User, person: Person) -> None:
    if person.full_name is not None:
        user.full_name = person.full_name["kk"]
        user.full_name_ru, user.full_name_en = person.full_name["ru"], person.full_name["en"]
    if person.email_given:
        user.email = person.email
    if person.unit_given:
        user.unit_id = person.unit.id if person.unit else None
        user.unit = person.unit
    if person.position is not None:
        user.position_kk = person.position["position_kk"]
        user.position_ru = person.position["position_ru"]
        user.position_en = person.position["position_en"]
    if person.roles is not None and set(person.roles) != user.role_names:
        keep = [r for r in user.roles if r.role in person.roles]
        user.roles = keep + [UserRole(role=r) for r in person.roles if r not in user.role_names]
    if person.area_given:
        user.area = person.area


def create_user(ctx: Ctx, body: Mapping[str, Any], *, operator: bool = False,
                password: str | None = None) -> tuple[User, str | None]:
    """Add an account with no password; return it and the token of its one-time password link (shown
    once). A taken username → 409. Only the server's operator (`kelisim user create --password`) may
    give a password instead (e.g. the first administrator's): then there is no link."""
    _require(ctx, operator)
    person = validate(ctx, body, creating=True)
    assert person.username is not None and person.full_name is not None and person.roles is not None
    if accounts.find_user(ctx.session, person.username) is not None:
        raise Conflict(N_("An account with this username exists already."))
    if password is not None:
        errors: dict[str, Message] = {}
        _new_password(password, password, errors)
        if errors:
            raise Invalid(errors)
    try:  # the same username created at the same moment: the unique index decides, the other gets 409
        user = accounts.create_user(ctx.session, person.username, person.full_name["kk"],
                                    password if operator else None, person.roles)
    except IntegrityError as exc:
        raise Conflict(N_("An account with this username exists already.")) from exc
    _apply(user, person)
    ctx.session.flush()
    unit_tree.record_membership(ctx, user, None, operator=operator)
    audit.append(ctx.session, _actor(ctx, operator), "user_created", object=f"user:{user.username}",
                 data={"after": snapshot(user)}, request_id=ctx.request_id)
    if password is not None and operator:
        return user, None
    return user, _issue_link(ctx, user, operator)


def update_user(ctx: Ctx, username: str, body: Mapping[str, Any]) -> User:
    """Change what is given of an account (a partial update); `active` false with a `reason` disables it,
    true re-enables it. Audited as `user_updated` with the changed values before and after."""
    require_admin(ctx)
    user = _find(ctx, username)
    if "username" in body and body["username"] != user.username:
        raise Invalid({"username": field_error("username", N_("A username cannot be changed."))})
    active = body.get("active")
    if "active" in body and not isinstance(active, bool):
        raise Invalid({"active": field_error("active", N_("Give true or false."))})
    person = validate(ctx, {k: v for k, v in body.items() if k in FIELDS - {"username"}}, creating=False)
    if person.roles is not None and user.id == ctx.me.id and ADMIN not in person.roles:
        raise Conflict(N_("You cannot take the administrator role from yourself."))
    before, old_unit_id = snapshot(user), user.unit_id
    _apply(user, person)
    ctx.session.flush()
    unit_tree.record_membership(ctx, user, old_unit_id)  # the move kept in the unit's history
    after = snapshot(user)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        audit.append(ctx.session, ctx.actor, "user_updated", object=f"user:{user.username}",
                     data={"before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}},
                     request_id=ctx.request_id)
    if active is False and user.is_active:
        disable_user(ctx, username, body.get("reason"))
    elif active is True and not user.is_active:
        enable_user(ctx, username)
    return user


def disable_user(ctx: Ctx, username: str, reason: object, *, operator: bool = False) -> User:
    """Disable an account, with a reason: its sessions and API tokens end at once (audited as
    `user_disabled` with the reason). Yourself, or an account already disabled → 409."""
    _require(ctx, operator)
    user = _find(ctx, username)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid({"reason": field_error("reason", N_("Give the reason for disabling the account."))})
    if len(reason) > 2000:
        raise Invalid({"reason": field_error("reason", N_("At most %(n)s characters."), n=2000)})
    if ctx.user is not None and user.id == ctx.user.id:
        raise Conflict(N_("You cannot disable your own account."))
    if not user.is_active:
        raise Conflict(N_("This account is already disabled."))
    accounts.disable_user(ctx.session, user)
    audit.append(ctx.session, _actor(ctx, operator), "user_disabled", object=f"user:{username}",
                 data={"reason": reason.strip()}, request_id=ctx.request_id)
    ctx.session.flush()
    return user


def enable_user(ctx: Ctx, username: str, *, operator: bool = False) -> User:
    """Let a disabled account log in again (audited as `user_enabled`); an active one → 409."""
    _require(ctx, operator)
    user = _find(ctx, username)
    if user.is_active:
        raise Conflict(N_("This account is active already."))
    user.is_active = True
    audit.append(ctx.session, _actor(ctx, operator), "user_enabled", object=f"user:{username}",
                 request_id=ctx.request_id)
    ctx.session.flush()
    return user


def _actor(ctx: Ctx, operator: bool) -> audit.Actor:
    return audit.Actor(None, "cli") if operator and ctx.user is None else ctx.actor


def _issue_link(ctx: Ctx, user: User, operator: bool = False) -> str:
    token = accounts.issue_password_link(ctx.session, user, ctx.user.username if ctx.user else "cli", ctx.now())
    audit.append(ctx.session, _actor(ctx, operator), "password_link_issued", object=f"user:{user.username}",
                 data={"expires_at": (ctx.now() + accounts.PASSWORD_LINK_LIFETIME).isoformat()},
                 request_id=ctx.request_id)
    return token


def issue_password_link(ctx: Ctx, username: str, *, operator: bool = False) -> str:
    """A new one-time link for the user to set their password (older ones stop working); the token is
    returned once and never stored nor audited."""
    _require(ctx, operator)
    user = _find(ctx, username)
    if not user.is_active:
        raise Conflict(N_("This account is disabled: enable it first."))
    return _issue_link(ctx, user, operator)


def link_user(ctx: Ctx, token: str, *, lock: bool = False) -> tuple[User, PasswordLink]:
    """Whose link this is, while it may be used: unknown → 404; used, replaced, expired or of a disabled
    account → 410."""
    link = accounts.find_password_link(ctx.session, token, lock=lock) if token else None
    if link is None:
        raise NotFound(N_("This link is not known. Check that you copied all of it."))
    if not accounts.password_link_usable(link, ctx.now()) or not link.user.is_active:
        raise LinkGone(N_("This link has expired or was used already. Ask the administrator for a new one."))
    return link.user, link


def _new_password(password: object, again: object, errors: dict[str, Message]) -> str:
    if not isinstance(password, str) or not password:
        errors["password"] = field_error("password", N_("Enter the new password."))
        return ""
    try:
        accounts.check_password_policy(password)
    except accounts.PasswordRejected as exc:
        text = str(exc)
        errors["password"] = field_error("password", N_("Use at least %(n)s characters."), n=8) if "least" in text \
            else field_error("password", N_("At most %(n)s characters."), n=256) if "most" in text \
            else field_error("password", N_("This password is too common: choose another."))
    if again != password:
        errors["password2"] = field_error("password2", N_("The two passwords differ."))
    return password


def set_password_by_link(ctx: Ctx, token: str, password: object, again: object) -> User:
    """The person sets their password through the link: it is used up, and every session and API token of
    theirs ends (audited as `password_set`, by them)."""
    user, link = link_user(ctx, token, lock=True)
    errors: dict[str, Message] = {}
    new = _new_password(password, again, errors)
    if errors:
        raise Invalid(errors)
    accounts.set_password(ctx.session, user, new)
    link.used_at = ctx.now()
    audit.append(ctx.session, audit.Actor(user.username, ",".join(sorted(user.role_names))), "password_set",
                 object=f"user:{user.username}", data={"link_issued_by": link.created_by},
                 request_id=ctx.request_id)
    ctx.session.flush()
    return user


def change_password(ctx: Ctx, current: object, password: object, again: object, *, keep_sid: str | None,
                    remote_addr: str | None = None, throttle: accounts.Throttle | None = None) -> None:
    """The signed-in user changes their own password (the current one checked): their other sessions and
    every API token end (audited as `password_changed`). A wrong current password counts as a failed
    log-in (the log-in throttle, `login_failed`): the caller commits it with the refusal."""
    user = ctx.me
    policy = throttle or accounts.Throttle()
    addr = (remote_addr or "?")[:64]
    wait = accounts.retry_after(ctx.session, user.username, addr, policy, ctx.now())
    if wait:
        raise TooManyAttempts(wait)
    errors: dict[str, Message] = {}
    if not isinstance(current, str) or not accounts.verify_password(user, current):
        errors["current"] = field_error("current", N_("The current password is wrong."))
        accounts.record_failure(ctx.session, user.username, addr, ctx.now(), policy)
        audit.append(ctx.session, ctx.actor, "login_failed", data={"remote_addr": addr, "password_change": True},
                     request_id=ctx.request_id)
    new = _new_password(password, again, errors)
    if errors:
        raise Invalid(errors)
    accounts.set_password(ctx.session, user, new, keep_sid=keep_sid)
    audit.append(ctx.session, ctx.actor, "password_changed", object=f"user:{user.username}",
                 request_id=ctx.request_id)
    ctx.session.flush()
