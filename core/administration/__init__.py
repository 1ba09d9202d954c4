"""The partnership lead's administration: organisations, memberships, the access review."""
