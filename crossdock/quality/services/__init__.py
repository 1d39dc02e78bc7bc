"""Quality services: every change to plans, inspections and nonconformances goes through these."""
