"""Referrals: where a person came from, and what was offered."""
