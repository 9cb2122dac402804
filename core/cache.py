"""What a call to the shared cache (Redis in production) raises when the cache is away."""

from redis.exceptions import RedisError

# A refused or reset connection can surface as an OSError before redis-py wraps it.
CACHE_ERRORS = (RedisError, OSError)
