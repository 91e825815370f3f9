"""The website change request's own pages: the register of requests for MCD and a unit head's own list."""
