"""The counter tablet: a screen facing the visitor at a desk that offers the survey of the visit just finished."""

from .views import bp

__all__ = ["bp"]
