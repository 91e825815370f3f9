"""The event pre-notification's own pages: MCD's calendar of events and a unit's own notices."""
