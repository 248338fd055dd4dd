"""Prior distributions of the drug-effect assumptions (scipy.stats underneath).

- beta from a mean and a central interval: the mean is kept exactly (``a = mean * k``,
  ``b = (1 - mean) * k``) and the concentration ``k = a + b`` minimises the squared distance
  between the beta's interval quantiles and the interval given (a coarse scan of ``log k`` and
  then :func:`scipy.optimize.minimize_scalar`, bounded, around the best point);
- log-normal from a median and a central interval: the median is kept exactly and ``sdlog`` is
  the least-squares fit of the two log quantiles, ``(log high - log low) / (2 z)``, which is exact
  when the interval is symmetric on the log scale;
- :class:`Mixture`: weighted components, with ``pdf``, ``cdf``, ``ppf`` (root of the cdf),
  ``mean`` and ``support`` like a frozen scipy distribution;
- :func:`draw_value`: a value by the inverse cdf from two uniforms (the first picks the mixture
  component, the second the quantile), so that a draw is a fixed function of its random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

__all__ = ["Mixture", "beta_from_mean_interval", "component_of", "draw_value", "lognormal_sdlog"]
__all__ += ["PRIOR_STREAM", "PriorSampler", "z_of"]

#: Bounds of log(a + b) searched by the beta fit.
_LOG_K = (np.log(1e-2), np.log(1e8))


def z_of(level: float) -> float:
    """Standard normal quantile of a central interval of probability ``level``."""
    return float(stats.norm.ppf(0.5 + level / 2))


def _beta_interval(mean: float, log_k: float, level: float) -> np.ndarray:
    k = float(np.exp(log_k))
    tails = [(1 - level) / 2, (1 + level) / 2]
    return np.asarray(stats.beta.ppf(tails, mean * k, (1 - mean) * k), dtype=float)


def beta_from_mean_interval(
    mean: float, low: float, high: float, level: float = 0.95
) -> tuple[float, float]:
    """Shape parameters ``(a, b)`` of the beta with this mean whose central ``level`` interval is
    closest (least squares on the two quantiles) to ``[low, high]``."""
    if not 0 < low < mean < high < 1:
        raise ValueError(f"need 0 < low < mean < high < 1, got {low}, {mean}, {high}")
    target = np.array([low, high])

    def loss(log_k: float) -> float:
        return float(np.sum((_beta_interval(mean, log_k, level) - target) ** 2))

    scan = np.linspace(*_LOG_K, 201)
    best = int(np.argmin([loss(x) for x in scan]))
    lo, hi = scan[max(best - 1, 0)], scan[min(best + 1, scan.size - 1)]
    res = optimize.minimize_scalar(
        loss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
    )
    k = float(np.exp(res.x))
    return mean * k, (1 - mean) * k


def lognormal_sdlog(median: float, low: float, high: float, level: float = 0.95) -> float:
    """``sdlog`` of the log-normal with this median whose central ``level`` interval is closest
    (least squares on the log quantiles) to ``[low, high]``."""
    if not 0 < low < median < high:
        raise ValueError(f"need 0 < low < median < high, got {low}, {median}, {high}")
    return float((np.log(high) - np.log(low)) / (2 * z_of(level)))


class Mixture:
    """A finite mixture of frozen scipy distributions (weights summing to 1)."""

    def __init__(self, weights: Sequence[float], components: Sequence) -> None:
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or w.size != len(components) or w.size == 0 or np.any(w <= 0):
            raise ValueError("weights: one positive weight per component")
        if abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights: must sum to 1, got {w.sum()}")
        self.weights = w / w.sum()
        self.components = list(components)

    def pdf(self, x: ArrayLike) -> np.ndarray:
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def cdf(self, x: ArrayLike) -> np.ndarray:
        return sum(w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def mean(self) -> float:
        return float(sum(w * c.mean() for w, c in zip(self.weights, self.components, strict=True)))

    def support(self) -> tuple[float, float]:
        ends = np.array([c.support() for c in self.components], dtype=float)
        return float(ends[:, 0].min()), float(ends[:, 1].max())

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantiles: the root of ``cdf(x) = q``, bracketed by the components' own quantiles
        (the mixture's q-quantile lies between their smallest and largest)."""
        q = np.asarray(q, dtype=float)
        out = np.empty(q.shape)
        for i, p in np.ndenumerate(q):
            if not 0 < p < 1:  # the ends of the support; NaN outside [0, 1]
                out[i] = self.support()[int(p == 1)] if p in (0, 1) else np.nan
                continue
            qs = [float(c.ppf(p)) for c in self.components]
            lo, hi = min(qs), max(qs)
            if lo == hi:
                out[i] = lo
                continue
            out[i] = optimize.brentq(
                lambda x, p=p: float(self.cdf(x)) - p, lo, hi, xtol=1e-12 * max(1.0, abs(hi))
            )
        return out

    def interval(self, level: float) -> tuple[float, float]:
        lo, hi = self.ppf([(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def component_of(dist, u_component: float) -> int:
    """The mixture component that ``u_component`` picks (0 for a single distribution)."""
    if not isinstance(dist, Mixture):
        return 0
    j = int(np.searchsorted(np.cumsum(dist.weights), u_component, side="right"))
    return min(j, len(dist.components) - 1)


def draw_value(dist, u_component: float, u_value: float) -> float:
    """One draw by the inverse cdf: ``u_component`` picks a mixture's component (unused for a
    single distribution), ``u_value`` is the quantile within it."""
    if isinstance(dist, Mixture):
        dist = dist.components[component_of(dist, u_component)]
    return float(dist.ppf(u_value))


#: Tag of the prior-draw stream of a trial (beside the randomisation stream's 0xB10C).
PRIOR_STREAM = 0x9A10


class PriorSampler:
    """Per-trial draws of the drug-effect parameters for Monte Carlo assurance.

    Trial ``k``'s draw comes from its own stream, ``default_rng([seed, k, PRIOR_STREAM, 1])``:
    one uniform for the null (``I_max = 0`` with probability ``p_null``), then two per parameter
    in name order (mixture component, quantile), whatever the prior's parameters are. A trial's
    draw therefore depends only on (seed, trial), never on how many trials or which sample sizes
    are requested.
    """

    def __init__(
        self,
        dists: dict,
        p_null: float = 0.0,
        null_parameter: str = "I_max",
        key: object = None,
    ) -> None:
        if not 0 <= p_null <= 1:
            raise ValueError(f"p_null: must be in [0, 1], got {p_null}")
        self.names = sorted(dists)
        self.dists = {k: dists[k] for k in self.names}
        self.p_null = float(p_null)
        self.null_parameter = null_parameter
        #: What identifies the prior in checkpoint keys (e.g. its specification as a dict).
        self.key = key

    def _uniforms(self, seed: int, trial: int) -> np.ndarray:
        rng = np.random.default_rng([int(seed), int(trial), PRIOR_STREAM, 1])
        return rng.random(1 + 2 * len(self.names))

    def draw(self, seed: int, trial: int) -> dict[str, float]:
        """Parameter overrides of one trial (the null sets ``null_parameter`` to 0)."""
        u = self._uniforms(seed, trial)
        out = {
            k: draw_value(self.dists[k], u[1 + 2 * i], u[2 + 2 * i])
            for i, k in enumerate(self.names)
        }
        if u[0] < self.p_null:
            out[self.null_parameter] = 0.0
        return out

    def table(self, seed: int, trials: Sequence[int]) -> dict[str, np.ndarray]:
        """The draws of ``trials`` as columns: ``trial``, ``null`` (bool), each parameter and,
        for a mixture, ``<parameter>_component`` (index of the component drawn)."""
        rows = [self._uniforms(seed, t) for t in trials]
        u = np.array(rows).reshape(len(rows), 1 + 2 * len(self.names))
        cols: dict[str, np.ndarray] = {
            "trial": np.asarray(trials, dtype=np.int64),
            "null": u[:, 0] < self.p_null,
        }
        for i, k in enumerate(self.names):
            d = self.dists[k]
            cols[k] = np.array([draw_value(d, a, b) for a, b in u[:, 1 + 2 * i : 3 + 2 * i]])
            if isinstance(d, Mixture):
                cols[f"{k}_component"] = np.array([component_of(d, a) for a in u[:, 1 + 2 * i]])
        if self.null_parameter in cols:
            cols[self.null_parameter] = np.where(cols["null"], 0.0, cols[self.null_parameter])
        return cols
