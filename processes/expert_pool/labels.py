"""What the 'Expert pool' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Expert pool")
DESCRIPTION = N_("Propose additions, changes and removals in the university's expert pool for the "
                 "rector's approval.")

TASKS = {
    "Task_Propose": N_("Propose changes to the expert pool"),
    "Task_Approve": N_("Approve the changes to the expert pool"),
}

OUTCOMES = {
    "approved": N_("Approved: new edition of the pool"),
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
    "changes": N_("Changes"),
    "note": N_("Note"),
    "comment": N_("Comment"),
    "base_edition": N_("Base edition"),
    "edition": N_("Edition"),
    "action": N_("Action"),
    "person": N_("Expert"),
    "topics": N_("Topics"),
    "languages": N_("Languages"),
    "formats": N_("Formats"),
    "term_until": N_("Member until"),
}

ACTION_LABELS = {"add": N_("Add"), "change": N_("Change"), "remove": N_("Remove")}
LANGUAGE_LABELS = {"kk": N_("Kazakh"), "ru": N_("Russian"), "en": N_("English")}
FORMAT_LABELS = {"press": N_("Press"), "tv": N_("TV"), "radio": N_("Radio"), "online": N_("Online")}

VALUES = {"action": ACTION_LABELS, "languages": LANGUAGE_LABELS, "formats": FORMAT_LABELS}

NOTIFICATIONS = {
    "pool_term_ending": N_("The expert pool membership of %(title)s ends within a month: propose to extend "
                           "or end it."),
    "revision_requested": N_("The rector returned the changes to the expert pool “%(title)s” to MCD."),
}

MAILS = {
    "pool_term_ending": (N_("Kelisim: an expert pool membership ends soon"),
                         N_("The expert pool membership of %(title)s ends within a month: propose to extend "
                            "or end it.")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"term_until"}))
