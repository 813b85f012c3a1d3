"""Hall display pages and their audio (chime, Indonesian voice segments)."""

from .views import bp

__all__ = ["bp"]
