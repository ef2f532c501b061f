"""TLS: a self-signed Kimai 1 (trustme CA) fails with TLSError unless its CA bundle is given."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from kimai1.conftest import PASSWORD
from kimai_tray.api.kimai1 import Kimai1Client
from kimai_tray.core import errors
from kimai_tray.simulator.kimai1 import Kimai1Options, Kimai1SimulatorServer


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Kimai1SimulatorServer, str]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = (tmp_path / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    server = Kimai1SimulatorServer(
        options=Kimai1Options(password=PASSWORD), certfile=str(cert_file), keyfile=str(key_file)
    )
    with server:
        yield server, str(ca_file)


def ping(url: str, ca_bundle: str | None) -> None:
    async def main() -> None:
        client = Kimai1Client(url, "admin", PASSWORD, ca_bundle=ca_bundle)
        try:
            await client.ping()
        finally:
            await client.aclose()

    asyncio.run(main())


def test_self_signed_without_bundle_is_tls_error(
    tls_server: tuple[Kimai1SimulatorServer, str],
) -> None:
    server, _ = tls_server
    assert server.url.startswith("https://")
    with pytest.raises(errors.TLSError) as caught:
        ping(server.url, None)
    assert not caught.value.retryable
    assert server.state.request_log == []


def test_self_signed_with_ca_bundle_works(tls_server: tuple[Kimai1SimulatorServer, str]) -> None:
    server, ca_file = tls_server
    ping(server.url, ca_file)
    assert [c.method for c in server.state.request_log] == ["authenticate", "getUsers"]
