"""What the 'Written information request' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, documents)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Written information request")
DESCRIPTION = N_("Register and answer a written request for information from outside the university (§11).")

# BPMN task and timer ids
TASKS = {
    "Task_Register": N_("Register the request"),
    "Task_Decide": N_("Decide on the request"),
    "Task_Prepare": N_("Prepare the answer"),
    "Task_Payment": N_("Record cost and payment"),
    "Timer_Remind3": N_("3 working days left"),
    "Timer_Remind1": N_("1 working day left"),
    "Timer_Escalate": N_("Due date reached"),
    "Timer_Overdue": N_("Deadline passed"),
}

OUTCOMES = {
    "provided": N_("Provided"),
    "provided_partly": N_("Provided in part"),
    "refused": N_("Refused"),
    "withdrawn": N_("Withdrawn"),  # by the submitter, before a decision
    "cancelled": N_("Cancelled"),  # by an administrator (processes/usecases/flow.py)
}

DECISIONS = {
    "provide": N_("Provide"),
    "provide_partly": N_("Provide in part"),
    "refuse": N_("Refuse"),
}

# the keys of its forms' data and of its audit entries
FIELDS = {
    "requester_name": N_("Requester"),
    "requester_kind": N_("Kind of requester"),
    "email": N_("E-mail"),
    "postal_address": N_("Postal address"),
    "subject": N_("Subject"),
    "items": N_("Requested documents or information"),
    "form": N_("Wanted form"),
    "language": N_("Language of the request"),
    "received_at": N_("Received"),
    "responsible_unit": N_("Responsible unit"),
    "ground": N_("Ground for refusal"),
    "law_reference": N_("Law cited"),
    "reason": N_("Reason"),
    "answer_text": N_("Answer"),
    "accuracy_confirmed": N_("Accuracy confirmed (§7.10.3)"),
    "cost": N_("Cost, tenge"),
    "status": N_("Payment"),
    "payment_reference": N_("Payment reference"),
    "method": N_("Sent by"),
    "tracking_number": N_("Tracking number"),
    "email_address": N_("Sent to the e-mail address"),
    "sent_at": N_("Sent at"),
    "recipient_name": N_("Handed to (full name)"),
    "postal_address_added": N_("Postal address given at dispatch"),
    "due_at": N_("Due date"),
    "due_day": N_("Due day"),
    "deadline_at": N_("Deadline"),
    "escalate_at": N_("Escalation"),
    "remind3_at": N_("First reminder"),
    "remind1_at": N_("Last reminder"),
    "working_days": N_("Working days"),
    "working_days_left": N_("Working days left"),
    "working_days_taken": N_("Working days taken"),
    "overdue": N_("Overdue"),
    "overdue_seconds": N_("Breach, seconds"),
    "letter": N_("Letter"),
    "request": N_("Request"),
    "open_tasks": N_("Open tasks"),
}

# coded values by data key
VALUES = {
    "ground": {
        "commercial_secret": N_("Commercial secret (§12)"),
        "service_secret": N_("Service secret (§12)"),
        "personal_data": N_("Personal data protection (§3.2.6)"),
        "state_secret": N_("State secret (§2.4)"),
        "other_legal": N_("Other legal ground (cite the law)"),
    },
    "requester_kind": {
        "person": N_("Person"),
        "organisation": N_("Organisation"),
        "media": N_("Mass media"),
        "state_body": N_("State body"),
    },
    "form": {
        "electronic": N_("In electronic form"),
        "printed": N_("In printed form"),
    },
    "language": {
        "kk": N_("Kazakh"),
        "ru": N_("Russian"),
        "en": N_("English"),
    },
    "method": {
        "email": N_("E-mail"),
        "email_manual": N_("E-mail from the university mailbox"),
        "post": N_("Post"),
        "in_person": N_("In person"),
    },
    "status": {
        "awaiting": N_("Awaiting payment"),
        "paid": N_("Paid"),
        "waived": N_("Waived"),
    },
}

DOCUMENTS = {
    "answer_letter": N_("Answer letter"),
    "refusal_letter": N_("Refusal letter"),
}


NOTIFICATIONS = {
    "reminder": N_("Reminder: the request “%(title)s” still awaits your action."),
    "escalation": N_("Escalation: the request “%(title)s” is due today and not yet answered."),
    "overdue": N_("The deadline of the request “%(title)s” has passed and it is not yet answered."),
    "to_dispatch": N_("The letter for the request “%(title)s” is ready (%(outcome)s): dispatch it and record how."),
    "dispatched": N_("The letter for the request “%(title)s” was dispatched: %(outcome)s."),
    "letter_issued": N_("The letter for the request “%(title)s” was issued over your signature (%(outcome)s): "
                        "read the answer it gives."),
}

MAILS = {
    "overdue": (N_("Kelisim: deadline missed"),
                N_("The deadline of “%(title)s” has passed (%(due)s) and it is still not answered.")),
    "dispatched": (N_("Kelisim: answer dispatched"), N_("The letter for “%(title)s” was dispatched: %(outcome)s.")),
    "to_dispatch": (N_("Kelisim: a letter to dispatch"),
                    N_("The letter for “%(title)s” is ready (%(outcome)s): dispatch it and record how.")),
    "letter_issued": (N_("Kelisim: a letter issued over your signature"),
                      N_("The letter for “%(title)s” was issued over your signature (%(outcome)s): read the answer "
                         "it gives.")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, documents=DOCUMENTS, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"due_day"}), due_note=N_("(10 working days, §11.2)"),
                datetimes=frozenset({"received_at", "due_at", "deadline_at", "escalate_at", "remind3_at",
                                     "remind1_at", "sent_at"}))
