"""The media inquiry's own pages: the register of media inquiries (page, CSV, JSON)."""
