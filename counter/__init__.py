"""The clerk's counter panel: pick a counter, then call, serve, transfer and finish."""

from . import strings  # noqa: F401  (screen text)
from .views import bp

__all__ = ["bp"]
