"""`make run`'s first step: is HOST:PORT free for the development server?

Run as a script (`python infra/port_free.py HOST PORT`) before anything is installed, migrated or
seeded, so a second `make run` says in one sentence what is wrong instead of failing after the
demo data was written. Exit status 0 when the port is free, 1 when it is taken.
"""

from __future__ import annotations

import errno
import socket
import sys


def bind_error(host: str, port: int) -> OSError | None:
    """Why binding `host:port` fails as runserver's would (it reuses TIME_WAIT addresses), or
    None when it succeeds."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as error:  # socket.gaierror too: a HOST that is no address here
        return error
    return None


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    error = bind_error(host, port)
    if error is None:
        return 0
    if error.errno == errno.EADDRINUSE:
        print(
            f"Port {port} on {host} is already in use (is StepWise already running?); "
            f"choose another with `make run PORT={port + 1}`.",
            file=sys.stderr,
        )
    else:
        print(
            f"StepWise cannot listen on {host}:{port} ({error.strerror or error}); choose "
            "another address with `make run HOST=127.0.0.1`.",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
