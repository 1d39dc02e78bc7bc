"""Quality: inspection plans, inspections of received goods, nonconformances."""
