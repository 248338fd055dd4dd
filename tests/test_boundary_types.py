"""Wrong types at the public API (screen, run_trial, power_curve, compare, simulate,
Scenario.with_params) become a ValueError naming the argument, never a TypeError
from the pybind11 boundary ("incompatible function arguments") or from numpy/int()."""

from __future__ import annotations

import numpy as np
import pytest

import septrial

BOLUS = [septrial.Bolus(drug="esketamine", dose=0.25, unit="mg/kg", time_h=0)]
WRONG = ["abc", None, [1, 2], {"a": 1}, 2**80, 1.5, float("nan"), True, np.float32(2.5)]
WRONG_NUMBER = ["abc", None, [1, 2], {"a": 1}, True, float("inf")]
POOL = dict(n_trials=4, method="pool", pool_per_arm=6, n_pools=1)


def _compare(sc, **kw):
    args = dict(n_per_arm=[4], n_trials=4, pool_per_arm=6)
    return septrial.compare([sc, sc.with_params(I_max=0.2)], labels=["a", "b"], **{**args, **kw})


def _simulate(**kw):
    args = dict(model="esketamine_otto2021", covariates={"weight_kg": 70}, doses=BOLUS)
    return septrial.simulate(**{**args, "times_h": [1.0, 2.0], **kw})


CALLS = {
    "seed": [
        lambda sc, v: septrial.screen(sc, n=50, seed=v),
        lambda sc, v: septrial.run_trial(sc, n_per_arm=4, seed=v),
        lambda sc, v: septrial.power_curve(sc, [4], seed=v, **POOL),
        lambda sc, v: _simulate(seed=v),
        lambda sc, v: _compare(sc, seed=v),
    ],
    "threads": [
        lambda sc, v: septrial.screen(sc, n=50, threads=v),
        lambda sc, v: septrial.run_trial(sc, n_per_arm=4, threads=v),
        lambda sc, v: septrial.power_curve(sc, [4], threads=v, **POOL),
        lambda sc, v: _simulate(threads=v),
        lambda sc, v: _compare(sc, threads=v),
    ],
    "n": [lambda sc, v: septrial.screen(sc, n=v)],
    "n_per_arm": [
        lambda sc, v: septrial.run_trial(sc, n_per_arm=v),
        lambda sc, v: septrial.power_curve(sc, v, **POOL),
        lambda sc, v: _compare(sc, n_per_arm=v),
    ],
    "trial": [lambda sc, v: septrial.run_trial(sc, n_per_arm=4, trial=v)],
    "n_trials": [lambda sc, v: septrial.power_curve(sc, [4], v, method="pool", pool_per_arm=6)],
    "pool_per_arm": [
        lambda sc, v: septrial.power_curve(sc, [4], 4, method="pool", pool_per_arm=v),
        lambda sc, v: _compare(sc, pool_per_arm=v),
    ],
    "n_pools": [lambda sc, v: septrial.power_curve(sc, [4], 4, method="pool", n_pools=v)],
}
NUMBER_CALLS = {
    "params.IC50": [
        lambda sc, v: septrial.run_trial(sc, n_per_arm=4, params={"IC50": v}),
        lambda sc, v: septrial.power_curve(sc, [4], params={"IC50": v}, **POOL),
        lambda sc, v: sc.with_params(IC50=v),
        lambda sc, v: _compare(sc, params={"IC50": v}),
    ],
    "params.CL": [lambda sc, v: _simulate(params={"CL": v})],
    "times_h": [lambda sc, v: _simulate(times_h={"a": v})],
}


#: None means "the default" for these arguments (of these calls: index into CALLS[field]).
NONE_IS_DEFAULT = {("threads", i) for i in range(5)} | {
    ("n_trials", 0),
    ("pool_per_arm", 0),
    ("pool_per_arm", 1),
    ("n_pools", 0),
    ("n_per_arm", 1),
    ("n_per_arm", 2),
}


def _cases(calls, values, skip=frozenset()):
    return [
        (f, i, v)
        for f, fs in calls.items()
        for i in range(len(fs))
        for v in values
        if not (v is None and (f, i) in skip)
    ]


def _check(call, scenario, value, field):
    try:
        call(scenario, value)
    except ValueError as exc:
        assert str(exc).removeprefix("$.").startswith(field), f"{field} not named first: {exc}"
        assert "incompatible function arguments" not in str(exc)
    except TypeError as exc:  # the failure this test exists for
        pytest.fail(f"{field}={value!r}: TypeError {exc}")
    else:
        pytest.fail(f"{field}={value!r} was accepted")


@pytest.mark.parametrize(("field", "i", "value"), _cases(CALLS, WRONG, NONE_IS_DEFAULT), ids=repr)
def test_wrong_whole_numbers_name_the_argument(scenario, field, i, value):
    if field == "n_per_arm" and i >= 1 and isinstance(value, list):
        value = [2, "abc"]  # a list is allowed here: put the wrong value inside it
        field = "n_per_arm[1]"
    _check(CALLS[field.split("[")[0]][i], scenario, value, field)


@pytest.mark.parametrize(("field", "i", "value"), _cases(NUMBER_CALLS, WRONG_NUMBER), ids=repr)
def test_wrong_numbers_name_the_argument(scenario, field, i, value):
    _check(NUMBER_CALLS[field][i], scenario, value, field)


def test_numpy_integers_and_whole_floats_are_accepted(scenario):
    a = septrial.run_trial(scenario, n_per_arm=np.int64(4), seed=np.uint32(7), threads=np.int8(1))
    b = septrial.run_trial(scenario, n_per_arm=4.0, seed=7, threads=1)
    assert a.patients.equals(b.patients)
