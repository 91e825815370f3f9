"""The university's expert pool (definitions section; §8.3, §8.5): the staff entitled to speak for the
university, approved by the rector. Every approval makes a new edition holding the whole list; editions are
never changed. Here: the queries other processes use (the media inquiry's single source), checking and
applying a proposal's changes, and the worker's flag of memberships whose term ends within a month."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forms.validate import N_, Message
from processes.university_time import date_text, today_local
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Invalid, NotFound
from storage import audit
from storage.models import ExpertPoolEdition, ExpertPoolMember, Instance, User

KEY = "expert_pool"
CLAUSE = "§8.3"  # public persons make official statements; the pool (definitions section) speaks with them
ACTIONS = ("add", "change", "remove")
LANGUAGES = ("kk", "ru", "en")
FORMATS = ("press", "tv", "radio", "online")
MCD_ROLES = ("mcd_head", "mcd_specialist")
MIN_WORD = 4  # shorter words of a text are not matched against topics
_WORD = re.compile(r"\w+", re.UNICODE)


# --- the queries the media inquiry imports -------------------------------------------------------------

def current_edition(session: Session) -> ExpertPoolEdition | None:
    """The latest approved edition of the pool, or None before the first."""
    return session.execute(select(ExpertPoolEdition).order_by(ExpertPoolEdition.number.desc()).limit(1)
                           ).scalar_one_or_none()


def members_of(session: Session, edition: ExpertPoolEdition | None) -> list[ExpertPoolMember]:
    """The members an edition holds, by name."""
    if edition is None:
        return []
    return list(session.execute(select(ExpertPoolMember).join(User, ExpertPoolMember.user_id == User.id)
                                .where(ExpertPoolMember.edition_id == edition.id)
                                .order_by(User.full_name, ExpertPoolMember.id)).scalars())


def current_members(session: Session) -> list[ExpertPoolMember]:
    """The members of the current edition, by name (terms not checked: see `membership`)."""
    return members_of(session, current_edition(session))


def membership(session: Session, user_id: int, on: date) -> ExpertPoolMember | None:
    """The user's membership in the current edition whose term lasts at least until `on`, else None."""
    edition = current_edition(session)
    if edition is None:
        return None
    return session.execute(select(ExpertPoolMember).where(
        ExpertPoolMember.edition_id == edition.id, ExpertPoolMember.user_id == user_id,
        ExpertPoolMember.term_until >= on)).scalar_one_or_none()


def words(text: str, shortest: int = MIN_WORD) -> list[str]:
    """The distinct lower-cased words of a text (Kazakh, Russian, English) at least `shortest` letters long."""
    seen: list[str] = []
    for word in _WORD.findall((text or "").lower()):
        if len(word) >= shortest and not word.isdigit() and word not in seen:
            seen.append(word)
    return seen


def _stem(word: str) -> str:
    """A crude stem, so that "цифровизации" finds "цифровизация" and "аккредитациясы" finds "аккредитация":
    the word less its last two letters, at least MIN_WORD letters long."""
    return word[:max(MIN_WORD, len(word) - 2)]


def _score(search_text: str, found: list[str]) -> int:
    """How well topics match the words: 2 for a word found whole, 1 for its stem only."""
    score = 0
    for word in found:
        if word in search_text:
            score += 2
        elif _stem(word) in search_text:
            score += 1
    return score


def experts_for(session: Session, text: str, on: date, limit: int = 10) -> list[ExpertPoolMember]:
    """Current members with a term lasting until `on` whose topics best match the words of `text` (at least
    four letters, case-insensitive), best first; only members with a match."""
    found = words(text)
    if not found:
        return []
    scored = [(_score(m.search_text, found), m) for m in current_members(session) if m.term_until >= on]
    ranked = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1].user.full_name, x[1].id))
    return [m for _, m in ranked[:max(0, limit)]]


# --- reading for the pages and the API ---------------------------------------------------------------

def search_text(topics: list[str]) -> str:
    return " | ".join(t.lower() for t in topics)[:2000]


def member_query(edition: ExpertPoolEdition, q: str | None = None):
    """SQL: the members of an edition, by name, those whose topics hold every word of `q` (any length)."""
    query = select(ExpertPoolMember).join(User, ExpertPoolMember.user_id == User.id).where(
        ExpertPoolMember.edition_id == edition.id)
    for word in words(q or "", shortest=1):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ExpertPoolMember.search_text.like(f"%{escaped}%", escape="\\"))
    return query


MEMBER_SEGMENTS = (paging.Segment(order=((User.full_name, False), (ExpertPoolMember.id, False))),)
EDITION_SEGMENTS = (paging.Segment(order=((ExpertPoolEdition.number, True),)),)


def member_page(ctx: Ctx, q: str | None = None, *, after=None, before=None,
                limit: int = paging.DEFAULT_LIMIT) -> paging.Page[ExpertPoolMember]:
    """A page of the current pool (empty before the first edition)."""
    edition = current_edition(ctx.session)
    if edition is None:
        return paging.Page(items=[], next=None, prev=None, count=0)
    return paging.fetch(ctx.session, member_query(edition, q), MEMBER_SEGMENTS, after=after, before=before,
                        limit=limit)


def edition_page(ctx: Ctx, *, after=None, before=None,
                 limit: int = paging.DEFAULT_LIMIT) -> paging.Page[ExpertPoolEdition]:
    return paging.fetch(ctx.session, select(ExpertPoolEdition), EDITION_SEGMENTS, after=after, before=before,
                        limit=limit)


def edition(ctx: Ctx, number: int) -> ExpertPoolEdition:
    found = ctx.session.execute(select(ExpertPoolEdition).where(ExpertPoolEdition.number == number)
                                ).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("No edition %(n)s of the expert pool."), n=number)
    return found


def edition_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(ExpertPoolEdition)).scalar_one()


def member_json(m: ExpertPoolMember, today: date | None = None) -> dict[str, Any]:
    user = m.user
    return {"user": user.username, "full_name": user.full_name, "full_names": user.full_names,
            "position": user.positions, "unit": user.unit.code if user.unit else None,
            "topics": list(m.topics), "languages": list(m.languages), "formats": list(m.formats),
            "term_until": m.term_until.isoformat(),
            "valid": (m.term_until >= today) if today is not None else None}


def edition_json(ed: ExpertPoolEdition, members: int | None = None) -> dict[str, Any]:
    return {"number": ed.number, "approved_at": ed.approved_at.isoformat(),
            "approved_by": ed.approved_by.username if ed.approved_by else None,
            "instance_id": ed.instance_id, "changes": list(ed.changes or []),
            **({"members": members} if members is not None else {})}


def member_counts(session: Session, editions: list[ExpertPoolEdition]) -> dict[int, int]:
    ids = [e.id for e in editions]
    if not ids:
        return {}
    rows = session.execute(select(ExpertPoolMember.edition_id, func.count()).where(
        ExpertPoolMember.edition_id.in_(ids)).group_by(ExpertPoolMember.edition_id))
    return {edition_id: n for edition_id, n in rows}


# --- a proposal's changes ------------------------------------------------------------------------------

def _split_topics(text: str) -> list[str]:
    """Split at commas, semicolons and new lines, but not inside brackets: "қабылдау (приём, admission)"
    is one topic."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if (ch in ",;" and depth == 0) or ch == "\n":
            parts.append("".join(current))
            current, depth = [], 0 if ch == "\n" else depth
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def topics_of(text: Any) -> list[str]:
    """Topics written comma- or newline-separated (or given as a list): each trimmed, once, in order."""
    parts = text if isinstance(text, list) else _split_topics(str(text or ""))
    seen: list[str] = []
    for part in parts:
        topic = " ".join(str(part).split())
        if topic and topic.lower() not in (s.lower() for s in seen):
            seen.append(topic[:200])
    return seen


@dataclass(frozen=True)
class Change:
    """One checked row of a proposal."""

    action: str
    user: User
    topics: list[str]
    languages: list[str]
    formats: list[str]
    term_until: date | None

    def as_data(self) -> dict[str, Any]:
        row: dict[str, Any] = {"action": self.action, "person": self.user.username}
        if self.action != "remove":
            row |= {"topics": ", ".join(self.topics), "languages": self.languages, "formats": self.formats,
                    "term_until": self.term_until.isoformat() if self.term_until else None}
        return row


def check_changes(session: Session, rows: Any, today: date, field: str = "changes") -> list[Change]:
    """Check a proposal's rows against the current edition; raise Invalid with a message at each row's field
    (`changes.0.person`, …) for every problem found."""
    errors: dict[str, Message] = {}
    if not isinstance(rows, list) or not rows:
        raise Invalid({field: Message(N_("Give at least one change."))})
    members = {m.user_id: m for m in current_members(session)}
    names = {str(r.get("person") or "").strip() for r in rows if isinstance(r, dict)}
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_(names))).scalars()}
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        at = f"{field}.{i}"
        if not isinstance(row, dict):
            errors[at] = Message(N_("Fill in each part of this field."))
            continue
        action = row.get("action")
        if action not in ACTIONS:
            errors[f"{at}.action"] = Message(N_("Not one of the allowed choices."))
        person = str(row.get("person") or "").strip()
        user = users.get(person)
        if not person:
            errors[f"{at}.person"] = Message(N_("This field is required."))
        elif user is None:
            errors[f"{at}.person"] = Message(N_("No account %(name)s."), {"name": person})
        elif not user.is_active:
            errors[f"{at}.person"] = Message(N_("The account %(name)s is disabled."), {"name": person})
        elif person in seen:
            errors[f"{at}.person"] = Message(N_("%(name)s is already in change %(n)s: one change per person."),
                                             {"name": person, "n": seen[person] + 1})
        elif action == "add" and user.id in members:
            errors[f"{at}.person"] = Message(N_("%(name)s is already in the pool: choose “Change” instead."),
                                             {"name": person})
        elif action in ("change", "remove") and user.id not in members:
            errors[f"{at}.person"] = Message(N_("%(name)s is not in the pool: choose “Add” instead."),
                                             {"name": person})
        if person:
            seen.setdefault(person, i)
        topics, languages, formats, term = [], [], [], None
        if action in ("add", "change"):
            topics = topics_of(row.get("topics"))
            if not topics:
                errors[f"{at}.topics"] = Message(N_("Name at least one topic."))
            languages = [x for x in LANGUAGES if x in (row.get("languages") or [])]
            if not languages:
                errors[f"{at}.languages"] = Message(N_("Choose at least one language."))
            elif set(row.get("languages") or []) - set(LANGUAGES):
                errors[f"{at}.languages"] = Message(N_("Not one of the allowed choices."))
            formats = [x for x in FORMATS if x in (row.get("formats") or [])]
            if not formats:
                errors[f"{at}.formats"] = Message(N_("Choose at least one format."))
            elif set(row.get("formats") or []) - set(FORMATS):
                errors[f"{at}.formats"] = Message(N_("Not one of the allowed choices."))
            raw = row.get("term_until")
            try:
                term = date.fromisoformat(str(raw)) if raw else None
            except ValueError:
                errors[f"{at}.term_until"] = Message(N_("Not a valid date."))
            else:
                if term is None:
                    errors[f"{at}.term_until"] = Message(N_("This field is required."))
                elif term < today:
                    errors[f"{at}.term_until"] = Message(N_("The term may not end in the past."))
        if user is not None and action in ACTIONS:
            changes.append(Change(str(action), user, topics, languages, formats, term))
    if errors:
        raise Invalid(errors)
    return changes


def apply_changes(ctx: Ctx, changes: list[Change], instance: Instance | None,
                  approver: User | None) -> ExpertPoolEdition:
    """Make the next edition: the current one's members with the changes applied (rows copied; a membership
    whose term is unchanged keeps its flag), audited."""
    session = ctx.session
    current = current_edition(session)
    number = (current.number if current else 0) + 1
    ed = ExpertPoolEdition(number=number, instance_id=instance.id if instance else None, approved_at=ctx.now(),
                           approved_by_id=approver.id if approver else None,
                           changes=[c.as_data() for c in changes])
    try:  # two approvals at the same moment: the number is unique, the later one is refused (409)
        with session.begin_nested():
            session.add(ed)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Another edition of the pool was approved at the same moment: reload and try "
                          "again.")) from None
    by_user = {c.user.id: c for c in changes}
    kept = 0
    for old in members_of(session, current):
        change = by_user.pop(old.user_id, None)
        if change is not None and change.action == "remove":
            continue
        if change is None:
            session.add(ExpertPoolMember(edition_id=ed.id, user_id=old.user_id, topics=list(old.topics),
                                         search_text=old.search_text, languages=list(old.languages),
                                         formats=list(old.formats), term_until=old.term_until,
                                         expiry_flagged_at=old.expiry_flagged_at))
        else:
            assert change.term_until is not None
            session.add(ExpertPoolMember(
                edition_id=ed.id, user_id=old.user_id, topics=change.topics, search_text=search_text(change.topics),
                languages=change.languages, formats=change.formats, term_until=change.term_until,
                expiry_flagged_at=old.expiry_flagged_at if change.term_until == old.term_until else None))
        kept += 1
    for change in by_user.values():
        if change.action == "add":
            assert change.term_until is not None
            session.add(ExpertPoolMember(edition_id=ed.id, user_id=change.user.id, topics=change.topics,
                                         search_text=search_text(change.topics), languages=change.languages,
                                         formats=change.formats, term_until=change.term_until))
            kept += 1
    session.flush()
    audit.append(session, ctx.actor, "expert_pool_edition_created", instance_id=instance.id if instance else None,
                 object=f"expert_pool:{number}", clause=CLAUSE, request_id=ctx.request_id,
                 data={"edition": number, "base": current.number if current else None, "members": kept,
                       "changes": ed.changes})
    return ed


# --- the worker's flag ---------------------------------------------------------------------------------

def month_ahead(day: date) -> date:
    """The same day a month later (the month's last day when it has no such day)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def flag_expiring(ctx: Ctx) -> int:
    """Tell MCD (every holder of mcd_head and mcd_specialist, in the app and by e-mail) once about each
    membership of the current edition whose term ends within a month (Almaty's today); returns how many."""
    from processes.usecases import notifications
    from processes.usecases.routing import holders

    edition = current_edition(ctx.session)
    if edition is None:
        return 0
    today = today_local(ctx.now())
    due = list(ctx.session.execute(select(ExpertPoolMember).where(
        ExpertPoolMember.edition_id == edition.id, ExpertPoolMember.expiry_flagged_at.is_(None),
        ExpertPoolMember.term_until <= month_ahead(today)).order_by(ExpertPoolMember.term_until,
                                                                     ExpertPoolMember.id)).scalars())
    if not due:
        return 0
    recipients: dict[int, User] = {}
    for role in MCD_ROLES:
        recipients.update({u.id: u for u in holders(ctx.session, role)})
    for member in due:
        member.expiry_flagged_at = ctx.now()
        title = f"{member.user.full_name} ({date_text(member.term_until)})"
        for user_id in recipients:
            notifications.notify(ctx, user_id, None, "pool_term_ending", process=KEY, title=title,
                                 user=member.user.username, term_until=member.term_until.isoformat())
        audit.append(ctx.session, ctx.actor, "expert_pool_term_flagged", object=f"user:{member.user.username}",
                     clause=CLAUSE, request_id=ctx.request_id,
                     data={"edition": edition.number, "user": member.user.username,
                           "term_until": member.term_until.isoformat(),
                           "told": sorted(u.username for u in recipients.values())})
    ctx.session.flush()
    return len(due)


def seed_edition(ctx: Ctx, rows: list[dict[str, Any]]) -> ExpertPoolEdition | None:
    """The demo's first edition, approved by the rector (no instance); nothing when an edition exists."""
    if current_edition(ctx.session) is not None:
        return None
    rector = ctx.session.execute(select(User).where(User.username == "rector")).scalar_one_or_none()
    changes = check_changes(ctx.session, rows, today_local(ctx.now()))
    return apply_changes(ctx, changes, None, rector)
