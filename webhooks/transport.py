"""One HTTPS POST to a webhook receiver, to the address ``url_safety`` checked.

``http.client`` rather than a higher-level client: the connection must go to the address that was
just checked (not to whatever the name resolves to a moment later), while TLS still verifies the
certificate against the host name (SNI and hostname check). Redirects are not followed (a 3xx is a
failure: it could point anywhere, a private address included). The receiver's answer is not read
beyond its status line.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer (connection, TLS or timeout error)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to ``address`` that speaks TLS (and ``Host``) for ``host``."""

    def __init__(self, host: str, port: int, *, address: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def tls_context(cafile: str = "") -> ssl.SSLContext:
    """Certificate and host name verified: against ``cafile`` when given, else the system's CAs."""
    return ssl.create_default_context(cafile=cafile or None)


def https_post(
    *, host: str, port: int, address: str, path: str, body: bytes, headers: dict[str, str],
    timeout: float, context: ssl.SSLContext,
) -> PostResult:
    connection = _PinnedHTTPSConnection(host, port, address=address, context=context, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status, reason = response.status, response.reason
    except (OSError, http.client.HTTPException) as error:  # timeouts and TLS errors are OSErrors
        return PostResult(None, f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()
    return PostResult(status, "" if 200 <= status < 300 else f"HTTP {status} {reason}"[:500])
