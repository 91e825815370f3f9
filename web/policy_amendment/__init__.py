"""Pages of the policy amendment process: the policy itself, its editions and clause history."""
