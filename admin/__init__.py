"""The admin pages of the people who run the building: users, services today, running text, audit, standards."""

from . import standards  # noqa: F401  (registers /admin/standards on bp; it imports .views itself)
from .views import bp

__all__ = ["bp"]
