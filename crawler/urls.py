"""Canonical URLs: one spelling per article, so the same story is stored and fetched once.

Lower-cased scheme and host, default ports dropped, fragments and tracking parameters removed,
query sorted, AMP and mobile variants folded onto the main page (``/amp``, ``?amp=1``, ``amp.`` and
``m.`` hosts, ``outputType=amp``). Only http and https URLs are accepted.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "xtor",
        "ito",
        "ncid",
        "sr_share",
        "smid",
        "taid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "soc_src",
        "soc_trk",
        "spm",
        "amp",
        "outputtype",
        "output",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "partner",
        "share",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_")
_AMP_SUFFIX = re.compile(r"\.amp(\.html?)$", re.IGNORECASE)  # /story.amp.html -> /story.html
_AMP_DIR = re.compile(r"/amp(\.html?)?/?$", re.IGNORECASE)  # /story/amp/ -> /story
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.", re.IGNORECASE)


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)


def canonical_url(url: str) -> str:
    """The canonical spelling of an http(s) URL; raises ValueError for anything else.

    >>> canonical_url("HTTPS://M.Example.com:443/a/amp/?utm_source=x&b=2&a=1#top")
    'https://example.com/a?a=1&b=2'
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    host = _MOBILE_HOST.sub("", host) if host.count(".") >= 2 else host
    port = parts.port
    netloc = (
        host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    )
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = _AMP_DIR.sub("", _AMP_SUFFIX.sub(r"\1", path)) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def safe_canonical_url(url: str) -> str | None:
    """`canonical_url`, or None when the URL is not a usable http(s) URL."""
    try:
        return canonical_url(url)
    except ValueError:
        return None


def host_of(url: str) -> str:
    """The lower-cased host of a URL ('' when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
