"""The case file (issue 14, point 4): a PDF per instance for auditors that stands on its own on paper.

An auditor asks for it; `issue` fixes in `Document.public` everything the file prints, in the one language
asked for: the summary, the diagram with the path taken and its steps, the whole timeline (who, in which role,
acting for whom, when, what, under which clause, with which comment and data), every document and file version
with its SHA-256, and the verification of the audit chain up to the case's last entry. It is numbered
(CF-YYYY-NNNNN), has a verification code like every document, and is audited (`case_file_issued`) in the same
transaction; `processes.case_file` renders it from that snapshot alone.

Texts come in the chosen language: the fixed phrases through that language's catalog (`document_gettexts`),
the codes (actions, roles, tasks, statuses, outcomes, document kinds, processes, data keys and values) through
``labels``, the callables the web layer gives, called while its locale is that language.

A case file is not a document of the case: `files.instance_documents` leaves it out, and only auditors read it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from forms.validate import N_
from processes.case_file import KIND, LANGUAGES
from processes.documents import document_gettexts
from processes.usecases import diagrams, files, numbering, queries
from processes.usecases.access import reads_everything
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from storage import audit, audit_log
from storage.models import AuditEvent, Document, Instance, User

PREFIX = "CF"
FULL_LIMIT = 200_000  # up to this many entries the chain is recomputed from its start (storage.audit.verify_up_to)
# the data keys that name a person by username (printed by the full name in the file's language)
PERSON_KEYS = ("assignee", "told", "to_user", "by", "acting_for", "from", "to", "holder", "user", "substitute")
# shown in columns of their own, not among the data changes
OWN_COLUMNS = ("comment", "acting_for")

Labels = Mapping[str, Callable[..., Any]]


def require_auditor(ctx: Ctx, instance_id: int) -> None:
    """Only auditors have case files; anyone else is refused, and the refusal is audited as a denial."""
    if ctx.user is None or not reads_everything(ctx.user):
        raise denied(Forbidden(N_("Only auditors may have the case file.")), f"instance:{instance_id}", "case_file")


def issue(ctx: Ctx, instance: Instance, lang: str, labels: Labels) -> Document:
    """Issue the case file of `instance` in `lang` (kk, ru or en): its content fixed now, its PDF rendered after
    the commit. Auditors only. ``labels`` name the codes in `lang`: "action"(code), "role"(code),
    "task"(name, fallback, process), "status"(code), "outcome"(code, process), "document"(kind),
    "process"(key), and optionally "data_key"(key) and "data_value"(key, value, process) (plain text)."""
    require_auditor(ctx, instance.id)
    if lang not in LANGUAGES:
        raise ValueError(f"a case file is in kk, ru or en, not {lang!r}")
    gettext = document_gettexts(ctx.services.settings.translations_dir)[lang]
    events = queries.timeline(ctx, instance)
    up_to = max((e.seq for e in events if e.seq is not None), default=0)
    last_at = max((e.at for e in events if e.at is not None), default=None)
    people = _people(ctx, events)

    from processes.usecases import withheld

    # the document outlives the auditor's request and is read by whoever reads the case: a withheld starter
    # stays withheld in it (§13.1)
    secret = withheld.withholds(instance)
    hidden_label = gettext(withheld.LABEL)

    def name(username: str | None) -> str:
        if not username:
            return gettext("System")
        if username == withheld.WITHHELD:
            return hidden_label
        user = people.get(username)
        return user.name_in(lang) if user else username

    process = instance.process_key
    path = diagrams.instance_path(
        ctx, instance, name_of=lambda u: hidden_label if secret and u.id == instance.started_by_id else u.name_in(lang),
        label=lambda el_id, text: _text(labels["task"](el_id, gettext(text), process)),
        role_label=lambda code: _text(labels["role"](code)),
        legend={"completed": gettext("Completed"), "open": gettext("Open now"), "not-taken": gettext("Not taken")},
        title=gettext("Path of case No. %(id)s") % {"id": instance.id}, link_prefix="#")
    chain = audit.verify_up_to(ctx.session, up_to, FULL_LIMIT, instance_id=instance.id)
    total = int(ctx.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
    definition = instance.definition
    me = ctx.me
    public: dict[str, Any] = {
        "lang": lang,
        "instance_id": instance.id,
        "up_to_seq": up_to,
        "issued_by": me.name_in(lang),
        "summary": {
            "process": _text(labels["process"](process)),
            "case_number": str(instance.id),
            "title": instance.title,
            "submitter": hidden_label if secret else instance.started_by.name_in(lang),
            "status": _text(labels["status"](instance.status)),
            "outcome": _text(labels["outcome"](instance.outcome, process)) if instance.outcome else "",
            "running": instance.status == "running",
            "created_at": _iso(instance.created_at),
            "completed_at": _iso(instance.completed_at),
            "due_at": _iso(instance.due_at),
            "process_version": definition.version,
            "checksum": definition.checksum[:12],
            "last_entry_at": _iso(last_at),
        },
        "diagram": path.diagram.svg if path.diagram is not None else None,
        "steps": [{"name": s.name, "state": s.state, "count": s.count, "holders": list(s.holders), "timer": s.timer}
                  for s in path.steps],
        "timeline": [_entry(e, labels, process, name) for e in events],
        "documents": [{"reg_number": d.reg_number, "kind": _text(labels["document"](d.kind)), "title": d.title,
                       "ready": d.sha256 is not None, "sha256": d.sha256, "size": d.size,
                       "issued_at": _iso(d.issued_at)}
                      for d in files.instance_documents(ctx, instance.id)],
        "files": [{"name": f.name, "version": f.version, "size": f.size, "sha256": f.sha256,
                   "uploaded_by": hidden_label if secret and f.uploaded_by_id == instance.started_by_id
                   else f.uploaded_by.name_in(lang), "uploaded_at": _iso(f.created_at)}
                  for f in files.instance_files(ctx, instance.id)],
        "chain": {"ok": chain.ok, "mode": chain.mode, "up_to": chain.up_to, "count": chain.count,
                  "first_bad_seq": chain.first_bad_seq, "reason": chain.reason, "total": total},
        "proofs": _proofs(ctx, [e.seq for e in events if e.seq is not None and not e.damaged]),
    }
    reg_number = numbering.next_number(ctx, PREFIX)
    public["reg_number"] = reg_number
    doc = Document(instance_id=instance.id, kind=KIND, title=reg_number, reg_number=reg_number,
                   verification_code=numbering.verification_code(), public=public, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "case_file_issued", instance_id=instance.id, object=f"document:{doc.id}",
                 data={"kind": KIND, "reg_number": reg_number, "lang": lang, "up_to_seq": up_to},
                 request_id=ctx.request_id)
    return doc


def _proofs(ctx: Ctx, seqs: list[int]) -> dict[str, Any]:
    """The inclusion proof of each entry against the audit log's checkpoint in force now (issue 17): the signed
    note, the verifier key, per entry its leaf hash and audit path (base64); the entries after that checkpoint
    are listed as not yet covered."""
    settings = ctx.services.settings.checkpoints
    checkpoint = audit_log.latest(ctx.session) if settings is not None else None
    if settings is None or checkpoint is None:
        return {"checkpoint": None, "entries": [], "uncovered": seqs}
    try:
        key: str | None = audit_log.signer(settings).verifier_key()
    except audit_log.CheckpointKeyError:
        key = None
    size = checkpoint.tree_size
    entries = []
    for seq in (s for s in seqs if s <= size):
        proof = audit_log.inclusion(ctx.session, seq, size)
        entries.append({"seq": seq, "leaf_hash": audit_log.b64(proof.leaf_hash),
                        "hashes": [audit_log.b64(h) for h in proof.hashes]})
    return {"checkpoint": checkpoint.note, "tree_size": size, "made_at": _iso(checkpoint.made_at), "key": key,
            "entries": entries, "uncovered": [s for s in seqs if s > size]}


def _people(ctx: Ctx, events: list[audit.Entry]) -> dict[str, User]:
    """The accounts the timeline names: its actors and the people in its data."""
    names: set[str | None] = set()
    for e in events:
        names.add(e.actor)
        for key in PERSON_KEYS:
            value = (e.data or {}).get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and len(item) <= 80:
                    names.add(item)
    return queries.users_by_username(ctx, names)


def _entry(e: audit.Entry, labels: Labels, process: str, name: Callable[[str | None], str]) -> dict[str, Any]:
    """One timeline row as the file prints it; a damaged entry only as damaged (nothing of it interpreted)."""
    if e.damaged:
        return {"seq": e.seq if e.seq is not None else e.raw.get("seq"), "damaged": list(e.damaged)}
    data = e.data or {}
    acting_for = data.get("acting_for")
    return {
        "seq": e.seq,
        "at": _iso(e.at),
        "actor": name(e.actor),
        "role": "; ".join(_text(labels["role"](r)) for r in (e.role or "").split(",") if r),
        "acting_for": name(acting_for) if isinstance(acting_for, str) and acting_for else "",
        "action": _text(labels["action"](e.action)),
        "task": _text(labels["task"](e.task, None, process)) if e.task else "",
        "clause": e.clause or "",
        "comment": e.comment or "",
        "changes": _changes(data, labels, process, name),
    }


def _changes(data: dict[str, Any], labels: Labels, process: str, name: Callable[[str | None], str]) -> list[str]:
    """The entry's data as "key: value" lines; a change recorded as before/after as "key: before → after"."""
    key_label = labels.get("data_key") or (lambda key: key)

    def value(key: str, v: Any) -> str:
        if key in PERSON_KEYS and isinstance(v, str) and v:
            return name(v)
        if key in PERSON_KEYS and isinstance(v, list) and all(isinstance(x, str) for x in v):
            return ", ".join(name(x) for x in v)
        shown = labels.get("data_value")
        if shown is not None:
            return _text(shown(key, v, process))
        return "—" if v is None or v == "" else str(v)

    lines: list[str] = []
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        for key in [*old, *(k for k in new if k not in old)]:
            lines.append(f"{_text(key_label(key))}: {value(key, old.get(key)) if key in old else '—'} → "
                         f"{value(key, new.get(key)) if key in new else '—'}")
    for key, v in data.items():
        if key in OWN_COLUMNS or (key in ("before", "after") and isinstance(v, dict)):
            continue
        lines.append(f"{_text(key_label(key))}: {value(key, v)}")
    return lines


def _text(value: Any) -> str:
    """A label as plain text (the web's labels may be markup-safe strings)."""
    return " ".join(str(value if value is not None else "").split())


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
