"""Website change request (§9.4–9.8, §9.1): a unit head has the unit's pages changed through MCD, with
management's consent."""
from processes.website_change.kind import KIND

__all__ = ["KIND"]
