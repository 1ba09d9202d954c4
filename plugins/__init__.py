"""Partner services as pluggy plugins (housing, family support, peer mentoring, harm reduction)."""
