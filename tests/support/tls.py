"""A throwaway self-signed certificate for TLS tests against local servers.

Both sink suites (Elasticsearch, Redis) start servers with TLS on 127.0.0.1; one
generator keeps their certificates identical (SAN for the IP and ``localhost``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(directory: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.crt`` and ``<stem>.key`` (valid one day for 127.0.0.1 and localhost)."""
    cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key
