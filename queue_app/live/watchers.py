"""Who watches what on ``/ticket`` right now: queues (phones that count their own place) and tickets.

A call moves every waiting ticket behind it, but most visitors close the page. The visitor page counts
its own place from one ``queue_moved`` message per service (:mod:`queue_app.queue.moves`), so the
publisher only needs to know which services have a phone watching (kind ``queue``). A client that does
not count (an API integration on the contract's ``ticket`` events alone) watches its ticket (kind
``ticket``) and still gets its own view after every move. With several processes (the Redis message
queue) the counts live in Redis hashes, so a call through process A reaches a phone on process B.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

logger = logging.getLogger(__name__)

#: the hash of one local day's counts expires after this (tickets never outlive their day)
TTL_SECONDS = 2 * 24 * 3600


class Watched(StrEnum):
    queue = "queue"  # a service id: phones counting their place in its line
    ticket = "ticket"  # a ticket id: a client that wants its own view after every move


class Watchers:
    """Counts of open /ticket sockets per watched id: in this process, or shared through Redis."""

    def __init__(self) -> None:
        self._local: dict[Watched, Counter[int]] = {kind: Counter() for kind in Watched}
        self._redis = None

    def use_redis(self, url: str | None) -> None:
        """Share the counts through the Redis of ``[server] message_queue`` (None: this process only)."""
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            # a wall of phones connecting at once: greenlets wait for one of the pool's connections
            # (redis-py's default pool refuses past 100 with MaxConnectionsError, losing the count)
            pool = redis.BlockingConnectionPool.from_url(url, max_connections=50, timeout=5, socket_timeout=2)
            self._redis = redis.Redis(connection_pool=pool)
        else:
            self._redis = None
        for counts in self._local.values():
            counts.clear()

    @staticmethod
    def _key(kind: Watched, day: date) -> str:
        return f"mpp-queue:watched:{kind.value}:{day.isoformat()}"

    def add(self, kind: Watched, ident: int, day: date) -> None:
        self._local[kind][ident] += 1
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.hincrby(self._key(kind, day), str(ident), 1)
                pipe.expire(self._key(kind, day), TTL_SECONDS)
                pipe.execute()
            except Exception:  # Redis is down: watched() cannot read either and then pushes to everyone
                logger.warning("could not count a watcher in Redis", exc_info=True)

    def remove(self, kind: Watched, ident: int, day: date) -> None:
        local = self._local[kind]
        if local[ident] <= 1:
            local.pop(ident, None)
        else:
            local[ident] -= 1
        if self._redis is not None:
            try:
                # a zero stays (deleting it could race another process's add); the hash expires with its day
                self._redis.hincrby(self._key(kind, day), str(ident), -1)
            except Exception:
                logger.warning("could not uncount a watcher in Redis", exc_info=True)

    def watched(self, kind: Watched, idents: Iterable[int] | None, day: date) -> set[int] | None:
        """The ids among ``idents`` (all, if None) that someone watches; None means "cannot tell":
        Redis is down, so the caller pushes as if all were watched."""
        if self._redis is None:
            local = self._local[kind]
            return {i for i, n in local.items() if n > 0} if idents is None else {i for i in idents if local.get(i)}
        try:
            if idents is None:
                counts = self._redis.hgetall(self._key(kind, day))
                return {int(i) for i, n in counts.items() if int(n) > 0}
            ids = list(idents)
            if not ids:
                return set()
            counts = self._redis.hmget(self._key(kind, day), [str(i) for i in ids])
        except Exception:  # better a push too many than a phone that stops moving
            logger.warning("could not read watchers from Redis; pushing to every watcher", exc_info=True)
            return None
        return {i for i, n in zip(ids, counts, strict=True) if n is not None and int(n) > 0}


watchers = Watchers()
