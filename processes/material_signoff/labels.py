"""What the 'External material sign-off' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, documents)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("External material sign-off")
DESCRIPTION = N_("Have promotional material about the university signed off by the Marketing and Communications Department before publication (§7.5).")  # noqa: E501

# BPMN task and timer ids
TASKS = {
    "Task_Submit": N_("Submit material"),
    "Task_Revise": N_("Revise material"),
    "Task_AcceptLate": N_("Accept late material"),
    "Task_Review": N_("Review material"),
    "Task_ManagementApprove": N_("Approve for mass media"),
}

OUTCOMES = {
    "approved": N_("Cleared"),
    "rejected": N_("Rejected"),
    "returned": N_("Returned"),
    "withdrawn": N_("Withdrawn"),  # by the submitter, before a decision
    "cancelled": N_("Cancelled"),  # by an administrator (processes/usecases/flow.py)
}

DECISIONS = {
    "approve": N_("Agree"),
    "revise": N_("Return for revision"),
    "reject": N_("Reject"),
    "accept": N_("Accept for review"),
    "return": N_("Return"),
}

# the keys of its forms' data and of its audit entries
FIELDS = {
    "unit": N_("Structural unit"),
    "material_type": N_("Type of material"),
    "channel": N_("Channel"),
    "area": N_("Area of responsibility (for mass media)"),
    "audiences": N_("Target audiences (§5)"),
    "planned_date": N_("Planned publication date"),
    "description": N_("Description"),
    "late": N_("Late submission (§7.4)"),
    "late_rule_days": N_("Days required in advance (§7.4)"),
    "checklist": N_("Brand-guideline checklist"),
    "override_reason": N_("Override reason"),
    "late_decision": N_("Decision on the late submission"),
    "management_decision": N_("Management decision"),
    "management_role": N_("Management member"),
}

# coded values by data key
VALUES = {
    "material_type": {
        "video": N_("Video"),
        "presentation": N_("Presentation"),
        "booklet": N_("Booklet"),
        "poster": N_("Poster"),
        "social_post": N_("Social media post"),
        "other": N_("Other"),
    },
    "channel": {
        "website": N_("Website"),
        "social_network": N_("Social network account"),
        "print": N_("Print"),
        "exhibition": N_("Exhibition"),
        "mass_media": N_("Mass media"),
        "other": N_("Other"),
    },
    "area": {
        "": N_("General"),
        "finance": N_("Finance and economy"),
        "academic": N_("Academic affairs"),
        "research": N_("Research"),
        "international": N_("International affairs"),
        "youth": N_("Youth policy"),
        "strategy": N_("Strategic development"),
    },
    "audiences": {
        "applicants": N_("Applicants"),
        "students": N_("Students"),
        "parents": N_("Parents"),
        "graduates": N_("Graduates"),
        "employers": N_("Employers"),
        "partners": N_("Partners"),
        "media": N_("Mass media"),
        "state_bodies": N_("State bodies"),
        "community": N_("Local community"),
        "staff": N_("Staff"),
        "student_body": N_("Student body"),
        "foreign_applicants": N_("Foreign applicants"),
        "foreign_partners": N_("Foreign partners"),
    },
    "checklist": {
        "logo": N_("Logo placement"),
        "colours": N_("Colours"),
        "fonts": N_("Fonts"),
        "languages": N_("Language versions (kk, ru, en)"),
        "contacts": N_("Contacts"),
        "accuracy": N_("Factual accuracy (§3.9)"),
    },
}

DOCUMENTS = {
    "signoff_sheet": N_("Sign-off sheet"),
}


LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, documents=DOCUMENTS, dates=frozenset({"planned_date"}),
                notifications={"revision_requested": N_("Your material “%(title)s” was returned for revision.")})
