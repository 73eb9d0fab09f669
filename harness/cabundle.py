"""The CA bundle that every image the harness provides must trust.

On networks whose HTTPS goes through a TLS-intercepting proxy, pip and curl in
a container fail with CERTIFICATE_VERIFY_FAILED unless they trust the proxy's
CA. The base images (pulled or stand-in) carry the bundle, and images built
from them (the sandbox, and what pages build) inherit the trust. The bundle is
also an input of their cache hash: a new bundle means new images.

Setting
-------
HANDBOOK_CA_BUNDLE
    The CA bundle that containers must trust. Default:
    /etc/ssl/certs/ca-certificates.crt when it exists. An empty value disables
    it. The bundle is baked into the base images at
    /usr/local/share/handbook/ca-bundle.crt, and PIP_CERT, SSL_CERT_FILE,
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE point at it.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import ProvisionError

CA_ENV = "HANDBOOK_CA_BUNDLE"
DEFAULT_CA = Path("/etc/ssl/certs/ca-certificates.crt")
# Outside /usr/local/share/ca-certificates, so update-ca-certificates (run when
# a page installs ca-certificates) neither drops nor rewrites it.
CA_IN_IMAGE = "/usr/local/share/handbook/ca-bundle.crt"
CA_VARS = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def ca_bundle() -> Path | None:
    """The CA bundle containers must trust (see HANDBOOK_CA_BUNDLE), or None."""
    value = os.environ.get(CA_ENV)
    if value is None:
        return DEFAULT_CA if DEFAULT_CA.is_file() else None
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ProvisionError(f"{CA_ENV}={value}: no such file (set it empty to trust no extra CA)")
    return path


def ca_env_lines(ca: Path | None) -> list[str]:
    """`VAR=path` for each variable that tells a tool which CA bundle to trust."""
    return [f"{var}={CA_IN_IMAGE}" for var in CA_VARS] if ca else []
