"""The admin pages of the people who run the building: users, services today, running text, audit, standards."""

from . import messages, standards  # noqa: F401  (register /admin/messages and /admin/standards on bp; they import .views)
from .views import bp

__all__ = ["bp"]
