"""What the 'Media inquiry' process is called and how its codes read: English msgids marked with N_, translated
where they are shown (pages, e-mail, documents)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Media inquiry")
DESCRIPTION = N_("Answer a journalist's inquiry through one source, with each unit asked on its hour clock "
                 "(§7.10, §10, §3.8).")

TASKS = {
    "Task_Register": N_("Register the inquiry"),
    "Task_Route": N_("Choose the source and the units"),
    "Task_Answer": N_("Answer the questions"),
    "Task_Redirect": N_("Ask another unit?"),
    "Task_Consolidate": N_("Consolidate the official answer"),
    "Task_Clear": N_("Clear the answer"),
    "Task_Release": N_("Record the release"),
    "Timer_RemindHalf": N_("Half the term"),
    "Timer_RemindSoon": N_("Shortly before"),
    "Timer_Deadline": N_("Deadline"),
}

OUTCOMES = {
    "released": N_("Answer released"),
    "rejected": N_("Not answered"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "approve": N_("Approve for release"),
    "revise": N_("Return for revision"),
    "reject": N_("Reject: the university does not answer"),
}

FIELDS = {
    "reg_number": N_("Registration number"),
    "outlet": N_("Outlet"),
    "journalist": N_("Journalist"),
    "contact": N_("Contact"),
    "received_via": N_("How it came in"),
    "subject": N_("Subject (the event or matter)"),
    "questions": N_("Questions"),
    "outlet_deadline": N_("Outlet's deadline"),
    "language": N_("Language of the answer"),
    "source": N_("Single source"),
    "related_to": N_("Same matter as"),
    "override_reason": N_("Reason for another source"),
    "units": N_("Units to ask"),
    "unit": N_("Unit"),
    "urgency": N_("Urgency"),
    "term": N_("Term"),
    "comment": N_("Comment"),
    "unit_outcome": N_("Your answer"),
    "answers": N_("Answers"),
    "accuracy_confirmed": N_("Accuracy confirmed (§7.10.3)"),
    "reason": N_("Reason"),
    "redirect": N_("What next"),
    "answer_text": N_("Official answer"),
    "answer_sha256": N_("SHA-256 of the answer"),
    "method": N_("How it was given"),
    "released_at": N_("Released"),
    "released_to": N_("To whom"),
    "link": N_("Publication link"),
    "due_at": N_("Due"),
    "sent_at": N_("Sent"),
    "answered_at": N_("Answered"),
    "escalated_at": N_("Escalated"),
    "late_seconds": N_("Late by, seconds"),
    "minutes_left": N_("Minutes left"),
    "reminder": N_("Reminder"),
    "redirected_from": N_("Instead of"),
    "required": N_("Source of the linked matter"),
    "chosen": N_("Source chosen"),
}

VALUES = {
    "received_via": {"email": N_("E-mail"), "phone": N_("Phone"), "messenger": N_("Messenger"),
                     "in_person": N_("In person"), "letter": N_("Letter"), "other": N_("Other")},
    "language": {"kk": N_("Kazakh"), "ru": N_("Russian"), "en": N_("English")},
    "urgency": {"urgent": N_("Urgent (3 hours)"), "deep": N_("Deeper preparation (6 hours)"),
                "current": N_("Current (the term, else 3 days)")},
    "unit_outcome": {"answered": N_("We answer the questions"), "not_competent": N_("Not our unit's competence")},
    "redirect": {"ask": N_("Ask another unit"), "none": N_("Go on without this unit")},
    "method": {"email": N_("E-mail"), "phone": N_("Phone"), "in_person": N_("In person"),
               "interview": N_("Interview"), "messenger": N_("Messenger"), "other": N_("Other")},
    "reminder": {"half": N_("Half the term"), "soon": N_("Shortly before")},
    "status": {"open": N_("Waiting for the answer"), "answered": N_("Answered"),
               "not_competent": N_("Not our competence"), "closed": N_("Closed")},
}

DOCUMENTS = {"media_release": N_("Release record")}

NOTIFICATIONS = {
    "reminder": N_("Reminder: the media questions “%(title)s” still await your unit's answer."),
    "escalation": N_("Deadline passed: a unit has not answered the media questions “%(title)s”."),
    "media_questions": N_("MCD sent your unit media questions: “%(title)s”."),
    "outcome": N_("The media inquiry “%(title)s” is finished: %(outcome)s."),
}

MAILS = {
    "escalation": (N_("Kelisim: media questions overdue"),
                   N_("A unit has not answered the media questions of “%(title)s” by %(due)s.")),
    "media_questions": (N_("Kelisim: media questions for your unit"),
                        N_("MCD sent your unit the media questions of “%(title)s”. Due: %(due)s.")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, documents=DOCUMENTS, notifications=NOTIFICATIONS, mails=MAILS,
                datetimes=frozenset({"outlet_deadline", "released_at", "due_at", "sent_at", "answered_at",
                                     "escalated_at", "term"}),
                due_note=N_("(the outlet's deadline)"))
