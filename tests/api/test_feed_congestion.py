"""The congestion-aware deck through the API: `jobtinder tick` stores prices, the feed only
orders by them (scores shown stay plain), and its cursor still walks every card once."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.cli import main as jobtinder
from app.matching.congestion import ordering_price
from app.models import CongestionPrice, FeatureVersion
from app.services.feature_store import bump_prices
from tests.api.test_feed import get_feed
from tests.conftest import mutual_match
from tests.utils import feed_ids


def _store_prices(db: Session, prices: dict[int, tuple[str, float]]) -> None:
    """What `jobtinder tick` writes: the prices and a bumped `prices` counter."""
    for user_id, (side, price) in prices.items():
        db.add(CongestionPrice(user_id=user_id, side=side, price=price))
    for side in ("teacher", "professional"):
        bump_prices(db, side)
    db.commit()


def _walk(client, who, limit: int) -> tuple[list[int], list[float]]:  # type: ignore[no-untyped-def]
    ids: list[int] = []
    scores: list[float] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = get_feed(client, who, **params)
        ids += [item["profile"]["id"] for item in page["items"]]
        scores += [item["score"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, scores
    raise AssertionError("the feed never ended")


def test_a_contested_candidate_moves_down_with_the_same_score(client, make_participant, db):
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(4)]  # identical: equal scores
    before, before_scores = _walk(client, teacher, 100)
    assert before == [p.id for p in pros] and len(set(before_scores)) == 1

    _store_prices(db, {pros[0].id: ("professional", 0.3), pros[1].id: ("professional", 0.1)})

    after, after_scores = _walk(client, teacher, 100)
    assert after == [pros[2].id, pros[3].id, pros[1].id, pros[0].id]
    assert after_scores == before_scores  # the score shown is the plain reciprocal one
    # Page by page (the cursor holds the ordering key and the id): no repeat, no skip.
    assert _walk(client, teacher, 1)[0] == after
    assert _walk(client, teacher, 3)[0] == after


def test_prices_order_varied_scores_by_score_minus_price(client, make_participant, db):
    teacher = make_participant("teacher", max_travel_km=60)
    pros = [
        make_participant("professional", **extra)
        for extra in (
            {},
            {"place": "delft"},
            {"place": "dordrecht", "subjects": ["economie"]},
            {"place": "den-haag", "subjects": ["it_software"], "available_months": [9, 10]},
            {"place": "schiedam", "subjects": ["data_ai"], "duration_months": 6},
        )
    ]
    plain = {item["profile"]["id"]: item["score"] for item in get_feed(client, teacher)["items"]}
    assert set(plain) == {p.id for p in pros}
    best_first = sorted(plain, key=lambda i: (-plain[i], i))
    prices = {i: ("professional", 0.15 * (len(best_first) - k)) for k, i in enumerate(best_first)}
    _store_prices(db, prices)

    ids, scores = _walk(client, teacher, 2)
    assert dict(zip(ids, scores, strict=True)) == plain
    keys = {
        i: round(plain[i] - float(ordering_price(prices[i][1])), 6)  # type: ignore[arg-type]
        for i in ids
    }
    assert ids == sorted(ids, key=lambda i: (-keys[i], i))
    assert ids != sorted(ids, key=lambda i: (-plain[i], i))  # the prices did reorder


def test_tick_stores_prices_for_the_free_market_only(client, make_participant, db):
    teachers = [make_participant("teacher") for _ in range(3)]
    popular = make_participant("professional")
    remote = make_participant("professional", place="delft", max_travel_km=300)
    busy_teacher = make_participant("teacher")
    busy_pro = make_participant("professional")
    mutual_match(client, busy_teacher, busy_pro)
    # Two teachers cannot reach the Delft professional (10 km limits); all reach `popular`.
    for t in teachers[:2]:
        patched = client.patch("/api/v1/me/profile", json={"max_travel_km": 10}, headers=t.headers)
        assert patched.status_code == 200, patched.text

    jobtinder(["tick"])

    stored = dict(
        db.execute(select(col(CongestionPrice.user_id), col(CongestionPrice.price))).all()
    )
    assert set(stored) == {t.id for t in teachers} | {popular.id, remote.id}
    assert all(price >= 0 for price in stored.values())
    assert stored[popular.id] > stored[remote.id]
    versions = {row.side: row.prices for row in db.scalars(select(FeatureVersion))}
    assert versions["teacher"] >= 1 and versions["professional"] >= 1
    assert sorted(feed_ids(client, teachers[2])) == sorted([popular.id, remote.id])

    db.commit()
    jobtinder(["tick"])  # again: replaces, never duplicates
    again = dict(db.execute(select(col(CongestionPrice.user_id), col(CongestionPrice.price))).all())
    assert set(again) == set(stored)


def test_two_ticks_at_the_same_moment_both_succeed(client, make_participant, db):
    import threading

    from app.db import new_session
    from app.services.congestion import compute_prices

    people = [make_participant(side) for side in ("teacher", "professional") * 6]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            with new_session() as session:
                barrier.wait()
                compute_prices(session=session)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    for _ in range(3):
        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    db.commit()
    stored = set(db.scalars(select(col(CongestionPrice.user_id))))
    assert stored == {p.id for p in people}
