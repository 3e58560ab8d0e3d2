"""A fixed-window rate limit on the cache (Redis when REDIS_URL is set, shared by workers)."""

import time

from django.conf import settings
from django.core.cache import cache


def allow(scope: str, key: str) -> bool:
    """Count one hit of `key` in `scope`; False once the scope's limit of hits fell in the
    current window (settings.PLENARY_RATE_LIMITS)."""
    limit, window = settings.PLENARY_RATE_LIMITS[scope]
    bucket = int(time.time() // window)
    name = f"ratelimit:{scope}:{key}:{bucket}"
    cache.add(name, 0, timeout=window + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window + 5)
        count = 1
    return count <= limit


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
