"""The public booking page (``/booking``): choose a service, a day and a slot; get a code to show at the kiosk."""

from .views import bp

__all__ = ["bp"]
