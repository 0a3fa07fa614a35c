"""Typed payloads: notifications (type enum, data per type), vocabulary, export, exit body."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db import get_engine
from app.main import create_app
from app.schemas.export import ExportOut
from app.schemas.notifications import NOTIFICATION_DATA, NOTIFICATION_TYPES
from app.schemas.vocabulary import VocabularyOut
from app.services.notifications import notify
from tests.conftest import API, mutual_match


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def _schema_of(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"]["200"]
    return response["content"]["application/json"]["schema"]


def test_notification_data_is_typed_per_type(client: TestClient, make_participant):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    client.post(f"{API}/matches/{match['id']}/confirm", headers=teacher.headers)
    items = client.get(f"{API}/notifications", headers=pro.headers).json()["items"]
    by_type = {item["type"]: item for item in items}
    assert by_type["match_created"]["data"] == {
        "match_id": match["id"],
        "partner_id": teacher.id,
        "partner_name": teacher.name,
    }
    assert by_type["partner_confirmed"]["data"] == {"match_id": match["id"]}
    for item in items:
        assert item["type"] in NOTIFICATION_TYPES
        model = NOTIFICATION_DATA[item["type"]]
        assert model.model_validate(item["data"]).model_dump(mode="json") == item["data"]


def test_an_undocumented_notification_type_is_never_stored():
    with Session(get_engine()) as session, pytest.raises(KeyError):
        notify(session=session, user_id=1, type_="surprise", data={})


def test_notifications_are_a_discriminated_union_in_the_document(spec):
    schemas = spec["components"]["schemas"]
    items = schemas["NotificationPage"]["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    assert set(items["discriminator"]["mapping"]) == set(NOTIFICATION_TYPES)
    assert schemas["NotificationType"]["enum"] == list(NOTIFICATION_TYPES)
    assert _schema_of(spec, "/api/v1/notifications", "get") == {
        "$ref": "#/components/schemas/NotificationPage"
    }


def test_vocabulary_and_export_are_models(client: TestClient, make_participant, spec):
    body = client.get(f"{API}/vocabulary").json()
    assert VocabularyOut.model_validate(body).model_dump(mode="json") == body
    assert _schema_of(spec, "/api/v1/vocabulary", "get") == {
        "$ref": "#/components/schemas/VocabularyOut"
    }
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    export = client.get(f"{API}/me/export", headers=teacher.headers).json()
    assert ExportOut.model_validate(export).model_dump(mode="json").keys() == export.keys()
    assert export["matches"][0]["partner"] == {"id": pro.id, "name": pro.name}
    assert _schema_of(spec, "/api/v1/me/export", "get") == {
        "$ref": "#/components/schemas/ExportOut"
    }


def test_exit_body_is_optional_and_plain(client: TestClient, make_participant, spec):
    request_body = spec["paths"]["/api/v1/matches/{match_id}/exit"]["post"]["requestBody"]
    assert not request_body.get("required", False)
    schema = request_body["content"]["application/json"]["schema"]
    assert schema["$ref"] == "#/components/schemas/ExitIn" and "anyOf" not in schema

    for body in (None, {}, {"reason": "no_time", "note": "Te druk."}):
        teacher, pro = make_participant("teacher"), make_participant("professional")
        match = mutual_match(client, teacher, pro)
        url = f"{API}/matches/{match['id']}/exit"
        if body is None:
            response = client.post(url, headers=teacher.headers)
        else:
            response = client.post(url, json=body, headers=teacher.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ended"
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    bad = client.post(
        f"{API}/matches/{match['id']}/exit", json={"reason": "nonsense"}, headers=teacher.headers
    )
    assert bad.status_code == 422


def test_every_notification_type_the_code_emits_or_mails_has_a_model_and_both_texts():
    """notify() refuses a type without a data model and texts: each one used anywhere (matches,
    time events, the mail code, the mail settings) must have them."""
    import re
    from pathlib import Path

    from app.schemas.notifications import NOTIFICATION_DATA, TEXTS, MailType
    from app.services.mail_preferences import MAIL_DEFAULTS

    used = set(MAIL_DEFAULTS) | set(MailType.__args__)
    for path in Path("app/services").glob("*.py"):
        source = path.read_text()
        # (an `Invalid(..., type_=...)` names a validation error type, not a notification)
        used |= {
            m.group(1)
            for m in re.finditer(r'type_="([a-z_]+)"', source)
            if "Invalid(" not in source[max(0, m.start() - 200) : m.start()]
        }
        constants = dict(re.findall(r'^([A-Z_]+) = "([a-z_]+)"', source, flags=re.M))
        named = re.findall(r"type_=([A-Z_]+)\b", source)
        used |= {constants[name] for name in named if name in constants}
        used |= set(re.findall(r'Due\(\s*\w+,\s*"([a-z_]+)"', source))
        used |= set(re.findall(r'type_ == "([a-z_]+)"', source))
        used |= set(re.findall(r'"(\w+)" if origin == MatchOrigin', source))
    assert {"trial_ending", "behind_schedule", "match_active", "coordinator_match"} <= used
    for type_ in used:
        assert type_ in NOTIFICATION_DATA, type_
        assert set(TEXTS[type_]) == {"nl", "en"}, type_
