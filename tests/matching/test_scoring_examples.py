"""Example-based tests of the ranking core, built on the source documents' own examples.

Everything here is plain data: participants are built by hand (see `factories.person`), packed
with `build_pool` and scored with the real scoring, ranking, pairing and explanation code.
"""

import itertools

import numpy as np
import pytest

from app.matching.explain import month_span, reasons
from app.matching.features import build_pool
from app.matching.pairing import best_pairing, score_matrix
from app.matching.scoring import rank, rank_page, score_pool
from tests.matching.factories import pair_breakdown, pair_score, person, score

SUBJECT, MOTIVATION, REGION, AVAILABILITY = range(4)
# Candidates who do not care about subject or region: their view of every viewer below is the
# same, so the viewer's own mode or weights decide the order.
INDIFFERENT = (0.0, 0.5, 0.0, 0.5)


# --- (a), (b): vakinhoudelijke match ---------------------------------------------------------


def test_physics_teacher_fits_tram_engineer_better_than_marketeer() -> None:
    teacher = person(1, "teacher", ["natuurkunde"], match_mode="subject")
    tram_engineer = person(
        2, "professional", ["werktuigbouwkunde", "transporttechniek"], match_mode="subject"
    )
    marketeer = person(3, "professional", ["marketing_communicatie"], match_mode="subject")

    result = score(teacher, [tram_engineer, marketeer])

    assert result.breakdown[0, SUBJECT] >= 0.85
    assert result.breakdown[1, SUBJECT] == pytest.approx(0.0, abs=1e-6)
    assert result.breakdown[0, SUBJECT] > result.breakdown[1, SUBJECT]
    assert result.score[0] > result.score[1]


def test_maths_teacher_and_it_person_have_high_subject_fit() -> None:
    teacher = person(1, "teacher", ["wiskunde"])
    it_person = person(2, "professional", ["it_software", "data_ai"])
    marketeer = person(3, "professional", ["marketing_communicatie"])

    fit = pair_breakdown(teacher, it_person)[SUBJECT]

    assert fit >= 0.8
    assert fit > pair_breakdown(teacher, marketeer)[SUBJECT]


# --- (c), (d): matchen op motivatie ------------------------------------------------------------


def test_shared_goals_give_clearly_higher_motivation() -> None:
    care_teacher = person(1, "teacher", ["zorg_welzijn"], goals=["hybrid_career", "other_world"])
    sales_lead = person(2, "professional", ["sales"], goals=["hybrid_career", "other_world"])
    other_lead = person(
        3,
        "professional",
        ["sales"],
        goals=["start_up", "challenge_myself"],
        outcomes=["career_step"],
    )

    result = score(care_teacher, [sales_lead, other_lead])

    assert result.breakdown[0, MOTIVATION] >= 0.5
    assert result.breakdown[1, MOTIVATION] == pytest.approx(0.0, abs=1e-9)
    assert result.breakdown[0, MOTIVATION] - result.breakdown[1, MOTIVATION] >= 0.4
    assert result.score[0] > result.score[1]


def test_complementary_goals_beat_unrelated_goals() -> None:
    teacher = person(1, "teacher", ["natuurkunde"], goals=["practice_in_lessons"], outcomes=[])
    complementary = person(
        2, "professional", ["natuurkunde"], goals=["teach_pupils_my_field"], outcomes=[]
    )
    unrelated = person(3, "professional", ["natuurkunde"], goals=["start_up"], outcomes=[])

    result = score(teacher, [complementary, unrelated])

    assert result.breakdown[1, MOTIVATION] == pytest.approx(0.0, abs=1e-9)
    assert result.breakdown[0, MOTIVATION] > result.breakdown[1, MOTIVATION]
    assert result.score[0] > result.score[1]


# --- (e): verrassingsmatch ----------------------------------------------------------------------


def test_surprise_teacher_prefers_far_field_subject_teacher_the_opposite() -> None:
    same_field = person(2, "professional", ["werktuigbouwkunde"], weights=INDIFFERENT)
    far_field = person(3, "professional", ["marketing_communicatie"], weights=INDIFFERENT)

    surprise = person(1, "teacher", ["natuurkunde"], match_mode="surprise")
    subject = person(1, "teacher", ["natuurkunde"], match_mode="subject")

    seen_by_surprise = score(surprise, [same_field, far_field]).score
    seen_by_subject = score(subject, [same_field, far_field]).score

    assert seen_by_surprise[1] > seen_by_surprise[0]
    assert seen_by_subject[0] > seen_by_subject[1]


def test_surprise_teacher_prefers_far_field_against_default_candidates() -> None:
    surprise = person(1, "teacher", ["natuurkunde"], match_mode="surprise")
    same_field = person(2, "professional", ["werktuigbouwkunde"])
    far_field = person(3, "professional", ["marketing_communicatie"])

    seen = score(surprise, [same_field, far_field]).score

    assert seen[1] > seen[0]


# --- (f): explicit weights override the mode ---------------------------------------------------


def test_explicit_weights_override_the_mode() -> None:
    near = person(2, "professional", ["marketing_communicatie"], weights=INDIFFERENT)
    perfect_fit_farther = person(
        3, "professional", ["natuurkunde"], place="delft", weights=INDIFFERENT
    )
    pool = build_pool([near, perfect_fit_farther])
    everyone = np.ones(len(pool), dtype=bool)

    by_mode = person(1, "teacher", ["natuurkunde"], match_mode="subject")
    by_weights = person(
        1, "teacher", ["natuurkunde"], match_mode="subject", weights=(0.0, 0.0, 1.0, 0.0)
    )

    first_by_mode = rank_page(build_pool([by_mode]), pool, everyone, limit=1)
    first_by_weights = rank_page(build_pool([by_weights]), pool, everyone, limit=1)

    assert pool.ids[first_by_mode.rows[0]] == 3
    assert pool.ids[first_by_weights.rows[0]] == 2


# --- (g): reciprocity -------------------------------------------------------------------------


def test_reciprocal_score_falls_towards_the_reluctant_side() -> None:
    region_only = (0.0, 0.0, 1.0, 0.0)
    viewer = person(1, "teacher", max_travel_km=50, weights=region_only)
    # Lives in Schiedam (same region, a few km away) but will travel at most 1 km.
    reluctant = person(2, "professional", place="schiedam", max_travel_km=1, weights=region_only)

    combined = pair_score(viewer, reluctant)
    # Each directional view, read as the combined score of a pair where both sides see it alike.
    keen = person(2, "professional", place="schiedam", max_travel_km=50, weights=region_only)
    mine = pair_score(viewer, keen)
    theirs = pair_score(person(1, "teacher", max_travel_km=1, weights=region_only), reluctant)

    assert mine > 0.8
    assert theirs < 0.2
    assert min(mine, theirs) <= combined <= max(mine, theirs)
    assert combined < mine
    assert combined <= 2 * min(mine, theirs)  # harmonic mean: never more than twice the lower
    assert combined == pytest.approx(2 * mine * theirs / (mine + theirs), abs=1e-9)
    assert combined < (mine + theirs) / 2  # lower than the arithmetic mean would give


# --- (h): reasons -----------------------------------------------------------------------------


def test_reasons_are_dutch_and_name_the_shared_region() -> None:
    teacher = person(1, "teacher", ["natuurkunde"], goals=["hybrid_career"])
    engineer = person(
        2, "professional", ["werktuigbouwkunde"], place="schiedam", goals=["hybrid_career"]
    )
    result = score(teacher, [engineer])

    texts = reasons(teacher, engineer, result, 0)

    assert 1 <= len(texts) <= 4
    assert all(isinstance(text, str) and text for text in texts)
    assert any("regio Rotterdam" in text for text in texts)
    assert any("jan–jun" in text for text in texts)
    assert any("Natuurkunde sluit aan bij werktuigbouwkunde" in text for text in texts)
    assert any("Jullie willen allebei" in text for text in texts)


def test_reasons_for_different_regions_give_the_distance() -> None:
    teacher = person(1, "teacher", ["natuurkunde"], max_travel_km=100)
    engineer = person(2, "professional", ["werktuigbouwkunde"], place="amsterdam")
    result = score(teacher, [engineer])

    texts = reasons(teacher, engineer, result, 0)

    assert 1 <= len(texts) <= 4
    assert not any("regio" in text for text in texts)
    assert any(text.endswith("km van elkaar") for text in texts)


def test_reasons_for_a_surprise_match_say_so() -> None:
    teacher = person(1, "teacher", ["natuurkunde"], match_mode="surprise")
    marketeer = person(2, "professional", ["marketing_communicatie"])
    result = score(teacher, [marketeer])

    texts = reasons(teacher, marketeer, result, 0)

    assert any(text.startswith("Verrassingsmatch") for text in texts)


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        ([1, 2, 3, 4, 5, 6], "jan–jun"),
        ([6, 5, 4, 3, 2, 1], "jan–jun"),
        ([9, 10, 11, 12], "sep–dec"),
        ([1, 3, 9], "jan, mrt, sep"),
        ([4, 5], "apr, mei"),
        ([12], "dec"),
    ],
)
def test_month_span(months: list[int], expected: str) -> None:
    assert month_span(months) == expected


# --- (i): rank_page ---------------------------------------------------------------------------

PLACES = ("rotterdam", "schiedam", "delft", "dordrecht", "den-haag", "utrecht", "groningen")
SUBJECTS = (
    ["werktuigbouwkunde"],
    ["marketing_communicatie"],
    ["data_ai"],
    ["transporttechniek", "sales"],
    ["zorg_welzijn"],
)


def _feed_fixture():  # type: ignore[no-untyped-def]
    """A viewer in Rotterdam (max 40 km) and 40 professionals, among them a block of identical
    profiles (equal scores) listed in scrambled id order, some far away, some ineligible."""
    viewer = person(1, "teacher", ["natuurkunde"], max_travel_km=40)
    candidates = []
    for k in range(30):
        candidates.append(
            person(
                100 + (k * 7) % 30,
                "professional",
                SUBJECTS[k % len(SUBJECTS)],
                place=PLACES[k % len(PLACES)],
                max_travel_km=10 + 5 * (k % 8),
                months=[1 + (k % 12), 1 + ((k + 3) % 12), 5],
                hours_per_month=2 + (k % 9),
                goals=["other_world", "hybrid_career", "start_up"][: 1 + k % 3],
            )
        )
    for user_id in (209, 203, 207, 201, 205, 202, 208, 204, 206, 200):
        candidates.append(person(user_id, "professional", ["werktuigbouwkunde"], place="delft"))
    pool = build_pool(candidates)
    eligible = np.ones(len(pool), dtype=bool)
    eligible[[3, 11, 17, 25]] = False
    return viewer, pool, eligible


def _expected_order(viewer, pool, eligible) -> list[int]:  # type: ignore[no-untyped-def]
    full = score_pool(build_pool([viewer]), pool)
    rows = [
        row
        for row in range(len(pool))
        if eligible[row]
        and full.distance_km[row] <= min(viewer.max_travel_km, float(pool.max_travel[row]))
    ]
    rows.sort(key=lambda row: (-round(float(full.score[row]), 6), int(pool.ids[row])))
    return [int(pool.ids[row]) for row in rows]


def test_rank_page_walks_the_whole_feed_without_overlap_or_gaps() -> None:
    viewer, pool, eligible = _feed_fixture()
    expected = _expected_order(viewer, pool, eligible)
    seen: list[int] = []
    after = None
    for _ in range(len(pool)):
        page = rank_page(build_pool([viewer]), pool, eligible, limit=4, after=after)
        ids = [int(pool.ids[row]) for row in page.rows]
        assert len(ids) <= 4
        if page.more:
            assert len(ids) == 4
        seen.extend(ids)
        if not page.more:
            break
        after = (float(page.scores.score[-1]), ids[-1])

    assert seen == expected
    assert len(set(seen)) == len(seen)
    # The fixture really exercises what it should: equal scores, reach, eligibility.
    assert set(range(200, 210)) <= set(seen)
    assert 0 < len(seen) < int(eligible.sum())


def test_rank_page_orders_by_score_then_id() -> None:
    viewer, pool, eligible = _feed_fixture()
    page = rank_page(build_pool([viewer]), pool, eligible, limit=len(pool))
    keys = [
        (-float(s), int(pool.ids[row])) for s, row in zip(page.scores.score, page.rows, strict=True)
    ]

    assert keys == sorted(keys)
    assert not page.more
    tied = [int(pool.ids[row]) for row in page.rows if 200 <= pool.ids[row] < 210]
    assert tied == list(range(200, 210))


def test_rank_orders_by_score_then_id() -> None:
    viewer, pool, _ = _feed_fixture()
    full = score_pool(build_pool([viewer]), pool)

    order = rank(full, pool.ids)

    keys = [(-round(float(full.score[row]), 6), int(pool.ids[row])) for row in order]
    assert keys == sorted(keys)
    assert sorted(order.tolist()) == list(range(len(pool)))


def test_rank_page_scores_match_score_pool() -> None:
    viewer, pool, eligible = _feed_fixture()
    full = score_pool(build_pool([viewer]), pool)
    page = rank_page(build_pool([viewer]), pool, eligible, limit=7)

    np.testing.assert_allclose(page.scores.score, np.round(full.score[page.rows], 6))
    np.testing.assert_allclose(page.scores.breakdown, full.breakdown[page.rows])
    np.testing.assert_allclose(page.scores.distance_km, full.distance_km[page.rows])


def test_rank_page_limit_and_more() -> None:
    viewer, pool, eligible = _feed_fixture()
    total = len(_expected_order(viewer, pool, eligible))

    exact = rank_page(build_pool([viewer]), pool, eligible, limit=total)
    one_short = rank_page(build_pool([viewer]), pool, eligible, limit=total - 1)
    one = rank_page(build_pool([viewer]), pool, eligible, limit=1)

    assert len(exact.rows) == total and not exact.more
    assert len(one_short.rows) == total - 1 and one_short.more
    assert len(one.rows) == 1 and one.more


def test_rank_page_skips_ineligible_and_out_of_reach() -> None:
    viewer, pool, eligible = _feed_fixture()
    page = rank_page(build_pool([viewer]), pool, eligible, limit=len(pool))
    full = score_pool(build_pool([viewer]), pool)

    assert all(eligible[row] for row in page.rows)
    assert all(full.distance_km[row] <= 40 for row in page.rows)
    # Nor anyone whose own max_travel_km excludes the viewer (their deck never shows them).
    assert all(full.distance_km[row] <= pool.max_travel[row] for row in page.rows)
    theirs_too_short = {
        row
        for row in range(len(pool))
        if eligible[row] and pool.max_travel[row] < full.distance_km[row] <= 40
    }
    assert theirs_too_short and theirs_too_short.isdisjoint(page.rows.tolist())
    # Groningen and Utrecht are beyond 40 km from Rotterdam; those rows are never shown.
    far = {row for row in range(len(pool)) if full.distance_km[row] > 40}
    assert far and far.isdisjoint(page.rows.tolist())
    ineligible = set(np.flatnonzero(~eligible).tolist())
    assert ineligible.isdisjoint(page.rows.tolist())


def test_rank_page_past_the_end_is_empty() -> None:
    viewer, pool, eligible = _feed_fixture()
    last = rank_page(build_pool([viewer]), pool, eligible, limit=len(pool))
    after = (float(last.scores.score[-1]), int(pool.ids[last.rows[-1]]))

    beyond = rank_page(build_pool([viewer]), pool, eligible, limit=5, after=after)

    assert len(beyond.rows) == 0 and not beyond.more


# --- (j): best_pairing ------------------------------------------------------------------------


def _greedy_trap():  # type: ignore[no-untyped-def]
    """Three teachers and three professionals where taking the best pair first is not optimal:
    the versatile teacher (physics and maths) grabs the engineer, leaving the physics-only teacher
    with the data scientist."""
    teachers = [
        person(1, "teacher", ["natuurkunde", "wiskunde"], goals=["practice_in_lessons"]),
        person(2, "teacher", ["natuurkunde"], goals=["other_world"]),
        person(3, "teacher", ["zorg_welzijn"], goals=["challenge_myself"]),
    ]
    professionals = [
        person(11, "professional", ["werktuigbouwkunde"], goals=["teach_pupils_my_field"]),
        person(12, "professional", ["data_ai"], goals=["hybrid_career"]),
        person(13, "professional", ["gezondheidszorg"], goals=["start_up"]),
    ]
    return build_pool(teachers), build_pool(professionals)


def _greedy_total(matrix: np.ndarray) -> float:
    left = matrix.copy()
    total = 0.0
    for _ in range(min(matrix.shape)):
        r, c = np.unravel_index(np.argmax(left), left.shape)
        total += float(matrix[r, c])
        left[r, :] = -np.inf
        left[:, c] = -np.inf
    return total


def _best_by_brute_force(matrix: np.ndarray) -> float:
    n = matrix.shape[0]
    return max(sum(matrix[r, p[r]] for r in range(n)) for p in itertools.permutations(range(n)))


def test_best_pairing_beats_greedy_and_equals_brute_force() -> None:
    teachers, professionals = _greedy_trap()
    matrix, _, _ = score_matrix(teachers, professionals)
    assert (matrix >= 0).all()  # everyone within reach of everyone
    optimum = _best_by_brute_force(matrix)
    assert _greedy_total(matrix) < optimum - 0.01  # the trap is real

    pairs = best_pairing(teachers, professionals)

    assert len(pairs) == 3
    assert len({p.teacher_id for p in pairs}) == 3
    assert len({p.professional_id for p in pairs}) == 3
    assert sum(p.score for p in pairs) == pytest.approx(optimum, abs=1e-5)
    assert {(p.teacher_id, p.professional_id) for p in pairs} == {(1, 12), (2, 11), (3, 13)}
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_best_pairing_never_proposes_forbidden_pairs() -> None:
    teachers, professionals = _greedy_trap()
    forbidden = {(1, 12), (3, 13)}

    pairs = best_pairing(teachers, professionals, forbidden)

    chosen = {(p.teacher_id, p.professional_id) for p in pairs}
    assert chosen.isdisjoint(forbidden)
    assert len(pairs) == 3  # a complete allowed pairing exists and is found here
    matrix, _, _ = score_matrix(teachers, professionals)
    allowed = matrix.copy()
    allowed[0, 1] = allowed[2, 2] = -np.inf
    assert sum(p.score for p in pairs) == pytest.approx(_best_by_brute_force(allowed), abs=1e-5)


def test_best_pairing_respects_both_travel_limits() -> None:
    teachers = build_pool(
        [
            person(1, "teacher", ["natuurkunde"], max_travel_km=300),
            person(2, "teacher", ["wiskunde"], max_travel_km=15),
        ]
    )
    professionals = build_pool(
        [
            # Perfect for teacher 1 and within 1's reach, but will travel only 5 km.
            person(11, "professional", ["natuurkunde"], place="groningen", max_travel_km=5),
            # Delft is within 15 km of Rotterdam, Utrecht is not.
            person(12, "professional", ["data_ai"], place="delft", max_travel_km=300),
            person(13, "professional", ["werktuigbouwkunde"], place="utrecht", max_travel_km=300),
        ]
    )
    _, _, distance = score_matrix(teachers, professionals)
    limits = {1: 300, 2: 15, 11: 5, 12: 300, 13: 300}

    pairs = best_pairing(teachers, professionals)

    assert pairs  # someone is paired
    for pair in pairs:
        reach = min(limits[pair.teacher_id], limits[pair.professional_id])
        assert pair.distance_km <= reach
        assert pair.professional_id != 11
    assert distance[1, 2] > 15  # teacher 2 cannot reach Utrecht
    assert (2, 13) not in {(p.teacher_id, p.professional_id) for p in pairs}


def test_best_pairing_empty_sides() -> None:
    teachers, professionals = _greedy_trap()
    assert best_pairing(teachers.take(np.array([], dtype=np.intp)), professionals) == []
    assert best_pairing(teachers, professionals.take(np.array([], dtype=np.intp))) == []


def test_best_pairing_maximises_the_total_over_allowed_pairs_only() -> None:
    """Forbidden pairs are worth nothing: the answer is the best total over allowed pairs,
    even when that leaves someone unpaired (here 1–11 + 2–12 beats the complete 1–12, 2–13,
    3–11)."""
    first_half, second_half = (1, 2, 3, 4, 5, 6), (7, 8, 9, 10, 11, 12)
    teachers = build_pool(
        [
            person(1, "teacher", ["natuurkunde"], goals=["hybrid_career"], max_travel_km=100),
            person(
                2,
                "teacher",
                ["zorg_welzijn"],
                place="amsterdam",
                goals=["other_world"],
                outcomes=["broader_network"],
                months=second_half,
                max_travel_km=100,
            ),
            person(
                3,
                "teacher",
                ["geschiedenis"],
                place="utrecht",
                goals=["start_up"],
                outcomes=["career_step"],
                months=second_half,
                max_travel_km=100,
            ),
        ]
    )
    professionals = build_pool(
        [
            person(11, "professional", ["werktuigbouwkunde"], goals=["hybrid_career"]),
            person(
                12,
                "professional",
                ["gezondheidszorg"],
                place="amsterdam",
                goals=["other_world"],
                outcomes=["broader_network"],
                months=second_half,
            ),
            person(
                13,
                "professional",
                ["it_software"],
                place="utrecht",
                goals=["lasting_cooperation"],
                outcomes=["self_knowledge"],
                months=first_half,
            ),
        ]
    )
    professionals.max_travel[:] = 100
    # Only one complete allowed pairing is left: 1–12, 2–13, 3–11.
    forbidden = {(3, 13), (1, 13), (2, 11), (3, 12)}
    matrix, _, _ = score_matrix(teachers, professionals)
    assert (matrix >= 0).all()

    pairs = best_pairing(teachers, professionals, forbidden)

    t_ids, p_ids = [1, 2, 3], [11, 12, 13]
    best = max(
        sum(matrix[i, j] for i, j in enumerate(perm) if (t_ids[i], p_ids[j]) not in forbidden)
        for perm in itertools.permutations(range(3))
    )
    chosen = {(p.teacher_id, p.professional_id) for p in pairs}
    assert not chosen & forbidden
    assert sum(p.score for p in pairs) == pytest.approx(best, abs=1e-5)
    complete = matrix[0, 1] + matrix[1, 2] + matrix[2, 0]
    assert sum(p.score for p in pairs) >= complete
