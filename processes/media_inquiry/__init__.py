"""Media inquiries (§7.10, §10, §3.8): one source, the units on their hour clocks, the release record."""
from processes.media_inquiry.kind import KIND

__all__ = ["KIND"]
