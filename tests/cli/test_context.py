"""context.py: the redacting log filter, the http:// warning rule, and shared wiring."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.context import AppContext, RedactingFilter, insecure_url
from kimai_tray.core.errors import AuthenticationError
from kimai_tray.platform.config import Config

SECRET = "s3cr3t-token-abcdef"


def test_redacting_filter_removes_known_secret_and_headers() -> None:
    redactor = RedactingFilter()
    redactor.add_secret(SECRET)
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "sent %s with Authorization: Bearer %s",
        ("tok", SECRET),
        None,
    )
    assert redactor.filter(record)
    text = record.getMessage()
    assert SECRET not in text and "Bearer ***" in text
    assert "X-AUTH-TOKEN: ***" in redactor.scrub("X-AUTH-TOKEN: hunter2")


@pytest.mark.parametrize(
    ("url", "warn"),
    [
        ("http://kimai.example.org", True),
        ("http://127.0.0.1:8001", False),
        ("http://localhost/", False),
        ("https://kimai.example.org", False),
    ],
)
def test_insecure_url(url: str, warn: bool) -> None:
    assert insecure_url(url) is warn


def test_context_secret_round_trip_and_log_redaction(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    ctx = AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)})
    try:
        cfg = Config(server_url="https://k.example", auth_kind="token")
        ctx.store_secret(cfg, SECRET)
        ctx.save_config(cfg)
        assert ctx.load_secret() == SECRET
        logging.getLogger("kimai_tray.test").warning("oops %s", SECRET)
        assert ctx.delete_secret() is True
        with pytest.raises(AuthenticationError, match="Not logged in"):
            ctx.make_backend()
    finally:
        ctx.close()
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_kimai_tray", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
    log_text = ctx.paths.log_file.read_text(encoding="utf-8")
    assert "oops ***" in log_text and SECRET not in log_text
    assert SECRET not in ctx.paths.config_file.read_text(encoding="utf-8")
