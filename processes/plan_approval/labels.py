"""What the 'Plan or regulation approval' process is called and how its codes read: English msgids marked
with N_, translated where they are shown (pages, e-mail)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Plan or regulation approval")
DESCRIPTION = N_("Draft the PR plan (the programme of information occasions) or the website regulation for "
                 "the rector's approval (§7.1).")

TASKS = {
    "Task_Draft": N_("Draft the plan or regulation"),
    "Task_Approve": N_("Approve the plan or regulation"),
}

OUTCOMES = {
    "approved": N_("Approved: in force"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "approve": N_("Approve"),
    "return": N_("Return to MCD"),
    "reject": N_("Reject"),
}

FIELDS = {
    "kind": N_("What is approved"),
    "title": N_("Title"),
    "period_start": N_("Period from"),
    "period_end": N_("Period to"),
    "items": N_("Plan items"),
    "text": N_("Text of the regulation"),
    "file_ids": N_("Document file"),
    "note": N_("Note"),
    "comment": N_("Comment"),
    "occasion": N_("Occasion"),
    "date": N_("Date"),
    "month": N_("Month"),
    "channel": N_("Channel"),
    "unit": N_("Responsible unit"),
    "event_notice": N_("Event notice"),
    "media_inquiry": N_("Media inquiry"),
    "done_on": N_("Happened on"),
}

KIND_LABELS = {"pr_plan": N_("PR plan"), "website_regulation": N_("Website regulation")}
CHANNEL_LABELS = {"website": N_("Website"), "social": N_("Social networks"), "press": N_("Press"), "tv": N_("TV"),
                  "radio": N_("Radio"), "event": N_("Event"), "other": N_("Other")}
STATUS_LABELS = {"done": N_("Happened"), "planned": N_("Planned"), "missed": N_("Not done")}

VALUES = {"kind": KIND_LABELS, "channel": CHANNEL_LABELS}

NOTIFICATIONS = {
    "revision_requested": N_("The rector returned “%(title)s” to MCD with comments."),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS,
                dates=frozenset({"period_start", "period_end", "date", "done_on"}))
