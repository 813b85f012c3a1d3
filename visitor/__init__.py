"""The visitor's phone: the live ticket page a printed QR code opens."""

from .views import bp

__all__ = ["bp"]
