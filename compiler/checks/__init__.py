"""Semantic passes over a validated suite; each appends diagnostics and keeps going."""
