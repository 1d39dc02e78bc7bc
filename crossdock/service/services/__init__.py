"""Service state changes: cases (open, edit, assign, answer, move), SLA policies, escalation."""
