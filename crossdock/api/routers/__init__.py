"""Endpoints beyond the generic record CRUD."""
