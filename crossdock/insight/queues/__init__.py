"""Cross-module exception queues: everything that needs a person, with an owner and a next step."""
