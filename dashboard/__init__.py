"""Manager dashboard and reports."""

from .views import bp

__all__ = ["bp"]
