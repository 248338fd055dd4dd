"""Binding contracts: zero-copy results, GIL released, Ctrl-C, determinism across threads."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pandas as pd
import pytest

import septrial
from septrial import _core
from septrial.covariates import covariate_columns
from septrial.spec.design import Solver


def _covariates(n: int) -> dict[str, np.ndarray]:
    return covariate_columns(pd.DataFrame({"weight_kg": np.full(n, 70.0)}))[0]


def _raw_simulate(n: int, threads: int = 1):
    info = septrial.model_info("sepsis_esketamine")
    params = info.parameter_matrix(None, n)
    return _core.simulate(
        "sepsis_esketamine",
        _covariates(n),
        params,
        [_core.Regimen()],
        np.zeros(n, dtype=np.int64),
        np.linspace(0, 672, 50),
        None,
        Solver(method="rosenbrock4").engine(),
        True,
        False,
        False,
        1,
        0,
        threads,
        None,
    )


def test_results_are_returned_without_copies():
    values, columns, status = _raw_simulate(3)
    assert values.flags.owndata is False
    assert values.shape == (3, 50, len(columns))
    assert status["ok"].all()


def test_the_gil_is_released_during_simulation():
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.perf_counter()
    _raw_simulate(300, threads=1)
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # a Python thread keeps running while the engine works (no tick gap of the whole run)
    assert len(during) >= 3
    assert max(np.diff(during), default=0) < 0.5 * (end - start)


def test_ctrl_c_stops_a_long_simulation():
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _raw_simulate(200_000, threads=2)
    assert time.perf_counter() - start < 10
    timer.cancel()


def test_progress_callback_counts_every_patient():
    seen = []
    cohort = pd.DataFrame({"weight_kg": np.linspace(50, 90, 40)})
    septrial.simulate(
        "esketamine_otto2021",
        cohort,
        [septrial.Bolus("esketamine", 10)],
        [1.0, 2.0],
        progress=False,
    )
    info = septrial.model_info("esketamine_otto2021")
    params = info.parameter_matrix(None, 40)
    _core.simulate(
        "esketamine_otto2021",
        _covariates(40),
        params,
        [_core.Regimen()],
        np.zeros(40, dtype=np.int64),
        np.array([1.0]),
        None,
        Solver(max_steps=1000).engine(),
        False,
        False,
        False,
        0,
        0,
        2,
        seen.append,
    )
    assert sum(seen) == 40


def test_a_failing_patient_does_not_lose_the_cohort():
    cohort = pd.DataFrame({"weight_kg": [70.0, 70.0]})
    df = septrial.simulate(
        "sepsis_esketamine", cohort, times_h=[100.0], max_steps=5, params={"P0": [1.0, 1.0]}
    )
    failures = df.attrs["failures"]
    assert set(failures) == {0, 1} and "max_steps" in failures[0]
    assert df["il6_pg_ml"].isna().all()
    with pytest.raises(septrial.simulation.SimulationError, match="max_steps"):
        septrial.simulate("sepsis_esketamine", times_h=[100.0], max_steps=5)


def test_per_patient_regimens_and_parameters_in_a_cohort():
    cohort = pd.DataFrame({"weight_kg": [60.0, 80.0]})
    doses = [[septrial.Bolus("esketamine", 10.0)], [septrial.Bolus("esketamine", 20.0)]]
    df = septrial.simulate("esketamine_otto2021", cohort, doses, [0.0], params={"V1": [100, 200]})
    # right after the bolus, C = dose / V1 (V1 scaled by weight/70)
    expected = [1000 * 10 / (100 * 60 / 70), 1000 * 20 / (200 * 80 / 70)]
    np.testing.assert_allclose(df["esketamine_ng_ml"], expected, rtol=1e-12)


def test_models_and_parameter_tables_are_described():
    names = septrial.models()
    for m in ("esketamine_otto2021", "propofol_eleveld2018", "reynolds2006", "sepsis_esketamine"):
        assert m in names
    info = septrial.model_info("sepsis_esketamine")
    table = info.parameter_table()
    assert {"name", "value", "unit", "doc"} <= set(table.columns)
    assert (table["doc"].str.len() > 0).all()
    assert "esketamine.CL" in info.parameter_names and "IC50" in info.parameter_names
    # a bare name resolves when only one component has it; an ambiguous one says so
    with pytest.raises(ValueError, match="ambiguous"):
        septrial.simulate("sepsis_esketamine", times_h=[1.0], params={"omega2_CL": 0.1})
    df = septrial.simulate("sepsis_esketamine", times_h=[1.0], params={"Q_NK": 40.0})
    assert len(df) == 1


def test_repeated_boluses_add_up_like_single_ones():
    from septrial.dosing import repeat

    doses = repeat(septrial.Bolus("drug", 10.0, "mg", 1.0), every_h=6.0, count=3)
    assert [d.time_h for d in doses] == [1.0, 7.0, 13.0]
    t = [0.5, 1.0, 7.0, 20.0]
    df = septrial.simulate(
        "linear_1cmt", doses=doses, times_h=t, params={"V1": 10, "CL": 2}, rtol=1e-10, atol=1e-12
    )
    k = 0.2
    expected = [
        sum(10 / 10 * np.exp(-k * (ti - d.time_h)) for d in doses if d.time_h <= ti) for ti in t
    ]
    np.testing.assert_allclose(df["drug_mg_l"], expected, rtol=1e-7)
    with pytest.raises(ValueError, match="count"):
        repeat(doses[0], 6.0, 0)


def test_exact_method_refuses_nonlinear_models():
    with pytest.raises(ValueError, match="exact"):
        septrial.simulate("reynolds2006", times_h=[1.0], method="exact")
    with pytest.raises(ValueError, match="exact"):
        septrial.simulate(
            "esketamine_otto2021", times_h=[1.0], method="exact", params={"E_il6_CL": 0.2}
        )
    # a composition of linear PK models is linear too
    df = septrial.simulate(
        "esketamine_propofol",
        times_h=[1.0, 2.0],
        method="exact",
        doses=[septrial.Infusion("propofol", 2.0, "mg/kg/h")],
    )
    assert df["propofol_mg_l"].iloc[1] > df["propofol_mg_l"].iloc[0] > 0


def test_status_comes_back_as_arrays_with_the_failure_reason():
    # Without a pathogen (P0 = 0) the immune model stays near rest and needs few steps; with one
    # it needs far more than 20, so the middle patient alone runs out of steps.
    info = septrial.model_info("sepsis_esketamine")
    n = 3
    values, columns, status = _core.simulate(
        "sepsis_esketamine",
        _covariates(n),
        info.parameter_matrix({"P0": [0.0, 1.0, 0.0]}, n),
        [_core.Regimen()],
        np.zeros(n, dtype=np.int64),
        np.array([50.0, 100.0]),
        None,
        Solver(method="rosenbrock4", max_steps=20).engine(),
        False,
        False,
        False,
        1,
        0,
        1,
        None,
    )
    assert set(status) == {"ok", "steps", "rhs_evals", "reason", "reasons"}
    for key, dtype in [("ok", np.bool_), ("steps", np.int64), ("rhs_evals", np.int64),
                       ("reason", np.int32)]:  # fmt: skip
        assert status[key].dtype == dtype and status[key].shape == (n,), key
    assert status["ok"].tolist() == [True, False, True]
    assert status["reasons"][0] == "" and len(status["reasons"]) == 2
    assert status["reason"].tolist() == [0, 1, 0]
    assert "max_steps (20) exceeded" in status["reasons"][1]
    assert (status["steps"] > 0).all() and (status["rhs_evals"] >= status["steps"]).all()
    assert np.isnan(values[1]).all() and np.isfinite(values[[0, 2]]).all()
    failures = septrial.simulation.failure_reasons(status)
    assert failures == {1: status["reasons"][1]}


def test_a_cohort_larger_than_one_engine_chunk_is_one_cohort():
    # The binding hands the engine 65,536 patients at a time (bind_simulation.cpp, kChunk); a
    # patient's result and an error's patient index must not depend on that.
    n = 65_536 + 2
    info = septrial.model_info("esketamine_otto2021")
    regimen = _core.Regimen()
    dose = _core.BolusDose()
    dose.drug, dose.time_h, dose.amount, dose.per_kg = 0, 0.0, 20.0, False
    regimen.boluses = [dose]
    solver = Solver(method="exact").engine()
    row = info.parameter_matrix(None, 1)

    def run(cov, m, first_index):
        params = np.broadcast_to(row, (m, row.shape[1]))
        args = (np.zeros(m, dtype=np.int64), np.array([6.0]), None, solver, True, True, False)
        return _core.simulate(info.name, cov, params, [regimen], *args, 7, first_index, 2, None)

    cov = _covariates(n)
    values, _, status = run(cov, n, 0)
    assert status["ok"].all() and np.isfinite(values).all()
    tail, _, _ = run(_covariates(2), 2, n - 2)  # the last two patients on their own
    np.testing.assert_array_equal(values[-2:], tail)
    assert len(np.unique(values[:, 0, 0])) == n  # variability: every patient differs
    cov["weight_kg"][n - 1] = -70.0
    with pytest.raises(ValueError, match=rf"covariates\[{n - 1}\]"):
        run(cov, n, 0)
