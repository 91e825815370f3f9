"""The expert pool (definitions section; §8.3, §8.5): the current pool for everyone logged in (searchable by
topic), its editions (what each changed, who approved it, when), and the same as JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import login_required
from sqlalchemy import select

from forms.validate import N_
from processes.expert_pool import pool
from processes.university_time import today_local
from processes.usecases import media_contacts
from storage.models import User
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("expert_pool", __name__)
NAV = [NavItem("expert_pool.current", N_("Expert pool"), None, order=33, group="media")]


def _q() -> str | None:
    return (request.args.get("q") or "").strip()[:200] or None


def _users(c, editions) -> dict[str, User]:
    names = {str(r.get("person")) for e in editions for r in (e.changes or [])}
    if not names:
        return {}
    return {u.username: u for u in c.session.execute(select(User).where(User.username.in_(names))).scalars()}


def _reads_proposals(c) -> bool:
    """Whether the user reads the proposals behind the editions (MCD, the rector, auditors, administrators)."""
    from processes.expert_pool.kind import READERS

    return bool(c.me.role_names & (READERS | {"admin"}))


def _may_propose(c) -> bool:
    from processes.catalog import kinds

    return kinds()[pool.KEY].may_start(c)


@bp.get("/expert-pool")
@login_required
def current():
    c = ctx()
    q = _q()
    page_ = pool.member_page(c, q, **paging.position("expert_pool"))
    return render_template("expert_pool/pool.html", members=page_.items, page=page_,
                           links=paging.links("expert_pool", page_), q=q, edition=pool.current_edition(c.session),
                           today=today_local(c.now()), soon=pool.month_ahead(today_local(c.now())),
                           may_propose=_may_propose(c),
                           may_see_contacts=media_contacts.may_read_all(c) or bool(media_contacts.headed_units(c)))


@bp.get("/expert-pool/editions")
@login_required
def editions():
    c = ctx()
    page_ = pool.edition_page(c, **paging.position("expert_pool_editions"))
    return render_template("expert_pool/editions.html", editions=page_.items, page=page_,
                           links=paging.links("expert_pool_editions", page_),
                           counts=pool.member_counts(c.session, page_.items), users=_users(c, page_.items),
                           reads_proposals=_reads_proposals(c),
                           may_see_contacts=media_contacts.may_read_all(c) or bool(media_contacts.headed_units(c)))


@bp.get("/expert-pool/editions/<int:number>")
@login_required
def edition(number: int):
    c = ctx()
    ed = pool.edition(c, number)
    return render_template("expert_pool/edition.html", edition=ed, members=pool.members_of(c.session, ed),
                           users=_users(c, [ed]), latest=pool.current_edition(c.session),
                           reads_proposals=_reads_proposals(c),
                           today=today_local(c.now()),
                           may_see_contacts=media_contacts.may_read_all(c) or bool(media_contacts.headed_units(c)))


@bp.get("/api/v1/expert-pool")
@api_auth
def api_members():
    """The current pool a page at a time (`q` searches the topics; `limit`, `cursor`; next page in `Link`)."""
    c = ctx()
    page_ = pool.member_page(c, _q(), **paging.position("expert_pool"))
    today = today_local(c.now())
    ed = pool.current_edition(c.session)
    response = jsonify([{**pool.member_json(m, today), "edition": ed.number if ed else None} for m in page_.items])
    return paging.link_header(response, "expert_pool", page_)


@bp.get("/api/v1/expert-pool/editions")
@api_auth
def api_editions():
    """Every edition, newest first, with what it changed and who approved it when."""
    c = ctx()
    page_ = pool.edition_page(c, **paging.position("expert_pool_editions"))
    counts = pool.member_counts(c.session, page_.items)
    response = jsonify([pool.edition_json(e, counts.get(e.id, 0)) for e in page_.items])
    return paging.link_header(response, "expert_pool_editions", page_)


@bp.get("/api/v1/expert-pool/editions/<int:number>")
@api_auth
def api_edition(number: int):
    """One edition with its whole list."""
    c = ctx()
    ed = pool.edition(c, number)
    members = pool.members_of(c.session, ed)
    today = today_local(c.now())
    return jsonify({**pool.edition_json(ed, len(members)), "members": [pool.member_json(m, today) for m in members]})


CSRF_EXEMPT = [api_members, api_editions, api_edition]  # bearer-token API: cookies never authenticate it
