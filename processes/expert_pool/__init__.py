"""The expert pool (definitions section; §8.3, §8.5): MCD proposes changes, the rector approves them, and
each approval makes a new edition of the pool holding the whole list."""
from processes.expert_pool.kind import KIND

__all__ = ["KIND"]
