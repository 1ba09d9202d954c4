"""Interventions: one logged piece of work by one organisation."""
