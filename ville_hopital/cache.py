"""The Redis cache, tolerant of a Redis that is away.

Django's ``RedisCache`` raises on every call when Redis cannot be reached, and the cache sits under
the sign-in page (allauth's rate limits) and the ARS dashboards: both answered 500 while Redis was
down. A cache is an optimisation, so this one answers as an empty cache would — a miss on reads,
writes dropped, ``add`` granted — and logs the outage once per minute. Meanwhile rate limits are not counted
(they fail open: refusing every sign-in because a cache is down would be worse), and ``/health/``
reports the cache as down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
LOG_EVERY_SECONDS = 60.0


def _answering_when_away(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a ``RedisCache`` method: when Redis cannot be reached, log and return ``fallback(...)``
    called with the method's own arguments (what an empty cache would have answered)."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(method)
        def tolerant(self: TolerantRedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE:
                self._unreachable(method.__name__)
                return fallback(*args, **kwargs)

        return tolerant

    return wrap


def _missing_key(key: Any, *_args: Any, **_kwargs: Any) -> int:
    raise ValueError(f"Key {key!r} not found (cache unreachable)")


class TolerantRedisCache(RedisCache):
    _last_logged = 0.0

    def _unreachable(self, operation: str) -> None:
        now = time.monotonic()
        if now - TolerantRedisCache._last_logged >= LOG_EVERY_SECONDS:
            TolerantRedisCache._last_logged = now
            logger.warning("cache unreachable: %s answered as a miss", operation, exc_info=True)

    def reachable(self) -> bool:
        """For ``/health/``: does Redis answer now? (Never raises.)"""
        try:
            return bool(self._cache.get_client(write=False).ping())
        except UNREACHABLE:
            return False

    # What an empty cache answers. ``add`` is granted, as if the key were new: it is how locks are
    # taken (allauth's rate limits), and a lock that can never be taken would turn every sign-in away.
    get = _answering_when_away(lambda key, default=None, *_a, **_k: default)(RedisCache.get)
    get_many = _answering_when_away(lambda *_a, **_k: {})(RedisCache.get_many)
    has_key = _answering_when_away(lambda *_a, **_k: False)(RedisCache.has_key)
    add = _answering_when_away(lambda *_a, **_k: True)(RedisCache.add)
    set = _answering_when_away(lambda *_a, **_k: None)(RedisCache.set)
    set_many = _answering_when_away(lambda data, *_a, **_k: list(data))(RedisCache.set_many)
    touch = _answering_when_away(lambda *_a, **_k: False)(RedisCache.touch)
    delete = _answering_when_away(lambda *_a, **_k: False)(RedisCache.delete)
    delete_many = _answering_when_away(lambda *_a, **_k: None)(RedisCache.delete_many)
    incr = _answering_when_away(_missing_key)(RedisCache.incr)  # as for a missing key
    clear = _answering_when_away(lambda *_a, **_k: None)(RedisCache.clear)
