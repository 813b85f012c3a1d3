"""Rate limits shared by every server process: Flask-Limiter's storage, in the Redis of ``[server] message_queue``.

A limit counted in one process's memory is no limit once gunicorn runs four of them behind nginx, so the
counters live where the Socket.IO message queue already lives (memory when there is none: the embedded
single-process server). Callers name a limit and its key parts; :func:`hit` counts and refuses with the
contract's 429 ``rate_limited`` plus ``Retry-After``, :func:`check` refuses without counting (a sign-in
counts only when it fails, so :func:`hit` is called after the failure).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond

from queue_app.core.errors import RateLimited

logger = logging.getLogger(__name__)

#: no default limits: each limit is applied where its key is known (kiosk code, username...)
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="moving-window",
                  headers_enabled=False)


def init_app(app: Flask, message_queue: str | None) -> None:
    """Bind the limiter; its storage is the message queue's Redis when there is one."""
    uri = message_queue if message_queue and message_queue.startswith(("redis://", "rediss://")) else "memory://"
    app.config.setdefault("RATELIMIT_STORAGE_URI", uri)
    if uri != "memory://" and "RATELIMIT_STORAGE_OPTIONS" not in app.config:
        import redis

        # many requests at once under gevent wait for a connection; redis-py's default pool refuses past
        # 100 (MaxConnectionsError), and a refused count is a request not counted
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "connection_pool": redis.BlockingConnectionPool.from_url(uri, max_connections=50, timeout=5)}
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "mpp-queue")
    limiter.init_app(app)
    # no route carries a decorator limit (each limit is hit where its key is known) and no header is sent,
    # so Flask-Limiter's own hooks (the check before every request, the headers after it, the reset of its
    # per-request state) would only look for limits to apply: a cost on every poll and ticket
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [f for f in hooks.get(None, []) if not _limiters(f)]


def _limiters(hook: object) -> bool:
    """Whether a request hook is Flask-Limiter's (a method of :data:`limiter`, or a partial given it)."""
    if isinstance(hook, functools.partial):
        return limiter in hook.args
    return getattr(hook, "__self__", None) is limiter


def _limit(per_minute: int) -> RateLimitItemPerMinute:
    return RateLimitItemPerMinute(per_minute)


def hit(name: str, per_minute: int, *key: str, message: str, seconds: int = 60) -> None:
    """Count one request against ``name`` for ``key``. :raise RateLimited: over ``per_minute`` (0 = no limit).

    :param seconds: a window other than a minute (``per_minute`` is then the amount per that window).
    """
    if per_minute <= 0:
        return
    item = _limit(per_minute) if seconds == 60 else RateLimitItemPerSecond(per_minute, seconds)
    try:
        allowed = limiter.limiter.hit(item, name, *key)
    except Exception:  # noqa: BLE001  a Redis that is down must not refuse every kiosk: fail open, loudly
        logger.warning("rate-limit storage unavailable; %s not counted", name, exc_info=True)
        return
    if not allowed:
        raise _refused(item, name, key, message)


def check(name: str, per_minute: int, *key: str, message: str, seconds: int = 60) -> None:
    """:raise RateLimited: ``key`` already used up ``name`` this minute (or ``seconds``); counts nothing."""
    if per_minute <= 0:
        return
    item = _limit(per_minute) if seconds == 60 else RateLimitItemPerSecond(per_minute, seconds)
    try:
        allowed = limiter.limiter.test(item, name, *key)
    except Exception:  # noqa: BLE001  as in hit(): fail open
        logger.warning("rate-limit storage unavailable; %s not checked", name, exc_info=True)
        return
    if not allowed:
        raise _refused(item, name, key, message)


def _refused(item: RateLimitItem, name: str, key: tuple[str, ...], message: str) -> RateLimited:
    try:
        reset_at, _remaining = limiter.limiter.get_window_stats(item, name, *key)
        retry_after = max(1, math.ceil(reset_at - time.time()))
    except Exception:  # noqa: BLE001
        retry_after = 60
    return RateLimited(message, retry_after=retry_after)


def keyed_hash(text: str, length: int = 32) -> str:
    """An HMAC of ``text`` with the site's secret, as hex: what is stored to recognise an address, a network or
    a client's key again without storing it (the database alone does not give it back)."""
    secret = str(current_app.secret_key or "").encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:length]

