"""What the 'Event pre-notification' process is called and how its codes read: English msgids marked with N_,
translated where they are shown (pages, e-mail, the calendar)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import Labels

TITLE = N_("Event pre-notification")
DESCRIPTION = N_("Tell MCD about a planned event at least 5 days ahead; MCD decides how it is covered "
                 "(§7.4, §7.6, §7.8).")

TASKS = {
    "Task_Notify": N_("Notify MCD of the event"),
    "Task_AcceptLate": N_("Accept the late notice"),
    "Task_Decide": N_("Decide on the coverage"),
    "Task_Details": N_("Give the details MCD asks for"),
    "Task_Record": N_("Record what was published"),
    "Timer_RecordDue": N_("Event over"),
}

OUTCOMES = {
    "covered": N_("Coverage recorded"),
    "declined": N_("Notice declined"),
    "not_accepted": N_("Late notice not accepted"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
}

DECISIONS = {
    "accept": N_("Accept with a coverage plan"),
    "revise": N_("Ask the unit for details"),
    "accept_late": N_("Accept for MCD's decision"),
    "decline": N_("Decline"),
}

FIELDS = {
    "unit": N_("Structural unit"),
    "title": N_("Event"),
    "event_kind": N_("Kind of event"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "place": N_("Place"),
    "organiser": N_("Organiser"),
    "audiences": N_("Audience"),
    "guests": N_("Expected guests"),
    "media": N_("Expected media"),
    "requests": N_("What the unit asks of MCD"),
    "site_languages": N_("Languages of the news on the site"),
    "description": N_("About the event"),
    "late": N_("Late (§7.4)"),
    "late_rule_days": N_("Days ahead required (§7.4)"),
    "decision": N_("Decision"),
    "late_decision": N_("Decision on the late notice"),
    "comment": N_("Comment"),
    "covered_by": N_("Who covers it"),
    "channels": N_("Channels"),
    "publish_by": N_("Published by"),
    "record_remind_at": N_("Reminder to record"),
    "publications": N_("Publications"),
    "link": N_("Link"),
    "published_on": N_("Published on"),
    "status": N_("Status"),
}

VALUES = {
    "event_kind": {"conference": N_("Conference"), "seminar": N_("Seminar"), "round_table": N_("Round table"),
                   "meeting": N_("Meeting"), "ceremony": N_("Ceremony"), "visit": N_("Visit of a delegation"),
                   "open_day": N_("Open day"), "competition": N_("Competition"),
                   "cultural": N_("Cultural or sports event"), "other": N_("Other")},
    "audiences": {"applicants": N_("Applicants"), "students": N_("Students"), "parents": N_("Parents"),
                  "graduates": N_("Graduates"), "employers": N_("Employers"), "partners": N_("Partners"),
                  "media": N_("Mass media"), "state_bodies": N_("State bodies"), "community": N_("Local community"),
                  "staff": N_("Staff"), "student_body": N_("Student body"),
                  "foreign_applicants": N_("Foreign applicants"), "foreign_partners": N_("Foreign partners")},
    "requests": {"announcement": N_("Announcement"), "photo": N_("Photo"), "video": N_("Video"),
                 "press_release": N_("Press release"), "site_news": N_("News on the website")},
    "site_languages": {"kk": N_("Kazakh"), "ru": N_("Russian"), "en": N_("English")},
    "channels": {"website": N_("Website"), "social_networks": N_("Social networks"), "messengers": N_("Messengers"),
                 "mass_media": N_("Mass media"), "print": N_("Print"), "other": N_("Other")},
    "late_decision": {"accept_late": N_("Accept for MCD's decision"), "decline": N_("Decline")},
    "status": {"late": N_("Late: awaiting the head of MCD's acceptance"),
               "submitted": N_("Awaiting MCD's decision"), "details": N_("Details asked"),
               "accepted": N_("Accepted"), "declined": N_("Declined"), "not_accepted": N_("Late notice not accepted"),
               "covered": N_("Coverage recorded"), "withdrawn": N_("Withdrawn"), "cancelled": N_("Cancelled")},
}

NOTIFICATIONS = {
    "event_accepted": N_("MCD accepted the event “%(title)s” and plans its coverage."),
    "reminder": N_("The event “%(title)s” is over: record what was published."),
    "outcome": N_("The event notice “%(title)s” is finished: %(outcome)s."),
}

MAILS = {
    "event_accepted": (N_("Kelisim: MCD accepted your event"),
                       N_("MCD accepted the event “%(title)s” and plans its coverage.")),
}

LABELS = Labels(title=TITLE, description=DESCRIPTION, tasks=TASKS, outcomes=OUTCOMES, decisions=DECISIONS,
                fields=FIELDS, values=VALUES, notifications=NOTIFICATIONS, mails=MAILS,
                dates=frozenset({"published_on"}),
                datetimes=frozenset({"starts_at", "ends_at", "publish_by", "record_remind_at"}),
                due_note=N_("(the event's start)"))
