"""Brand elements request (§6.4): a unit head asks MCD for elements of the corporate style; MCD sends the files."""
from processes.brand_request.kind import KIND

__all__ = ["KIND"]
