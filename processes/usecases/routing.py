"""Resolve a routed role (the DMN's output) to a person, keeping separation of duties."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import User, UserRole

PUBLIC_PERSON = "public_person"


def holders(session: Session, role_key: str) -> list[User]:
    """Active users holding a routed role such as `rector` or `vice_rector:finance`."""
    role, _, area = role_key.partition(":")
    query = select(User).join(UserRole).where(UserRole.role == role, User.is_active.is_(True))
    if area:
        query = query.where(User.area == area)
    return list(session.execute(query.order_by(User.seniority, User.id)).scalars().unique())


def public_persons(session: Session) -> list[User]:
    return holders(session, PUBLIC_PERSON)


def resolve_approver(session: Session, role_key: str, submitter: User) -> User | None:
    """Return who clears it; nobody clears their own submission (§8.6, separation of duties).

    The routed holder is taken unless it is the submitter; then the nearest more senior public
    person; when there is none above (the rector's own text), the most senior one below.
    """
    for user in holders(session, role_key):
        if user.id != submitter.id:
            return user
    others = [u for u in public_persons(session) if u.id != submitter.id]
    if not others:
        return None
    rank = submitter.seniority
    above = [u for u in others if u.seniority < rank]
    return above[-1] if above else others[0]
