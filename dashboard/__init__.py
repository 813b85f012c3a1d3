"""Manager dashboard and reports."""

from . import evaluation, ikm  # noqa: F401  (register /dashboard/ikm, /complaints, /evaluation on bp)
from .views import bp

__all__ = ["bp"]
