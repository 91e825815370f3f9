"""Event pre-notification (§7.4, §7.6, §7.8): a unit tells MCD of a planned event; MCD decides its coverage."""
from processes.event_notice.kind import KIND

__all__ = ["KIND"]
