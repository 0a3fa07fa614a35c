"""Property tests of the ranking core: ranges, symmetry, monotonicity, weights, determinism."""

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.matching.features import COMPLEMENTARY_GOALS, MODES, Participant, build_pool
from app.matching.pairing import best_pairing, score_matrix
from app.matching.scoring import rank, rank_page, score_pool
from app.vocabulary import get_vocabulary, subject_relatedness
from tests.matching.factories import pair_score, person, score

VOCAB = get_vocabulary()
SUBJECT_CODES = sorted(VOCAB.subject_codes)
GOAL_CODES = sorted(VOCAB.goal_codes)
OUTCOME_CODES = sorted(VOCAB.outcome_codes)
PLACE_CODES = sorted(VOCAB.places)
# Goals that take part in some complementary pair, and those that do not.
COMPLEMENTING = sorted({goal for pair in COMPLEMENTARY_GOALS for goal in pair})
PLAIN_GOALS = sorted(set(GOAL_CODES) - set(COMPLEMENTING))
EDUCATIONS = (
    None,
    "HBO Werktuigbouwkunde",
    "WO Informatica",
    "MBO Verpleegkunde",
    "WO Natuurkunde",
    "Lerarenopleiding Economie",
    "Pabo",
)

PROPERTY = settings(max_examples=100, deadline=None)

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weights_strategy = st.one_of(
    st.none(),
    st.tuples(unit, unit, unit, unit).filter(lambda w: sum(w) > 0.01),
)


def months_strategy(min_size: int = 1) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 12), min_size=min_size, max_size=12, unique=True)


@st.composite
def participants(
    draw: st.DrawFn,
    user_id: int | None = None,
    goals: st.SearchStrategy[list[str]] | None = None,
    modes: tuple[str, ...] = MODES,
) -> Participant:
    where = VOCAB.places[draw(st.sampled_from(PLACE_CODES))]
    return Participant(
        user_id=draw(st.integers(1, 10**6)) if user_id is None else user_id,
        side=draw(st.sampled_from(("teacher", "professional"))),
        subjects=tuple(
            draw(st.lists(st.sampled_from(SUBJECT_CODES), min_size=1, max_size=4, unique=True))
        ),
        lat=where.lat,
        lon=where.lon,
        region=where.region,
        max_travel_km=float(draw(st.integers(1, 300))),
        hours_per_month=draw(st.floats(1.0, 40.0, allow_nan=False)),
        months=tuple(draw(months_strategy())),
        duration_months=draw(st.integers(3, 6)),
        goals=tuple(
            draw(
                goals
                if goals is not None
                else st.lists(st.sampled_from(GOAL_CODES), min_size=1, max_size=5, unique=True)
            )
        ),
        outcomes=tuple(
            draw(st.lists(st.sampled_from(OUTCOME_CODES), min_size=0, max_size=4, unique=True))
        ),
        match_mode=draw(st.sampled_from(modes)),
        weights=draw(weights_strategy),
        education=draw(st.sampled_from(EDUCATIONS)),
    )


# At most one goal that takes part in a complementary pair (see the symmetry tests).
@st.composite
def goals_with_one_complementing(draw: st.DrawFn) -> list[str]:
    plain = draw(st.lists(st.sampled_from(PLAIN_GOALS), min_size=0, max_size=3, unique=True))
    extra = draw(st.lists(st.sampled_from(COMPLEMENTING), min_size=0, max_size=1))
    return plain + extra or [PLAIN_GOALS[0]]


def at_place(p: Participant, place: str) -> Participant:
    where = VOCAB.places[place]
    return dataclasses.replace(p, lat=where.lat, lon=where.lon, region=where.region)


def same_place_as(p: Participant, other: Participant) -> Participant:
    return dataclasses.replace(p, lat=other.lat, lon=other.lon, region=other.region)


# --- ranges -----------------------------------------------------------------------------------


@PROPERTY
@given(viewer=participants(), candidates=st.lists(participants(), min_size=1, max_size=8))
def test_every_score_and_breakdown_is_in_the_unit_interval(
    viewer: Participant, candidates: list[Participant]
) -> None:
    result = score(viewer, candidates)

    assert result.score.shape == (len(candidates),)
    assert result.breakdown.shape == (len(candidates), 4)
    for values in (result.score, result.breakdown, result.subject_fit):
        assert np.isfinite(values).all()
        assert ((values >= 0.0) & (values <= 1.0)).all()
    assert (result.distance_km >= 0.0).all()


# --- symmetry ---------------------------------------------------------------------------------


def _assert_symmetric(a: Participant, b: Participant) -> None:
    a_sees_b = score(a, [b])
    b_sees_a = score(b, [a])
    assert abs(float(a_sees_b.score[0]) - float(b_sees_a.score[0])) <= 1e-9
    np.testing.assert_allclose(a_sees_b.breakdown[0], b_sees_a.breakdown[0], rtol=0, atol=1e-9)
    assert abs(float(a_sees_b.distance_km[0]) - float(b_sees_a.distance_km[0])) <= 1e-9


@PROPERTY
@given(
    a=participants(goals=goals_with_one_complementing()),
    b=participants(goals=goals_with_one_complementing()),
)
def test_score_is_symmetric(a: Participant, b: Participant) -> None:
    """A viewing B scores the same as B viewing A (goals limited to at most one complementing
    goal each; the general case is the test below)."""
    _assert_symmetric(a, b)


@PROPERTY
@given(a=participants(), b=participants())
@example(
    a=person(1, "teacher", goals=["practice_in_lessons"]),
    b=person(2, "professional", goals=["teach_pupils_my_field", "show_company_to_pupils"]),
)
def test_score_is_symmetric_for_any_goals(a: Participant, b: Participant) -> None:
    _assert_symmetric(a, b)


# --- monotonicity -----------------------------------------------------------------------------


@PROPERTY
@given(viewer=participants(), candidate=participants(), far=st.sampled_from(PLACE_CODES))
def test_moving_closer_never_lowers_the_score(
    viewer: Participant, candidate: Participant, far: str
) -> None:
    near = pair_score(viewer, same_place_as(candidate, viewer))
    away = pair_score(viewer, at_place(candidate, far))

    assert near >= away - 1e-12


def without(months: tuple[int, ...], month: int) -> tuple[int, ...]:
    """The months without `month`, never empty (the next month instead)."""
    return tuple(m for m in months if m != month) or (month % 12 + 1,)


@PROPERTY
@given(viewer=participants(), candidate=participants(), data=st.data())
def test_a_shared_month_never_lowers_the_score(
    viewer: Participant, candidate: Participant, data: st.DataObject
) -> None:
    month = data.draw(st.sampled_from(viewer.months))
    candidate = dataclasses.replace(candidate, months=without(candidate.months, month))
    more = dataclasses.replace(candidate, months=(*candidate.months, month))

    assert pair_score(viewer, more) >= pair_score(viewer, candidate) - 1e-12


@PROPERTY
@given(viewer=participants(), candidate=participants(), month=st.integers(1, 12))
def test_a_month_both_add_never_lowers_the_score(
    viewer: Participant, candidate: Participant, month: int
) -> None:
    viewer = dataclasses.replace(viewer, months=without(viewer.months, month))
    candidate = dataclasses.replace(candidate, months=without(candidate.months, month))
    viewer_more = dataclasses.replace(viewer, months=(*viewer.months, month))
    candidate_more = dataclasses.replace(candidate, months=(*candidate.months, month))

    before = pair_score(viewer, candidate)
    after = pair_score(viewer_more, candidate_more)

    assert after >= before - 1e-12


# --- weights ----------------------------------------------------------------------------------


SPREAD_OUT = ("rotterdam", "amsterdam", "groningen", "eindhoven", "utrecht", "maastricht")


@PROPERTY
@given(
    viewer=participants(user_id=1, modes=("subject", "balanced")),
    far_index=st.integers(0, len(SPREAD_OUT) - 1),
    their_weights=st.tuples(st.floats(0.05, 1.0), unit),
)
def test_weights_decide_between_subject_and_proximity(
    viewer: Participant, far_index: int, their_weights: tuple[float, float]
) -> None:
    """X shares the viewer's subjects but lives elsewhere; Y has an unrelated subject and lives
    in the viewer's place. An all-subject viewer ranks X first, an all-region viewer Y."""
    viewer = dataclasses.replace(viewer, education=None)
    unrelated = [
        code
        for code in SUBJECT_CODES
        if all(subject_relatedness(code, mine) == 0.0 for mine in viewer.subjects)
    ]
    assume(unrelated)
    wm, wa = their_weights
    # Both candidates see the viewer alike: they weigh only motivation and availability, and
    # share the viewer's goals and availability.
    base = dataclasses.replace(
        viewer, side="professional", match_mode="balanced", weights=(0.0, wm, 0.0, wa)
    )
    # X lives at least 5 km away (the spread-out places are far apart, so at most one of them
    # is nearer than that to the viewer).
    elsewhere = [
        x
        for x in (at_place(dataclasses.replace(base, user_id=2), place) for place in SPREAD_OUT)
        if float(score(viewer, [x]).distance_km[0]) >= 5.0
    ]
    x = elsewhere[far_index % len(elsewhere)]
    y = dataclasses.replace(base, user_id=3, subjects=(unrelated[0],))
    pool = build_pool([x, y])

    subject_only = dataclasses.replace(viewer, weights=(1.0, 0.0, 0.0, 0.0))
    region_only = dataclasses.replace(viewer, weights=(0.0, 0.0, 1.0, 0.0))
    by_subject = score_pool(build_pool([subject_only]), pool)
    by_region = score_pool(build_pool([region_only]), pool)

    assert pool.ids[rank(by_subject, pool.ids)[0]] == 2
    assert pool.ids[rank(by_region, pool.ids)[0]] == 3


# --- determinism and independence of rows ------------------------------------------------------


@PROPERTY
@given(viewer=participants(), candidates=st.lists(participants(), min_size=1, max_size=8))
def test_same_input_same_output(viewer: Participant, candidates: list[Participant]) -> None:
    first = score_pool(build_pool([viewer]), build_pool(candidates))
    second = score_pool(build_pool([viewer]), build_pool(candidates))

    for name in ("score", "breakdown", "distance_km", "subject_fit"):
        assert np.array_equal(getattr(first, name), getattr(second, name))

    pool = build_pool(candidates)
    everyone = np.ones(len(pool), dtype=bool)
    page_1 = rank_page(build_pool([viewer]), pool, everyone, limit=3)
    page_2 = rank_page(build_pool([viewer]), pool, everyone, limit=3)
    assert np.array_equal(page_1.rows, page_2.rows)
    assert np.array_equal(page_1.scores.score, page_2.scores.score)
    assert page_1.more == page_2.more


@PROPERTY
@given(
    viewer=participants(),
    candidates=st.lists(participants(), min_size=1, max_size=8),
    data=st.data(),
)
def test_a_row_scores_the_same_alone_or_in_any_pool_order(
    viewer: Participant, candidates: list[Participant], data: st.DataObject
) -> None:
    together = score(viewer, candidates)
    order = data.draw(st.permutations(range(len(candidates))))
    shuffled = score(viewer, [candidates[i] for i in order])

    for k, candidate in enumerate(candidates):
        alone = score(viewer, [candidate])
        assert together.score[k] == pytest.approx(float(alone.score[0]), abs=1e-12)
        np.testing.assert_allclose(together.breakdown[k], alone.breakdown[0], atol=1e-12)
    np.testing.assert_allclose(shuffled.score, together.score[list(order)], atol=1e-12)


# --- paging -----------------------------------------------------------------------------------


@PROPERTY
@given(
    viewer=participants(user_id=1),
    candidates=st.lists(participants(), min_size=0, max_size=20, unique_by=lambda p: p.user_id),
    duplicates=st.integers(0, 5),
    eligible_bits=st.lists(st.booleans(), min_size=25, max_size=25),
    limit=st.integers(1, 6),
)
def test_paging_yields_the_full_order_exactly_once(
    viewer: Participant,
    candidates: list[Participant],
    duplicates: int,
    eligible_bits: list[bool],
    limit: int,
) -> None:
    # Equal copies of one profile (new ids) so that equal scores straddle page boundaries.
    if candidates:
        top = max(p.user_id for p in candidates)
        candidates = candidates + [
            dataclasses.replace(candidates[0], user_id=top + 1 + k) for k in range(duplicates)
        ]
    pool = build_pool(candidates)
    eligible = np.array(eligible_bits[: len(pool)], dtype=bool)
    me = build_pool([viewer])

    full = score_pool(me, pool)
    expected_rows = [
        r
        for r in range(len(pool))
        if eligible[r]
        and full.distance_km[r] <= min(viewer.max_travel_km, float(pool.max_travel[r]))
    ]
    expected_rows.sort(key=lambda r: (-round(float(full.score[r]), 6), int(pool.ids[r])))
    expected = [int(pool.ids[r]) for r in expected_rows]

    seen: list[int] = []
    after = None
    for _ in range(len(pool) + 1):
        page = rank_page(me, pool, eligible, limit=limit, after=after)
        assert len(page.rows) <= limit
        assert not page.more or len(page.rows) == limit
        seen.extend(int(pool.ids[r]) for r in page.rows)
        if not page.more:
            break
        after = (float(page.scores.score[-1]), int(pool.ids[page.rows[-1]]))

    assert seen == expected


# --- pairing ----------------------------------------------------------------------------------

NEARBY = ("rotterdam", "schiedam", "delft", "den-haag", "dordrecht", "gouda", "leiden")


@PROPERTY
@given(
    teachers=st.lists(participants(), min_size=1, max_size=4),
    professionals=st.lists(participants(), min_size=1, max_size=4),
    places=st.lists(st.sampled_from(NEARBY), min_size=8, max_size=8),
)
def test_best_pairing_total_equals_brute_force(
    teachers: list[Participant], professionals: list[Participant], places: list[str]
) -> None:
    # Everyone within reach of everyone: all pairs allowed.
    teachers = [
        dataclasses.replace(at_place(p, places[k]), user_id=1 + k, max_travel_km=300.0)
        for k, p in enumerate(teachers)
    ]
    professionals = [
        dataclasses.replace(at_place(p, places[4 + k]), user_id=100 + k, max_travel_km=300.0)
        for k, p in enumerate(professionals)
    ]
    t_pool, p_pool = build_pool(teachers), build_pool(professionals)
    matrix, _, _ = score_matrix(t_pool, p_pool)
    assert (matrix >= 0).all()
    size = min(matrix.shape)
    if matrix.shape[0] <= matrix.shape[1]:
        optimum = max(
            sum(matrix[r, cols[r]] for r in range(size))
            for cols in itertools.permutations(range(matrix.shape[1]), size)
        )
    else:
        optimum = max(
            sum(matrix[rows[c], c] for c in range(size))
            for rows in itertools.permutations(range(matrix.shape[0]), size)
        )

    pairs = best_pairing(t_pool, p_pool)

    assert len(pairs) == size
    assert len({p.teacher_id for p in pairs}) == size
    assert len({p.professional_id for p in pairs}) == size
    assert sum(p.score for p in pairs) == pytest.approx(optimum, abs=1e-5)


@PROPERTY
@given(
    teachers=st.lists(participants(), min_size=1, max_size=4),
    professionals=st.lists(participants(), min_size=1, max_size=4),
    forbidden_bits=st.lists(st.booleans(), min_size=16, max_size=16),
)
def test_best_pairing_never_proposes_forbidden_or_unreachable_pairs(
    teachers: list[Participant], professionals: list[Participant], forbidden_bits: list[bool]
) -> None:
    teachers = [dataclasses.replace(p, user_id=1 + k) for k, p in enumerate(teachers)]
    professionals = [dataclasses.replace(p, user_id=100 + k) for k, p in enumerate(professionals)]
    forbidden = {
        (t.user_id, p.user_id)
        for (i, t), (j, p) in itertools.product(enumerate(teachers), enumerate(professionals))
        if forbidden_bits[4 * i + j]
    }
    travel = {p.user_id: p.max_travel_km for p in teachers + professionals}

    pairs = best_pairing(build_pool(teachers), build_pool(professionals), forbidden)

    assert len({p.teacher_id for p in pairs}) == len(pairs)
    assert len({p.professional_id for p in pairs}) == len(pairs)
    for pair in pairs:
        assert (pair.teacher_id, pair.professional_id) not in forbidden
        assert pair.distance_km <= min(travel[pair.teacher_id], travel[pair.professional_id])
        assert 0.0 <= pair.score <= 1.0
