"""The feature store's start-up snapshot (app/services/feature_snapshot.py, PostgreSQL).

What a process loads through the snapshot must be exactly what a load from the database
gives (`FeatureStore._load_all`), whatever happened to the data since the snapshot was
written: profiles changed, paused, new, erased, or the whole table emptied and filled again
with the same ids and the same `updated_at`.
"""

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine
from app.matching.features import Pool
from app.seed import seed_participants
from app.services import feature_snapshot
from app.services.feature_store import FeatureStore, SideFeatures, store

pytestmark = pytest.mark.skipif(
    get_engine().dialect.name != "postgresql",
    reason="snapshots are used on PostgreSQL only (SQLite loads from the database, which the "
    "rest of the suite covers)",
)

SIDES = ("teacher", "professional")


def by_id(features: SideFeatures) -> dict[str, np.ndarray]:
    active = np.flatnonzero(features.active)
    order = active[np.argsort(features.pool.ids[active])]
    return {name: getattr(features.pool, name)[order] for name in Pool.__slots__}


def assert_same_as_database() -> None:
    """Load both sides afresh (through the snapshot) and compare with a plain load."""
    store.clear()
    with Session(get_engine()) as session:
        for side in SIDES:
            loaded = by_id(store.side(session, side))
            fresh = by_id(FeatureStore._load_all(session, side))
            for name in Pool.__slots__:
                assert np.array_equal(loaded[name], fresh[name]), (side, name)
    feature_snapshot.wait_for_writes()


def snapshots() -> list[Path]:
    return sorted(Path(get_settings().feature_snapshot_dir).glob("features-*.npz"))


def sql(statement: str) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement))


def test_a_load_through_the_snapshot_follows_every_change() -> None:
    seed_participants(120, seed=1)
    assert_same_as_database()  # no snapshot yet: writes one per side
    assert len(snapshots()) >= 2
    # Changed features, a paused profile, an unverified address, an erased account, new people.
    sql(
        "UPDATE profiles SET max_travel_km = max_travel_km + 7, subjects = '[\"informatica\"]' "
        "WHERE user_id IN (SELECT user_id FROM profiles ORDER BY user_id LIMIT 5)"
    )
    sql("UPDATE profiles SET discoverable = false WHERE user_id % 11 = 0")
    sql("UPDATE users SET email_verified_at = NULL WHERE id % 13 = 0")
    sql(
        "DELETE FROM users WHERE id IN (SELECT user_id FROM profiles ORDER BY user_id DESC LIMIT 3)"
    )
    seed_participants(20, seed=2)
    assert_same_as_database()


def test_the_same_ids_and_times_with_other_content_are_not_taken_from_the_snapshot() -> None:
    seed_participants(80, seed=3)
    assert_same_as_database()
    with get_engine().connect() as conn:
        times = conn.execute(text("SELECT user_id, updated_at FROM profiles")).all()
    # Everything emptied and filled again: same ids, other people, and (set by hand) the very
    # same updated_at per id as the snapshot saw.
    sql("TRUNCATE users, profiles RESTART IDENTITY CASCADE")
    seed_participants(80, seed=4)
    with get_engine().begin() as conn:
        for user_id, updated_at in times:
            conn.execute(
                text("UPDATE profiles SET updated_at = :at WHERE user_id = :id"),
                {"at": updated_at, "id": user_id},
            )
    assert_same_as_database()


def test_an_unreadable_snapshot_is_ignored() -> None:
    seed_participants(60, seed=5)
    assert_same_as_database()
    for path in snapshots():
        path.write_bytes(b"not a snapshot")
    assert_same_as_database()


def test_unchanged_rows_come_from_the_snapshot() -> None:
    """The point of it: rows whose stamps match are not read again (shown by altering one in
    the file only, which then appears in the store)."""
    seed_participants(60, seed=6)
    assert_same_as_database()
    with Session(get_engine()) as session:
        path = feature_snapshot._path(session, "teacher")
    assert path is not None
    with np.load(path) as data:
        arrays = dict(data)
    arrays["pool_max_travel"] = arrays["pool_max_travel"] + 1000
    with path.open("wb") as out:
        np.savez(out, **arrays)
    store.clear()
    with Session(get_engine()) as session:
        features = store.side(session, "teacher")
    assert (features.pool.max_travel >= 1000).all()
    feature_snapshot.wait_for_writes()
