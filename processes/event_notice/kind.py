"""Event pre-notification (§7.4, §7.6, §7.8): a unit tells MCD of a planned event; MCD decides its coverage.

A unit head, or an employee for the unit, gives the event and what the unit asks of MCD. A notice fewer days
ahead than the late rule (`settings.late_days`, the same setting as the material sign-off's) is late (§7.4): the
head of MCD accepts it first or declines it. MCD then decides the content, timing and way of disclosure (§7.6):
it accepts with a coverage plan (who of MCD covers it, which channels, by when; §7.8), asks the unit for details,
or declines with a reason. After the event MCD records what was published and the notice closes; a timer at the
end of the event's day reminds whoever covers it. The `event_notices` row is kept in step in the same
transactions: MCD's calendar and the unit's list read it.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, true

from forms.validate import N_, Message
from processes.engine import FiredTimer, Run, UserTask
from processes.event_notice.labels import LABELS
from processes.university_time import end_of_day_utc, local, local_date, today_local
from processes.usecases import notifications
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.usecases.kinds import ProcessKind
from processes.usecases.moments import parse_moment
from processes.usecases.routing import holders
from storage import accounts, audit
from storage.models import EventNotice, InboxTask, Instance, Unit, User

KEY = "event_notice"
MCD_HEAD = "mcd_head"
SPECIALIST = "mcd_specialist"
MCD_ROLES = frozenset({MCD_HEAD, SPECIALIST})
NOTICE_TASKS = {"Task_Notify", "Task_Details"}
CLAUSES = {"Task_Notify": "§7.4", "Task_Details": "§7.4", "Task_AcceptLate": "§7.4", "Task_Decide": "§7.6",
           "Task_Record": "§7.8"}
# the notice's status on the calendar, by the instance's outcome
FINAL_STATUS = {"covered": "covered", "declined": "declined", "not_accepted": "not_accepted",
                "withdrawn": "withdrawn", "cancelled": "cancelled"}
NOTICE_FIELDS = ("title", "event_kind", "place", "organiser", "audiences", "guests", "media", "requests",
                 "site_languages", "description")


class EventNoticeKind(ProcessKind):
    key = KEY
    labels = LABELS
    order = 25
    pages = {"details": "details.html"}
    start_role = "employee"
    start_roles = frozenset({"unit_head"})
    lane_roles = {"Unit": "employee", "Head of MCD": MCD_HEAD, "MCD": SPECIALIST}
    # MCD's acceptance or decline decides the notice; asking for details (revise) does not
    decision_tasks = frozenset({"Task_Decide"})
    # §7.6: the head of MCD may decide himself; anyone of MCD may record the coverage when its person is away
    also_completed_by = {"Task_Decide": frozenset({MCD_HEAD}), "Task_Record": MCD_ROLES}

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§7.4")

    def title_of(self, data: dict[str, Any]) -> str | None:
        return data.get("title")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name in NOTICE_TASKS:
            return _notice(ctx, instance, task, data)
        if ctx.me.id == instance.started_by_id:
            raise Forbidden(N_("Nobody reviews their own submission."))
        if task.name == "Task_AcceptLate":
            data["comment"] = data["comment"].strip()
            data["late_decision"] = data.pop("decision")
            if data["late_decision"] == "accept_late":  # now it waits for MCD's decision (§7.6)
                notice_of(ctx, instance).status = "submitted"
            return data
        if task.name == "Task_Decide":
            return _decide(ctx, instance, data)
        if task.name == "Task_Record":
            return _record(ctx, instance, data)
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name in NOTICE_TASKS:
            return "employee", instance.started_by, instance.due_at if task.name == "Task_Details" else None
        if task.name == "Task_Record":
            row = notice_of(ctx, instance)
            person = row.covered_by
            role = SPECIALIST if person is None or SPECIALIST in person.role_names else MCD_HEAD
            due = max(filter(None, [row.publish_by, record_remind_at(row)]))
            if person is not None:
                notifications.notify(ctx, person.id, instance, "task_assigned", title=instance.title)
            return role, person, due
        role = MCD_HEAD if task.name == "Task_AcceptLate" else SPECIALIST
        for user in holders(ctx.session, role):
            if user.id != instance.started_by_id:
                notifications.notify(ctx, user.id, instance, "task_assigned", title=instance.title)
        return role, None, instance.due_at

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name != "Task_Decide":
            return
        if data.get("decision") == "accept":
            notifications.notify(ctx, instance.started_by_id, instance, "event_accepted", title=instance.title)
        elif data.get("decision") == "revise":
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested",
                                 title=instance.title, comment=data.get("comment", ""))

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        if timer.name != "Timer_RecordDue":
            return
        row = notice_of(ctx, instance)
        if row.recorded_at is not None:
            return
        to = [row.covered_by] if row.covered_by is not None and row.covered_by.is_active \
            else list(holders(ctx.session, MCD_HEAD))
        for user in to:
            notifications.notify(ctx, user.id, instance, "reminder", title=instance.title,
                                 due=row.starts_at.isoformat())
        audit.append(ctx.session, ctx.actor, "reminder_sent", instance_id=instance.id, object=f"event_notice:{row.id}",
                     data={"to": [u.username for u in to], "starts_at": row.starts_at.isoformat()},
                     clause="§7.8", request_id=ctx.request_id)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        row = notice_of(ctx, instance)
        row.status = FINAL_STATUS.get(instance.outcome or "", row.status)
        if instance.started_by_id != (ctx.user.id if ctx.user else None):
            notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                                 outcome=instance.outcome or "")

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        row = ctx.session.execute(select(EventNotice).where(EventNotice.instance_id == instance.id)
                                  ).scalar_one_or_none()
        if row is not None:
            row.status = FINAL_STATUS.get(instance.outcome or "", "withdrawn")

    def readers(self, instance: Instance) -> frozenset[str]:
        return MCD_ROLES

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & MCD_ROLES else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        row = ctx.session.execute(select(EventNotice).where(EventNotice.instance_id == instance.id)
                                  ).scalar_one_or_none()
        return {"notice": row, "people": {"covered_by": mcd_people(ctx)}, "late_days": ctx.services.settings.late_days}

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        unit = ctx.me.unit
        return {"unit": unit.code} if unit else {}

    def unit_choices(self, ctx: Ctx) -> dict[str, list[Unit]]:
        """The units the user may notify for: their own first, then the faculty above it."""
        own = ctx.me.unit
        if own is None:
            return {"unit": []}
        parent = ctx.session.get(Unit, own.parent_id) if own.parent_id else None
        return {"unit": [own, *([parent] if parent else [])]}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Notify":
            unit = instance.started_by.unit
            return {"unit": unit.code} if unit else {}
        if task.name == "Task_Details":
            return form_values(notice_of(ctx, instance))
        if task.name == "Task_Decide":
            return {"covered_by": ctx.me.username if ctx.me.role_names & MCD_ROLES else ""}
        return {}

    def seed_demo(self, ctx: Ctx) -> str | None:
        """Three notices of the demo department (once): one accepted with its coverage plan, one awaiting MCD's
        decision, one late awaiting the head of MCD."""
        if ctx.session.execute(select(EventNotice.id).limit(1)).first() is not None:
            return None
        from processes.usecases import instances

        def as_(username: str) -> Ctx:
            user = accounts.find_user(ctx.session, username)
            assert user is not None, username
            return dataclasses.replace(ctx, user=user)

        def notify(username: str, days: int, hour: int, **values: Any) -> Instance:
            c = as_(username)
            instance = instances.start_instance(c, KEY)
            day = today_local(ctx.now()) + timedelta(days=days)
            data = {"unit": "FE-IS", "starts_at": f"{day.isoformat()}T{hour:02d}:00", "place": "Бас ғимарат, акт залы",
                    "organiser": "Ақпараттық жүйелер кафедрасы", "audiences": ["students", "applicants"],
                    "requests": ["announcement", "photo", "site_news"], "site_languages": ["kk", "ru", "en"]}
            task = instances.ready_tasks(c, instance)[0]
            instances.complete_task(c, task.id, data | values)
            return instance

        accepted = notify("unit.head", 9, 10, title="«Цифрлық экономика» ғылыми-практикалық конференциясы",
                          event_kind="conference", guests="Серіктес компаниялардың өкілдері, 80 адам",
                          media="Qostanay TV, kstnews.kz")
        spec = as_("mcd.specialist")
        decide = instances.ready_tasks(spec, accepted, mine_only=False)[0]
        publish_by = (today_local(ctx.now()) + timedelta(days=10)).isoformat() + "T18:00"
        instances.complete_task(spec, decide.id, {"decision": "accept", "covered_by": "mcd.specialist",
                                                  "channels": ["website", "social_networks"],
                                                  "publish_by": publish_by})
        notify("employee", 14, 11, title="Ашық есік күні", event_kind="open_day",
               guests="Мектеп оқушылары мен ата-аналар, 150 адам")
        notify("unit.head", 2, 15, title="IT-компаниялармен дөңгелек үстел", event_kind="round_table")
        return "event notices: 3 (one accepted, one awaiting MCD's decision, one late awaiting the head of MCD)"

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        decision = data.get("decision")
        if task.name == "Task_AcceptLate" and decision == "decline":
            return Message(N_("Declining ends the notice now: MCD does not cover the event."))
        if task.name == "Task_Decide" and decision == "decline":
            return Message(N_("Declining ends the notice now: MCD does not cover the event."))
        if task.name == "Task_Record":
            return Message(N_("Recording what was published closes the notice."))
        return None


# --- the steps ---------------------------------------------------------------------------------

def _belongs(user: User, unit: Unit) -> bool:
    """A user notifies for their own unit, or for the faculty their department belongs to."""
    own = user.unit
    return own is not None and (own.id == unit.id or own.parent_id == unit.id)


def _notice(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§7.4: check the notice, mark it late when the event is fewer days ahead than the rule, keep its row."""
    errors: dict[str, Message] = {}
    unit = ctx.session.execute(select(Unit).where(Unit.code == data.get("unit"))).scalar_one_or_none()
    if unit is None or not _belongs(ctx.me, unit):
        errors["unit"] = Message(N_("You may notify only for your own structural unit."))
    now = ctx.now()
    starts = parse_moment(data.get("starts_at"), "starts_at", errors)
    if starts is not None and starts <= now:
        errors["starts_at"] = Message(N_("The event's date and time must be in the future."))
    ends = parse_moment(data["ends_at"], "ends_at", errors) if (data.get("ends_at") or "").strip() else None
    if starts is not None and ends is not None and ends <= starts:
        errors["ends_at"] = Message(N_("The event must end after it starts."))
    requests = data.get("requests") or []
    if "site_news" in requests and not data.get("site_languages"):
        errors["site_languages"] = Message(N_("Choose the languages of the news on the website."))
    if errors:
        raise Invalid(errors)
    assert unit is not None and starts is not None  # checked above
    data["starts_at"] = starts.isoformat()
    if ends is not None:
        data["ends_at"] = ends.isoformat()
    else:
        data.pop("ends_at", None)
    if "site_news" not in requests:
        data["site_languages"] = []
    for key in ("title", "place", "organiser"):
        data[key] = data[key].strip()
    row = ctx.session.execute(select(EventNotice).where(EventNotice.instance_id == instance.id)).scalar_one_or_none()
    if row is None:
        row = EventNotice(instance_id=instance.id, submitted_at=now, channels=[], publications=[])
        ctx.session.add(row)
    if task.name == "Task_Notify":  # §7.4: judged once, on the notice (details do not pass the rule again)
        days = ctx.services.settings.late_days
        ahead = (local_date(starts) - today_local(now)).days
        row.late = ahead < days
        data["late"], data["late_rule_days"] = row.late, days
    # a late notice first waits for the head of MCD's acceptance (§7.4); details given later go back to MCD
    status = "late" if task.name == "Task_Notify" and row.late else "submitted"
    row.unit_id, row.starts_at, row.ends_at, row.status = unit.id, starts, ends, status
    row.title, row.event_kind, row.place, row.organiser = data["title"], data["event_kind"], data["place"], \
        data["organiser"]
    row.audiences, row.requests, row.site_languages = list(data["audiences"]), list(requests), \
        list(data["site_languages"])
    row.guests, row.media = data.get("guests", "") or "", data.get("media", "") or ""
    row.description = data.get("description", "") or ""
    instance.due_at = starts
    ctx.session.flush()
    if task.name == "Task_Notify" and row.late:
        audit.append(ctx.session, ctx.actor, "notice_late", instance_id=instance.id, object=f"event_notice:{row.id}",
                     data={"starts_at": row.starts_at.isoformat(), "days_ahead": ahead, "late_rule_days": days},
                     clause="§7.4", request_id=ctx.request_id)
    return data


def _decide(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§7.6: MCD accepts with a coverage plan (§7.8), asks for details, or declines with a reason."""
    row = notice_of(ctx, instance)
    decision = data["decision"]
    comment = (data.get("comment") or "").strip()
    errors: dict[str, Message] = {}
    now = ctx.now()
    if decision == "accept":
        person = accounts.find_user(ctx.session, str(data.get("covered_by") or "").strip())
        if person is None or not person.is_active or not person.role_names & MCD_ROLES:
            errors["covered_by"] = Message(N_("Choose the MCD person who covers the event."))
        channels = data.get("channels") or []
        if not channels:
            errors["channels"] = Message(N_("Choose at least one channel."))
        publish_by = None
        if not (data.get("publish_by") or "").strip():
            errors["publish_by"] = Message(N_("This field is required."))
        else:
            publish_by = parse_moment(data["publish_by"], "publish_by", errors)
            if publish_by is not None and publish_by <= now:
                errors["publish_by"] = Message(N_("The date and time must be in the future."))
        if row.starts_at <= now:
            errors["decision"] = Message(N_("The event has already begun: it can only be declined."))
        if errors:
            raise Invalid(errors)
        assert person is not None and publish_by is not None
        row.status, row.covered_by_id, row.channels, row.publish_by, row.decided_at = \
            "accepted", person.id, list(channels), publish_by, now
        remind = record_remind_at(row)
        data.update(covered_by=person.username, channels=list(channels), publish_by=publish_by.isoformat(),
                    comment=comment, record_remind_at=remind.isoformat())
        ctx.session.flush()
        audit.append(ctx.session, ctx.actor, "coverage_planned", instance_id=instance.id,
                     object=f"event_notice:{row.id}",
                     data={"covered_by": person.username, "channels": list(channels),
                           "publish_by": publish_by.isoformat(), "requests": list(row.requests)},
                     clause="§7.8", request_id=ctx.request_id)
        return data
    if not comment:
        errors["comment"] = Message(N_("Say which details are missing.") if decision == "revise"
                                    else N_("Give the reason for declining."))
        raise Invalid(errors)
    row.status = "details" if decision == "revise" else "declined"
    if decision == "decline":
        row.decided_at = now
    return {"decision": decision, "comment": comment}


def _record(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§7.8: after the event, what MCD published about it (links, dates); the notice closes."""
    row = notice_of(ctx, instance)
    now = ctx.now()
    if now < row.starts_at:
        raise Conflict(N_("The event has not begun yet: record what was published after it."))
    errors: dict[str, Message] = {}
    today = today_local(now)
    publications = []
    for i, item in enumerate(data.get("publications") or []):
        published = date.fromisoformat(item["published_on"])
        if published > today:
            errors[f"publications.{i}.published_on"] = Message(N_("The date cannot be in the future."))
        publications.append({"link": item["link"].strip(), "published_on": published.isoformat()})
    comment = (data.get("comment") or "").strip()
    if not publications and not comment:
        errors["comment"] = Message(N_("Give the links, or say why nothing was published."))
    if errors:
        raise Invalid(errors)
    row.publications, row.recorded_at = publications, now
    return {"publications": publications, "comment": comment}


# --- queries -----------------------------------------------------------------------------------

def notice_of(ctx: Ctx, instance: Instance) -> EventNotice:
    row = ctx.session.execute(select(EventNotice).where(EventNotice.instance_id == instance.id)
                              ).scalar_one_or_none()
    if row is None:
        raise Conflict(N_("The event is not notified yet."))
    return row


def record_remind_at(row: EventNotice) -> datetime:
    """The end of the event's (last) day in Almaty, as UTC: when whoever covers it is reminded to record it."""
    return end_of_day_utc(local_date(row.ends_at or row.starts_at))


def mcd_people(ctx: Ctx) -> list[User]:
    """Who may cover an event: the active holders of MCD's roles, specialists first."""
    seen: dict[int, User] = {}
    for role in (SPECIALIST, MCD_HEAD):
        for user in holders(ctx.session, role):
            seen.setdefault(user.id, user)
    return list(seen.values())


def form_values(row: EventNotice) -> dict[str, Any]:
    """The notice as the form shows it again (date-times in university time, to the minute)."""
    values: dict[str, Any] = {key: getattr(row, key) for key in NOTICE_FIELDS}
    values.update(unit=row.unit.code, starts_at=local(row.starts_at).strftime("%Y-%m-%dT%H:%M"))
    if row.ends_at is not None:
        values["ends_at"] = local(row.ends_at).strftime("%Y-%m-%dT%H:%M")
    return {k: v for k, v in values.items() if v is not None}


def days_ahead(row: EventNotice) -> int:
    return (local_date(row.starts_at) - local_date(row.submitted_at)).days


KIND = EventNoticeKind()
