"""Benchmarks: each prints its figures (docs/performance.md says how they were run)."""

#: What every benchmark's server runs with, whatever the test servers' defaults: production's settings.
#: The test servers (tests.livesite) validate every answer against its shape (``MPP_QUEUE_CHECK_SHAPES=1``),
#: which production never does and which costs about as much as the request itself on the hot path.
PRODUCTION_ENV = {"MPP_QUEUE_CHECK_SHAPES": "0"}
