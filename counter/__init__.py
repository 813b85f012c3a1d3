"""Clerk counter panel."""

from .views import bp

__all__ = ["bp"]
