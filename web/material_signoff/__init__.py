"""Pages of material sign-off: the archive of signed-off material (§3.2.3)."""
