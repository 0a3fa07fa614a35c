from tests.conftest import API, mutual_match


def test_mutual_like_starts_a_trial_match(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    feed = client.get(f"{API}/feed", headers=teacher.headers)
    assert feed.status_code == 200
    assert [item["profile"]["id"] for item in feed.json()["items"]] == [pro.id]
    match = mutual_match(client, teacher, pro)
    assert match["status"] == "trial"
    assert match["partner"]["id"] == teacher.id
    assert match["partner"]["contact"]["email"] == "teacher.contact@example.org"
