"""Plans and regulations the rector approves (§7.1): MCD drafts the PR plan or the website regulation, the
rector approves, returns or rejects it, and an approval makes the next version in force of its kind."""
from processes.plan_approval.kind import KIND

__all__ = ["KIND"]
