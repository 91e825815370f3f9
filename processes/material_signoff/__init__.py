"""External material sign-off (§7.5, §7.4, §7.8): MCD's review, management for mass media, the archive."""
from processes.material_signoff.kind import KIND

__all__ = ["KIND"]
