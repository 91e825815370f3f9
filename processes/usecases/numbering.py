"""The numbers documents and requests carry (their `reg_number`), such as SC-2026-00042: one gap-free
counter per prefix and year (the `RegistrationCounter` rows); and the codes that verify a document."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from processes.university_time import local
from processes.usecases.context import Ctx
from storage.models import RegistrationCounter

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def next_number(ctx: Ctx, prefix: str) -> str:
    """Take the next number under a row lock; the caller's transaction makes it permanent."""
    year = local(ctx.now()).year
    row = ctx.session.execute(select(RegistrationCounter).where(
        RegistrationCounter.prefix == prefix, RegistrationCounter.year == year).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = RegistrationCounter(prefix=prefix, year=year, last=0)
        ctx.session.add(row)
    row.last += 1
    ctx.session.flush()
    return f"{prefix}-{year}-{row.last:05d}"


def verification_code() -> str:
    """Return a 12-character code, easy to read aloud and type (about 60 bits)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
