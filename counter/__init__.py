"""Clerk counter panel and the admin pages of the people who run the building."""

from . import admin_views, strings  # noqa: F401  (admin routes on the blueprint; screen text)
from .views import bp

__all__ = ["bp"]
