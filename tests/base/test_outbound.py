"""base.outbound: SSRF refusal (at check and at send time) and a real POST to a receiver on loopback."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from base import outbound


@pytest.fixture
def receiver():
    """A loopback HTTP server recording what it receives; answers 200 with a long body."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            received.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
            self.send_response(200 if self.path != "/fail" else 503)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"x" * 5000)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


def _resolving_to(monkeypatch, mapping: dict[str, list[str]]):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in mapping:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in mapping[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.5", "private"), ("169.254.10.1", "link-local"), ("fe80::1", "link-local"),
    ("169.254.169.254", "cloud metadata"), ("100.64.0.1", "reserved"), ("0.0.0.0", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"), ("224.0.0.1", "multicast"), ("fd00::1", "private"),
])
def test_refused_addresses(address, kind):
    assert outbound.refused_kind(address) == kind


def test_public_addresses_pass():
    assert outbound.refused_kind("93.184.216.34") == ""
    assert outbound.refused_kind("2606:4700::1111") == ""


def test_allowing_private_hosts_never_allows_metadata():
    assert outbound.refused_kind("127.0.0.1", allow_private=True) == ""
    assert outbound.refused_kind("10.0.0.1", allow_private=True) == ""
    assert outbound.refused_kind("169.254.169.254", allow_private=True) == "cloud metadata"


def test_a_name_resolving_to_loopback_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(outbound.UnsafeURL, match="localhost resolves to .*loopback"):
        outbound.check_url("http://localhost:9/hook")


def test_one_private_address_among_public_ones_is_refused(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    _resolving_to(monkeypatch, {"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(outbound.UnsafeURL, match="10.0.0.7, a private address"):
        outbound.check_url("https://mixed.example/hook")


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/x", "must start with https://"), ("https:///path", "no host"),
    ("http://[::1", "Not a valid URL"), ("https://no-such-host.invalid/x", "does not resolve"),
])
def test_malformed_urls(url, message):
    with pytest.raises(outbound.UnsafeURL, match=message):
        outbound.check_url(url, allow_private=False)


def test_post_reaches_a_loopback_receiver_when_private_hosts_are_allowed(receiver):
    port, received = receiver
    result = outbound.post(f"http://localhost:{port}/hook?x=1", b'{"a": 1}', {"Content-Type": "application/json"},
                           allow_private=True)
    assert result.ok and result.status == 200 and result.error == ""
    assert len(result.body_prefix) == outbound.BODY_PREFIX_BYTES  # the first bytes only
    assert received[0]["path"] == "/hook?x=1" and received[0]["body"] == b'{"a": 1}'
    assert received[0]["headers"]["Host"] == f"localhost:{port}"  # the name, though the connection is pinned


def test_post_reports_a_failure_status(receiver):
    port, _ = receiver
    result = outbound.post(f"http://127.0.0.1:{port}/fail", b"{}", {}, allow_private=True)
    assert result.status == 503 and not result.ok


def test_post_with_nobody_listening_is_an_error_not_an_exception():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = outbound.post(f"http://127.0.0.1:{port}/", b"{}", {}, allow_private=True, timeout=2)
    assert result.status is None and "Connect" in result.error


def test_dns_rebinding_is_caught_at_send_time(monkeypatch, receiver, settings):
    """The name was public when the webhook was saved; at send time it points at loopback: refused, nothing sent."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    port, received = receiver
    _resolving_to(monkeypatch, {"rebind.example": ["93.184.216.34"]})
    outbound.check_url(f"http://rebind.example:{port}/hook")
    _resolving_to(monkeypatch, {"rebind.example": ["127.0.0.1"]})
    with pytest.raises(outbound.UnsafeURL, match="loopback"):
        outbound.post(f"http://rebind.example:{port}/hook", b"{}", {})
    assert received == []
