"""Input helpers of the purchasing services (kept in :mod:`crossdock.core.inputs`)."""

from crossdock.core.inputs import exact, refuse

__all__ = ["exact", "refuse"]
