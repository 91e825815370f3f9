"""Written information requests (§11): the 10-working-day clock, the decision, the answer and its letter."""
from processes.information_request.kind import KIND

__all__ = ["KIND"]
