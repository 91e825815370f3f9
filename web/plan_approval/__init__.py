"""The pages and JSON API of the plans and regulations the rector approves (§7.1)."""
