"""The admin pages of the people who run the building: users, services today, running text, audit."""

from .views import bp

__all__ = ["bp"]
