"""Episodes: one period of support for a person, moving through phases."""
