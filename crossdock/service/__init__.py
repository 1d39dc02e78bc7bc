"""After-sales service: customer cases, SLA policies and escalations."""
