"""The front door (``GET /``): every screen of the site and where to open it."""

from .views import bp

__all__ = ["bp"]
