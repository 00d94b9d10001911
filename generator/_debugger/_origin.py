"""Which requests may reach the debugger: its own page, and servers, never other sites.

A page on another site can make the visitor's browser send a ``no-cors`` POST to
127.0.0.1 (it cannot read the answer, but the events land), and a site whose DNS name
is re-bound to 127.0.0.1 after it loads becomes same-origin with the debugger (DNS
rebinding). Two checks stop both, and leave Segment's SDKs alone, since they run on
servers and send no ``Origin``:

- ``Host`` must name this machine: an IP address, ``localhost``, or the name the
  debugger listens on. A re-bound name (``evil.example:8765``) is refused.
- ``Origin``, on requests that change something (POST), must be the debugger's own
  origin, ``http://`` + the ``Host`` the request was sent to. Browsers send it on
  every POST; other sites' pages, sandboxed frames (``null``) and other local ports
  are refused.
"""

from __future__ import annotations

import ipaddress

_LOCAL_NAMES = frozenset({"localhost", "localhost."})


def host_name(host: str) -> str:
    """Return the name part of a ``Host`` header (``[::1]:8765`` -> ``::1``), lowercase."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """Decides whether a request's ``Host`` and ``Origin`` may reach the debugger.

    Args:
        listen_host: The address or name the debugger listens on.
    """

    def __init__(self, listen_host: str) -> None:
        self._names = _LOCAL_NAMES | {listen_host.strip("[]").lower()}

    def host_problem(self, host: str | None) -> str | None:
        """Return why ``host`` (the ``Host`` header) is refused, or None to let it in."""
        if host is None:
            return None  # HTTP/1.0 clients may omit it; browsers always send it
        name = host_name(host)
        if name in self._names or _is_ip(name):
            return None
        return (f"Host {host[:100]!r} is not this machine's address; open the debugger "
                "as http://127.0.0.1:<port>/ or http://localhost:<port>/")  # fmt: skip

    def origin_problem(self, origin: str | None, host: str | None) -> str | None:
        """Return why a POST from ``origin`` is refused, or None to let it in.

        Args:
            origin: The ``Origin`` header; absent on calls from servers and SDKs.
            host: The ``Host`` header the request was sent to.
        """
        if origin is None:
            return None
        if host is not None and origin.strip().lower() == f"http://{host.strip().lower()}":
            return None
        return (f"a page on {origin[:100]!r} may not send events here; only the debugger's "
                "own page and servers (no Origin header) may")  # fmt: skip
