"""The brand guideline library (§6.1–6.5): editions of the brand book, not public (see `library`)."""
