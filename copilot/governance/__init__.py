"""Governance workflows over derived records: escalation notes (drafts -> decisions)."""
