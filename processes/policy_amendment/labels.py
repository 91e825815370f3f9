"""What the 'Policy amendment' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, documents)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Policy amendment")
DESCRIPTION = N_("Propose an amendment to the Information Policy (§14).")

# BPMN task and timer ids
TASKS = {
    "Task_Propose": N_("Propose an amendment"),
    "Task_Review": N_("Review and consolidate"),
    "Task_Revise": N_("Revise the proposal"),
    "Task_Council": N_("Record the Academic Council's decision"),
    "Task_Approve": N_("Approve the amendment"),
}

OUTCOMES = {
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "not_adopted": N_("Not adopted"),
    "withdrawn": N_("Withdrawn"),  # by the submitter, before a decision
    "cancelled": N_("Cancelled"),  # by an administrator (processes/usecases/flow.py)
}

DECISIONS = {
    "approve": N_("Approve"),
    "revise": N_("Return for revision"),
    "reject": N_("Reject"),
    "consolidate": N_("Consolidate"),
}

# the keys of its forms' data and of its audit entries
FIELDS = {
    "changes": N_("Changes"),
    "rationale": N_("Rationale"),
    "council_required": N_("The Academic Council must adopt this amendment"),
    "meeting_date": N_("Meeting date"),
    "council_decision": N_("Decision of the Council"),
    "votes_for": N_("Votes for"),
    "votes_against": N_("Votes against"),
    "votes_abstained": N_("Abstained"),
    "minutes_file_id": N_("Minutes of the meeting"),
    "effective_date": N_("Effective date"),
    "effective_from": N_("Effective date"),
    "edition": N_("Edition"),
    "base": N_("Base edition"),
    "clauses": N_("Clauses"),
}

# coded values by data key
VALUES = {
    "council_decision": {
        "adopted": N_("Adopted"),
        "not_adopted": N_("Not adopted"),
    },
}

DOCUMENTS = {
    "policy_edition": N_("Policy edition"),
    "policy_addition": N_("Addition to the Information Policy"),
}


LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, documents=DOCUMENTS,
                dates=frozenset({"meeting_date", "effective_date", "effective_from"}))
