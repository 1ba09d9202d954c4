"""Consent: what the person agreed to share, with whom, for what purpose."""
