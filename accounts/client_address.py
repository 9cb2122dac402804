"""The address a request came from, as counted by the login lockout and the reset limits.

Behind a reverse proxy REMOTE_ADDR is the proxy's: every user would share it, and five
wrong passwords typed anywhere would lock a user out everywhere. Each proxy appends the
address it received the request from to X-Forwarded-For, so with TRUSTED_PROXY_COUNT
proxies in front of us the client is that many entries from the right; anything further
left was written by the client and is not believed. With no proxy configured the header
is ignored: a client could otherwise give each login try a new address.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or X-Forwarded-For's entry set by our proxies."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies <= 0 or not forwarded:
        return remote
    # Fewer entries than proxies: the leftmost one was still written by a proxy of ours.
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # a proxy that writes something else (a port, "unknown"): not ours to guess
        return remote
