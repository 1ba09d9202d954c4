"""People supported by the partnership: identity, where they are, liberation date."""
