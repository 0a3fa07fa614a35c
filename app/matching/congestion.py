"""Congestion prices: how contested each candidate is, so the deck can spread attention.

Everyone may have one ongoing match, so a deck that shows everyone the same few popular
people wastes most of its swipes: those people can take only one. Following the
transferable-utility (TU) view of reciprocal recommendation (Tomita et al., RecSys 2023,
after Choo & Siow 2006 and Galichon & Salanié's IPFP), the free market is treated as a
matching market whose joint surplus for a teacher x and a professional y is their reciprocal
score s_xy, with logit noise of scale `temperature`. Its equilibrium matching is

    mu_xy = a_x * b_y * exp(s_xy / (2 * temperature))        (pairs both can reach only)

where a_x**2 and b_y**2 are the shares of x and y left unmatched, fixed by everyone's
capacity of one (a_x**2 + sum_y mu_xy = 1, b_y**2 + sum_x mu_xy = 1). IPFP solves these by
alternately updating a (rows) and b (columns), each in closed form, warm-started from the
previous prices.

For one viewer x, ranking candidates by mu_xy is ranking them by

    s_xy - price_y,   price_y = -2 * temperature * log(b_y) >= 0

so the **congestion price** of a candidate is, in score units, what the market says it costs
to compete for them: near 0 for someone few others can reach or want, larger for someone many
strong pairs compete for. As the temperature goes to 0 the prices tend to the dual prices of
the optimal one-to-one assignment (the pairing `best_pairing` computes).

The deck orders by `score - PRICE_WEIGHT * price` (`ordering_price`; the price clipped to
[0, 1], so the key stays in [-1, 1] and fits the feed's cursor): a candidate many people
want and few can get moves down a little for most viewers. What orders is the difference
between candidates' prices, not their level (most prices are 0.2-0.5; a constant price for
everyone leaves the order as it is). The score, breakdown and reasons shown stay the plain
reciprocal ones. With no stored prices (all 0) the order is the score order. Everything here
is deterministic: fixed sweeps over fixed arrays, no randomness.

IPFP converges slowly at a low temperature (the prices of people with few possible partners
are only weakly determined), so one computation runs at most `MAX_SWEEPS` sweeps and the next
one continues from the stored prices: the equilibrium keeps converging from tick to tick.

The constants were chosen with the market simulator (`bench/market.py`, results in
`bench/README.md`).
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

TEMPERATURE = 0.02  # logit noise of the joint surplus, in score units
PRICE_WEIGHT = 0.5  # how much of the price the ordering key subtracts
TOLERANCE = 1e-5  # on every capacity constraint (shares of one person)
MAX_SWEEPS = 1000


@dataclass(frozen=True, slots=True)
class Equilibrium:
    """Congestion prices of both sides (score units, >= 0), aligned with the matrix's rows
    (teachers) and columns (professionals)."""

    teacher_price: npt.NDArray[np.float64]
    professional_price: npt.NDArray[np.float64]
    sweeps: int
    residual: float  # the largest capacity violation left


def _unmatched_root(mass: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The a solving a**2 + a * mass = 1 (a > 0), in a form without cancellation."""
    return 2.0 / (mass + np.sqrt(mass * mass + 4.0))


def equilibrium(
    scores: "sp.csr_matrix",
    *,
    temperature: float = TEMPERATURE,
    warm: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
    tolerance: float = TOLERANCE,
    max_sweeps: int = MAX_SWEEPS,
) -> Equilibrium:
    """The TU equilibrium's congestion prices for a market of teachers (rows) and
    professionals (columns).

    `scores`: the reciprocal score of every pair that can become a match, as stored entries
    (explicit zeros count); pairs not stored are impossible. `warm`: previous prices of the
    same rows and columns (new people: 0), to start from.
    """
    t, p = scores.shape
    kernel = sp.csr_matrix(
        (np.exp(scores.data / (2.0 * temperature)), scores.indices, scores.indptr), shape=(t, p)
    )
    kernel_t = kernel.T.tocsr()
    if warm is not None:
        a = np.exp(-np.asarray(warm[0], dtype=np.float64) / (2.0 * temperature))
        b = np.exp(-np.asarray(warm[1], dtype=np.float64) / (2.0 * temperature))
    else:
        a, b = np.ones(t), np.ones(p)
    residual = 0.0
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - the count is reported
        a = _unmatched_root(kernel @ b)
        b = _unmatched_root(kernel_t @ a)
        if sweeps % 10 == 0 or sweeps == max_sweeps:
            # Columns hold exactly after their update; rows are what is left to check.
            residual = float(np.max(np.abs(a * a + a * (kernel @ b) - 1.0), initial=0.0))
            if residual < tolerance:
                break
    return Equilibrium(
        teacher_price=np.maximum(-2.0 * temperature * np.log(a), 0.0),
        professional_price=np.maximum(-2.0 * temperature * np.log(b), 0.0),
        sweeps=sweeps,
        residual=residual,
    )


def ordering_price(
    price: npt.NDArray[np.float64], weight: float = PRICE_WEIGHT
) -> npt.NDArray[np.float64]:
    """What the deck subtracts from a candidate's score to order it: a share of the price
    (clipped to [0, 1], so the ordering key stays in [-1, 1])."""
    return weight * np.clip(price, 0.0, 1.0)
