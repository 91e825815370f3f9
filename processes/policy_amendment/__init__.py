"""Policy amendment (§14, §7.1): the policy kept as editions of clauses, changed by approved proposals."""
from processes.policy_amendment.kind import KIND

__all__ = ["KIND"]
