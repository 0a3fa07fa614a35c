"""Fuzzing from the app's own OpenAPI document (schemathesis), as a participant and as a
coordinator: no 5xx, and every response conforms to the documented status codes, content
types and schemas. A failure here is fixed in the app, not by loosening the document."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import create_app

pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def participant_headers(make_participant) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_participant("professional")  # someone to see in the feed
    return make_participant("teacher").headers


@pytest.fixture
def coordinator_headers(make_staff, make_participant) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_participant("teacher")
    make_participant("professional")
    return make_staff("coordinator", ["rotterdam"]).headers


@schema.parametrize()
@FUZZ
def test_fuzz_as_participant(case, participant_headers) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=participant_headers, checks=CHECKS)


@schema.include(path_regex="^/api/v1/(coordinator|admin)").parametrize()
@FUZZ
def test_fuzz_as_coordinator(case, coordinator_headers) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=coordinator_headers, checks=CHECKS)
