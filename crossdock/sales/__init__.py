"""Order-to-cash: sales orders, pricing, credit control, sourcing, shipping and invoicing."""
