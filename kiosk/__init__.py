"""Touch kiosk pages: a visitor taps a service and takes a number."""

from .views import bp

__all__ = ["bp"]
