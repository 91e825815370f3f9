"""The expert pool (definitions section: the staff entitled to speak for the university, approved by the
rector; §8.3 public persons make official statements, §8.5 they may bring in other staff): MCD proposes
additions, changes and removals, the rector approves, returns or rejects them, and an approval makes the
next edition of the pool with the whole list."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, true

from forms.validate import N_, Message
from processes.engine import Run, UserTask
from processes.expert_pool import pool
from processes.expert_pool.labels import LABELS
from processes.university_time import today_local
from processes.usecases import notifications, queries
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from storage.models import ExpertPoolEdition, InboxTask, Instance, User

KEY = pool.KEY
CLAUSES = {"Task_Propose": "§8.3", "Task_Approve": "§8.3"}
MCD = frozenset(pool.MCD_ROLES)
READERS = MCD | {"rector", "auditor"}


class ExpertPool(ProcessKind):
    key = KEY
    labels = LABELS
    order = 50
    pages = {"details": "details.html"}
    start_role = "mcd_specialist"
    start_roles = frozenset({"mcd_head"})
    lane_roles = {"MCD": "mcd_specialist", "Rector": "rector"}
    separate_duties = True
    decision_tasks = frozenset({"Task_Approve"})

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, pool.CLAUSE)

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        today = today_local(ctx.now())
        if task.name == "Task_Propose":
            changes = pool.check_changes(ctx.session, data.get("changes"), today)
            current = pool.current_edition(ctx.session)
            rows = [c.as_data() for c in changes]
            instance.title = _title(changes, data.get("note") or "")
            return {**data, "changes": rows, "note": (data.get("note") or "").strip(),
                    "base_edition": current.number if current else 0}
        if task.name == "Task_Approve":
            if ctx.me.id == instance.started_by_id:
                raise Forbidden(N_("Nobody approves their own proposal."))
            if data.get("decision") == "approve":  # checked again against the edition current now
                proposed = _proposal(ctx, instance)
                _check_again(ctx, proposed["changes"], today, proposed["base_edition"])
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name == "Task_Propose":
            return "mcd_specialist", instance.started_by, None
        rector = next(iter(holders(ctx.session, "rector")), None)
        if rector is not None:
            notifications.notify(ctx, rector.id, instance, "task_assigned", title=instance.title)
        return "rector", rector, None

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name != "Task_Approve":
            return
        if data.get("decision") == "approve":
            proposed = _proposal(ctx, instance)
            changes = _check_again(ctx, proposed["changes"], today_local(ctx.now()), proposed["base_edition"])
            pool.apply_changes(ctx, changes, instance, ctx.me)
        elif data.get("decision") == "return":
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested", title=instance.title,
                                 comment=data.get("comment", ""))

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Approve" and data.get("decision") == "approve":
            return Message(N_("Approving makes edition %(n)s of the expert pool now; it cannot be taken back."),
                           {"n": _current_number(ctx) + 1})
        if task.name == "Task_Approve" and data.get("decision") == "reject":
            return Message(N_("Rejecting ends the proposal now."))
        return None

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        """A returned proposal comes back with its rows and note, to revise."""
        if task.name != "Task_Propose":
            return {}
        proposed = queries.last_completion(ctx, instance, "Task_Propose")
        return {k: proposed[k] for k in ("changes", "note") if k in proposed}

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        """From the pool page: `?person=<username>&action=change` starts with that row (e.g. to extend a term)."""
        params = params or {}
        person, action = (params.get("person") or "").strip(), params.get("action") or ""
        if not person or action not in pool.ACTIONS:
            return {}
        row: dict[str, Any] = {"action": action, "person": person}
        member = next((m for m in pool.current_members(ctx.session) if m.user.username == person), None)
        if member is not None and action == "change":  # even when the term ended: to extend it
            row |= {"topics": ", ".join(member.topics), "languages": list(member.languages),
                    "formats": list(member.formats), "term_until": member.term_until.isoformat()}
        return {"changes": [row]}

    def readers(self, instance: Instance) -> frozenset[str]:
        """MCD, the rector and auditors follow every proposal to change the pool."""
        return READERS

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & READERS else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        proposed = queries.last_completion(ctx, instance, "Task_Propose")
        if not proposed:
            return None
        users = {u.username: u for u in ctx.session.execute(select(User).where(User.username.in_(
            [str(r.get("person")) for r in proposed.get("changes") or []]))).scalars()}
        made = ctx.session.execute(select(ExpertPoolEdition).where(ExpertPoolEdition.instance_id == instance.id)
                                   ).scalar_one_or_none()
        current = pool.current_edition(ctx.session)
        members = {m.user_id: m for m in pool.members_of(ctx.session, current)}
        rows = []
        for r in proposed.get("changes") or []:
            user = users.get(str(r.get("person")))
            rows.append({**r, "user": user, "now": members.get(user.id) if user is not None else None,
                         "topic_list": pool.topics_of(r.get("topics"))})
        return {"rows": rows, "note": proposed.get("note"), "edition": made, "current": current,
                "approval": queries.last_completion(ctx, instance, "Task_Approve")}

    def seed_demo(self, ctx: Ctx) -> str | None:
        """Edition 1 of the pool, approved by the rector, with two demo experts (once)."""
        term = today_local(ctx.now()).replace(year=today_local(ctx.now()).year + 1)
        rows = [{"action": "add", "person": "unit.head",
                 "topics": "ақпараттық жүйелер (информационные системы, information systems)\n"
                           "жасанды интеллект (искусственный интеллект, artificial intelligence)\n"
                           "цифрландыру (цифровизация, digitalisation)",
                 "languages": ["kk", "ru"], "formats": ["press", "tv", "online"], "term_until": term.isoformat()},
                {"action": "add", "person": "vr.academic",
                 "topics": "қабылдау (приём, admission)\n"
                           "білім беру бағдарламалары (образовательные программы, academic programmes)\n"
                           "аккредитация (accreditation)",
                 "languages": ["kk", "ru", "en"], "formats": list(pool.FORMATS), "term_until": term.isoformat()}]
        made = pool.seed_edition(ctx, rows)
        from processes.usecases import media_contacts  # §7.10.4: the units' contacts start with the pool's demo

        said = [f"expert pool: edition {made.number} with {len(rows)} experts" if made else None,
                media_contacts.seed_demo(ctx)]
        return "; ".join(s for s in said if s) or None


def _title(changes: list[pool.Change], note: str) -> str:
    """The people the proposal is about (the first three, then "+N"), and the note's first line."""
    names = ", ".join(c.user.full_name for c in changes[:3]) + (f" +{len(changes) - 3}" if len(changes) > 3 else "")
    return (names + (f" · {note.strip().splitlines()[0]}" if note.strip() else ""))[:500]


def _proposal(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    """The proposal as the engine holds it (the rows checked and normalised, and the edition they were
    checked against)."""
    from processes.usecases.instances import restore_run

    data = restore_run(ctx, instance).data
    return {"changes": list(data.get("changes") or []), "base_edition": int(data.get("base_edition") or 0)}


def _current_number(ctx: Ctx) -> int:
    current = pool.current_edition(ctx.session)
    return current.number if current else 0


def _user(ctx: Ctx, username: Any) -> User | None:
    return ctx.session.execute(select(User).where(User.username == str(username or ""))).scalar_one_or_none()


def _check_again(ctx: Ctx, rows: list[dict[str, Any]], today, base: int) -> list[pool.Change]:
    """The proposal's rows checked against the current edition; when another edition was approved since
    and they no longer fit, 409 with the reasons (the rector returns them to MCD)."""
    from processes.usecases.errors import Conflict, Invalid

    try:
        return pool.check_changes(ctx.session, rows, today)
    except Invalid as error:
        current = _current_number(ctx)
        reasons = [Message(N_("change %(n)s: %(message)s"), {"n": int(key.split(".")[1]) + 1, "message": m})
                   if key.count(".") >= 1 and key.split(".")[1].isdigit() else m for key, m in error.errors.items()]
        if current != base:
            raise Conflict(N_("Edition %(n)s of the pool was approved since these changes were proposed, and "
                              "they no longer fit it (%(reasons)s): return them to MCD to revise."),
                           n=current, reasons=reasons) from None
        raise Conflict(N_("The proposed changes no longer fit the pool (%(reasons)s): return them to MCD to "
                          "revise."), reasons=reasons) from None


KIND = ExpertPool()
