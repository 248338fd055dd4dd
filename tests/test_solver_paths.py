"""Every solver path of the trial engine against a tight-tolerance reference on the full
``sepsis_esketamine`` model (esketamine + propofol PK joined to the immune model).

Reference: dopri5 at rtol 1e-10, atol 1e-12 (it shares no code with the hybrid's closed-form PK).
Checked at the scenario's tolerances (rtol 1e-6, atol 1e-8): screening decisions identical,
screening states and 28-day trajectories of every observable within ``TRAJ_TOL`` of the patient's
peak of that observable (floored at ``FLOOR`` = 10 atol / TRAJ_TOL, so that a global absolute error
of 10 atol passes: a pathogen already cleared to ~1e-5 is checked in absolute terms), the
same patients die and their death times (located on dense output) agree within ``DEATH_TOL_H``.
"""

from __future__ import annotations

import numpy as np
import pytest

from septrial import Scenario
from septrial.study import Study

SEED = 7
N_ADMISSIONS = 60
N_FOLLOWED = 12
GRID_H = np.arange(0.0, 673.0, 6.0)
TRAJ_TOL = 1e-4  # max |x - x_ref| / max(peak_ref, FLOOR), per patient and observable
ATOL = 1e-8  # the scenario's
FLOOR = 10 * ATOL / TRAJ_TOL
DEATH_TOL_H = 1e-3
SCREEN_DECISIONS = ["alive", "intubated", "sofa", "sofa_icu", "attempts", "t_icu_h"]


def _study(method: str, rtol: float = 1e-6, atol: float = ATOL) -> Study:
    sc = Scenario.load("nct04843982")
    data = sc.to_dict()
    data["solver"] = {**data["solver"], "method": method, "rtol": rtol, "atol": atol}
    return Study(Scenario.from_dict(data, folder=sc._folder))


def _screen(study: Study, covariates, threads: int = 1):
    from septrial.cohort.frame import simulate_to_screening

    return simulate_to_screening(study, covariates, SEED, threads)


def _treat(study: Study, frame, threads: int = 1):
    n = len(frame)
    out = []
    for arm in range(len(study.engine.arm_names)):
        values, traj, status = study.engine.treat(
            **frame.engine_inputs(np.arange(n), study.opioids),
            arm=arm,
            override_names=[],
            overrides=np.zeros((n, 0)),
            grid_h=GRID_H,
            seed=SEED,
            threads=threads,
            progress=None,
        )
        assert status["ok"].all()
        out.append((values, np.asarray(traj).reshape(n, len(GRID_H), -1)))
    return out


@pytest.fixture(scope="module")
def reference():
    study = _study("dopri5", 1e-10, 1e-12)
    covariates = study.population.sample(N_ADMISSIONS, SEED, threads=1)
    frame = _screen(study, covariates)
    followed = frame.subset(np.flatnonzero(frame.alive)[:N_FOLLOWED])
    return covariates, frame, followed, _treat(study, followed)


@pytest.mark.parametrize("method", ["hybrid", "rosenbrock4", "dopri5"])
def test_solver_path_matches_reference(reference, method):
    covariates, ref_frame, followed, ref_treat = reference
    study = _study(method)
    frame = _screen(study, covariates)
    for col in SCREEN_DECISIONS:  # who is eligible depends only on these
        a, b = ref_frame.table[col].to_numpy(float), frame.table[col].to_numpy(float)
        assert np.array_equal(np.nan_to_num(a, nan=-1), np.nan_to_num(b, nan=-1)), col
    scale = np.maximum(np.abs(ref_frame.states).max(axis=0), FLOOR)
    assert np.nanmax(np.abs(frame.states - ref_frame.states) / scale) < TRAJ_TOL

    # Follow-up from the reference's screening states, so the comparison isolates phase B.
    cols = list(study.engine.treat_columns)
    death = cols.index("death_rel_h")
    deaths = 0
    for (v_ref, tr_ref), (v, tr) in zip(ref_treat, _treat(study, followed), strict=True):
        peak = np.maximum(np.abs(tr_ref).max(axis=1, keepdims=True), FLOOR)
        err = np.abs(tr - tr_ref) / peak
        assert np.nanmax(err) < TRAJ_TOL, np.nanmax(err, axis=(0, 1))
        d_ref, d = v_ref[:, death], v[:, death]
        assert np.array_equal(np.isfinite(d_ref), np.isfinite(d))
        died = np.isfinite(d_ref)
        deaths += int(died.sum())
        if died.any():
            assert np.max(np.abs(d[died] - d_ref[died])) < DEATH_TOL_H
    assert deaths > 0  # the check above covered death times


def test_hybrid_is_deterministic_across_threads(reference):
    covariates, _, followed, _ = reference
    study = _study("hybrid")
    one, two = _screen(study, covariates, 1), _screen(study, covariates, 2)
    assert np.array_equal(one.states, two.states, equal_nan=True)
    for (v1, t1), (v2, t2) in zip(
        _treat(study, followed, 1), _treat(study, followed, 2), strict=True
    ):
        assert np.array_equal(v1, v2, equal_nan=True)
        assert np.array_equal(t1, t2, equal_nan=True)


def test_hybrid_counts_its_work(reference):
    _, _, followed, _ = reference
    study = _study("hybrid")
    n = len(followed)
    _, _, status = study.engine.treat(
        **followed.engine_inputs(np.arange(n), study.opioids),
        arm=1,
        override_names=[],
        overrides=np.zeros((n, 0)),
        grid_h=np.zeros(0),
        seed=SEED,
        threads=1,
        progress=None,
    )
    assert status["ok"].all() and (status["steps"] > 0).all()
    assert (status["rhs_evals"] >= 6 * status["steps"]).all()  # dopri5: six new stages per step
