"""Procure-to-pay: the supplier catalogue, purchase orders, receiving against them and
matching vendor bills to what was ordered and received."""
