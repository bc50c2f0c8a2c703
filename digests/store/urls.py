"""Canonical article URLs, so one article reached through several links is stored once.

Feeds decorate links with tracking parameters and spell the same address in several ways;
the canonical form keeps what identifies the page and drops the rest.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digests.models import ITEM_FRAGMENT

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that track the reader rather than name the page.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "ncid",
        "ocid",
        "smid",
        "smtyp",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "at_medium",
        "at_campaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "__twitter", "hmb_", "ns_")

_SLASHES = re.compile(r"/{2,}")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in _TRACKING_EXACT or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of ``url``; equal forms mean the same article.

    Lowercases scheme and host, drops the default port, user info, the fragment, tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ref``, ...) and trailing
    slashes (``/a/`` and ``/a`` are one page; the bare host becomes ``/``), and sorts the
    remaining query parameters. A string that is not a URL comes back stripped. The fragment
    the feed reader gives an item without a link of its own (``ITEM_FRAGMENT``) is kept: it is
    that item's identity.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not scheme or (not parts.netloc and scheme in _DEFAULT_PORTS):
        return text
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = _SLASHES.sub("/", parts.path).rstrip("/") or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query.sort()
    fragment = parts.fragment if parts.fragment.startswith(ITEM_FRAGMENT) else ""
    return urlunsplit((scheme, host, path, urlencode(query), fragment))
