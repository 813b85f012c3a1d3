"""Which waiting tickets have a phone watching them right now.

A call moves every ticket behind it, but most visitors close the page: pushing a fresh view to each
waiting ticket's room cost a view and a message per ticket (3,000 at a busy MPP), watched or not.
The publisher asks here and builds views only for watched tickets, so a call costs one message per
phone that is open, however long the queue. With several processes (the Redis message queue) the
counts live in one Redis hash, so a call through process A reaches a phone connected to process B.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date

logger = logging.getLogger(__name__)

#: the hash of one local day's counts expires after this (tickets never outlive their day)
TTL_SECONDS = 2 * 24 * 3600


class Watchers:
    """Counts of open /ticket sockets per ticket id: in this process, or shared through Redis."""

    def __init__(self) -> None:
        self._local: Counter[int] = Counter()
        self._redis = None

    def use_redis(self, url: str | None) -> None:
        """Share the counts through the Redis of ``[server] message_queue`` (None: this process only)."""
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self._redis = redis.Redis.from_url(url, socket_timeout=2)
        else:
            self._redis = None
        self._local.clear()

    @staticmethod
    def _key(day: date) -> str:
        return f"mpp-queue:watched:{day.isoformat()}"

    def add(self, ticket_id: int, day: date) -> None:
        self._local[ticket_id] += 1
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.hincrby(self._key(day), str(ticket_id), 1)
                pipe.expire(self._key(day), TTL_SECONDS)
                pipe.execute()
            except Exception:  # the phone still gets every push: see watched()
                logger.warning("could not count a watcher in Redis", exc_info=True)

    def remove(self, ticket_id: int, day: date) -> None:
        if self._local[ticket_id] <= 1:
            self._local.pop(ticket_id, None)
        else:
            self._local[ticket_id] -= 1
        if self._redis is not None:
            try:
                self._redis.hincrby(self._key(day), str(ticket_id), -1)
            except Exception:
                logger.warning("could not uncount a watcher in Redis", exc_info=True)

    def watched(self, ticket_ids: Iterable[int], day: date) -> set[int]:
        """The ids among ``ticket_ids`` that someone watches; all of them when Redis cannot say."""
        ids = list(ticket_ids)
        if self._redis is None:
            return {i for i in ids if self._local.get(i)}
        if not ids:
            return set()
        try:
            counts = self._redis.hmget(self._key(day), [str(i) for i in ids])
        except Exception:  # better a push too many than a phone that stops moving
            logger.warning("could not read watchers from Redis; pushing to every waiting ticket", exc_info=True)
            return set(ids)
        return {i for i, n in zip(ids, counts, strict=True) if n is not None and int(n) > 0}


watchers = Watchers()
