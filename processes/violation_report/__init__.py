"""Violation reports (§1.6, §13.1–13.3): the reporter is withheld from all but the head of MCD and auditors."""
from processes.violation_report.kind import KIND

__all__ = ["KIND"]
