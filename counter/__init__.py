"""The clerk's counter panel: pick a counter, then call, serve, transfer and finish."""

from . import route_strings, strings  # noqa: F401  (screen text)
from .views import bp

__all__ = ["bp"]
