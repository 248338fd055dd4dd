#!/usr/bin/env python
"""septrial against its peers (libroadrunner, numbalsoda, JAX + diffrax, SciPy ``solve_ivp``) on the
same models.

Same equations (``benchmarks/models_sbml.py``, ``models_numba.py``, ``models_jax.py``), same
per-patient parameter values, same tolerances (rtol 1e-6, atol 1e-9), same output grid, every tool
timed in this one process run; the ratios are computed within the run. Agreement between the tools'
outputs is checked, so the timed work is the same computation.

    python benchmarks/bench_peers.py                 # full run -> docs/benchmarks.md
    python benchmarks/bench_peers.py --quick         # seconds; -> benchmarks/results/*_quick.*

libroadrunner, numbalsoda (with numba) and JAX + diffrax are optional (``pip install
septrial[bench]``): without one, its rows are skipped and the report says so.
"""

from __future__ import annotations

import argparse
import os

# Per-core figures: keep NumPy's BLAS from spinning threads on the other cores (set before numpy).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# ... and XLA (JAX) from using more than one thread (set before jax is imported).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import datetime as _dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import doc_sections  # noqa: E402
import models_sbml as ms  # noqa: E402

import septrial  # noqa: E402

RTOL = 1e-6
ATOL = 1e-9
#: the agreement check: max |x_tool - x_septrial| / (peak of that patient's output) must stay below
AGREEMENT_LIMIT = 1e-3
#: accuracy against the reference: outputs below this fraction of their cohort-wide peak are
#: compared against that floor instead of their own value (a state that has decayed by orders of
#: magnitude carries the absolute global error of its larger past, in every solver; README.md)
REL_FLOOR = 1e-3
#: the reference solution: SciPy DOP853 at tight tolerances, on the first patients
REF_METHOD, REF_RTOL, REF_ATOL = "DOP853", 1e-12, 1e-15


# --------------------------------------------------------------------------------------------
# utilities
# --------------------------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Median wall time over ``repeats`` calls (after one untimed warm-up call)."""
    result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def peak_scaled_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max_t |b|, per patient and output; arrays (patients, times, outputs)."""
    peak = np.max(np.abs(b), axis=1, keepdims=True)
    return float(np.max(np.abs(a - b) / np.where(peak > 0, peak, 1.0)))


def max_rel_diff(a: np.ndarray, b: np.ndarray, floor: float = REL_FLOOR) -> float:
    """max |a - b| / max(|b|, floor * cohort-wide peak of that output)."""
    peak = np.max(np.abs(b), axis=(0, 1), keepdims=True)
    scale = np.maximum(np.abs(b), floor * np.where(peak > 0, peak, 1.0))
    return float(np.max(np.abs(a - b) / scale))


def pointwise_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|b|, atol): the strictest reading, reported in the JSON only."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), ATOL)))


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            or None
        )
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    versions = {
        "python": platform.python_version(),
        "septrial": getattr(septrial, "__version__", "unknown"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }
    rr = _roadrunner()
    versions["libroadrunner"] = rr.__version__ if rr is not None else None
    for name in ("numba", "numbalsoda", "jax", "diffrax"):
        versions[name] = _version(name)
    return {
        "load_average_1_5_15min": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit,
        "git_dirty": dirty,
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _roadrunner():
    try:
        import roadrunner
    except ImportError:
        return None
    return roadrunner


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _numba_models():
    """models_numba, or the reason it cannot be used (numba or numbalsoda missing)."""
    try:
        import models_numba
    except ImportError as e:
        return None, f"numbalsoda/numba is not installed ({e.name}; pip install septrial[bench])"
    return models_numba, None


def _jax_models():
    try:
        import models_jax
    except ImportError as e:
        return None, f"JAX/diffrax is not installed ({e.name}; pip install septrial[bench])"
    return models_jax, None


# --------------------------------------------------------------------------------------------
# the two cases
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    title: str
    septrial_model: str
    grid: np.ndarray
    outputs: tuple[str, ...]
    patients: Callable[[int, int], dict[str, np.ndarray]]
    sbml: Callable[[], ms.OdeModel]
    septrial_kwargs: Callable[[int], dict[str, Any]]
    rr_set: Callable[[Any, dict[str, np.ndarray], int], None]
    scipy_solve: Callable[..., tuple[np.ndarray, int]]
    # libroadrunner, expert use: global parameter ids and their (patients, k) values
    rr_values: Callable[[dict[str, np.ndarray]], tuple[list[str], np.ndarray]]
    # numbalsoda: (models_numba, patients, n) -> (outputs (n, T, k), success flags)
    numba_run: Callable[..., tuple[np.ndarray, np.ndarray]]
    # JAX: (models_jax, solver) -> jitted cohort function; patients -> its arguments
    jax_fn: Callable[..., Any]
    jax_args: Callable[[dict[str, np.ndarray], int], tuple[np.ndarray, ...]]
    notes: list[str] = field(default_factory=list)
    linear: bool = False  # septrial can also solve it exactly (method="exact")


def _cohort(n: int) -> pd.DataFrame:
    return pd.DataFrame({"weight_kg": np.full(n, 70.0)})


def otto_case() -> Case:
    grid = np.arange(0.0, 97.0, 1.0)
    end = ms.OTTO_INFUSION_END_H
    i_end = int(np.searchsorted(grid, end))  # grid[i_end] == 72
    dose = septrial.Infusion(
        drug="esketamine", rate=ms.OTTO_RATE_MG_H, unit="mg/h", start_h=0, duration_h=end
    )

    def septrial_kwargs(n: int) -> dict[str, Any]:
        return {"covariates": _cohort(n), "doses": [dose]}

    def rr_set(rr, p, i):
        for name, values in p.items():
            rr[name] = float(values[i])

    def scipy_solve(p, i, method, rtol=RTOL, atol=ATOL):
        # Integrate exactly between the rate change points, as septrial does (roadrunner: event).
        pi = {**ms.OTTO_TYPICAL, **{k: float(v[i]) for k, v in p.items()}}
        make, observe = ms.otto_rhs_factory(pi)
        kw = {"method": method, "rtol": rtol, "atol": atol, "vectorized": True}
        s1 = solve_ivp(
            make(ms.OTTO_RATE_MG_H), (0.0, end), np.zeros(5), t_eval=grid[: i_end + 1], **kw
        )
        s2 = solve_ivp(make(0.0), (end, grid[-1]), s1.y[:, -1], t_eval=grid[i_end:], **kw)
        if not (s1.success and s2.success):
            raise RuntimeError(f"solve_ivp {method} failed: {s1.message} / {s2.message}")
        y = np.concatenate([s1.y, s2.y[:, 1:]], axis=1)
        return observe(y), s1.nfev + s2.nfev

    def rr_values(p):
        names = [*ms.OTTO_VARIED, "R"]  # R: the event set it to 0 and reset() keeps parameters
        n = len(p[names[0]])
        return names, np.column_stack(
            [p[k] for k in ms.OTTO_VARIED] + [np.full(n, ms.OTTO_RATE_MG_H)]
        )

    def numba_run(mn, p, n):
        idx = np.array([mn.OTTO_NAMES.index(k) for k in ms.OTTO_VARIED])
        varied = np.column_stack([p[k][:n] for k in ms.OTTO_VARIED])
        return mn.otto_cohort(
            mn.OTTO_RHS, mn.otto_typical(), idx, varied, grid, i_end, ms.OTTO_RATE_MG_H, RTOL, ATOL
        )

    return Case(
        linear=True,
        key="otto2021",
        title="Otto 2021 esketamine + norketamine PK (5 states), 4.9 mg/h for 72 h, hourly 0-96 h",
        septrial_model="esketamine_otto2021",
        grid=grid,
        outputs=ms.OTTO_OUTPUTS,
        patients=ms.otto_patients,
        sbml=ms.otto_model,
        septrial_kwargs=septrial_kwargs,
        rr_set=rr_set,
        scipy_solve=scipy_solve,
        rr_values=rr_values,
        numba_run=numba_run,
        jax_fn=lambda mj, solver: mj.otto_cohort_fn(grid, solver, RTOL, ATOL),
        jax_args=lambda p, n: tuple(p[k][:n] for k in ("V1", "CL", "V_NK", "CL_NK")),
        notes=[
            "per patient: log-normal V1, CL, V_NK, CL_NK with the published Otto 2021 IIV "
            "covariance; 70 kg"
        ],
    )


def reynolds_case() -> Case:
    grid = np.arange(0.0, 337.0, 2.0)

    def septrial_kwargs(n: int) -> dict[str, Any]:
        return {"covariates": _cohort(n)}

    def rr_set(rr, p, i):
        rr["P"] = float(p["P0"][i])  # the state itself: P(0) = P0
        rr["k_pg"] = float(p["k_pg"][i])

    def scipy_solve(p, i, method, rtol=RTOL, atol=ATOL):
        pi = {**ms.REYNOLDS_TYPICAL, "k_pg": float(p["k_pg"][i])}
        y0 = np.array([float(p["P0"][i]), 0.0, 0.0, ms.REYNOLDS_CA0])
        s = solve_ivp(
            ms.reynolds_rhs_factory(pi),
            (0.0, grid[-1]),
            y0,
            t_eval=grid,
            method=method,
            rtol=rtol,
            atol=atol,
            vectorized=True,
        )
        if not s.success:
            raise RuntimeError(f"solve_ivp {method} failed: {s.message}")
        return s.y.T, s.nfev

    def rr_values(p):
        return ["k_pg", "P"], np.column_stack([p["k_pg"], p["P0"]])  # P: the state, P(0) = P0

    def numba_run(mn, p, n):
        return mn.reynolds_cohort(
            mn.REYNOLDS_RHS,
            mn.reynolds_typical(),
            p["P0"][:n],
            p["k_pg"][:n],
            ms.REYNOLDS_CA0,
            grid,
            RTOL,
            ATOL,
        )

    return Case(
        key="reynolds2006",
        title="Reynolds 2006 inflammation core (4 states), septic case, 0-336 h every 2 h",
        septrial_model="reynolds2006",
        grid=grid,
        outputs=ms.REYNOLDS_OUTPUTS,
        patients=ms.reynolds_patients,
        sbml=ms.reynolds_model,
        septrial_kwargs=septrial_kwargs,
        rr_set=rr_set,
        scipy_solve=scipy_solve,
        rr_values=rr_values,
        numba_run=numba_run,
        jax_fn=lambda mj, solver: mj.reynolds_cohort_fn(grid, solver, RTOL, ATOL),
        jax_args=lambda p, n: (p["P0"][:n], p["k_pg"][:n]),
        notes=["per patient: log-normal P0 (median 1, CV 50 %) and k_pg (median 0.6, CV 30 %)"],
    )


# --------------------------------------------------------------------------------------------
# runners: each returns (outputs array (n, T, k), work per patient or None)
# --------------------------------------------------------------------------------------------


def run_septrial(case: Case, p: dict[str, np.ndarray], n: int, method: str, threads: int):
    params = {k: v[:n] for k, v in p.items()}
    kwargs = case.septrial_kwargs(n)

    def go():
        df = septrial.simulate(
            case.septrial_model,
            times_h=case.grid,
            params=params,
            method=method,
            rtol=RTOL,
            atol=ATOL,
            threads=threads,
            **kwargs,
        )
        return df

    def finish(df):
        failures = df.attrs["failures"]
        if failures:
            patient, reason = next(iter(failures.items()))
            raise RuntimeError(f"septrial failed for patient {patient}: {reason}")
        out = df[list(case.outputs)].to_numpy().reshape(n, len(case.grid), len(case.outputs))
        return out, float(np.mean(df.attrs["steps"]))

    return go, finish


def run_roadrunner(case: Case, p: dict[str, np.ndarray], n: int, stiff: bool):
    rrmod = _roadrunner()
    rr = rrmod.RoadRunner(case.sbml().sbml())
    rr.setIntegrator("cvode")
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.integrator.stiff = stiff
    rr.timeCourseSelections = ["time", *case.outputs]
    t0, t1, points = float(case.grid[0]), float(case.grid[-1]), len(case.grid)

    def go():
        out = np.empty((n, points, len(case.outputs)))
        for i in range(n):
            rr.resetAll()
            case.rr_set(rr, p, i)
            res = rr.simulate(t0, t1, points)
            out[i] = res[:, 1:]
        return out

    def finish(out):
        if not np.allclose(np.asarray(rr.simulate(t0, t1, points))[:, 0], case.grid):
            raise RuntimeError("roadrunner output grid differs from the benchmark grid")
        return out, None

    return go, finish


#: libroadrunner configurations tried in expert use (same tolerances; the fastest counts).
#: CVODE's Adams order is capped at 12 by default; a cap of 5 was faster in trial runs. Not tried:
#: ``variable_step_size`` (outputs at the solver's steps, not on the grid) and ``multiple_steps``
#: (CVODE failed on these models); ``maximum_num_steps`` is never reached, so it changes nothing.
RR_EXPERT = {
    "rr_x_bdf": ("CVODE BDF (stiff), expert", {"stiff": True}),
    "rr_x_adams": ("CVODE Adams, expert", {"stiff": False}),
    "rr_x_adams5": (
        "CVODE Adams max order 5, expert",
        {"stiff": False, "maximum_adams_order": 5},
    ),
}


def run_roadrunner_expert(case: Case, p: dict[str, np.ndarray], n: int, settings: dict):
    """libroadrunner as an expert drives it: one instance, selections set once, per patient only
    ``reset()`` (time and states; parameters stay) and one ``setGlobalParameterValues`` with
    precomputed indices."""
    rrmod = _roadrunner()
    rr = rrmod.RoadRunner(case.sbml().sbml())
    rr.setIntegrator("cvode")
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    for key, value in settings.items():
        setattr(rr.integrator, key, value)
    rr.timeCourseSelections = ["time", *case.outputs]
    names, values = case.rr_values(p)
    ids = list(rr.model.getGlobalParameterIds())
    idx = np.array([ids.index(k) for k in names], dtype=np.int32)
    values = np.ascontiguousarray(values[:n])
    model = rr.model
    t0, t1, points = float(case.grid[0]), float(case.grid[-1]), len(case.grid)

    def go():
        out = np.empty((n, points, len(case.outputs)))
        for i in range(n):
            rr.reset()
            model.setGlobalParameterValues(idx, values[i])
            out[i] = rr.simulate(t0, t1, points)[:, 1:]
        return out

    def finish(out):
        if not np.allclose(np.asarray(rr.simulate(t0, t1, points))[:, 0], case.grid):
            raise RuntimeError("roadrunner output grid differs from the benchmark grid")
        return out, None

    return go, finish


def run_numbalsoda(case: Case, p: dict[str, np.ndarray], n: int, mn):
    """The whole patient loop is one njit call; compiling it happens in the untimed warm-up."""

    def go():
        return case.numba_run(mn, p, n)

    def finish(result):
        out, ok = result
        if not ok.all():
            raise RuntimeError(f"numbalsoda failed for {int((~ok).sum())} patients")
        return out, None

    return go, finish


def run_jax(case: Case, p: dict[str, np.ndarray], n: int, mj, solver: str):
    """One jitted ``vmap`` over patients. The first call (tracing + XLA compilation) is timed here,
    apart; the benchmark's warm-up and timed repeats then run the compiled function."""
    import jax

    fn = case.jax_fn(mj, solver)
    args = tuple(jax.device_put(a) for a in case.jax_args(p, n))
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    compile_s = time.perf_counter() - t0

    def go():
        out, steps, ok = jax.block_until_ready(fn(*args))
        return np.asarray(out), np.asarray(steps), np.asarray(ok)

    def finish(result):
        out, steps, ok = result
        if not ok.all():
            raise RuntimeError(f"diffrax {solver} failed for {int((~ok).sum())} patients")
        return out, float(np.mean(steps))

    return go, finish, {"compile_s": compile_s}


def run_scipy(case: Case, p: dict[str, np.ndarray], n: int, method: str):
    def go():
        out = np.empty((n, len(case.grid), len(case.outputs)))
        nfev = 0
        for i in range(n):
            out[i], f = case.scipy_solve(p, i, method)
            nfev += f
        return out, nfev / n

    def finish(result):
        return result

    return go, finish


# --------------------------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------------------------


def bench_case(case: Case, sizes: dict[str, int], repeats: int, seed: int, log) -> dict[str, Any]:
    n_max = max(sizes.values())
    p = case.patients(n_max, seed)
    n_s, n_r, n_p = sizes["septrial"], sizes["roadrunner"], sizes["scipy"]
    n_nb, n_jax = sizes["numbalsoda"], sizes["jax"]
    skipped: dict[str, str] = {}
    specs: list[tuple[str, str, str, int, int, Any]] = [
        ("septrial", "septrial", "dopri5", 1, n_s, run_septrial(case, p, n_s, "dopri5", 1)),
        ("septrial_t2", "septrial", "dopri5", 2, n_s, run_septrial(case, p, n_s, "dopri5", 2)),
        (
            "septrial_ros",
            "septrial",
            "rosenbrock4",
            1,
            n_s,
            run_septrial(case, p, n_s, "rosenbrock4", 1),
        ),
    ]
    if case.linear:
        exact = run_septrial(case, p, n_s, "exact", 1)
        specs.append(("septrial_exact", "septrial", "exact (closed form)", 1, n_s, exact))
    rr_skipped = None
    if _roadrunner() is None:
        rr_skipped = "libroadrunner is not installed (pip install septrial[bench])"
        skipped["libroadrunner"] = rr_skipped
        log(f"  {case.key}: roadrunner skipped: {rr_skipped}")
    else:
        specs += [
            (
                "rr_bdf",
                "libroadrunner",
                "CVODE BDF (stiff)",
                1,
                n_r,
                run_roadrunner(case, p, n_r, stiff=True),
            ),
            (
                "rr_adams",
                "libroadrunner",
                "CVODE Adams",
                1,
                n_r,
                run_roadrunner(case, p, n_r, stiff=False),
            ),
        ]
        for label, (solver, settings) in RR_EXPERT.items():
            run = run_roadrunner_expert(case, p, n_r, settings)
            specs.append((label, "libroadrunner", solver, 1, n_r, run))
    mn, why = _numba_models()
    if mn is None:
        skipped["numbalsoda"] = why
        log(f"  {case.key}: numbalsoda skipped: {why}")
    else:
        specs.append(
            (
                "numbalsoda",
                "numbalsoda",
                "LSODA, njit loop",
                1,
                n_nb,
                run_numbalsoda(case, p, n_nb, mn),
            )
        )
    mj, why = _jax_models()
    if mj is None:
        skipped["JAX + diffrax"] = why
        log(f"  {case.key}: JAX skipped: {why}")
    else:
        for solver in ("Tsit5", "Kvaerno5"):
            log(f"  {case.key}: compiling JAX {solver} ...")
            run = run_jax(case, p, n_jax, mj, solver)
            specs.append(
                (f"jax_{solver.lower()}", "JAX + diffrax", f"{solver}, vmap", 1, n_jax, run)
            )
    specs += [
        ("scipy_lsoda", "SciPy solve_ivp", "LSODA", 1, n_p, run_scipy(case, p, n_p, "LSODA")),
        ("scipy_rk45", "SciPy solve_ivp", "RK45", 1, n_p, run_scipy(case, p, n_p, "RK45")),
    ]

    # One untimed warm-up each, then the timed repeats interleaved round-robin, so that a change
    # in machine load during the run hits every tool alike.
    log(f"  {case.key}: warm-up ...")
    results = {label: runner[0]() for label, *_, runner in specs}
    times: dict[str, list[float]] = {label: [] for label, *_ in specs}
    for k in range(repeats):
        for label, _tool, _solver, _threads, _n, runner in specs:
            t0 = time.perf_counter()
            results[label] = runner[0]()
            times[label].append(time.perf_counter() - t0)
        log(f"  {case.key}: repeat {k + 1}/{repeats} done")

    rows: list[dict[str, Any]] = []
    outputs: dict[str, np.ndarray] = {}
    for label, tool, solver, threads, n, runner in specs:
        out, work = runner[1](results[label])
        outputs[label] = out
        median = statistics.median(times[label])
        rows.append(
            {
                **(runner[2] if len(runner) > 2 else {}),
                "label": label,
                "tool": tool,
                "solver": solver,
                "threads": threads,
                "n": n,
                "seconds_median": median,
                "seconds_all": times[label],
                "patients_per_s": n / median,
                "work_per_patient": work,
            }
        )
        log(f"    {tool} {solver} threads={threads} n={n}: {n / median:,.0f} patients/s")

    # A reference solution at tight tolerances, on the patients every tool ran.
    n_ref = min(r["n"] for r in rows)
    log(f"  {case.key}: reference {REF_METHOD} rtol {REF_RTOL:g} atol {REF_ATOL:g}, n={n_ref} ...")
    reference = np.stack(
        [case.scipy_solve(p, i, REF_METHOD, REF_RTOL, REF_ATOL)[0] for i in range(n_ref)]
    )

    # Agreement with septrial (dopri5, 1 thread) on the patients both ran, and accuracy against
    # the reference; the thread count must not change septrial's results at all.
    ref = outputs["septrial"]
    base = next(r for r in rows if r["label"] == "septrial")
    for r in rows:
        out = outputs[r["label"]]
        m = min(len(out), len(ref))
        r["compared_patients"] = m
        same = r["label"] == "septrial"
        r["agreement"] = 0.0 if same else peak_scaled_diff(out[:m], ref[:m])
        r["max_rel_diff"] = 0.0 if same else max_rel_diff(out[:m], ref[:m])
        r["max_pointwise_rel_diff"] = 0.0 if same else pointwise_rel_diff(out[:m], ref[:m])
        r["max_abs_diff_per_output"] = np.max(np.abs(out[:m] - ref[:m]), axis=(0, 1)).tolist()
        r["reference_patients"] = n_ref
        r["error_vs_reference"] = max_rel_diff(out[:n_ref], reference)
        r["peak_scaled_error_vs_reference"] = peak_scaled_diff(out[:n_ref], reference)
        r["ratio_septrial_over_tool"] = base["patients_per_s"] / r["patients_per_s"]
    t2 = next(r for r in rows if r["label"] == "septrial_t2")
    t2["bitwise_equal_to_1_thread"] = bool(np.array_equal(outputs["septrial_t2"], ref))

    # Where septrial's time goes (dopri5, 1 thread): the one-patient call is the per-call
    # overhead; the marginal cost per patient comes from the largest cohort.
    ns = sorted({1, max(1, n_s // 20), max(1, n_s // 4), n_s})
    seconds = []
    for n in ns:
        go, _ = run_septrial(case, p, n, "dopri5", 1)
        seconds.append(timed(go, max(5, repeats))[0])
    per_patient = (seconds[-1] - seconds[0]) / (ns[-1] - 1) if ns[-1] > 1 else seconds[0]
    scaling = {
        "n": ns,
        "seconds": seconds,
        "overhead_s": float(seconds[0] - per_patient),
        "per_patient_s": float(per_patient),
    }
    return {
        "key": case.key,
        "title": case.title,
        "notes": case.notes,
        "rows": rows,
        "roadrunner_skipped": rr_skipped,
        "skipped": skipped,
        "septrial_scaling": scaling,
        "grid_points": len(case.grid),
        "outputs": list(case.outputs),
    }


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def _fmt_work(r: dict[str, Any]) -> str:
    w = r.get("work_per_patient")
    if w is None:
        return "–"
    steps = r["tool"] in ("septrial", "JAX + diffrax")  # accepted steps; SciPy counts f-evals
    return f"{w:,.0f} steps" if steps else f"{w:,.0f} f-evals"


def summary_ratios(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for case in result["cases"]:
        rows = {r["label"]: r for r in case["rows"]}
        s = rows["septrial"]["patients_per_s"]
        d: dict[str, Any] = {}  # ratios, and which libroadrunner row was fastest
        rr = [r["patients_per_s"] for r in case["rows"] if r["tool"] == "libroadrunner"]
        if rr:
            d["vs_best_roadrunner"] = s / max(rr)
            best = max(
                (r for r in case["rows"] if r["tool"] == "libroadrunner"),
                key=lambda r: r["patients_per_s"],
            )
            d["best_roadrunner_is"] = best["solver"]
        if "numbalsoda" in rows:
            d["vs_numbalsoda"] = s / rows["numbalsoda"]["patients_per_s"]
        jx = [r["patients_per_s"] for r in case["rows"] if r["tool"] == "JAX + diffrax"]
        if jx:
            d["vs_best_jax"] = s / max(jx)
        d["vs_best_scipy"] = s / max(
            rows[k]["patients_per_s"] for k in ("scipy_lsoda", "scipy_rk45")
        )
        d["threads2_speedup"] = rows["septrial_t2"]["patients_per_s"] / s
        if "septrial_exact" in rows and rr:
            d["exact_vs_best_roadrunner"] = rows["septrial_exact"]["patients_per_s"] / max(rr)
        out[case["key"]] = d
    return out


def render_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    v = m["versions"]
    lines = [
        "# Benchmarks: septrial against libroadrunner, numbalsoda, JAX + diffrax and SciPy",
        "",
        "Written by `python benchmarks/bench_peers.py"
        + (" --quick" if result["quick"] else "")
        + "`; do not edit by hand. "
        "All numbers come from one process run; ratios are computed within that run.",
        "",
    ]
    if result["quick"]:
        lines += ["> **Quick mode**: tiny cohorts, timings are not meaningful.", ""]
    lines += [
        f"- Machine: {m['cpu']}, {m['usable_cpus']} usable of {m['logical_cpus']} logical CPUs; "
        f"{m['platform']}",
        f"- Versions: septrial {v['septrial']} (commit {m['git_commit'] or '?'}"
        + (", with uncommitted changes" if m["git_dirty"] else "")
        + f"), Python {v['python']}, "
        f"NumPy {v['numpy']}, SciPy {v['scipy']}, pandas {v['pandas']}, "
        f"libroadrunner {v['libroadrunner'] or 'not installed'}, "
        f"numba {v.get('numba') or 'not installed'}, "
        f"numbalsoda {v.get('numbalsoda') or 'not installed'}, "
        f"JAX {v.get('jax') or 'not installed'}, diffrax {v.get('diffrax') or 'not installed'}",
        f"- Date: {m['date_utc']}; tolerances rtol {RTOL:g}, atol {ATOL:g} in every tool; "
        f"median of {result['repeats']} timed repeats after one warm-up; seed {result['seed']}",
    ]
    if m.get("load_average_1_5_15min") and m.get("load_average_end"):
        lines.append(
            f"- Machine load (1-min load average) {m['load_average_1_5_15min'][0]:.2f} at start, "
            f"{m['load_average_end'][0]:.2f} at end (other processes share the machine; the "
            "timed repeats of all tools are interleaved so that load hits them alike)"
        )
    lines += [
        "",
        "## Summary",
        "",
    ]
    ratios = summary_ratios(result)
    lines += [
        "septrial (dopri5, 1 thread) patients per second ÷ each peer's, per core; for a peer with "
        "several configurations, its fastest.",
        "",
        "| model | septrial patients/s | ÷ libroadrunner (best) | ÷ numbalsoda | "
        "÷ JAX + diffrax (best) | ÷ SciPy (best) | septrial 2 threads ÷ 1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(r: dict[str, Any], key: str) -> str:
        return f"**{r[key]:.1f}×**" if key in r else "not measured"

    for case in result["cases"]:
        r = ratios[case["key"]]
        s = next(x for x in case["rows"] if x["label"] == "septrial")["patients_per_s"]
        best_rr = f" ({r['best_roadrunner_is']})" if "best_roadrunner_is" in r else ""
        lines.append(
            f"| {case['key']} | {_fmt_rate(s)} | {cell(r, 'vs_best_roadrunner')}{best_rr} | "
            f"{cell(r, 'vs_numbalsoda')} | {cell(r, 'vs_best_jax')} | "
            f"{cell(r, 'vs_best_scipy')} | {r['threads2_speedup']:.2f}× |"
        )
    for case in result["cases"]:
        r = ratios[case["key"]]
        if "exact_vs_best_roadrunner" in r:
            lines += [
                "",
                f'{case["key"]}: septrial\'s exact linear solver (`method="exact"`, no step-size '
                f"error) runs **{r['exact_vs_best_roadrunner']:.1f}×** libroadrunner's best.",
            ]
    targets = [("vs_numbalsoda", 3, "numbalsoda"), ("vs_best_roadrunner", 10, "libroadrunner")]
    verdicts = []
    for key, goal, name in targets:
        got = {c["key"]: ratios[c["key"]].get(key) for c in result["cases"]}
        if got and all(g is not None for g in got.values()):
            verdicts.append(
                f"≥ {goal}× {name}: "
                + "; ".join(
                    f"{'**met**' if g >= goal else '**not met**'} on {k} ({g:.1f}×)"
                    for k, g in got.items()
                )
            )
    if verdicts:
        lines += ["", "Targets (patients per second per core): " + "; ".join(verdicts) + "."]
    lines.append("")
    for case in result["cases"]:
        lines += [f"## {case['title']}", ""]
        lines += [f"{note}." for note in case["notes"]]
        lines += [
            "",
            "| tool | solver | threads | patients | patients/s | septrial ÷ tool | "
            "agreement with septrial | rel. error vs reference | work / patient |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in case["rows"]:
            ratio = (
                "1 (reference)"
                if r["label"] == "septrial"
                else (
                    f"{r['ratio_septrial_over_tool']:.2f}×"
                    if r["tool"] == "septrial"
                    else f"**{r['ratio_septrial_over_tool']:.1f}×**"
                )
            )
            diff = "–" if r["label"] == "septrial" else f"{r['agreement']:.1e}"
            if r.get("bitwise_equal_to_1_thread"):
                diff = "0 (bitwise equal)"
            lines.append(
                f"| {r['tool']} | {r['solver']} | {r['threads']} | {r['n']:,} | "
                f"{_fmt_rate(r['patients_per_s'])} | {ratio} | {diff} | "
                f"{r['error_vs_reference']:.1e} | {_fmt_work(r)} |"
            )
        for tool, why in case.get("skipped", {}).items():
            lines += ["", f"{tool} rows skipped: {why}."]
        compiled = [r for r in case["rows"] if "compile_s" in r]
        if compiled:
            lines += [
                "",
                "JAX compile time (first call: tracing + XLA compilation, not in the timed "
                "repeats): "
                + ", ".join(f"{r['solver'].split(',')[0]} {r['compile_s']:.1f} s" for r in compiled)
                + ".",
            ]
        sc = case["septrial_scaling"]
        lines += [
            "",
            "septrial cost (dopri5, 1 thread; cohorts of "
            f"{', '.join(f'{n:,}' for n in sc['n'])} patients took "
            f"{', '.join(f'{t * 1e3:.2f}' for t in sc['seconds'])} ms): "
            f"≈ {sc['overhead_s'] * 1e3:.2f} ms per call + {sc['per_patient_s'] * 1e6:.1f} µs per "
            f"patient, so one patient per call runs at {1 / sc['seconds'][0]:,.0f} calls/s.",
            "",
        ]
    lines += [
        "## How measured",
        "",
        "- **Same model.** The equations of Otto 2021 (5 states) and Reynolds 2006 (4 states), as "
        "described in docs/model.md, are written once in `benchmarks/models_sbml.py`, which "
        "generates the SBML "
        "that libroadrunner loads (rate rules; the end of the infusion at 72 h is an SBML event) "
        "and the vectorised NumPy right-hand sides given to SciPy. septrial runs its own library "
        "models `esketamine_otto2021` (one `septrial.Infusion` of 4.9 mg/h for 72 h) and "
        "`reynolds2006`. The clamp of P, N, D at 0 in septrial's Reynolds right-hand side is "
        "reproduced in the other two. septrial's Otto model carries one extra bookkeeping state "
        "(eliminated amount); it does not feed back.",
        "- **Same patients.** Every patient has its own parameter values (seeded draws, shared by "
        "all tools): septrial gets one call with a cohort DataFrame and per-patient `params` "
        "arrays; libroadrunner (plain use) does `resetAll()`, sets the values by name and calls "
        "`simulate(t0, t_end, points)` per patient; libroadrunner (*expert*) keeps one instance "
        "with its selections set once and per patient only calls `reset()`, "
        "`model.setGlobalParameterValues(indices, values)` with precomputed indices (including "
        "the infusion rate that the event zeroed, and for Reynolds the state P) and `simulate`; "
        "numbalsoda runs the whole patient loop in one `numba.njit` function calling "
        "`numbalsoda.lsoda` with a numba `cfunc` right-hand side (`benchmarks/models_numba.py`), "
        "so no Python runs per patient; JAX + diffrax runs one `jax.jit` of `jax.vmap` over "
        "patients of `diffrax.diffeqsolve` (`benchmarks/models_jax.py`, float64, "
        "`PIDController(rtol, atol)`, `SaveAt(ts=grid)`, the end of the infusion as `jump_ts`); "
        "vmap advances all patients in lockstep until the slowest finishes; SciPy calls "
        "`solve_ivp(..., t_eval=grid)` per "
        "patient (for the infusion: two calls, 0–72 h and 72–96 h, so no solver steps across the "
        "rate change, as septrial does; numbalsoda does the same; no Jacobian is supplied to any "
        "tool, diffrax's Kvaerno5 differentiates the right-hand side itself).",
        f"- **Same tolerances and grid.** rtol {RTOL:g}, atol {ATOL:g} everywhere (libroadrunner "
        "additionally scales a state's absolute tolerance down by its initial value when that is "
        "below 1, so it is never looser); outputs on the same grid in every tool (septrial and "
        "SciPy RK45 interpolate dense output; CVODE and LSODA interpolate their own steps).",
        "- **Same computation.** *agreement with septrial* is max |x_tool − x_septrial| / "
        "(peak of that patient's output over the grid), over every patient, time and output both "
        f"tools computed; the script fails if it reaches {AGREEMENT_LIMIT:g}.",
        f"- **Accuracy.** *rel. error vs reference* compares with SciPy {REF_METHOD} at rtol "
        f"{REF_RTOL:g}, atol {REF_ATOL:g} on the first patients (as many as the smallest run): "
        f"max |x − x_ref| / max(|x_ref|, {REL_FLOOR:g} × that output's peak over the cohort). "
        "A pointwise relative error is not bounded by rtol: in the Reynolds model the pathogen "
        "collapses by five orders of magnitude within hours, and a solver's small timing error "
        "there is a large relative error of a small number. The strict pointwise figures (floor "
        "= atol) are in the JSON.",
        "- **Timing.** Wall time of the whole user-level call (septrial: `septrial.simulate` "
        "including building the DataFrame; libroadrunner and SciPy: the Python loop over "
        "patients, collecting the outputs into an array), median of the timed repeats after one "
        "untimed warm-up, all in one process. Per-core figures use one thread; septrial also runs "
        "with 2 threads. Peers run fewer patients (they are slower); rates are patients per "
        "second, so sizes cancel. *work / patient* is accepted steps for septrial and JAX and "
        "right-hand-side evaluations for SciPy. numbalsoda's njit compilation happens in the "
        "untimed warm-up; JAX's first call (tracing and XLA compilation) is timed apart and "
        "reported below its table, not in the repeats, which wait for the result "
        "(`block_until_ready`). XLA is limited to one thread.",
        "- **Ratio.** *septrial ÷ tool* = septrial (dopri5, 1 thread) patients/s ÷ that row's "
        "patients/s; the summary uses the fastest of the peer's configurations (for "
        "libroadrunner: plain and expert use, BDF, Adams, and Adams with its order capped at 5; "
        "`variable_step_size` is not comparable, it returns the solver's steps instead of the "
        "grid).",
        "- **What septrial does that the others do not.** It steps four patients of a one-module "
        "model together, stage by stage (bit-identical to one at a time), and keeps freed result "
        "buffers of 2 MB or more for reuse (at most 512 MB), so a repeated call, here as in a "
        "user's loop, writes into memory that is already mapped. Where a patient's time goes, "
        "measured, and what was tried: `benchmarks/results/simulate_profile.md`.",
        "- Raw numbers (every repeat) are in the JSON written next to this run "
        "(`benchmarks/results/`).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny cohorts (smoke test, seconds)")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="markdown report (default docs/benchmarks.md; quick: "
        "benchmarks/results/benchmarks_quick.md)",
    )
    ap.add_argument(
        "--json",
        type=Path,
        default=None,
        help="raw results (default benchmarks/results/bench_peers[_quick].json)",
    )
    ap.add_argument("--n-septrial", type=int, default=None)
    ap.add_argument("--n-roadrunner", type=int, default=None)
    ap.add_argument("--n-scipy", type=int, default=None)
    ap.add_argument("--n-numbalsoda", type=int, default=None)
    ap.add_argument("--n-jax", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--models",
        default="otto2021,reynolds2006",
        help="comma-separated subset of otto2021, reynolds2006",
    )
    ap.add_argument("-q", "--silent", action="store_true")
    args = ap.parse_args(argv)

    sizes = (
        {"septrial": 40, "roadrunner": 8, "scipy": 4, "numbalsoda": 40, "jax": 8}
        if args.quick
        else {"septrial": 2000, "roadrunner": 500, "scipy": 100, "numbalsoda": 2000, "jax": 500}
    )
    for tool in sizes:
        given = getattr(args, f"n_{tool}")
        if given is not None:
            if given < 1:
                ap.error(f"--n-{tool}: must be >= 1")
            sizes[tool] = given
    if args.repeats < 1:
        ap.error("--repeats: must be >= 1")
    suffix = "_quick" if args.quick else ""
    out = args.out or (
        HERE / "results" / "benchmarks_quick.md" if args.quick else REPO / "docs" / "benchmarks.md"
    )
    json_path = args.json or HERE / "results" / f"bench_peers{suffix}.json"
    cases = {"otto2021": otto_case, "reynolds2006": reynolds_case}
    wanted = [k.strip() for k in args.models.split(",") if k.strip()]
    for k in wanted:
        if k not in cases:
            ap.error(f"--models: unknown model {k!r}; allowed: {', '.join(cases)}")

    def log(msg: str) -> None:
        if not args.silent:
            print(msg, file=sys.stderr, flush=True)

    result: dict[str, Any] = {
        "quick": args.quick,
        "repeats": args.repeats,
        "seed": args.seed,
        "sizes": sizes,
        "rtol": RTOL,
        "atol": ATOL,
        "agreement_limit": AGREEMENT_LIMIT,
        "machine": machine_facts(),
        "cases": [],
    }
    for k in wanted:
        result["cases"].append(bench_case(cases[k](), sizes, args.repeats, args.seed, log))
    if hasattr(os, "getloadavg"):
        result["machine"]["load_average_end"] = list(os.getloadavg())
    result["summary"] = summary_ratios(result)
    worst = max((r["agreement"] for c in result["cases"] for r in c["rows"]), default=0.0)
    result["worst_agreement"] = worst

    write_atomic(json_path, json.dumps(result, indent=2) + "\n")
    report = render_markdown(result)
    # Keep the sections that the other scripts maintain (doc_sections.SECTIONS).
    report = doc_sections.carry(out.read_text(encoding="utf-8") if out.exists() else "", report)
    write_atomic(out, report)
    log(f"wrote {out} and {json_path}")
    for key, r in result["summary"].items():
        log(
            f"{key}: "
            + ", ".join(f"{k} {val:.2f}" for k, val in r.items() if k != "best_roadrunner_is")
        )
    if worst >= AGREEMENT_LIMIT:
        log(f"ERROR: tools disagree (agreement {worst:.2e} >= {AGREEMENT_LIMIT:g})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
