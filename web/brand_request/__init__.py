"""The brand guideline library (§6.2–6.4) and the element requests' pages: editions, their files, uploads."""
