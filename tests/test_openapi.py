"""The committed OpenAPI document (openapi/openapi.json) must match the app."""

import json
from pathlib import Path

from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_document_is_current() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(create_app().openapi()))
    assert committed == current, "openapi/ is stale: run `make openapi` and commit the result"


def test_every_operation_is_documented() -> None:
    spec = create_app().openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"


def test_docs_offer_the_oauth2_password_flow() -> None:
    schemes = create_app().openapi()["components"]["securitySchemes"]
    flows = [s["flows"]["password"]["tokenUrl"] for s in schemes.values() if s["type"] == "oauth2"]
    assert flows == ["/api/v1/auth/token"]
