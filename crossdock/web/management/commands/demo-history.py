"""``crossdock demo-history``: the same command as ``demo_history`` under its CLI name."""

from crossdock.web.management.commands.demo_history import Command

__all__ = ["Command"]
