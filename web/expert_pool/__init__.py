"""The expert pool\x27s pages and JSON API."""
