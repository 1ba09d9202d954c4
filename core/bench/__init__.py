"""Benchmarks that print their numbers (``throughcare bench ...``); never timed tests."""
