"""Speech text clearance (§8.6): an employee's theses cleared by a public person before they speak."""
from processes.speech_clearance.kind import KIND

__all__ = ["KIND"]
