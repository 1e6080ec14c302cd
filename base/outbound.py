"""Outbound HTTP to URLs that tenants type in (webhooks, Slack incoming webhooks): SSRF-safe by default.

A tenant-supplied URL must not reach the platform's own network: :func:`check_url` refuses any URL whose
host resolves to a loopback, private, link-local, shared (CGNAT), multicast, reserved or cloud-metadata
address (every address the name resolves to is checked, so a name with one public and one private
address is refused). :func:`post` checks again at send time and then connects to the address it just
checked (the host name stays in the ``Host`` header and in TLS SNI and certificate verification), so a
name re-pointed at 127.0.0.1 between the check and the connection (DNS rebinding) cannot slip through.
Redirects are never followed (a redirect is an answer like any other, usually a failure).

``WEBHOOK_ALLOW_PRIVATE_HOSTS=1`` (``make run`` sets it for local development) allows private and
loopback addresses; nothing else changes.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

# Cloud metadata services (AWS, GCP, Azure, OpenStack, Alibaba, Oracle): refused even when private hosts are allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
DEFAULT_TIMEOUT_SECONDS = 10.0
BODY_PREFIX_BYTES = 1024


class UnsafeURL(ValueError):
    """The URL may not be called: not http(s), no host, does not resolve, or resolves to a refused address."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, all allowed) and what to call it (``host``)."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class OutboundResponse:
    """What came back: ``status`` None when there was no answer (``error`` says why)."""

    status: int | None
    elapsed_ms: int
    body_prefix: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def allow_private_hosts() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def refused_kind(address: str, *, allow_private: bool = False) -> str:
    """Why ``address`` may not be called ("" when it may)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if allow_private:
        return ""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return ""


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve ``url``'s host and check every address; raises :class:`UnsafeURL` with a message for the user."""
    allow = allow_private_hosts() if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("The URL must start with https:// (or http://).")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL has no host name.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host} does not resolve.") from exc
    addresses = tuple(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))
    for address in addresses:
        kind = refused_kind(address, allow_private=allow)
        if kind:
            raise UnsafeURL(f"The host {host} resolves to {address}, a {kind} address, which webhooks may not call.")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, addresses=addresses)


def _pinned_url(target: Target, address: str) -> str:
    parts = urlsplit(target.url)
    literal = f"[{address}]" if ":" in address else address
    default = 443 if target.scheme == "https" else 80
    netloc = literal if target.port == default else f"{literal}:{target.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
         client: httpx.Client | None = None, allow_private: bool | None = None) -> OutboundResponse:
    """POST ``body`` to ``url`` after checking it again; never raises for network trouble (see ``error``).

    Raises :class:`UnsafeURL` when the URL is refused now (the caller records that as a failed attempt).
    Pass a long-lived ``client`` to reuse connections between calls (a worker delivering many events).
    """
    target = check_url(url, allow_private=allow_private)
    address = target.addresses[0]
    default = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), follow_redirects=False)
    started = time.perf_counter()
    try:
        request = client.build_request(
            "POST", _pinned_url(target, address), content=body, headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        response = client.send(request, stream=True)
        try:
            prefix = b""
            for chunk in response.iter_bytes():
                prefix += chunk
                if len(prefix) >= BODY_PREFIX_BYTES:
                    break
        finally:
            response.close()
        return OutboundResponse(
            status=response.status_code, elapsed_ms=_ms(started),
            body_prefix=prefix[:BODY_PREFIX_BYTES].decode("utf-8", errors="replace"),
        )
    except httpx.TimeoutException:
        return OutboundResponse(status=None, elapsed_ms=_ms(started), error=f"No answer within {timeout:g} s.")
    except httpx.HTTPError as exc:
        return OutboundResponse(status=None, elapsed_ms=_ms(started), error=f"{exc.__class__.__name__}: {exc}"[:500])
    finally:
        if own_client:
            client.close()


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
