"""What the 'Website change request' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, the register)."""
from __future__ import annotations

from forms.validate import N_
from processes.material_signoff.routing import AREAS
from processes.usecases.kinds import Labels
from processes.website_change.sections import SECTIONS

TITLE = N_("Website change request")
DESCRIPTION = N_("Have MCD change or add to your unit's pages on the website, with management's consent "
                 "(§9.4–9.8).")

TASKS = {
    "Task_Request": N_("Request the change"),
    "Task_Consent": N_("Consent to the change"),
    "Task_Publish": N_("Prepare and publish the change"),
}

OUTCOMES = {
    "published": N_("Change published"),
    "declined": N_("Change declined"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "consent": N_("Consent"),
    "decline": N_("Decline"),
}

LANGUAGES = {"kk": N_("Kazakh"), "ru": N_("Russian"), "en": N_("English")}

FIELDS = {
    "unit": N_("Structural unit"),
    "title": N_("What changes"),
    "section": N_("Section of the site (§9.4)"),
    "change_kind": N_("Kind of change"),
    "pages": N_("Pages"),
    "address": N_("Page address"),
    "text_kk": N_("Text in Kazakh"),
    "text_ru": N_("Text in Russian"),
    "text_en": N_("Text in English"),
    "reason_kk": N_("Why no Kazakh text is needed"),
    "reason_ru": N_("Why no Russian text is needed"),
    "reason_en": N_("Why no English text is needed"),
    "file_ids": N_("Files"),
    "wanted_on": N_("Wanted by"),
    "area": N_("Area of the unit's activity"),
    "consent_role": N_("Who consents"),
    "decision": N_("Decision"),
    "comment": N_("Comment"),
    "published_url": N_("Address of the publication"),
    "published_on": N_("Published on"),
    "status": N_("Status"),
}

VALUES = {
    "section": SECTIONS,
    "change_kind": {"change": N_("Change of existing content"), "addition": N_("Addition of new content"),
                    "removal": N_("Removal of content")},
    "area": {"": N_("None of these"), **dict(AREAS)},
    "decision": DECISIONS,
    "status": {"requested": N_("Awaiting consent"), "consented": N_("Consented, with MCD"),
               "declined": N_("Declined"), "published": N_("Published"), "withdrawn": N_("Withdrawn"),
               "cancelled": N_("Cancelled")},
}

NOTIFICATIONS = {
    "website_consented": N_("Management consented to the website change “%(title)s”: MCD prepares it."),
    "website_review_due": N_("A year has passed: review the pages of %(title)s on the website and ask MCD for the "
                             "changes they need (§9.6)."),
    "outcome": N_("The website change “%(title)s” is finished: %(outcome)s."),
}

MAILS = {
    "website_consented": (N_("Kelisim: your website change was consented to"),
                          N_("Management consented to the website change “%(title)s”: MCD prepares it.")),
    "website_review_due": (N_("Kelisim: review your unit's pages on the website"),
                           N_("A year has passed: review the pages of %(title)s on the website and ask MCD for the "
                              "changes they need (§9.6).")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"wanted_on", "published_on"}), due_note=N_("(the wanted date)"))
