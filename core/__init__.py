"""Throughcare core: the multi-tenant shared case record and the platform around it."""
