"""The Information Policy itself: the current edition (by section, searchable), every edition, each
clause's history, and the JSON API of docs/API.md for editions and clauses."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import login_required

from forms.validate import N_
from processes.catalog import kind_of
from processes.policy_amendment import policy
from processes.policy_amendment.policy_text import is_clause_number, section_of
from processes.policy_amendment.section_titles import section_titles
from processes.university_time import today_local
from processes.usecases import instances
from processes.usecases.access import reads_everything
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("policy", __name__)
NAV = [NavItem("policy.current", N_("Policy"), None, order=20)]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _edition_page(number: int | None):
    c = ctx()
    current = policy.current_edition(c)
    ed = policy.edition(c, number) if number else current
    q = (request.args.get("q") or "").strip()[:200]
    clauses = policy.search(c, ed, q) if q else policy.clauses_of(c, ed)
    by_section: dict[int, list] = {}
    for row in clauses:
        by_section.setdefault(section_of(row.number), []).append(row)
    in_force = policy.in_force(c, today_local(c.now()))
    return render_template("policy_amendment/policy.html", edition=ed, current=current, editions=policy.editions(c),
                           in_force=in_force,
                           by_section=by_section, q=q, found=len(clauses),
                           sections=section_titles(by_section, str(get_locale()),
                                                   {int(k): v for k, v in (ed.sections or {}).items()}),
                           may_propose=kind_of("policy_amendment").may_start(c), decisions_link=_decisions_link(c))


def _decisions_link(c) -> bool:
    """Whether a clause links to the decisions taken under it: the audit events page, auditors only."""
    return c.user is not None and reads_everything(c.user)


@bp.get("/policy")
@login_required
def current():
    return _edition_page(None)


@bp.get("/policy/editions/<id:number>")
@login_required
def edition(number: int):
    return _edition_page(number)


@bp.get("/policy/editions/<id:number>/pdf")
@login_required
def edition_pdf(number: int):
    ed = policy.edition(ctx(), number)
    if ed.document_id is None:
        abort(404)
    return redirect(url_for("pages.download_document", document_id=ed.document_id), code=303)


@bp.get("/policy/clauses/<clause>")
@login_required
def clause_history(clause: str):
    c = ctx()
    history = policy.clause_history(c, clause)
    return render_template("policy_amendment/policy_clause.html", number=clause, history=history,
                           may_propose=kind_of("policy_amendment").may_start(c), decisions_link=_decisions_link(c),
                           exists_now=history[-1].text is not None and history[-1].edition ==
                           policy.current_edition(c).number)


# --- JSON API (docs/API.md) ---------------------------------------------------------------------

def _edition_json(ed) -> dict[str, Any]:
    return {"number": ed.number, "effective_from": _iso(ed.effective_from), "approved_at": _iso(ed.approved_at),
            "instance_id": ed.instance_id, "base_number": ed.base_number, "document_id": ed.document_id,
            "addition_document_id": ed.addition_document_id}


@bp.get("/api/v1/policy/editions")
@api_auth
def api_editions():
    return jsonify([_edition_json(ed) for ed in policy.editions(ctx())])


@bp.get("/api/v1/policy/editions/<id:number>")
@api_auth
def api_edition(number: int):
    c = ctx()
    ed = policy.edition(c, number)
    return jsonify({**_edition_json(ed), "sections": ed.sections, "preamble": ed.preamble,
                    "clauses": [{"number": x.number, "text": x.text, "changed": x.changed}
                                for x in policy.clauses_of(c, ed)]})


@bp.get("/api/v1/policy/editions/<id:number>/clauses/<clause>")
@api_auth
def api_clause(number: int, clause: str):
    c = ctx()
    if not is_clause_number(clause):
        abort(404, description="Not a clause number.")
    row = policy.clause(c, policy.edition(c, number), clause)
    return jsonify({"number": row.number, "text": row.text, "edition": number, "changed": row.changed})


@bp.get("/api/v1/policy/clauses/<clause>/history")
@api_auth
def api_history(clause: str):
    c = ctx()
    return jsonify([{"edition": h.edition, "effective_from": _iso(h.effective_from), "approved_at": _iso(h.approved_at),
                     "text": h.text, "change": h.change, "instance_id": h.instance_id,
                     "proposed_by": h.proposer.username if h.proposer else None}
                    for h in policy.clause_history(c, clause)])


@bp.get("/api/v1/policy/proposals/<id:instance_id>")
@api_auth
def api_proposal(instance_id: int):
    """A proposal as the reviewers see it: the changes, the word-level difference against the current
    edition, and the other open proposals touching the same clauses."""
    c = ctx()
    inst = instances.get_instance(c, instance_id)
    if inst.process_key != "policy_amendment":
        abort(404, description="Not a policy amendment.")
    details = kind_of(inst.process_key).details(c, inst)
    if details is None:
        abort(409, description="The proposal has not been submitted yet.")
    p = details["proposal"]
    return jsonify({
        "instance_id": inst.id, "status": p.status, "base_edition": p.base_edition,
        "current_edition": details["current"].number, "changes": p.changes, "proposed": p.proposed,
        "rationale": p.rationale, "stale_clauses": details["stale"],
        "diff": [{"clause": d.number, "kind": d.kind, "before": d.before, "after": d.after,
                  "segments": [list(s) for s in d.segments]} for d in details["diff"]],
        "conflicts": [{"instance_id": i.id, "title": i.title, "clauses": nums} for i, nums in details["conflicts"]],
        "edition": details["edition"].number if details["edition"] else None})
