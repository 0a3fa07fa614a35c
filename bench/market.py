"""A matching-market simulator for the swipe deck (a benchmark, not a test).

Participants come from `jobtinder seed`'s generator (`app.seed._people`); every deck is
ranked by the real ranking code (`app.matching.scoring.rank_page`, the function the feed
calls, with the feed's exclusions), and congestion prices by the real
`app.matching.congestion.equilibrium` over `app.matching.pairing.reachable_scores` (what
`jobtinder tick` runs), recomputed once a day and warm-started.

The hidden model. Whether viewer v likes candidate c is decided by a like probability nobody
in the service knows:

    logit P(v likes c) = logit(like_rate) + score_weight * z(own_vc) + pop_c + taste_vc

with own_vc the service's one-directional score of c for v (`Scores.own`), standardised over
all pairs; pop_c ~ N(0, popularity_spread) a candidate's popularity, shared by every viewer;
taste_vc ~ N(0, taste_spread) the viewer's personal taste. Every day each free participant
opens the app with probability `attention`, is shown the top `cards` cards of their deck and
looks at the card in position k (1-based) with probability 1 / log2(k + 1) (position bias);
each card looked at is liked or passed. A like on someone who liked you while both are free is
a match; both leave the market (one ongoing match each). Deterministic by seed: every random
number is drawn up front from the seed, and the same numbers (who opens the app, who looks at
which position, whether v likes c) serve every strategy.

Strategies: `today` (the deck before issue 19: own travel limit only, passers shown, no
prices), `no-dead-cards` (both travel limits, no one who passed on me), `congestion`
(no dead cards, ordered by score minus the congestion price).

    .venv/bin/python bench/market.py --per-side 100 --seeds 1 2 3 4
    .venv/bin/python bench/market.py --per-side 1000 --attention 0.3 --seeds 1 2 3 4
"""

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.matching import congestion  # noqa: E402
from app.matching.features import Participant, Pool, build_pool  # noqa: E402
from app.matching.pairing import best_pairing, reachable_scores  # noqa: E402
from app.matching.scoring import rank_page, score_pool  # noqa: E402
from app.seed import _people  # noqa: E402
from app.services.feature_store import participant_from  # noqa: E402

STRATEGIES = ("today", "no-dead-cards", "congestion")
FArray = npt.NDArray[np.float64]
BArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Model:
    per_side: int = 100
    attention: float = 1.0  # share of days a free participant opens the app
    days: int = 14
    cards: int = 10
    like_rate: float = 0.1  # like probability of an average pair
    score_weight: float = 1.0  # weight of the standardised stated score in the logit
    popularity_spread: float = 1.0
    taste_spread: float = 1.0
    temperature: float = congestion.TEMPERATURE
    price_weight: float = congestion.PRICE_WEIGHT


@dataclass
class Market:
    """One seed's participants, hidden like probabilities and random numbers."""

    teachers: Pool
    professionals: Pool
    viewer_pools: list[Pool]  # teachers first, then professionals
    like_t: FArray  # (T, P): P(teacher t likes professional p)
    like_p: FArray  # (P, T)
    draw_t: FArray  # uniform numbers deciding each like
    draw_p: FArray
    opens: BArray  # (days, T + P)
    looks: FArray  # (days, T + P, cards)
    order: list[npt.NDArray[np.intp]]  # per day, the order viewers act in
    reach: BArray  # (T, P) within both travel limits
    scores: FArray  # (T, P) reciprocal scores
    optimal_share: float


@dataclass
class Outcome:
    matched_by_day: list[float] = field(default_factory=list)
    partner: dict[int, int] = field(default_factory=dict)  # participant index → partner index
    swipes: int = 0
    likes_received: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    pair_quality: dict[int, float] = field(default_factory=dict)  # participant → their pair's


def _participants(per_side: int, seed: int) -> tuple[list[Participant], list[Participant]]:
    teachers, professionals = [], []
    for n, person in enumerate(_people(2 * per_side, random.Random(seed))):
        row = SimpleNamespace(user_id=n + 1, side=person["side"], weights=None)
        for name, value in person["profile"].items():
            setattr(row, name, value)
        (teachers if person["side"] == "teacher" else professionals).append(participant_from(row))
    return teachers, professionals


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def build_market(model: Model, seed: int) -> Market:
    t_list, p_list = _participants(model.per_side, seed)
    teachers, professionals = build_pool(t_list), build_pool(p_list)
    t, p = len(teachers), len(professionals)
    own_t = np.empty((t, p))
    own_p = np.empty((p, t))
    scores = np.empty((t, p))
    reach = np.empty((t, p), dtype=bool)
    for row in range(t):
        result = score_pool(teachers.take(np.array([row])), professionals)
        own_t[row], scores[row] = result.own, result.score
        reach[row] = result.distance_km <= np.minimum(
            professionals.max_travel, teachers.max_travel[row]
        )
    for row in range(p):
        own_p[row] = score_pool(professionals.take(np.array([row])), teachers).own
    rng = np.random.default_rng(seed)
    base = _logit(model.like_rate)

    def hidden(own: FArray, popularity: FArray) -> FArray:
        z = (own - own.mean()) / max(float(own.std()), 1e-9)
        taste = rng.normal(0.0, model.taste_spread, own.shape)
        logit = base + model.score_weight * z + popularity[None, :] + taste
        return 1.0 / (1.0 + np.exp(-logit))

    pop_t = rng.normal(0.0, model.popularity_spread, t)
    pop_p = rng.normal(0.0, model.popularity_spread, p)
    like_t = hidden(own_t, pop_p)
    like_p = hidden(own_p, pop_t)
    draw_t = rng.random((t, p))
    draw_p = rng.random((p, t))
    opens = rng.random((model.days, t + p)) < model.attention
    looks = rng.random((model.days, t + p, model.cards))
    order = [rng.permutation(t + p) for _ in range(model.days)]
    pairs = best_pairing(teachers, professionals)
    # The daily prices below slice this matrix; it is what `jobtinder tick` builds.
    tick_matrix = reachable_scores(teachers, professionals)
    r, c = np.nonzero(reach)
    assert tick_matrix.nnz == len(r) and np.allclose(tick_matrix[r, c].A1, scores[r, c])
    return Market(
        teachers=teachers,
        professionals=professionals,
        viewer_pools=[teachers.take(np.array([i])) for i in range(t)]
        + [professionals.take(np.array([i])) for i in range(p)],
        like_t=like_t,
        like_p=like_p,
        draw_t=draw_t,
        draw_p=draw_p,
        opens=opens,
        looks=looks,
        order=order,
        reach=reach,
        scores=scores,
        optimal_share=len(pairs) / max(min(t, p), 1),
    )


def _prices(
    market: Market,
    free_t: BArray,
    free_p: BArray,
    passed_t: BArray,
    passed_p: BArray,
    model: Model,
    warm: tuple[FArray, FArray],
) -> tuple[FArray, FArray]:
    """What a daily `jobtinder tick` stores: the free market's equilibrium prices."""
    rows, cols = np.flatnonzero(free_t), np.flatnonzero(free_p)
    allowed = market.reach[np.ix_(rows, cols)] & ~passed_t[np.ix_(rows, cols)]
    allowed &= ~passed_p[np.ix_(cols, rows)].T
    r, c = np.nonzero(allowed)
    matrix = sp.csr_matrix((market.scores[rows[r], cols[c]], (r, c)), shape=(len(rows), len(cols)))
    result = congestion.equilibrium(
        matrix, temperature=model.temperature, warm=(warm[0][rows], warm[1][cols])
    )
    price_t, price_p = np.zeros(len(free_t)), np.zeros(len(free_p))
    price_t[rows], price_p[cols] = result.teacher_price, result.professional_price
    return price_t, price_p


def simulate(market: Market, model: Model, strategy: str) -> Outcome:
    t, p = len(market.teachers), len(market.professionals)
    feed_rule = strategy != "today"
    free = np.ones(t + p, dtype=bool)
    swiped_t, swiped_p = np.zeros((t, p), bool), np.zeros((p, t), bool)
    liked_t, liked_p = np.zeros((t, p), bool), np.zeros((p, t), bool)
    passed_t, passed_p = np.zeros((t, p), bool), np.zeros((p, t), bool)
    out = Outcome(likes_received=np.zeros(t + p, np.int64))
    price_t, price_p = np.zeros(t), np.zeros(p)
    bias = 1.0 / np.log2(np.arange(model.cards) + 2.0)
    for day in range(model.days):
        if strategy == "congestion":
            price_t, price_p = _prices(
                market, free[:t], free[t:], passed_t, passed_p, model, (price_t, price_p)
            )
        for viewer in market.order[day]:
            if not free[viewer] or not market.opens[day, viewer]:
                continue
            if viewer < t:
                me, other, other_free = viewer, market.professionals, free[t:]
                swiped, liked, passed = swiped_t[me], liked_t, passed_t
                likes, draws, theirs_liked = market.like_t[me], market.draw_t[me], liked_p
                passed_on_me = passed_p[:, me]
                price = price_p
            else:
                me, other, other_free = viewer - t, market.teachers, free[:t]
                swiped, liked, passed = swiped_p[me], liked_p, passed_p
                likes, draws, theirs_liked = market.like_p[me], market.draw_p[me], liked_t
                passed_on_me = passed_t[:, me]
                price = price_t
            eligible = other_free & ~swiped
            if feed_rule:
                eligible &= ~passed_on_me
            page = rank_page(
                market.viewer_pools[viewer],
                other,
                eligible,
                limit=model.cards,
                price=congestion.ordering_price(price, model.price_weight)
                if strategy == "congestion"
                else None,
                both_limits=feed_rule,
            )
            for position, row in enumerate(page.rows):
                if market.looks[day, viewer, position] >= bias[position]:
                    continue
                out.swipes += 1
                swiped[row] = True
                candidate = int(row) + (t if viewer < t else 0)
                if draws[row] < likes[row]:
                    liked[me, row] = True
                    out.likes_received[candidate] += 1
                    if theirs_liked[row, me] and free[candidate]:
                        free[viewer] = free[candidate] = False
                        out.partner[viewer], out.partner[candidate] = candidate, viewer
                        break
                else:
                    passed[me, row] = True
        out.matched_by_day.append(float((~free).sum()) / (t + p))
    for person, partner in out.partner.items():
        teacher, pro = (person, partner - t) if person < t else (partner, person - t)
        out.pair_quality[person] = float(
            (market.like_t[teacher, pro] + market.like_p[pro, teacher]) / 2
        )
    return out


def gini(values: npt.NDArray[np.int64]) -> float:
    x = np.sort(values.astype(np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-side", type=int, default=100)
    parser.add_argument("--attention", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--cards", type=int, default=10)
    parser.add_argument("--like-rate", type=float, default=Model.like_rate)
    parser.add_argument("--score-weight", type=float, default=Model.score_weight)
    parser.add_argument("--popularity-spread", type=float, default=Model.popularity_spread)
    parser.add_argument("--taste-spread", type=float, default=Model.taste_spread)
    parser.add_argument("--temperature", type=float, default=Model.temperature)
    parser.add_argument("--price-weight", type=float, default=Model.price_weight)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    args = parser.parse_args(argv)
    model = Model(
        per_side=args.per_side,
        attention=args.attention,
        days=args.days,
        cards=args.cards,
        like_rate=args.like_rate,
        score_weight=args.score_weight,
        popularity_spread=args.popularity_spread,
        taste_spread=args.taste_spread,
        temperature=args.temperature,
        price_weight=args.price_weight,
    )
    print(model, f"seeds={args.seeds}")
    strategies = args.strategies
    base = strategies[0]
    rows: dict[str, list[list[float]]] = {s: [] for s in strategies}
    by_day: dict[str, list[list[float]]] = {s: [] for s in strategies}
    optimal = []
    started = time.perf_counter()
    for seed in args.seeds:
        market = build_market(model, seed)
        optimal.append(market.optimal_share)
        outcomes = {s: simulate(market, model, s) for s in strategies}
        reference = outcomes[base]
        for s in strategies:
            o = outcomes[s]
            pairs = len(o.partner) / 2
            both = [k for k in o.partner if k in reference.partner]
            change = (
                float(np.mean([o.pair_quality[k] for k in both]))
                / float(np.mean([reference.pair_quality[k] for k in both]))
                - 1.0
                if both
                else 0.0
            )
            rows[s].append(
                [
                    o.matched_by_day[-1],
                    float(np.mean(list(o.pair_quality.values()))) if o.pair_quality else 0.0,
                    change,
                    o.swipes / pairs if pairs else float("nan"),
                    gini(o.likes_received),
                ]
            )
            by_day[s].append(o.matched_by_day)
    took = time.perf_counter() - started
    print(f"optimal one-to-one pairing assigns {100 * np.mean(optimal):.1f} % ({took:.0f} s)")
    print(
        f"| strategy | matched day {model.days} | vs {base} | quality (mean like prob.) | "
        f"quality change, matched under both | swipes per match | vs {base} | Gini of likes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ref = np.mean(rows[base], axis=0)
    for s in strategies:
        m = np.mean(rows[s], axis=0)
        print(
            f"| {s} | {100 * m[0]:.1f} % | {100 * (m[0] - ref[0]):+.1f} pt | {m[1]:.3f} | "
            f"{100 * m[2]:+.1f} % | {m[3]:.1f} | {100 * (m[3] / ref[3] - 1):+.0f} % | {m[4]:.3f} |"
        )
    days = list(range(model.days))
    print("| matched by day | " + " | ".join(str(d + 1) for d in days) + " |")
    print("|---|" + "---|" * len(days))
    for s in strategies:
        mean_days = np.mean(by_day[s], axis=0)
        print(f"| {s} | " + " | ".join(f"{100 * v:.0f}" for v in mean_days) + " |")


if __name__ == "__main__":
    main()
