"""Article URLs: made usable (``clean_url``) and reduced to one identity per story (``url_key``).

Sites hand out the same story under many addresses: with tracking parameters, on ``m.``,
``amp.`` and ``www.`` hosts, with a trailing slash or a fragment, over http and https, with
Arabic letters raw or percent-encoded. ``url_key`` folds all of these to one key, so the story is
stored and pushed once; the address shown to readers stays the one the source gave, cleaned.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

#: Query parameters that only track where a click came from.
_TRACKING = re.compile(
    r"^(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl"
    r"|ocid|cmpid|ncid|ref_src|__twitter_impression|at_medium|at_campaign|xtor|smid)$",
    re.IGNORECASE,
)
#: Query parameters that ask for the AMP or mobile rendering of the same page.
_VARIANT_PARAMS = frozenset({"amp", "outputtype", "output", "m", "mobile"})
#: Host prefixes of mobile and AMP copies of a site.
_VARIANT_HOSTS = ("www.", "m.", "mobile.", "amp.", "mobi.")
#: Characters left as they are in a path or query; everything else is percent-encoded.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Whitespace a copied address may carry at its ends (NBSP and the zero-width ones included).
_STRIP = " \t\r\n\u00a0\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"


def clean_url(url: str) -> str | None:
    """An http(s) address Telegram and browsers accept, or None when ``url`` is not one.

    Spaces and letters outside ASCII are percent-encoded (never refused); the host is
    lower-cased; nothing else changes, so the link still leads where the source said.
    """
    text = url.strip(_STRIP)
    if not text or any(ch in text for ch in "\n\r\t"):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    netloc = host if port is None else f"{host}:{port}"
    path = quote(parts.path, safe=_SAFE_PATH)
    query = quote(parts.query, safe=_SAFE_QUERY)
    fragment = quote(parts.fragment, safe=_SAFE_QUERY)
    return urlunsplit((scheme, netloc, path, query, fragment))


def _fold_path(path: str) -> str:
    """The path with AMP markers and the trailing slash dropped, escapes in one form."""
    segments = [quote(unquote(s), safe=_SAFE_PATH.replace("/", "")) for s in path.split("/")]
    kept = [s for s in segments if s and s.lower() != "amp"]
    if kept:
        last = kept[-1]
        for suffix in (".amp.html", ".amp"):
            if last.lower().endswith(suffix) and len(last) > len(suffix):
                kept[-1] = last[: -len(suffix)] + (".html" if suffix == ".amp.html" else "")
    return "/" + "/".join(kept) if kept else ""


def url_key(url: str) -> str | None:
    """The identity of the page ``url`` points at: equal for variants of one address.

    None when ``url`` is not an http(s) address.
    """
    cleaned = clean_url(url)
    if cleaned is None:
        return None
    parts = urlsplit(cleaned)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port
    path = parts.path
    # Google's AMP cache: https://example-com.cdn.ampproject.org/c/s/example.com/path
    if host.endswith(".cdn.ampproject.org"):
        inner = re.match(r"^/(?:[a-z]/)*(?:s/)?([^/]+)(/.*)?$", path)
        if inner:
            host, path, port = inner.group(1).lower(), inner.group(2) or "", None
    for prefix in _VARIANT_HOSTS:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    if port is not None and port in _DEFAULT_PORTS.values():
        port = None
    query = [
        (quote(unquote(k), safe=""), quote(unquote(v), safe=""))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k) and k.lower() not in _VARIANT_PARAMS
    ]
    netloc = host if port is None else f"{host}:{port}"
    # The scheme is left out: http and https copies of a page are one story.
    key = "//" + netloc + _fold_path(path)
    if query:
        key += "?" + urlencode(sorted(query), safe="%")
    return key
