"""Closed-form and matrix-exponential references for linear PK models (numpy/scipy only).

* :func:`one_cmt`, :func:`two_cmt`, :func:`three_cmt`: the ADVAN-style analytical solutions of
  Abuhelwa, Foster & Upton 2015 (J Pharmacol Toxicol Methods 73:42) as written in the
  paper: amounts after an interval of length ``t`` with a constant zero-order input ``R``
  (mg/h) into the central compartment, starting from arbitrary amounts.
* :func:`amounts_piecewise`: chains those intervals for piecewise-constant rates (:class:`Rate`)
  and instantaneous boluses (:class:`Dose`, added to A1 at its time) and evaluates at requested
  times.
* :func:`otto2021_matrix` + :func:`linear_piecewise`: the Otto 2021 esketamine + norketamine
  5-state linear system (docs/model.md) solved with ``scipy.linalg.expm`` of the augmented matrix
  ``[[A, b R], [0, 0]]`` on each constant-rate interval.

Units: mg, L, h, L/h. Micro constants k10 = CL/V1, k12 = Q2/V1, k21 = Q2/V2, k13 = Q3/V1,
k31 = Q3/V3.

Convention at a bolus time: the state is right-continuous, i.e. the amount evaluated at exactly the
time of a bolus already contains that bolus.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg


@dataclass(frozen=True)
class Rate:
    """Zero-order input of ``rate_mg_h`` into the central compartment on [start_h, end_h)."""

    start_h: float
    rate_mg_h: float
    end_h: float = math.inf


@dataclass(frozen=True)
class Dose:
    """Instantaneous bolus of ``amount_mg`` added to the central compartment at ``time_h``."""

    time_h: float
    amount_mg: float


Segment = Rate | Dose

# --------------------------------------------------------------------------------------------
# single-interval closed forms (Abuhelwa 2015)
# --------------------------------------------------------------------------------------------


def one_cmt(t: float, R: float, A10: float, k10: float) -> np.ndarray:
    """A = A0 e^(-kt) + (R/k)(1 - e^(-kt))."""
    e = math.exp(-k10 * t)
    return np.array([A10 * e + R / k10 * (1.0 - e)])


def _two_cmt_lambdas(k10: float, k12: float, k21: float) -> tuple[float, float]:
    E1 = k10 + k12
    E2 = k21
    s = E1 + E2
    disc = math.sqrt(s * s - 4.0 * (E1 * E2 - k12 * k21))
    return 0.5 * (s + disc), 0.5 * (s - disc)


def two_cmt(
    t: float, R: float, A10: float, A20: float, k10: float, k12: float, k21: float
) -> np.ndarray:
    """Abuhelwa 2015 2-compartment infusion solution from (A10, A20)."""
    E1 = k10 + k12
    E2 = k21
    l1, l2 = _two_cmt_lambdas(k10, k12, k21)
    e1 = math.exp(-l1 * t)
    e2 = math.exp(-l2 * t)
    S = 1.0 / (l1 * l2) + e1 / (l1 * (l1 - l2)) - e2 / (l2 * (l1 - l2))
    X1 = A10 * E2 + R + A20 * k21
    A1 = ((X1 - A10 * l1) * e1 - (X1 - A10 * l2) * e2) / (l2 - l1) + R * E2 * S
    X2 = A20 * E1 + A10 * k12
    A2 = ((X2 - A20 * l1) * e1 - (X2 - A20 * l2) * e2) / (l2 - l1) + R * k12 * S
    return np.array([A1, A2])


def three_cmt_lambdas(
    k10: float, k12: float, k21: float, k13: float, k31: float
) -> tuple[float, float, float]:
    """Eigenvalue magnitudes (1/h) of the 3-compartment mammillary system (trigonometric root)."""
    E1 = k10 + k12 + k13
    E2 = k21
    E3 = k31
    a = E1 + E2 + E3
    b = E1 * E2 + E3 * (E1 + E2) - k12 * k21 - k13 * k31
    c = E1 * E2 * E3 - E3 * k12 * k21 - E2 * k13 * k31
    m = (3.0 * b - a * a) / 3.0
    n = (2.0 * a**3 - 9.0 * a * b + 27.0 * c) / 27.0
    Q = n * n / 4.0 + m**3 / 27.0
    alpha = math.sqrt(max(0.0, -Q))
    beta = -n / 2.0
    gamma = math.sqrt(alpha * alpha + beta * beta)
    phi = math.atan2(alpha, beta)
    g3 = gamma ** (1.0 / 3.0)
    l1 = a / 3.0 + g3 * (math.cos(phi / 3.0) + math.sqrt(3.0) * math.sin(phi / 3.0))
    l2 = a / 3.0 + g3 * (math.cos(phi / 3.0) - math.sqrt(3.0) * math.sin(phi / 3.0))
    l3 = a / 3.0 - 2.0 * g3 * math.cos(phi / 3.0)
    return l1, l2, l3


def three_cmt(
    t: float,
    R: float,
    A10: float,
    A20: float,
    A30: float,
    k10: float,
    k12: float,
    k21: float,
    k13: float,
    k31: float,
) -> np.ndarray:
    """Abuhelwa 2015 3-compartment infusion solution from (A10, A20, A30)."""
    E1 = k10 + k12 + k13
    E2 = k21
    E3 = k31
    lam = three_cmt_lambdas(k10, k12, k21, k13, k31)
    D = [
        (lam[1] - lam[0]) * (lam[2] - lam[0]),
        (lam[0] - lam[1]) * (lam[2] - lam[1]),
        (lam[0] - lam[2]) * (lam[1] - lam[2]),
    ]
    P = lam[0] * lam[1] * lam[2]
    B = A20 * k21 + A30 * k31
    C = E3 * A20 * k21 + E2 * A30 * k31
    II = A10 * k12 * E3 - A20 * k13 * k31 + A30 * k12 * k31
    J = A10 * k13 * E2 + A20 * k13 * k21 - A30 * k12 * k21
    A1 = A2 = A3 = 0.0
    s1 = s2 = s3 = 0.0
    for li, Di in zip(lam, D, strict=True):
        e = math.exp(-li * t)
        A1 += e * (A10 * (E2 - li) * (E3 - li) + C - B * li) / Di
        A2 += e * (A20 * (E1 - li) * (E3 - li) + II - A10 * k12 * li) / Di
        A3 += e * (A30 * (E1 - li) * (E2 - li) + J - A10 * k13 * li) / Di
        s1 += e * (E2 - li) * (E3 - li) / (li * Di)
        s2 += e * (E3 - li) / (li * Di)
        s3 += e * (E2 - li) / (li * Di)
    A1 += R * (E2 * E3 / P - s1)
    A2 += R * k12 * (E3 / P - s2)
    A3 += R * k13 * (E2 / P - s3)
    return np.array([A1, A2, A3])


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------


def n_compartments(p: Mapping[str, float]) -> int:
    """1, 2 or 3 from which of V2/Q2 and V3/Q3 are present."""
    if "V3" in p or "Q3" in p:
        return 3
    if "V2" in p or "Q2" in p:
        return 2
    return 1


def micro_constants(p: Mapping[str, float]) -> dict[str, float]:
    """k10, k12, k21, k13, k31 (1/h) from V1, V2, V3 (L), CL, Q2, Q3 (L/h)."""
    k = {"k10": p["CL"] / p["V1"]}
    n = n_compartments(p)
    if n >= 2:
        k["k12"] = p["Q2"] / p["V1"]
        k["k21"] = p["Q2"] / p["V2"]
    if n == 3:
        k["k13"] = p["Q3"] / p["V1"]
        k["k31"] = p["Q3"] / p["V3"]
    return k


def mammillary_matrix(p: Mapping[str, float]) -> np.ndarray:
    """System matrix A of dA/dt = A·x + b·R for the 1/2/3-compartment mammillary model."""
    k = micro_constants(p)
    n = n_compartments(p)
    A = np.zeros((n, n))
    A[0, 0] = -k["k10"]
    if n >= 2:
        A[0, 0] -= k["k12"]
        A[0, 1] = k["k21"]
        A[1, 0] = k["k12"]
        A[1, 1] = -k["k21"]
    if n == 3:
        A[0, 0] -= k["k13"]
        A[0, 2] = k["k31"]
        A[2, 0] = k["k13"]
        A[2, 2] = -k["k31"]
    return A


def slowest_rate(p: Mapping[str, float]) -> float:
    """Smallest eigenvalue magnitude (1/h): the terminal disposition rate constant."""
    k = micro_constants(p)
    n = n_compartments(p)
    if n == 1:
        return k["k10"]
    if n == 2:
        return min(_two_cmt_lambdas(k["k10"], k["k12"], k["k21"]))
    return min(three_cmt_lambdas(k["k10"], k["k12"], k["k21"], k["k13"], k["k31"]))


def fastest_rate(p: Mapping[str, float]) -> float:
    """Largest eigenvalue magnitude (1/h)."""
    return float(np.max(-np.linalg.eigvals(mammillary_matrix(p)).real))


def advance(p: Mapping[str, float], t: float, R: float, amounts: np.ndarray) -> np.ndarray:
    """Amounts after an interval ``t`` at constant rate ``R`` from ``amounts`` (closed form)."""
    if t == 0.0:
        return np.array(amounts, dtype=float)
    k = micro_constants(p)
    n = n_compartments(p)
    if n == 1:
        return one_cmt(t, R, amounts[0], k["k10"])
    if n == 2:
        return two_cmt(t, R, amounts[0], amounts[1], k["k10"], k["k12"], k["k21"])
    return three_cmt(
        t, R, amounts[0], amounts[1], amounts[2], k["k10"], k["k12"], k["k21"], k["k13"], k["k31"]
    )


# --------------------------------------------------------------------------------------------
# piecewise drivers
# --------------------------------------------------------------------------------------------


def _rate_on(segments: Iterable[Segment], t_a: float, t_b: float) -> float:
    """Total zero-order rate on [t_a, t_b), which contains no rate change."""
    mid = 0.5 * (t_a + t_b)
    return sum(s.rate_mg_h for s in segments if isinstance(s, Rate) and s.start_h <= mid < s.end_h)


def _sweep(segments: Sequence[Segment], times: Sequence[float], t0: float, x0, step, kick):
    """Generic event sweep; returns the state at each requested time (right-continuous)."""
    times = np.asarray(times, dtype=float)
    if np.any(np.diff(times) <= 0):
        raise ValueError("times must be strictly increasing")
    if times.size and times[0] < t0:
        raise ValueError("times must not precede t0")
    events = {t0, *times.tolist()}
    for s in segments:
        if isinstance(s, Rate):
            events.add(s.start_h)
            if math.isfinite(s.end_h):
                events.add(s.end_h)
        else:
            events.add(s.time_h)
    grid = sorted(e for e in events if e >= t0 and (not times.size or e <= times[-1]))
    index = {float(t): i for i, t in enumerate(times)}
    x = np.array(x0, dtype=float)
    out = np.empty((times.size, x.size))
    t_prev = t0
    for t in grid:
        if t > t_prev:
            x = step(x, t - t_prev, _rate_on(segments, t_prev, t))
        for s in segments:
            if isinstance(s, Dose) and s.time_h == t:
                x = kick(x, s.amount_mg)
        if t in index:
            out[index[t]] = x
        t_prev = t
    return out


def _add_to_central(x: np.ndarray, amount: float) -> np.ndarray:
    x = x.copy()
    x[0] += amount
    return x


def amounts_piecewise(
    model_params: Mapping[str, float],
    segments: Sequence[Segment],
    times: Sequence[float],
    initial: Sequence[float] | Mapping[str, float] | None = None,
    t0: float = 0.0,
) -> np.ndarray:
    """Amounts (mg), shape (len(times), n_cmt), by chaining the §6 closed forms.

    ``initial`` is either a sequence (A1, A2, A3) or a mapping with keys "A1", "A2", "A3";
    missing entries are 0.
    """
    n = n_compartments(model_params)
    x0 = np.zeros(n)
    if isinstance(initial, Mapping):
        for i in range(n):
            x0[i] = initial.get(f"A{i + 1}", 0.0)
    elif initial is not None:
        x0[: len(initial)] = initial

    def step(x, dt, R):
        return advance(model_params, dt, R, x)

    return _sweep(segments, times, t0, x0, step, _add_to_central)


def cumulative_dose(segments: Sequence[Segment], times: Sequence[float], t0: float = 0.0):
    """Total amount dosed (mg) on [t0, t] for each t (boluses at t included)."""
    times = np.asarray(times, dtype=float)
    total = np.zeros(times.size)
    for s in segments:
        if isinstance(s, Rate):
            a = max(s.start_h, t0)
            total += s.rate_mg_h * np.clip(np.minimum(times, s.end_h) - a, 0.0, None)
        elif s.time_h >= t0:
            total += np.where(times >= s.time_h, s.amount_mg, 0.0)
    return total


def linear_piecewise(
    A: np.ndarray,
    b: np.ndarray,
    segments: Sequence[Segment],
    times: Sequence[float],
    initial: Sequence[float] | None = None,
    bolus_into: int = 0,
    t0: float = 0.0,
) -> np.ndarray:
    """States of dx/dt = A x + b R(t), piecewise-constant R, by expm of [[A, bR], [0, 0]]."""
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    n = A.shape[0]
    x0 = np.zeros(n) if initial is None else np.asarray(initial, dtype=float)

    def step(x, dt, R):
        M = np.zeros((n + 1, n + 1))
        M[:n, :n] = A * dt
        M[:n, n] = b * R * dt
        y = scipy.linalg.expm(M) @ np.append(x, 1.0)
        return y[:n]

    def kick(x, amount):
        x = x.copy()
        x[bolus_into] += amount
        return x

    return _sweep(segments, times, t0, x0, step, kick)


# --------------------------------------------------------------------------------------------
# Otto 2021 esketamine + norketamine (Eur J Clin Pharmacol 77:1181)
# --------------------------------------------------------------------------------------------

#: Otto 2021 / Fanta 2015 typical values for a 70 kg adult (L, L/h; fm dimensionless).
OTTO2021_TYPICAL = {
    "V1": 133.0,
    "V2": 187.0,
    "V3": 98.8,
    "CL": 95.2,
    "Q2": 23.2,
    "Q3": 157.0,
    "fm": 1.0,
    "V_NK": 98.6,
    "CL_NK": 57.7,
    "Vp_NK": 160.0,
    "Q_NK": 42.8,
    "ICU_CL_mult": 1.0,
}

#: state order of :func:`otto2021_matrix`
OTTO2021_STATES = ("A1", "A2", "A3", "N1", "N2", "E_parent", "E_nk")


def otto2021_individual(weight_kg: float, **overrides: float) -> dict[str, float]:
    """Individual parameters: only V1, V_NK (WT/70)^1 and CL, CL_NK (WT/70)^0.75 scale.

    The ICU clearance multiplier is applied to CL. ``overrides`` replace 70-kg typical values.
    """
    p = {**OTTO2021_TYPICAL, **overrides}
    w = weight_kg / 70.0
    out = dict(p)
    out["V1"] = p["V1"] * w
    out["V_NK"] = p["V_NK"] * w
    out["CL"] = p["CL"] * w**0.75 * p["ICU_CL_mult"]
    out["CL_NK"] = p["CL_NK"] * w**0.75
    return out


def otto2021_matrix(p: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) for x = (A1, A2, A3, N1, N2, E_parent, E_nk).

    E_parent = cumulative k10·A1 (parent eliminated from the body, of which fm goes to N1);
    E_nk = cumulative kn10·N1 (norketamine eliminated). ``p`` holds individual values
    (CL already multiplied by ICU_CL_mult).
    """
    k10 = p["CL"] / p["V1"]
    k12 = p["Q2"] / p["V1"]
    k21 = p["Q2"] / p["V2"]
    k13 = p["Q3"] / p["V1"]
    k31 = p["Q3"] / p["V3"]
    kn10 = p["CL_NK"] / p["V_NK"]
    kn12 = p["Q_NK"] / p["V_NK"]
    kn21 = p["Q_NK"] / p["Vp_NK"]
    fm = p["fm"]
    A = np.zeros((7, 7))
    A[0, 0] = -(k10 + k12 + k13)
    A[0, 1] = k21
    A[0, 2] = k31
    A[1, 0] = k12
    A[1, 1] = -k21
    A[2, 0] = k13
    A[2, 2] = -k31
    A[3, 0] = fm * k10
    A[3, 3] = -(kn10 + kn12)
    A[3, 4] = kn21
    A[4, 3] = kn12
    A[4, 4] = -kn21
    A[5, 0] = k10
    A[6, 3] = kn10
    b = np.zeros(7)
    b[0] = 1.0
    return A, b


def otto2021_concentrations(
    p: Mapping[str, float],
    segments: Sequence[Segment],
    times: Sequence[float],
    initial: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """esketamine_ng_ml, norketamine_ng_ml and all states of :data:`OTTO2021_STATES`."""
    A, b = otto2021_matrix(p)
    x0 = np.zeros(7)
    for i, name in enumerate(OTTO2021_STATES):
        if initial and name in initial:
            x0[i] = initial[name]
    x = linear_piecewise(A, b, segments, times, x0)
    out = {name: x[:, i] for i, name in enumerate(OTTO2021_STATES)}
    out["esketamine_ng_ml"] = 1000.0 * x[:, 0] / p["V1"]
    out["norketamine_ng_ml"] = 1000.0 * x[:, 3] / p["V_NK"]
    return out
