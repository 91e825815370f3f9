"""Write e-mails for notifications into the outbox, in the recipient's language, in the caller's transaction."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations

from forms.validate import N_
from processes import catalog
from processes.university_time import date_text, datetime_text, deadline_day, ends_with_day
from processes.usecases.context import Ctx
from storage.models import Notification, OutboxMail, User

# kind -> (subject, body); %(title)s and the other params come from the notification
TEXTS = {
    "task_assigned": (N_("Kelisim: a new task"), N_("A new task awaits you: “%(title)s”.")),
    "revision_requested": (N_("Kelisim: returned for revision"),
                           N_("“%(title)s” was returned to you for revision. Comment: %(comment)s")),
    "reminder": (N_("Kelisim: reminder"), N_("“%(title)s” still awaits your decision. Due: %(due)s.")),
    "escalation": (N_("Kelisim: escalation"),
                   N_("“%(title)s” is still undecided and its deadline is near. Due: %(due)s.")),
    "outcome": (N_("Kelisim: finished"), N_("“%(title)s” is finished: %(outcome)s.")),
    "task_moved": (N_("Kelisim: a task moved"),
                   N_("Your task in “%(title)s” moved because of an absence; it is now held by: %(to)s.")),
    "substitution_failed": (N_("Kelisim: no substitute present"),
                            N_("Nobody could act for %(absent)s in “%(title)s”: the task waits in its role's "
                               "queue.")),
    "withdrawn": (N_("Kelisim: withdrawn"),
                  N_("“%(title)s” was withdrawn by the person who submitted it; your task in it is closed. "
                     "Reason: %(reason)s")),
    # the flow of work (processes/usecases/flow.py)
    "task_reassigned": (N_("Kelisim: your task was reassigned"),
                        N_("Your task in “%(title)s” was reassigned to %(to)s. Reason: %(reason)s")),
    "task_delegated": (N_("Kelisim: please prepare a task"),
                       N_("%(holder)s asks you to prepare “%(title)s”. Comment: %(comment)s")),
    "task_returned": (N_("Kelisim: a task was returned prepared"),
                      N_("%(by)s prepared “%(title)s” and returned it to you. Comment: %(comment)s")),
    "task_claimed": (N_("Kelisim: a task left your queue"),
                     N_("%(by)s took “%(title)s” from the queue: it has left your queue.")),
    "task_released": (N_("Kelisim: a task is back in your queue"),
                      N_("%(by)s put “%(title)s” back in the queue: you can take it.")),
    "task_recalled": (N_("Kelisim: a task was taken back"),
                      N_("%(by)s took back “%(title)s”: you no longer need to prepare it. Comment: %(comment)s")),
    "media_contact_stale": (N_("Kelisim: check your unit's media contact"),  # §7.10.4, a year unconfirmed
                            N_("Your media contact “%(title)s” of %(unit)s was not confirmed for a year: check it "
                               "and confirm it or change it (§7.10.4).")),
    "cancelled": (N_("Kelisim: case cancelled"),
                  N_("“%(title)s” was cancelled by the administrator. Reason: %(reason)s")),
}
FOOTER = N_("Open Kelisim to see the details: %(url)s")


@lru_cache(maxsize=8)
def translations(directory: str | None, locale: str) -> NullTranslations:
    if directory is None:
        return NullTranslations()
    return Translations.load(directory, [locale], domain="messages")


def due_text(due_at: datetime, gettext) -> str:
    """A deadline as the pages show it (web/templates/_labels.html `due`): "by 14.12.2026, end of day", or
    "by 14.12.2026, 14:05" for one at another hour than midnight, Almaty."""
    if ends_with_day(due_at):
        day = deadline_day(due_at)
        assert day is not None
        return gettext(N_("by %(day)s, end of day")) % {"day": date_text(day)}
    return gettext(N_("by %(moment)s")) % {"moment": datetime_text(due_at)}


def enqueue(ctx: Ctx, user: User, note: Notification) -> OutboxMail | None:
    """Queue the e-mail for a notification when mail is configured and the user has an address."""
    settings = ctx.services.settings
    own = _process_texts(note)
    if settings.smtp is None or not user.email or note.kind not in {**TEXTS, **own}:
        return None
    directory = str(settings.translations_dir) if settings.translations_dir else None
    gettext = translations(directory, user.locale or "kk").gettext
    params: dict[str, Any] = {"title": "", "comment": "", "due": "", "outcome": "", "reason": "",
                              **(note.params or {})}
    if params["due"]:
        params["due"] = due_text(datetime.fromisoformat(params["due"]), gettext)
    outcome_label = _outcome_label(params.get("process"), params["outcome"])
    if outcome_label:
        params["outcome"] = gettext(outcome_label)
    subject, body = own.get(note.kind) or TEXTS[note.kind]
    url = f"{settings.base_url.rstrip('/')}/instances/{note.instance_id}" if note.instance_id else settings.base_url
    text = gettext(body) % params + "\n\n" + gettext(FOOTER) % {"url": url}
    mail = OutboxMail(notification_id=note.id, recipient=user.email, subject=gettext(subject)[:300], body=text,
                      created_at=ctx.now())
    ctx.session.add(mail)
    return mail


def _process_texts(note: Notification) -> Mapping[str, tuple[str, str]]:
    """The e-mails a process writes in its own words (subject, body), by notification kind."""
    kind = catalog.kinds().get((note.params or {}).get("process") or "")
    return kind.labels.mails if kind else {}


def _outcome_label(process: str | None, outcome: str) -> str | None:
    """The msgid of an outcome in the words of its process (of any process when it is not known)."""
    kinds = catalog.kinds()
    found = [kinds[process]] if process in kinds else list(kinds.values())
    for kind in found:
        if outcome in kind.labels.outcomes:
            return kind.labels.outcomes[outcome]
    return None
