"""The client's requests (method, path, query, body) validate against Kimai's OpenAPI document.

The spec has known gaps (kimai-api-notes §9): it lists begin/end as always allowed and tags as a
string, which matches what we send. Error answers are not checked (the spec has no error schemas).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.conftest import mock_client, run
from api.test_client import FakeKimai
from kimai_tray.core.models import TimesheetChanges, TimesheetDraft

SPEC = Path("/work/shared/kimai-openapi.json")
openapi_core = pytest.importorskip("openapi_core", reason="openapi-core is not installed")
if not SPEC.exists():
    pytest.skip("the Kimai OpenAPI document is not available", allow_module_level=True)

from openapi_core.datatypes import RequestParameters  # noqa: E402
from werkzeug.datastructures import Headers, ImmutableMultiDict  # noqa: E402


@dataclass
class SpecRequest:
    """An httpx.Request seen through openapi-core's Request protocol."""

    request: httpx.Request

    @property
    def host_url(self) -> str:
        return f"{self.request.url.scheme}://{self.request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @cached_property  # openapi-core stores the path variables on this object
    def parameters(self) -> RequestParameters:
        return RequestParameters(
            query=ImmutableMultiDict(list(self.request.url.params.multi_items())),
            header=Headers(dict(self.request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "application/json")

    @property
    def body(self) -> bytes | None:
        return self.request.content or None


@pytest.mark.filterwarnings("ignore:Use of allowEmptyValue:DeprecationWarning")
def test_every_request_matches_the_spec() -> None:
    kimai = FakeKimai(total=3)
    t = datetime(2024, 4, 6, 14, 30, tzinfo=UTC)

    async def scenario(c: Any) -> None:
        await c.timesheets(begin=t, end=t)
        await c.projects()
        await c.activities()
        await c.tags()
        await c.start_timesheet(TimesheetDraft(1, 2, begin=t, description="d", tags=("a", "b")))
        await c.create_timesheet(TimesheetDraft(1, 2, begin=t, end=t))
        await c.stop_timesheet(7)
        await c.stop_timesheet_at(7, t)
        await c.update_timesheet(7, TimesheetChanges.of(description="x", tags=("a",)))
        await c.delete_timesheet(7)
        await c.create_customer("C", country="NZ", currency="NZD")
        await c.create_project("P", 1)
        await c.create_activity("A", 1)
        await c.create_tag("T")

    run(_run(kimai, scenario))
    # The document itself is not valid OpenAPI (`default: null` on non-nullable strings, `[]`
    # schemas): skip validating the spec, validate our requests against it.
    # Kimai's `date-time` is HTML5 local time without offset (notes §3), not RFC 3339: check that.
    config = openapi_core.Config(
        spec_validator_cls=None, extra_format_validators={"date-time": _is_html5_local}
    )
    document = _repaired(json.loads(SPEC.read_text()))
    # The customer form defaults `language` from the system configuration (notes §4.2): the
    # spec's `required` is stricter than the server.
    customer_form = document["components"]["schemas"]["CustomerEditForm"]
    customer_form["required"] = [f for f in customer_form.get("required", []) if f != "language"]
    spec = openapi_core.OpenAPI.from_dict(document, config=config)
    # PATCH submits with clearMissing=false (notes §4.3): partial bodies are fine, but the spec
    # reuses the POST form's `required` list. Validate PATCH bodies without it.
    document["components"]["schemas"]["TimesheetEditForm"].pop("required", None)
    patch_spec = openapi_core.OpenAPI.from_dict(document, config=config)
    checked = 0
    for request in kimai.requests:
        (patch_spec if request.method == "PATCH" else spec).validate_request(SpecRequest(request))
        checked += 1
    assert checked >= 15


async def _run(kimai: FakeKimai, scenario: Any) -> None:
    client = mock_client(kimai)
    try:
        await scenario(client)
    finally:
        await client.aclose()


def _repaired(node: Any) -> Any:
    """Fix the spec's invalid `"items": []` / `"schema": []`, drop the defaults."""
    if isinstance(node, dict):
        # Its defaults (`null`, ints for string params) fail their own schemas; we never use them.
        return {
            k: ({} if k in ("items", "schema") and v == [] else _repaired(v))
            for k, v in node.items()
            if k != "default"
        }
    if isinstance(node, list):
        return [_repaired(v) for v in node]
    return node


def _is_html5_local(value: Any) -> bool:
    return (
        isinstance(value, str)
        and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value) is not None
    )
