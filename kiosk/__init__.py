"""Touch kiosk pages and the visitor's live ticket page (/t/<token>)."""

from .views import bp

__all__ = ["bp"]
