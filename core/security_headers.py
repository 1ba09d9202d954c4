"""Security headers on every response: API, pages, errors and static files.

Added as a ``before_send`` hook rather than a middleware: Litestar runs app middleware only
for matched routes, while ``before_send`` sees every response the app sends, 404s included.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import DefineMiddleware
from litestar.types import Message, Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

# No inline script anywhere (scripts are files under /static); style attributes stay allowed
# for a few templates' monospace blocks, but not <style> elements.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        if name not in headers:
            headers[name] = value
    # Only over https: over plain http a browser ignores it, and a proxy terminating TLS
    # says so through X-Forwarded-Proto (believed from trusted proxies only).
    if scope.get("scheme") in ("https", "wss"):
        headers["strict-transport-security"] = HSTS


def proxy_headers_middleware(trusted_proxies: tuple[str, ...]) -> list[DefineMiddleware]:
    """uvicorn's X-Forwarded-For/-Proto handling, for the configured proxies only.

    Applied inside the app (``throughcare serve`` turns uvicorn's own off) so that the
    setting, not uvicorn's FORWARDED_ALLOW_IPS, decides, and tests exercise the same code.
    Without trusted proxies the peer address is used as is.
    """
    if not trusted_proxies:
        return []
    return [DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))]
