"""Manager dashboard and reports."""

from . import ikm  # noqa: F401  (registers /dashboard/ikm on bp; it imports .views itself)
from .views import bp

__all__ = ["bp"]
