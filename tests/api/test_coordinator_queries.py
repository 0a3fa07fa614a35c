"""What a coordinator's list costs the database: a fixed number of statements per page, however
many rows the page has (no statement per row), and CSV exports that are streamed.

`bench/README.md` has the figures before and after; these tests only say "fixed".
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import API, Person, mutual_match
from tests.utils import Statements

C = f"{API}/coordinator"
MIDTERM = {
    "kind": "midterm",
    "satisfaction": 4,
    "personal_click": 5,
    "professional_click": 3,
    "different_types": 2,
    "match_importance": 4,
    "confidence": 3,
}


def make_pairs(client: TestClient, make_participant: Any, count: int) -> None:
    """Pairs in Rotterdam, every other one with a stored plan (else the default plan, which
    is derived from both profiles), each with a logged meeting and a midterm evaluation."""
    for n in range(count):
        teacher, pro = make_participant("teacher"), make_participant("professional")
        match = mutual_match(client, teacher, pro)
        if n % 2:
            plan = client.put(
                f"{API}/matches/{match['id']}/plan",
                json={
                    "start_date": match["created_at"][:10],
                    "planned_end": match["ends_at"][:10],
                    "hours_target": 40,
                },
                headers=teacher.headers,
            )
            assert plan.status_code == 200, plan.text
        meeting = client.post(
            f"{API}/matches/{match['id']}/meetings",
            json={"date": match["created_at"][:10], "hours": 2, "activity": "intake"},
            headers=pro.headers,
        )
        assert meeting.status_code == 201, meeting.text
        midterm = client.post(
            f"{API}/matches/{match['id']}/evaluations", json=MIDTERM, headers=teacher.headers
        )
        assert midterm.status_code == 201, midterm.text


def statements_for(client: TestClient, who: Person, path: str, **params: Any) -> int:
    """Statements one request sends: the fewest of three, since now and then a request also
    refreshes what the process caches (the revocation list), which is not the page's cost."""
    counts = []
    for _ in range(3):
        with Statements() as statements:
            response = client.get(path, params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        counts.append(statements.count)
    return min(counts)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{C}/matches", {"limit": 100}),
        (f"{C}/matches", {"limit": 100, "at_risk": "false"}),
        (f"{C}/participants", {"limit": 100}),
        (f"{C}/export/matches.csv", {}),
        (f"{C}/export/participants.csv", {}),
    ],
)
def test_a_page_costs_the_same_statements_for_two_rows_or_six(
    client, make_participant, make_staff, path, params
):
    coordinator = make_staff("coordinator", ["rotterdam"])
    make_pairs(client, make_participant, 2)
    few = statements_for(client, coordinator, path, **params)

    make_pairs(client, make_participant, 4)
    many = statements_for(client, coordinator, path, **params)

    assert many == few, f"{path}: {few} statements for 2 pairs, {many} for 6"
