"""Insight: key performance indicators defined once, computed set-based, kept as daily snapshots."""
