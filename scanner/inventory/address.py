"""What a node's host may be: one machine, named by DNS or by an IP address.

pypsrp puts the host into the endpoint URL as written (`http://HOST:PORT/wsman`). A character that
means something else in a URL sends the exchange, Basic credentials included, somewhere other than
the inventory says: `good.example@other.example` to other.example (user info), `127.0.0.1:1/x?` to
port 1, `a/b` and `a#b` to host `a`. So a host is an IPv4 or IPv6 address (brackets allowed around
IPv6), or a DNS / NetBIOS name: labels of letters, digits, `-` and `_` joined by dots.
"""
from __future__ import annotations

import ipaddress
import re

_NAME = re.compile(r"[^\W][\w-]*(?:\.[\w-]+)*\.?")  # \w: letters (any script), digits, underscore
MAX_NAME = 253


def host_problem(host: str) -> str | None:
    """None for a usable host; else why not, in one line that names it."""
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
        return None
    except ValueError:
        pass
    if len(host) <= MAX_NAME and _NAME.fullmatch(host):
        return None
    return (f"host {host!r} is not a DNS name or an IP address (in a URL, '/', '?', '#', '@', ':' or a space "
            "would send the exchange and its credentials to another host or port)")


def split_host_port(text: str) -> tuple[str, int | None]:
    """HOST, HOST:PORT, an IPv6 address alone, or [IPv6]:PORT, as (host, port or None); ValueError
    for anything else or a port outside 1-65535. (An IPv6 address is not split at its last colon.)"""
    text = text.strip()
    port: str | None
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r} is not [IPv6] or [IPv6]:PORT")
        port = rest[1:] if rest else None
    elif text.count(":") > 1:
        host, port = text, None
    else:
        host, colon, rest = text.partition(":")
        port = rest if colon else None
    if not host or (port is not None and not (port.isdigit() and 1 <= int(port) <= 65535)):
        raise ValueError(f"{text!r} is not HOST or HOST:PORT with a port from 1 to 65535")
    return host, int(port) if port is not None else None
