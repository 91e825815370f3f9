"""What the 'Brand elements request' process is called and how its codes read: English msgids marked with N_,
translated where they are shown."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Brand elements request")
DESCRIPTION = N_("A unit head asks MCD for elements of the corporate style (logo, colours, fonts, templates) for a "
                 "material; MCD sends the files (§6.4).")

TASKS = {
    "Task_Request": N_("Ask MCD for brand elements"),
    "Task_Answer": N_("Answer with the elements"),
    "Task_Details": N_("Give the details MCD asks for"),
}

OUTCOMES = {
    "answered": N_("Elements sent"),
    "declined": N_("Request declined"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "answer": N_("Send the elements"),
    "revise": N_("Ask the unit head for details"),
    "decline": N_("Decline"),
}

FIELDS = {
    "elements": N_("Elements needed"),
    "material": N_("For which material"),
    "wanted_by": N_("Wanted by"),
    "details": N_("What exactly is needed"),
    "decision": N_("Decision"),
    "file_ids": N_("Files"),
    "comment": N_("Comment"),
}

VALUES = {
    "elements": {"logo": N_("Logo"), "colours": N_("Corporate colours"), "fonts": N_("Fonts"),
                 "templates": N_("Templates (documents, presentations)"), "graphic_elements": N_("Graphic elements"),
                 "other": N_("Other")},
}

NOTIFICATIONS = {
    "brand_answered": N_("MCD sent the brand elements you asked for (“%(title)s”)."),
    "outcome": N_("The brand elements request “%(title)s” is finished: %(outcome)s."),
}

MAILS = {
    "brand_answered": (N_("Kelisim: MCD sent the brand elements"),
                       N_("MCD sent the brand elements you asked for (“%(title)s”).")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"wanted_by"}), due_note=N_("(the date the unit head wants them by)"))
