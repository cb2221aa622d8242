"""Whether a browser request comes from the console's own pages (CSRF, socket hijacking).

A cookie rides along with any request the browser makes, whoever asked for it. SameSite=
Strict already keeps it off requests other sites start; these checks are the second line,
on what the browser itself reports: ``Sec-Fetch-Site`` (Fetch Metadata) and ``Origin``,
which a page's script cannot set (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin
With Standard Headers" and "Fetch Metadata headers").
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_same_host", "own_origin", "refuses_write"]


def own_origin(secure: bool, host: str) -> str:
    """The origin a page of this server has, from the request's scheme and ``Host``.

    >>> own_origin(True, "console.example.org")
    'https://console.example.org'
    """
    return f"{'https' if secure else 'http'}://{host.strip().lower()}"


def refuses_write(origin: str | None, fetch_site: str | None, own: str, by_cookie: bool) -> bool:
    """True when a state-changing request must be refused as cross-site.

    A request the browser marks as coming from elsewhere is refused; one authenticated by
    the session cookie must moreover show it comes from here (browsers send ``Origin`` on
    every POST), so a client that hides where it comes from cannot use the cookie.

    >>> refuses_write("https://evil.example", None, "https://gt.example", by_cookie=False)
    True
    >>> refuses_write("https://gt.example", "same-origin", "https://gt.example", by_cookie=True)
    False
    >>> refuses_write(None, None, "https://gt.example", by_cookie=True)
    True
    """
    if fetch_site is not None and fetch_site.lower() != "same-origin":
        return True
    if origin is not None and origin.lower() != own.lower():
        return True
    return by_cookie and origin is None and fetch_site is None


def is_same_host(origin: str | None, host: str) -> bool:
    """True when ``origin`` is a web page of the host ``host`` names (any port).

    The video relay serves on its own port, so the console's pages reach it from another
    origin of the same host; cookies do not tell ports apart, so the host is the boundary.

    >>> is_same_host("http://10.0.0.5:8080", "10.0.0.5:8090")
    True
    >>> is_same_host("http://evil.example", "10.0.0.5:8090")
    False
    """
    if not origin:
        return False
    try:
        parts = urlsplit(origin)
        ours = urlsplit(f"//{host.strip().lower()}").hostname
    except ValueError:  # a malformed header (e.g. an unclosed IPv6 bracket)
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return parts.hostname == ours
