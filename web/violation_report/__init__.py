"""The violation report's own pages: the register of violation reports (page, CSV, JSON)."""
