"""What the 'Violation report' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Violation report")
DESCRIPTION = N_("Report a breach of the Information Policy or an unauthorised disclosure to the head of MCD "
                 "(§1.6, §13.1). Only the head of MCD and auditors see who reported.")

TASKS = {
    "Task_Report": N_("Report the breach"),
    "Task_Assess": N_("Assess the report"),
    "Task_Explain": N_("Give the unit's explanation"),
    "Task_Measures": N_("Record findings and measures"),
    "Task_RectorDecision": N_("Decide on the referral"),
    "Timer_Remind": N_("Day before"),
    "Timer_Due": N_("Due date"),
}

OUTCOMES = {
    "no_breach": N_("No breach found"),
    "breach_handled": N_("Breach found, measures taken"),
    "referred": N_("Referred to the rector, decided"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "no_breach": N_("No breach"),
    "breach": N_("Breach"),
    "ask_units": N_("Ask units for explanations first"),
}

FIELDS = {
    "reg_number": N_("Registration number"),
    "what_happened": N_("What happened"),
    "happened_on": N_("When it happened"),
    "published_where": N_("Where it was published"),
    "links": N_("Links"),
    "clause": N_("Clause breached"),
    "file_ids": N_("Files"),
    "assessment": N_("Assessment"),
    "units": N_("Units to ask"),
    "unit": N_("Unit"),
    "due_on": N_("Due date"),
    "due_at": N_("Due"),
    "question": N_("What the units should explain"),
    "findings": N_("Findings"),
    "explanation": N_("Explanation"),
    "measures": N_("Measures taken"),
    "measures_note": N_("About the measures"),
    "refer": N_("Refer to the rector"),
    "recommendation": N_("Recommendation to the rector"),
    "rector_decision": N_("Decision"),
    "comment": N_("Comment"),
    "reporter": N_("Reporter"),
    "reminder": N_("Reminder"),
}

VALUES = {
    "assessment": DECISIONS,
    "measures": {"removal": N_("Removal of the publication"), "correction": N_("Correction"),
                 "notice": N_("Notice"), "other": N_("Other")},
    "refer": {"no": N_("No: the case closes"), "yes": N_("Yes: disciplinary responsibility may follow (§13.3)")},
    "rector_decision": {"disciplinary": N_("Start the disciplinary procedure"),
                        "no_action": N_("No disciplinary action")},
}

NOTIFICATIONS = {
    "reminder": N_("Reminder: the head of MCD awaits your unit's explanation in “%(title)s”."),
    "escalation": N_("Due date passed: a unit has not given its explanation in “%(title)s”."),
    "outcome": N_("The violation report “%(title)s” is finished: %(outcome)s."),
}

MAILS = {
    "escalation": (N_("Kelisim: escalation"),
                   N_("A unit has not given its explanation in “%(title)s” by %(due)s.")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"happened_on", "due_on"}), datetimes=frozenset({"due_at"}))
