"""A compact on-disk copy of the feature store, so that a new API process is ready at once.

Loading one side's features from the database means reading every rankable profile and
packing it (`FeatureStore._load_all`): about 3.5 s per process at 100 000 participants, paid
by every worker at every start. With PostgreSQL, each process instead loads the side through
`load_side` here:

1. read, in one statement, the change stamp of every rankable profile of the side: the
   PostgreSQL row versions (`xmin`) of the profile and of its user. Every write of either
   row gives it a new one, whatever the write was, and a truncated or restored table's rows
   have new ones;
2. take from the snapshot file (the packed arrays of the last load, with the stamps they
   were built from) every row whose stamps are unchanged; read and pack only the profiles
   that are new or changed; drop those no longer rankable;
3. write the result back as the new snapshot (in a background thread; atomically, by
   rename), for the next process.

So a snapshot never decides what is served: it only saves packing rows whose stamps the
database has just confirmed, and a process that has no snapshot, or one it cannot use,
loads everything from the database as before. The process still loads before it accepts
requests (the app's lifespan), so no request sees a partial deck. The file is keyed by the
database (cluster identifier, database oid and name), the side, and a hash of the code and
vocabulary that give the packed values their meaning; it is read with `allow_pickle=False`
and written owner-only. Not used on SQLite (one small embedded database).
"""

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, literal_column, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.matching.features import Pool, build_pool
from app.models import Profile, User

log = logging.getLogger("jobtinder")

_STAMPS: tuple[Any, ...] = (
    literal_column("profiles.xmin::text::bigint").label("profile_stamp"),
    literal_column("users.xmin::text::bigint").label("user_stamp"),
)
_SOURCES = (
    "matching/features.py",
    "services/feature_store.py",
    "services/feature_snapshot.py",
    "vocabulary/subjects.json",
    "vocabulary/goals.json",
    "vocabulary/outcomes.json",
    "vocabulary/regions.json",
    "vocabulary/places.json",
)
_CHUNK = 10_000  # ids per statement when re-reading changed profiles
_write_lock = threading.Lock()
_writers: list[threading.Thread] = []


def enabled(session: Session) -> bool:
    return get_settings().feature_snapshots and session.get_bind().dialect.name == "postgresql"


@cache
def _code_hash() -> str:
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for name in _SOURCES:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes())
    return digest.hexdigest()


def _directory() -> Path:
    configured = get_settings().feature_snapshot_dir
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "jobtinder-features"


def _path(session: Session, side: str) -> Path | None:
    """The side's snapshot file; None where the database's identity cannot be read (a
    managed server that restricts `pg_control_system`): then no snapshot is used."""
    try:
        with session.begin_nested():  # a refusal must not abort the caller's transaction
            system, oid, name = session.execute(
                text(
                    "SELECT (SELECT system_identifier FROM pg_control_system()), oid, datname "
                    "FROM pg_database WHERE datname = current_database()"
                )
            ).one()
    except DBAPIError as exc:
        log.warning("feature snapshots not used: %s", type(exc).__name__)
        return None
    key = hashlib.sha256(f"{system}\0{oid}\0{name}\0{side}\0{_code_hash()}".encode()).hexdigest()
    return _directory() / f"features-{key[:32]}.npz"


def _query(columns: tuple[str, ...], side: str) -> Any:
    return (
        select(*(getattr(Profile, name) for name in columns), col(Profile.updated_at), *_STAMPS)
        .join(User, col(User.id) == col(Profile.user_id))
        .where(
            col(Profile.side) == side,
            col(Profile.complete),
            col(Profile.discoverable),
            col(Profile.place).is_not(None),
            col(User.email_verified_at).is_not(None),
        )
    )


@dataclass(slots=True)
class Loaded:
    """One side's rows as the store keeps them, with each row's stamps and updated_at."""

    pool: Pool
    profile_stamp: npt.NDArray[np.int64]
    user_stamp: npt.NDArray[np.int64]
    updated: npt.NDArray[np.float64]  # seconds since the epoch

    def take(self, rows: npt.NDArray[np.intp]) -> "Loaded":
        return Loaded(
            self.pool.take(rows),
            self.profile_stamp[rows],
            self.user_stamp[rows],
            self.updated[rows],
        )

    @staticmethod
    def concat(parts: list["Loaded"]) -> "Loaded":
        return Loaded(
            Pool(
                **{
                    name: np.concatenate([getattr(p.pool, name) for p in parts])
                    for name in Pool.__slots__
                }
            ),
            np.concatenate([p.profile_stamp for p in parts]),
            np.concatenate([p.user_stamp for p in parts]),
            np.concatenate([p.updated for p in parts]),
        )


def _pack(rows: list[Any]) -> Loaded:
    from app.services.feature_store import participant_from

    unique = list({row.user_id: row for row in rows}.values())
    return Loaded(
        build_pool([participant_from(row) for row in unique]),
        np.array([row.profile_stamp for row in unique], dtype=np.int64),
        np.array([row.user_stamp for row in unique], dtype=np.int64),
        np.array([clock.as_utc(row.updated_at).timestamp() for row in unique], dtype=np.float64),
    )


def _read(path: Path) -> Loaded | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            pool = Pool(**{name: data[f"pool_{name}"] for name in Pool.__slots__})
            return Loaded(pool, data["profile_stamp"], data["user_stamp"], data["updated"])
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError, TypeError) as exc:
        log.warning("feature snapshot %s not usable: %s", path.name, type(exc).__name__)
        return None


def _write(path: Path, loaded: Loaded) -> None:
    with _write_lock:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if path.parent.stat().st_uid != os.getuid():
                log.warning("feature snapshots not written: %s is not ours", path.parent)
                return
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # mode 0600
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    profile_stamp=loaded.profile_stamp,
                    user_stamp=loaded.user_stamp,
                    updated=loaded.updated,
                    **{f"pool_{name}": getattr(loaded.pool, name) for name in Pool.__slots__},
                )
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("feature snapshot not written: %s", type(exc).__name__)


def load_side(session: Session, side: str, columns: tuple[str, ...]) -> Loaded:
    """The side's rankable profiles, packed: unchanged rows from the snapshot, the rest read."""
    path = _path(session, side)
    snapshot = _read(path) if path is not None else None
    if snapshot is None:
        loaded = _pack(list(session.execute(_query(columns, side))))
    else:
        # Core, not the ORM's result machinery: ~100 000 plain tuples at most.
        stamps = (
            session.connection()
            .execute(
                select(col(Profile.user_id), *_STAMPS)
                .select_from(Profile)
                .join(User, col(User.id) == col(Profile.user_id))
                .where(_query(columns, side).whereclause)
            )
            .all()
        )
        loaded = _merge(session, snapshot, stamps, columns, side)
    if path is None:
        return loaded
    writer = threading.Thread(target=_write, args=(path, loaded), daemon=True)
    writer.start()
    _writers[:] = [w for w in _writers if w.is_alive()] + [writer]
    return loaded


def wait_for_writes() -> None:
    """Until the snapshots being written are on disk (tests, and a process shutting down)."""
    for writer in list(_writers):
        writer.join()


def _merge(
    session: Session, snapshot: Loaded, stamps: Sequence[Any], columns: tuple[str, ...], side: str
) -> Loaded:
    ids = np.array([row[0] for row in stamps], dtype=np.int64)
    profile_stamp = np.array([row[1] for row in stamps], dtype=np.int64)
    user_stamp = np.array([row[2] for row in stamps], dtype=np.int64)
    order = np.argsort(snapshot.pool.ids, kind="stable")
    sorted_ids = snapshot.pool.ids[order]
    position = np.minimum(np.searchsorted(sorted_ids, ids), max(len(sorted_ids) - 1, 0))
    rows = order[position] if len(order) else np.zeros(len(ids), dtype=np.intp)
    same = (
        (sorted_ids[position] == ids)
        & (snapshot.profile_stamp[rows] == profile_stamp)
        & (snapshot.user_stamp[rows] == user_stamp)
        if len(order)
        else np.zeros(len(ids), dtype=bool)
    )
    changed = ids[~same].tolist()
    fresh: list[Any] = []
    query = _query(columns, side).where(col(Profile.user_id).in_(bindparam("ids", expanding=True)))
    for start in range(0, len(changed), _CHUNK):
        fresh += session.execute(query, {"ids": changed[start : start + _CHUNK]}).all()
    parts = [snapshot.take(rows[same])]
    if fresh:
        parts.append(_pack(fresh))
    return Loaded.concat(parts) if len(parts) > 1 else parts[0]
