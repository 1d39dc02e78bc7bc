"""Purchasing services: every change to the catalogue, orders and matches goes through these."""
