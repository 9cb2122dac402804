"""The API's per-user rate limit, which must not take the API down with the cache.

DRF's throttles read and write the cache (Redis in production) before the view runs.
With Redis away every request would be a 500, although the outbox is built to accept
sends while the broker is down (the sweep enqueues them later). So when the shared
cache fails, the limit is counted in this process instead (a looser limit: one count per
web worker) and a WARNING says so; the shared count resumes once Redis answers again.
"""

import logging
from typing import TYPE_CHECKING

from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

from core.cache import CACHE_ERRORS

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

_LOCAL = LocMemCache("api-throttle-fallback", {})


class UserRateThrottleFailOpen(UserRateThrottle):
    """UserRateThrottle that counts in a per-process cache while the shared one is down."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            logger.warning("API rate limit counted in this process only: the cache is unavailable (%s)", error)
            self.cache = _LOCAL
            return super().allow_request(request, view)
