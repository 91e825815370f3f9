"""Website change request (§9.4–9.8, §9.1): a unit head has the unit's pages on the website changed through MCD,
with management's consent.

The head gives the section of the site (§9.4), the page addresses, the change (its text in each language it has,
files) and the date it is wanted by, and the area of the unit's activity: the decision table
website_consent_routing (editable like the other routing tables) names the vice-rector of that area, or the
rector, who consents or declines (§9.8). MCD then prepares and places it (§9.5): the request cannot be marked
published until each of the site's three languages (§9.1) has its text or MCD's reason why it is not needed;
MCD records the address and the date of publication. The `website_changes` row is kept in step in the same
transactions; the published pages are remembered per unit (`website_pages`) for the yearly review (§9.6,
register.flag_reviews).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from forms.validate import N_, Message
from processes.engine import Run, UserTask
from processes.material_signoff.routing import AREAS
from processes.university_time import end_of_day_utc, today_local
from processes.usecases import notifications
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.usecases.kinds import ProcessKind, RoutingCase, RoutingSpec
from processes.usecases.routing import holders, resolve_approver
from processes.usecases.units import is_head_of
from processes.website_change.labels import LABELS, LANGUAGES
from storage import audit
from storage.models import InboxTask, Instance, StoredFile, Unit, User, WebsiteChange, WebsitePage

KEY = "website_change"
MCD_HEAD = "mcd_head"
SPECIALIST = "mcd_specialist"
MCD_ROLES = frozenset({MCD_HEAD, SPECIALIST})
READERS = MCD_ROLES | {"auditor"}
CLAUSES = {"Task_Request": "§9.8", "Task_Consent": "§9.8", "Task_Publish": "§9.5"}
LANGS = ("kk", "ru", "en")
FINAL_STATUS = {"published": "published", "declined": "declined", "withdrawn": "withdrawn",
                "cancelled": "cancelled"}
MISSING = {"kk": N_("Give the Kazakh text, or say why it is not needed (§9.1)."),
           "ru": N_("Give the Russian text, or say why it is not needed (§9.1)."),
           "en": N_("Give the English text, or say why it is not needed (§9.1).")}
OTHER = '? not in ("finance", "academic", "research", "international", "youth", "strategy")'

ROUTING = RoutingSpec(
    decision="website_consent_routing",
    title=N_("Who in management consents to a website change"),
    question=N_("Who in management would consent to a website change today"),
    clause="§9.8, §8.4",
    inputs={"Input_Area": N_("Area of the unit's activity")},
    entries={"Input_Area": (*((f'"{key}"', label) for key, label in AREAS),
                            (OTHER, N_("None of these (or another one)")), ("-", N_("Any")))},
    roles=("rector", "vice_rector:finance", "vice_rector:academic", "vice_rector:research",
           "vice_rector:international", "vice_rector:youth"),
    cases=(*(RoutingCase(key, (label,), {"area": key}) for key, label in AREAS),
           RoutingCase("none", (N_("None of these"),), {"area": ""})),
    output_label=N_("Member of management who consents"),
)


class WebsiteChangeKind(ProcessKind):
    key = KEY
    labels = LABELS
    order = 27
    pages = {"details": "details.html"}
    start_role = "unit_head"
    lane_roles = {"Unit": "unit_head", "Management": "public_person", "MCD": SPECIALIST}
    accepted = {"pdf", "docx", "xlsx", "png", "jpg", "jpeg"}
    routing = (ROUTING,)
    # management's consent or decline decides the request
    decision_tasks = frozenset({"Task_Consent"})
    # §9.5: the head of MCD answers for placing the information and may do it himself
    also_completed_by = {"Task_Publish": frozenset({MCD_HEAD})}

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§9.8")

    def title_of(self, data: dict[str, Any]) -> str | None:
        return data.get("title")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name == "Task_Request":
            return _request(ctx, instance, data)
        if ctx.me.id == instance.started_by_id:
            raise Forbidden(N_("Nobody reviews their own submission."))
        if task.name == "Task_Consent":
            return _consent(ctx, instance, data)
        if task.name == "Task_Publish":
            return _publish(ctx, instance, data)
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name == "Task_Request":
            return "unit_head", instance.started_by, None
        if task.name == "Task_Consent":
            approver = resolve_approver(ctx.session, task.data.get("consent_role") or "rector", instance.started_by)
            if approver is not None:
                notifications.notify(ctx, approver.id, instance, "task_assigned", title=instance.title)
            return "public_person", approver, instance.due_at
        for user in holders(ctx.session, SPECIALIST):
            if user.id != instance.started_by_id:
                notifications.notify(ctx, user.id, instance, "task_assigned", title=instance.title)
        return SPECIALIST, None, instance.due_at

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name == "Task_Consent" and data.get("decision") == "consent":
            notifications.notify(ctx, instance.started_by_id, instance, "website_consented", title=instance.title)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        row = change_of(ctx, instance)
        row.status = FINAL_STATUS.get(instance.outcome or "", row.status)
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        row = _row(ctx, instance)
        if row is not None:
            row.status = FINAL_STATUS.get(instance.outcome or "", "withdrawn")

    def readers(self, instance: Instance) -> frozenset[str]:
        return MCD_ROLES

    def readable_where(self, roles: frozenset[str]) -> Any:
        from sqlalchemy import true

        return true() if roles & MCD_ROLES else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        row = _row(ctx, instance)
        files = [f for f in (ctx.session.get(StoredFile, i) for i in (row.file_ids if row else [])) if f is not None]
        return {"change": row, "files": files}

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        """The own unit; from the yearly reminder (`?review=1`), the unit's pages on the site as well (§9.6)."""
        unit = ctx.me.unit
        if unit is None:
            return {}
        values: dict[str, Any] = {"unit": unit.code}
        if params is not None and params.get("review"):
            pages = unit_pages(ctx, unit)
            if pages:
                values["pages"] = [{"address": p.address} for p in pages[:20]]
                values["section"] = pages[0].section
            values["change_kind"] = "change"
        return values

    def unit_choices(self, ctx: Ctx) -> dict[str, list[Unit]]:
        own = ctx.me.unit
        return {"unit": [own] if own is not None else []}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Request":
            unit = instance.started_by.unit
            return {"unit": unit.code} if unit else {}
        if task.name == "Task_Publish":
            row = change_of(ctx, instance)
            return {f"text_{lang}": text for lang, text in (row.texts or {}).items() if text}
        return {}

    def seed_demo(self, ctx: Ctx) -> str | None:
        """Two requests of the demo department (once): one published, one awaiting the vice-rector's consent."""
        if ctx.session.execute(select(WebsiteChange.id).limit(1)).first() is not None:
            return None
        import dataclasses
        from datetime import timedelta

        from processes.usecases import instances
        from storage import accounts

        def as_(username: str) -> Ctx:
            user = accounts.find_user(ctx.session, username)
            assert user is not None, username
            return dataclasses.replace(ctx, user=user)

        today = today_local(ctx.now())
        head = as_("unit.head")

        def request(title: str, section: str, pages: list[str], **values: Any) -> Instance:
            instance = instances.start_instance(head, KEY)
            data = {"unit": "FE-IS", "title": title, "section": section, "change_kind": "change",
                    "pages": [{"address": p} for p in pages], "wanted_on": (today + timedelta(days=7)).isoformat(),
                    "area": "academic"} | values
            instances.complete_task(head, instances.ready_tasks(head, instance)[0].id, data)
            return instance

        staff = "https://kineu.edu.kz/kk/faculties/fe/is/staff"
        done = request("Кафедраның жаңа құрамы", "main.faculties", [staff],
                       text_kk="Кафедра меңгерушісі: Ғ. С. Жақсыбеков, т.ғ.к., доцент",
                       text_ru="Заведующий кафедрой: Г. С. Жаксыбеков, к.т.н., доцент")
        vr = as_("vr.academic")
        instances.complete_task(vr, instances.ready_tasks(vr, done, mine_only=False)[0].id, {"decision": "consent"})
        spec = as_("mcd.specialist")
        instances.complete_task(spec, instances.ready_tasks(spec, done, mine_only=False)[0].id, {
            "text_kk": "Кафедра меңгерушісі: Ғ. С. Жақсыбеков, т.ғ.к., доцент",
            "text_ru": "Заведующий кафедрой: Г. С. Жаксыбеков, к.т.н., доцент",
            "reason_en": "Кафедраның ағылшынша беті әлі ашылмаған", "published_url": staff,
            "published_on": today.isoformat()})
        request("«Ақпараттық жүйелер» білім беру бағдарламасының сипаттамасы", "applicants.programmes",
                ["https://kineu.edu.kz/kk/applicants/programmes/6B06101", "/ru/applicants/programmes/6B06101"],
                text_kk="6B06101 «Ақпараттық жүйелер»: оқу мерзімі 4 жыл, оқыту тілдері қазақ және орыс.",
                text_ru="6B06101 «Информационные системы»: срок обучения 4 года, языки обучения казахский и русский.")
        return "website changes: 2 (one published, one awaiting the vice-rector's consent)"

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Consent" and data.get("decision") == "decline":
            return Message(N_("Declining ends the request now: the website is not changed."))
        if task.name == "Task_Publish":
            return Message(N_("Recording the publication closes the request."))
        return None


# --- the steps ---------------------------------------------------------------------------------

def _request(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§9.8: check the request (own unit, a date not in the past, the files of this request), keep its row."""
    errors: dict[str, Message] = {}
    unit = ctx.session.execute(select(Unit).where(Unit.code == data.get("unit"))).scalar_one_or_none()
    if unit is None or not is_head_of(ctx.me, unit):
        errors["unit"] = Message(N_("You may request changes only to the pages of the unit you head."))
    wanted = date.fromisoformat(data["wanted_on"])
    today = today_local(ctx.now())
    if wanted < today:
        errors["wanted_on"] = Message(N_("The wanted date cannot be in the past."))
    for fid in data.get("file_ids") or []:
        stored = ctx.session.get(StoredFile, fid)
        if stored is None or stored.instance_id != instance.id or stored.uploaded_by_id != instance.started_by_id:
            errors.setdefault("file_ids", Message(N_("Unknown file: %(id)s."), {"id": fid}))
    texts = {lang: (data.get(f"text_{lang}") or "").strip() for lang in LANGS}
    if data["change_kind"] != "removal" and not any(texts.values()) and not data.get("file_ids"):
        errors["text_kk"] = Message(N_("Give the text of the change in at least one language, or attach its files."))
    addresses: list[str] = []
    for item in data["pages"]:
        address = item["address"].strip()
        if address not in addresses:
            addresses.append(address)
    if errors:
        raise Invalid(errors)
    assert unit is not None
    data["title"] = data["title"].strip()
    data["pages"] = [{"address": a} for a in addresses]
    data["area"] = data.get("area") or ""
    for lang in LANGS:
        data[f"text_{lang}"] = texts[lang]
    row = _row(ctx, instance)
    if row is None:
        row = WebsiteChange(instance_id=instance.id, submitted_at=ctx.now(), published_texts={}, missing_reasons={})
        ctx.session.add(row)
    row.unit_id, row.title, row.section, row.change_kind = unit.id, data["title"], data["section"], \
        data["change_kind"]
    row.pages, row.texts, row.file_ids = addresses, texts, list(data.get("file_ids") or [])
    row.wanted_on, row.area, row.status = wanted, data["area"], "requested"
    instance.due_at = end_of_day_utc(wanted)
    ctx.session.flush()
    return data


def _consent(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§9.8: management consents, or declines with a reason."""
    row = change_of(ctx, instance)
    comment = (data.get("comment") or "").strip()
    if data["decision"] == "decline" and not comment:
        raise Invalid({"comment": Message(N_("Give the reason for declining."))})
    row.status = "consented" if data["decision"] == "consent" else "declined"
    row.consented_by_id, row.decided_at = ctx.me.id, ctx.now()
    return {"decision": data["decision"], "comment": comment}


def _publish(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§9.5, §9.1: every language has its text or MCD's reason; where and when it was published."""
    row = change_of(ctx, instance)
    if row.status != "consented":
        raise Conflict(N_("Management has not consented to the change."))
    errors: dict[str, Message] = {}
    texts, reasons = {}, {}
    for lang in LANGS:
        text = (data.get(f"text_{lang}") or "").strip()
        reason = (data.get(f"reason_{lang}") or "").strip()
        if text:
            texts[lang] = text
        elif reason:
            reasons[lang] = reason
        else:
            errors[f"reason_{lang}"] = Message(MISSING[lang])
    published_on = date.fromisoformat(data["published_on"])
    if published_on > today_local(ctx.now()):
        errors["published_on"] = Message(N_("The date cannot be in the future."))
    if errors:
        raise Invalid(errors)
    url = data["published_url"].strip()
    row.published_texts, row.missing_reasons = texts, reasons
    row.published_url, row.published_on, row.published_by_id = url, published_on, ctx.me.id
    remember_pages(ctx, row, instance)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "website_published", instance_id=instance.id,
                 object=f"website_change:{row.id}",
                 data={"published_url": url, "published_on": published_on.isoformat(), "languages": sorted(texts),
                       "not_needed": {lang: reasons[lang] for lang in sorted(reasons)}, "pages": list(row.pages)},
                 clause="§9.5", request_id=ctx.request_id)
    result: dict[str, Any] = {f"text_{lang}": text for lang, text in texts.items()}
    result.update({f"reason_{lang}": reason for lang, reason in reasons.items()})
    result.update(published_url=url, published_on=published_on.isoformat(),
                  comment=(data.get("comment") or "").strip())
    return result


def remember_pages(ctx: Ctx, row: WebsiteChange, instance: Instance) -> None:
    """Keep the unit's pages the published change touched (§9.6), for the yearly review."""
    assert row.published_on is not None
    for address in row.pages:
        page = ctx.session.execute(select(WebsitePage).where(WebsitePage.unit_id == row.unit_id,
                                                             WebsitePage.address == address)).scalar_one_or_none()
        if page is None:
            page = WebsitePage(unit_id=row.unit_id, address=address)
            ctx.session.add(page)
        page.section, page.last_instance_id, page.updated_on = row.section, instance.id, row.published_on


# --- queries -----------------------------------------------------------------------------------

def _row(ctx: Ctx, instance: Instance) -> WebsiteChange | None:
    return ctx.session.execute(select(WebsiteChange).where(WebsiteChange.instance_id == instance.id)
                               ).scalar_one_or_none()


def change_of(ctx: Ctx, instance: Instance) -> WebsiteChange:
    row = _row(ctx, instance)
    if row is None:
        raise Conflict(N_("The change is not requested yet."))
    return row


def unit_pages(ctx: Ctx, unit: Unit) -> list[WebsitePage]:
    return list(ctx.session.execute(select(WebsitePage).where(WebsitePage.unit_id == unit.id)
                                    .order_by(WebsitePage.section, WebsitePage.address)).scalars())


def language_label(lang: str) -> str:
    return LANGUAGES[lang]


KIND = WebsiteChangeKind()
