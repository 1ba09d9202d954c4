"""Users, memberships, sign-in, sessions and API tokens."""
