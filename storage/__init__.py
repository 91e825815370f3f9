"""Persistence: database models and sessions, content-addressed files, the audit chain."""
