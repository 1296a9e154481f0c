"""Foundations shared by every layer: settings, database, errors, auth, audit, metrics, redaction."""
