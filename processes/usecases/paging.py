"""Keyset paging for every list (the inbox, submissions, instances, the archive, the register, the audit
trail): a page starts after (or, going back, before) the key of a row, never at an OFFSET.

A list is ordered by a key that ends with a unique column (the row's id or the audit seq), so two rows never
share a key and a row inserted between two page loads lands either before the page being read or after it:
paging on never shows a row twice and never skips one. Some lists read in several *segments* one after the
other (the register: open overdue requests by due date, then the other open ones, then the answered ones
by receipt), each with its own key and index; a position is then (segment, key…).

The count is honest: up to COUNT_CAP rows are counted exactly (a `LIMIT COUNT_CAP + 1` subquery, so a count
never reads more), beyond it the list says "more than COUNT_CAP".
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

COUNT_CAP = 10_000  # counted exactly up to here; tests lower it
DEFAULT_LIMIT = 50
MAX_LIMIT = 200  # a larger page size is refused with 400 (docs/API.md)

T = TypeVar("T")
Key = tuple[Any, ...]  # (segment, value…): where a page starts


@dataclass(frozen=True)
class Segment:
    """Rows of the list matching `where`, in the order of `order`: (expression, descending) pairs whose
    last expression is unique (an id); a list's segments partition its rows and are read one after another."""

    order: tuple[tuple[Any, bool], ...]  # (a column or SQL expression, descending)
    where: ColumnElement[bool] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Key | None  # the key to continue after; None on the last page
    prev: Key | None  # the key to go back before; None on the first page
    count: int | None  # rows of the whole list (its filters applied), up to COUNT_CAP; None when not counted
    more: bool = False  # more than COUNT_CAP rows: `count` is COUNT_CAP

    @property
    def first(self) -> bool:
        return self.prev is None


def clamp(limit: int | None) -> int:
    """A page size within 1..MAX_LIMIT (None: the default)."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(int(limit), MAX_LIMIT))


def count(session: Session, base: Select[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows `base` (its filters, not a page) has, counting at most `cap` + 1 of them: (count, more)."""
    cap = COUNT_CAP if cap is None else cap
    rows = base.with_only_columns(literal(1), maintain_column_froms=True).order_by(None).limit(cap + 1)
    n = session.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
    return (cap, True) if n > cap else (n, False)


def _beyond(order: Sequence[tuple[ColumnElement[Any], bool]], key: Sequence[Any], backward: bool):
    """SQL: the row comes after `key` in `order` (before it when `backward`)."""
    values = [literal(v, expr.type) for (expr, _), v in zip(order, key, strict=True)]
    directions = {desc for _, desc in order}
    if len(directions) == 1:  # one direction: a row comparison, which an index range scan answers
        left, right = tuple_(*(e for e, _ in order)), tuple_(*values)
        return left < right if (directions.pop() != backward) else left > right
    terms = []
    for i, (expr, desc) in enumerate(order):
        step = expr < values[i] if (desc != backward) else expr > values[i]
        terms.append(and_(*(order[j][0] == values[j] for j in range(i)), step))
    return or_(*terms)


def _ordering(order: Sequence[tuple[ColumnElement[Any], bool]], backward: bool) -> list[Any]:
    return [expr.desc() if (desc != backward) else expr.asc() for expr, desc in order]


def _first(result: Any) -> Any:
    """The row's first column (the listed object)."""
    return result[0]


def _single_entity(base: Select[Any]) -> Any:
    """The mapped class `base` selects, when it selects exactly one with a one-column primary key; else None."""
    described = base.column_descriptions
    if len(described) != 1:
        return None
    expr = described[0].get("expr")
    mapper = getattr(expr, "__mapper__", None)
    if not isinstance(expr, type) or mapper is None or len(mapper.primary_key) != 1:
        return None
    return expr


def fetch(session: Session, base: Select[Any], segments: Sequence[Segment], *, after: Key | None = None,
          before: Key | None = None, limit: int = DEFAULT_LIMIT, row: Callable[[Any], T] = _first,
          counted: bool = True) -> Page[T]:
    """One page of `base` (a select of the list's rows with its filters): the `limit` rows after `after`, or
    before `before`, or the first ones; `row` turns a result row (the selected columns, then the key's)
    into an item."""
    limit = clamp(limit)
    backward = before is not None
    start = before if backward else after
    if start is not None and not (isinstance(start, tuple | list) and start and isinstance(start[0], int)
                                  and 0 <= start[0] < len(segments)
                                  and len(start) == 1 + len(segments[start[0]].order)):
        raise ValueError("a position of another list")
    seg_i = start[0] if start is not None else (len(segments) - 1 if backward else 0)
    key = tuple(start[1:]) if start is not None else None
    items: list[T] = []
    keys: list[Key] = []
    entity = _single_entity(base) if row is _first else None
    # A list of one mapped class is read in two steps: the page's ids and keys by a narrow query (what the
    # indexes answer; the class's joined eager loads would widen every row the planner sorts and join tables
    # it would rather not), then those rows with their eager loads, by primary key.
    selected = base.with_only_columns(entity.__mapper__.primary_key[0], maintain_column_froms=True) \
        if entity is not None else base
    while 0 <= seg_i < len(segments) and len(items) <= limit:
        seg = segments[seg_i]
        n = len(seg.order)
        query = selected.add_columns(*(expr.label(f"_key{i}") for i, (expr, _) in enumerate(seg.order)))
        if seg.where is not None:
            query = query.where(seg.where)
        if key is not None:
            query = query.where(_beyond(seg.order, key, backward))
        query = query.order_by(None).order_by(*_ordering(seg.order, backward)).limit(limit + 1 - len(items))
        for result in session.execute(query):
            items.append(row(result))
            keys.append((seg_i, *tuple(result)[-n:]))
        seg_i += -1 if backward else 1
        key = None
    if entity is not None and items:
        pk = entity.__mapper__.primary_key[0]
        loaded = {getattr(obj, pk.key): obj for obj in session.execute(
            select(entity).where(pk.in_(items)).execution_options(populate_existing=False)).scalars().unique()}
        items = [loaded[i] for i in items]
    beyond = len(items) > limit
    if backward and not beyond:  # back at the start: the first page, full
        return fetch(session, base, segments, limit=limit, row=row, counted=counted)
    items, keys = items[:limit], keys[:limit]
    if backward:
        items.reverse()
        keys.reverse()
        nxt: Key | None = keys[-1]
        prev: Key | None = keys[0]
    else:
        nxt = keys[-1] if beyond else None
        prev = (keys[0] if keys else after) if after is not None else None
    if not counted:
        total, more = None, False
    elif start is None and not beyond:  # the whole list is on this first page: its rows are the count
        total, more = len(items), False
    else:
        total, more = count(session, base)
    return Page(items, nxt, prev, total, more)

