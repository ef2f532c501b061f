"""Simulator JSON responses validated against the real Kimai OpenAPI dump (openapi-core).

Tolerated deviations, each one a known gap of the dump (kimai-api-notes §9 and §0/§3):
- the dump does not mark fields nullable although Kimai serializes nulls (`serialize_null`);
- `date-time` fields use PHP's `Y-m-d\\TH:i:sO` (`+0100`, no colon), which is not RFC 3339;
- the dump itself is not a strictly valid OpenAPI document (e.g. `items: []`), so the
  document check is off; no paging headers and no error schemas are described;
- `GET /api/timesheets?full=true` is not described (only the id-valued collection), so its
  expanded items are checked through `/active` and `/recent`, which share the shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kimai_tray.simulator.server import SimulatorServer

SPEC_PATH = Path("/work/shared/kimai-openapi.json")


def _tolerate_known_gaps(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            del node["format"]
        if "type" in node or "$ref" in node or "allOf" in node or "oneOf" in node:
            node["nullable"] = True
        for value in node.values():
            _tolerate_known_gaps(value)
    elif isinstance(node, list):
        for value in node:
            _tolerate_known_gaps(value)


@pytest.fixture(scope="module")
def spec() -> Any:
    if not SPEC_PATH.exists():
        pytest.skip(f"{SPEC_PATH} is not available (reference material, not in the repo)")
    from openapi_core import Config, OpenAPI

    data = json.loads(SPEC_PATH.read_text())
    _tolerate_known_gaps(data["components"]["schemas"])
    for path_item in data["paths"].values():
        for op in path_item.values():
            if isinstance(op, dict):
                _tolerate_known_gaps(op.get("responses", {}))
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


CASES = [
    ("/api/version", {}),
    ("/api/users/me", {}),
    ("/api/config/timesheet", {}),
    ("/api/customers", {}),
    ("/api/projects", {}),
    ("/api/activities", {}),
    ("/api/tags/find", {"name": "me"}),
    ("/api/timesheets", {}),
    ("/api/timesheets/active", {}),
    ("/api/timesheets/recent", {}),
    ("/api/timesheets/1", {}),
]


@pytest.mark.parametrize(("path", "params"), CASES)
def test_response_matches_spec(
    spec: Any, simulator: SimulatorServer, admin: httpx.Client, path: str, params: dict[str, str]
) -> None:
    from openapi_core.testing import MockRequest, MockResponse

    admin.post("/api/timesheets", json={"project": 1, "activity": 1})  # a running record too
    r = admin.get(path, params=params)
    assert r.status_code == 200
    request = MockRequest(simulator.url, "get", path, args=params)
    response = MockResponse(r.content, status_code=200, content_type="application/json")
    spec.validate_response(request, response)
