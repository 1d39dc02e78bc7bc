"""Planning: demand history, classification, forecasts, reorder policies and replenishment."""
