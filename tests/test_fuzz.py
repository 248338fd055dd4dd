"""Fuzzing the edges users touch: a scenario file with one value replaced by arbitrary JSON, and
``simulate`` with arbitrary arguments. The only allowed outcomes are a result or a ``ValueError``
whose message names the field (never a crash, a TypeError from the binding, or a silent NaN).

CI runs a few hundred cases; the slow-marked runs take thousands (``pytest -m slow``)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import septrial
from conftest import REDUCED
from septrial.scenario import Scenario
from septrial.study import Study

BASE = Scenario.load("nct04843982").to_dict()
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, 1e308, -1.0, 1e-320, 0.5, 72.0, 2.0**63]),
    st.text(max_size=12),
    st.sampled_from(["true", "1", "nan", "propofol", "esketamine", "il6_pg_ml", "ancova", ""]),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(BASE) if p]
#: A ValueError must say where: a JSON path, or the name of the field or parameter involved.
NAMED = re.compile(r"^(\$|[A-Za-z_][\w.\[\]]*:)|criteria|covariates|params")


def _replaced(path, value):
    data = json.loads(json.dumps(BASE))
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return data


def _check_scenario(path, value) -> None:
    try:
        Study(Scenario.from_dict(_replaced(path, value)))
    except ValueError as exc:
        assert NAMED.search(str(exc)), f"{path} = {value!r}: unnamed error {exc}"


def _fuzz_settings(ci: int, slow: int):
    return settings(
        max_examples=ci if REDUCED else slow,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        derandomize=True,
    )


@_fuzz_settings(ci=300, slow=300)
@given(path=st.sampled_from(PATHS), value=JSON_VALUE)
def test_any_value_anywhere_in_a_scenario_is_a_result_or_a_named_error(path, value):
    _check_scenario(path, value)


@pytest.mark.slow
@_fuzz_settings(ci=300, slow=3000)
@given(path=st.sampled_from(PATHS), value=JSON_VALUE)
def test_scenario_fuzz_long(path, value):
    _check_scenario(path, value)


NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0.0, 5e-324, 1e308, -1.0, 70.0]),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
)


def _check_simulate(weight, rate, start, duration, t_end, rtol, seed, threads) -> None:
    try:
        doses = [septrial.Infusion("esketamine", rate, "mg/h", start, duration)]
        times = np.linspace(0.0, t_end, 5) if isinstance(t_end, float) else t_end
        df = septrial.simulate(
            "esketamine_otto2021",
            {"weight_kg": weight},
            doses,
            times,
            rtol=rtol,
            seed=seed,
            threads=threads,
        )
    except ValueError as exc:
        assert NAMED.search(str(exc)) or "times_h" in str(exc), str(exc)
        return
    except septrial.simulation.SimulationError:
        return  # a solver failure reported as such
    values = df["esketamine_ng_ml"].to_numpy()
    assert np.all(np.isfinite(values)) and np.all(values >= -1e-9)


@_fuzz_settings(ci=200, slow=200)
@given(
    weight=NUMBER,
    rate=NUMBER,
    start=NUMBER,
    duration=NUMBER,
    t_end=st.one_of(st.floats(min_value=-10, max_value=1e4), NUMBER),
    rtol=NUMBER,
    seed=st.one_of(st.integers(min_value=-5, max_value=2**66), NUMBER),
    threads=st.one_of(st.integers(min_value=-2, max_value=4), NUMBER),
)
def test_simulate_arguments_give_a_result_or_a_named_error(
    weight, rate, start, duration, t_end, rtol, seed, threads
):
    _check_simulate(weight, rate, start, duration, t_end, rtol, seed, threads)


def test_the_fuzz_checks_can_fail():
    """An unnamed error is caught by the check itself."""
    assert not NAMED.search("something went wrong")
    assert NAMED.search("$.arms[1].doses[0].rate: must be >= 0")
    assert math.isnan(float("nan"))
