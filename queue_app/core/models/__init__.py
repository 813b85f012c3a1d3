"""The site's structure (agencies, services, counters) and its run-time settings: what every feature shares.

Each feature keeps its own models (``queue_app.queue.models``, ``queue_app.staff.models``...);
Importing ``queue_app.factory`` registers them all on ``Base.metadata``.
"""

from queue_app.core.models.base import Base
from queue_app.core.models.closures import SiteClosure
from queue_app.core.models.counters import Counter, CounterService, CounterState
from queue_app.core.models.services import Agency, CatalogueVersion, Service
from queue_app.core.models.settings import Setting

__all__ = ["Agency", "Base", "CatalogueVersion", "Counter", "CounterService", "CounterState", "Service", "Setting",
           "SiteClosure"]
