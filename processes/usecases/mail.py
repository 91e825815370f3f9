"""Write e-mails for notifications into the outbox, in the recipient's language, in the caller's transaction."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations

from forms.validate import N_
from processes.usecases.context import Ctx
from processes.usecases.timezone import local
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
    "overdue": (N_("Kelisim: deadline missed"),
                N_("The deadline of “%(title)s” has passed (%(due)s) and it is still not answered.")),
    "dispatched": (N_("Kelisim: answer dispatched"), N_("The letter for “%(title)s” was dispatched: %(outcome)s.")),
    "to_dispatch": (N_("Kelisim: a letter to dispatch"),
                    N_("The letter for “%(title)s” is ready (%(outcome)s): dispatch it and record how.")),
}
FOOTER = N_("Open Kelisim to see the details: %(url)s")
OUTCOMES = {"approved": N_("Cleared"), "rejected": N_("Rejected"), "not_required": N_("Clearance not required"),
            "expired": N_("Expired"), "returned": N_("Returned"), "provided": N_("Provided"),
            "provided_partly": N_("Provided in part"), "refused": N_("Refused")}


@lru_cache(maxsize=8)
def translations(directory: str | None, locale: str) -> NullTranslations:
    if directory is None:
        return NullTranslations()
    return Translations.load(directory, [locale], domain="messages")


def enqueue(ctx: Ctx, user: User, note: Notification) -> OutboxMail | None:
    """Queue the e-mail for a notification when mail is configured and the user has an address."""
    settings = ctx.services.settings
    if settings.smtp is None or not user.email or note.kind not in TEXTS:
        return None
    directory = str(settings.translations_dir) if settings.translations_dir else None
    gettext = translations(directory, user.locale or "kk").gettext
    params: dict[str, Any] = {"title": "", "comment": "", "due": "", "outcome": "", **(note.params or {})}
    if params["due"]:
        params["due"] = local(datetime.fromisoformat(params["due"])).strftime("%d.%m.%Y %H:%M (UTC%z)")
    outcome_label = OUTCOMES.get(params["outcome"])
    if outcome_label:
        params["outcome"] = gettext(outcome_label)
    subject, body = TEXTS[note.kind]
    url = f"{settings.base_url.rstrip('/')}/instances/{note.instance_id}" if note.instance_id else settings.base_url
    text = gettext(body) % params + "\n\n" + gettext(FOOTER) % {"url": url}
    mail = OutboxMail(notification_id=note.id, recipient=user.email, subject=gettext(subject)[:300], body=text,
                      created_at=ctx.now())
    ctx.session.add(mail)
    return mail

