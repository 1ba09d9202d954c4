"""Audit events: who read or changed which record, when, and under which rule."""
