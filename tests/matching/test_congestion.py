"""Congestion prices and the congestion-aware order: properties of the equilibrium and of
`rank_page` with prices."""

import dataclasses

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching import congestion
from app.matching.features import build_pool
from app.matching.pairing import reachable_scores
from app.matching.scoring import rank_page, score_pool
from tests.matching.factories import person

PROPERTY = settings(max_examples=60, deadline=None)


def _identical_candidates(count: int):  # type: ignore[no-untyped-def]
    viewer = person(1, "teacher", ["natuurkunde"])
    base = person(100, "professional", ["werktuigbouwkunde"], place="delft")
    pool = build_pool([dataclasses.replace(base, user_id=100 + k) for k in range(count)])
    return build_pool([viewer]), pool


@PROPERTY
@given(
    prices=st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=2, max_size=12),
    limit=st.integers(1, 5),
)
def test_with_equal_scores_the_less_contested_never_ranks_lower(prices, limit) -> None:
    viewer, pool = _identical_candidates(len(prices))
    price = congestion.ordering_price(np.array(prices))
    everyone = np.ones(len(pool), dtype=bool)
    seen: list[int] = []
    after = None
    for _ in range(len(pool) + 1):
        page = rank_page(viewer, pool, everyone, limit=limit, after=after, price=price)
        assert len(set(page.scores.score.tolist())) <= 1  # equal scores, shown unchanged
        seen += page.rows.tolist()
        if not page.more:
            break
        after = (float(page.keys[-1]), int(pool.ids[page.rows[-1]]))
    # Page after page, every row once (no repeat, no skip), by price ascending.
    assert sorted(seen) == list(range(len(pool)))
    shown = np.round(price[seen], 6)
    assert all(a <= b for a, b in zip(shown, shown[1:], strict=False))


def _varied():  # type: ignore[no-untyped-def]
    viewer = person(1, "teacher", ["natuurkunde"], max_travel_km=60)
    places = ("rotterdam", "delft", "den-haag", "schiedam", "dordrecht", "gouda")
    subjects = (["werktuigbouwkunde"], ["data_ai"], ["sales"], ["transporttechniek"])
    candidates = [
        person(
            10 + k,
            "professional",
            subjects[k % 4],
            place=places[k % 6],
            max_travel_km=60,
            months=[1 + k % 12, 5],
        )
        for k in range(24)
    ]
    return build_pool([viewer]), build_pool(candidates)


@PROPERTY
@given(constant=st.floats(0.0, 1.0, allow_nan=False), limit=st.integers(1, 30))
def test_with_no_congestion_the_order_is_todays(constant, limit) -> None:
    viewer, pool = _varied()
    everyone = np.ones(len(pool), dtype=bool)
    today = rank_page(viewer, pool, everyone, limit=limit)
    zero = rank_page(viewer, pool, everyone, limit=limit, price=np.zeros(len(pool)))
    flat = rank_page(
        viewer,
        pool,
        everyone,
        limit=limit,
        price=congestion.ordering_price(np.full(len(pool), constant)),
    )
    assert zero.rows.tolist() == today.rows.tolist()
    np.testing.assert_array_equal(zero.keys, today.scores.score)
    # Everyone equally contested: the same order (the keys move by one constant).
    assert flat.rows.tolist() == today.rows.tolist()
    np.testing.assert_array_equal(flat.scores.score, today.scores.score)


@PROPERTY
@given(prices=st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=24, max_size=24))
def test_prices_only_order_the_scores_shown_stay_plain(prices) -> None:
    viewer, pool = _varied()
    everyone = np.ones(len(pool), dtype=bool)
    price = congestion.ordering_price(np.array(prices))
    page = rank_page(viewer, pool, everyone, limit=len(pool), price=price)
    full = score_pool(viewer, pool)
    np.testing.assert_allclose(page.scores.score, np.round(full.score[page.rows], 6))
    np.testing.assert_allclose(page.scores.breakdown, full.breakdown[page.rows])
    np.testing.assert_allclose(page.keys, np.round(full.score[page.rows] - price[page.rows], 6))
    keys = list(zip((-page.keys).tolist(), pool.ids[page.rows].tolist(), strict=True))
    assert keys == sorted(keys)


def _market(scores: list[list[float | None]]) -> sp.csr_matrix:
    dense = np.array([[s if s is not None else 0.0 for s in row] for row in scores])
    mask = np.array([[s is not None for s in row] for row in scores])
    r, c = np.nonzero(mask)
    return sp.csr_matrix((dense[r, c], (r, c)), shape=dense.shape)


def test_a_candidate_everyone_can_reach_costs_more_than_one_few_can() -> None:
    # Three teachers all reach professional 0; only teacher 2 reaches professional 1.
    market = _market([[0.6, None], [0.6, None], [0.6, 0.6]])
    result = congestion.equilibrium(market, temperature=0.1)
    assert result.residual < congestion.TOLERANCE
    assert result.professional_price[0] > result.professional_price[1] >= 0
    # The teacher who has an alternative faces the less contested one first.
    key = 0.6 - congestion.ordering_price(result.professional_price)
    assert key[1] > key[0]


def test_equilibrium_meets_everyones_capacity_and_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    dense = rng.random((30, 25))
    mask = rng.random((30, 25)) < 0.3
    r, c = np.nonzero(mask)
    market = sp.csr_matrix((dense[r, c], (r, c)), shape=dense.shape)
    first = congestion.equilibrium(market)
    again = congestion.equilibrium(market)
    np.testing.assert_array_equal(first.professional_price, again.professional_price)
    tau = congestion.TEMPERATURE
    a = np.exp(-first.teacher_price / (2 * tau))
    b = np.exp(-first.professional_price / (2 * tau))
    kernel = market.copy()
    kernel.data = np.exp(kernel.data / (2 * tau))
    mu = sp.diags(a) @ kernel @ sp.diags(b)
    # Each person is matched at most once: matched share + unmatched share = 1.
    np.testing.assert_allclose(a**2 + mu.sum(axis=1).A1, 1.0, atol=1e-4)
    np.testing.assert_allclose(b**2 + mu.sum(axis=0).A1, 1.0, atol=1e-4)
    assert (first.teacher_price >= 0).all() and (first.professional_price >= 0).all()
    # Warm-started from its own answer, it is done at once, with the same prices.
    warm = congestion.equilibrium(market, warm=(first.teacher_price, first.professional_price))
    assert warm.sweeps <= 10 < first.sweeps
    np.testing.assert_allclose(warm.professional_price, first.professional_price, atol=1e-4)


def test_reachable_scores_keeps_only_pairs_both_can_reach_and_not_forbidden() -> None:
    teachers = build_pool(
        [
            person(1, "teacher", ["natuurkunde"], place="rotterdam", max_travel_km=300),
            person(2, "teacher", ["wiskunde"], place="rotterdam", max_travel_km=20),
        ]
    )
    pros = build_pool(
        [
            person(10, "professional", ["data_ai"], place="delft", max_travel_km=30),
            person(11, "professional", ["sales"], place="utrecht", max_travel_km=300),
            person(12, "professional", ["sales"], place="groningen", max_travel_km=20),
        ]
    )
    matrix = reachable_scores(teachers, pros, {(1, 10)})
    # 1-10 forbidden; 1-11 both reach; 1-12 beyond 12's limit; 2-10 in reach; 2-11 and 2-12
    # beyond 2's limit.
    coo = matrix.tocoo()
    assert set(zip(coo.row.tolist(), coo.col.tolist(), strict=True)) == {(0, 1), (1, 0)}
    full = score_pool(teachers.take(np.array([0])), pros)
    assert matrix[0, 1] == full.score[1]
