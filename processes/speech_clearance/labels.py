"""What the 'Speech text clearance' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, documents)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Speech text clearance")
DESCRIPTION = N_("Before you speak at a conference, seminar or meeting with the expert community, have your text cleared by a public person if it discloses financial and economic activity, business strategy or other significant facts (§8.6).")  # noqa: E501

# BPMN task and timer ids
TASKS = {
    "Task_Submit": N_("Submit speech text"),
    "Task_Decide": N_("Clear speech text"),
    "Task_Revise": N_("Revise speech text"),
    "Timer_Reminder": N_("Reminder due"),
    "Timer_Escalation": N_("Escalation due"),
    "Timer_Expire": N_("Event date passed"),
}

OUTCOMES = {
    "approved": N_("Cleared"),
    "rejected": N_("Rejected"),
    "not_required": N_("Clearance not required"),
    "expired": N_("Expired"),
    "withdrawn": N_("Withdrawn"),  # by the submitter, before a decision
    "cancelled": N_("Cancelled"),  # by an administrator (processes/usecases/flow.py)
}

DECISIONS = {
    "approve": N_("Agree"),
    "revise": N_("Return for revision"),
    "reject": N_("Reject"),
}

# the keys of its forms' data and of its audit entries
FIELDS = {
    "event_name": N_("Event"),
    "event_kind": N_("Kind of event"),
    "organizer": N_("Organiser"),
    "event_date": N_("Event date"),
    "location": N_("Place or format"),
    "audience": N_("Audience"),
    "title": N_("Title"),
    "categories": N_("The text discloses (§8.6)"),
    "text_sha256": N_("Text fingerprint (SHA-256)"),
    "text_length": N_("Text length (characters)"),
}

# coded values by data key
VALUES = {
    "event_kind": {
        "conference": N_("Conference"),
        "seminar": N_("Seminar"),
        "expert_meeting": N_("Meeting with the expert community"),
        "other": N_("Other"),
    },
    "categories": {
        "finance": N_("Financial and economic activity"),
        "strategy": N_("Business strategy"),
        "significant_facts": N_("Other significant facts"),
    },
}

DOCUMENTS = {
    "clearance_certificate": N_("Clearance certificate"),
}


LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, documents=DOCUMENTS)
