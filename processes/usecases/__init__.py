"""Use cases: what a person or the timer worker can do, each inside the caller's transaction.

The web layer (or CLI, or worker) opens the session and commits; everything here only flushes.
"""
