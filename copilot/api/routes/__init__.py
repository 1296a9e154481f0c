"""HTTP routes of the API; each module exposes ``router``."""
