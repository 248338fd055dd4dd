"""Models as data (``septrial.define_model``): spec models against closed forms, SciPy and their
built-in twins; the symbolic Jacobian against finite differences; files; and bad specifications.
Every expected value is computed here independently (closed form, solve_ivp, or the compiled
built-in model)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import septrial
from septrial.modeldef import native
from septrial.modeldef.compile import compile_model
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition

MODELS = Path(__file__).resolve().parents[1] / "benchmarks" / "models"
OTTO_SPEC = MODELS / "esketamine_otto2021.toml"
TIGHT = {"rtol": 1e-10, "atol": 1e-12}
BACKENDS = [
    "bytecode",
    pytest.param(
        "native",
        marks=pytest.mark.skipif(not native.available(), reason="llvmlite is not installed"),
    ),
]


def one_cmt(name: str) -> dict:
    return {
        "name": name,
        "parameters": {"V": {"value": 20.0, "unit": "L"}, "CL": {"value": 4.0, "unit": "L/h"}},
        "states": {"A1": 0},
        "doses": {"drugx": "A1"},
        "definitions": {"C": "A1 / V"},
        "equations": {"A1": "-CL * C"},
        "observables": {"drugx_mg_l": {"expr": "C", "unit": "mg/L"}},
    }


def mm_spec(name: str) -> dict:
    return {
        "name": name,
        "parameters": {
            "V": {"value": 50, "unit": "L"},
            "Vmax": {"value": 10, "unit": "mg/h", "iiv": 0.09},
            "Km": {"value": 2, "unit": "mg/L"},
        },
        "covariates": {"V": "V * (weight_kg / 70)"},
        "states": {"A1": 0.0},
        "doses": {"drugx": "A1"},
        "definitions": {"C": "A1 / V"},
        "equations": {"A1": "-Vmax * C / (Km + C)"},
        "observables": {"drugx_mg_l": "C"},
    }


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock4", "exact", "hybrid"])
def test_one_compartment_matches_its_closed_form(method: str) -> None:
    name = f"test_onecmt_{method}"
    septrial.define_model(one_cmt(name), replace=name in septrial.models())
    V, CL, bolus, rate, t_on, t_off = 20.0, 4.0, 100.0, 10.0, 2.0, 8.0
    k = CL / V
    t = np.array([0.5, 1, 2, 3, 5, 8, 9, 12, 24.0])
    res = septrial.simulate(
        model=name,
        doses=[
            septrial.Bolus("drugx", bolus, "mg", 0),
            septrial.Infusion("drugx", rate, "mg/h", t_on, t_off - t_on),
        ],
        times_h=t,
        method=method,
        **TIGHT,
    )
    on = np.clip(t, t_on, t_off) - t_on  # time spent infusing so far
    infused = rate / CL * (1 - np.exp(-k * on)) * np.exp(-k * (t - t_on - on))
    expected = bolus / V * np.exp(-k * t) + infused
    np.testing.assert_allclose(res["drugx_mg_l"], expected, rtol=1e-6)


def test_michaelis_menten_matches_scipy_radau() -> None:
    septrial.define_model(mm_spec("test_mm_onecmt"), replace="test_mm_onecmt" in septrial.models())
    weight, Vmax, Km, rate, stop = 90.0, 10.0, 2.0, 10.0, 5.0
    V = 50.0 * weight / 70
    t = np.linspace(0.25, 24, 40)
    res = septrial.simulate(
        model="test_mm_onecmt",
        covariates={"weight_kg": weight},
        doses=[septrial.Infusion("drugx", rate, "mg/h", 0, stop)],
        times_h=t,
        **TIGHT,
    )

    def f(tt, a, r):
        c = a[0] / V
        return [r - Vmax * c / (Km + c)]

    first = solve_ivp(
        f, (0, stop), [0.0], method="Radau", rtol=1e-10, atol=1e-12, args=(rate,), dense_output=True
    )
    second = solve_ivp(
        f,
        (stop, 24),
        first.y[:, -1],
        method="Radau",
        rtol=1e-10,
        atol=1e-12,
        args=(0.0,),
        dense_output=True,
    )
    amounts = np.where(
        t <= stop, first.sol(np.minimum(t, stop))[0], second.sol(np.maximum(t, stop))[0]
    )
    np.testing.assert_allclose(res["drugx_mg_l"], amounts / V, rtol=1e-5)


def _frame(d, params: dict, weight: float, x: np.ndarray, t: float) -> list[float]:
    """The engine's frame for one patient at (t, x), built with the bound programs."""
    frame = list(d.frame_init)
    values = {p.name: p.value for p in d.parameters} | params
    for p, slot in zip(d.parameters, d.parameter_slots, strict=True):
        frame[slot] = values[p.name]
    for c, slot in zip(d.covariates, d.covariate_slots, strict=True):
        frame[slot] = {"weight_kg": weight}[c]
    frame = d.individual.run(frame)
    frame[d.state_base : d.state_base + len(x)] = list(x)
    frame[d.time_slot] = t
    return frame


@pytest.mark.parametrize("backend", BACKENDS)
def test_symbolic_jacobian_matches_finite_differences(backend: str) -> None:
    spec = validate_spec(
        ModelDefinition,
        {
            "name": "test_jacobian",
            "parameters": {
                "V": {"value": 40.0},
                "Vmax": {"value": 12.0},
                "Km": {"value": 3.0},
                "k12": {"value": 0.4},
                "k21": {"value": 0.2},
                "EC50": {"value": 1.5},
                "n": {"value": 2.3},
            },
            "covariates": {"V": "V * (weight_kg / 70) ** 0.9"},
            "states": {"A1": 0, "A2": 0, "E": 1},
            "definitions": {"C": "A1 / V", "inh": "hill(C, 0.8, EC50, n)"},
            "equations": {
                "A1": "-Vmax * C / (Km + C) - k12 * A1 + k21 * A2",
                "A2": "k12 * A1 - k21 * A2 * exp(-0.01 * t)",
                "E": "if(C > 2, 0.5, 0.1) * (1 - inh) - 0.3 * E + max(A2 - 5, 0) / 100"
                " + sqrt(abs(E)) / 10",
            },
            "observables": {"C": "C"},
        },
        root="",
    )
    d = compile_model(spec)
    if backend == "native":
        native.compile_native(d)
        assert d.jacobian.native != 0 and d.derivatives.native != 0
    rng = np.random.default_rng(7)
    n = 3
    for _ in range(20):
        x = rng.uniform([0.5, 0.5, 0.2], [200, 50, 3])
        t = rng.uniform(0, 48)
        frame = _frame(d, {}, 80.0, x, t)
        out = d.jacobian.evaluate(frame)
        J, dfdt = np.reshape(out[: n * n], (n, n)), np.array(out[n * n :])
        f0 = np.array(d.derivatives.evaluate(frame))
        fd = np.empty((n, n))
        for j in range(n):
            h = 1e-6 * max(abs(x[j]), 1.0)
            xp, xm = x.copy(), x.copy()
            xp[j] += h
            xm[j] -= h
            fp = np.array(d.derivatives.evaluate(_frame(d, {}, 80.0, xp, t)))
            fm = np.array(d.derivatives.evaluate(_frame(d, {}, 80.0, xm, t)))
            fd[:, j] = (fp - fm) / (2 * h)
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)
        ht = 1e-5
        ft = np.array(d.derivatives.evaluate(_frame(d, {}, 80.0, x, t + ht)))
        np.testing.assert_allclose(dfdt, (ft - f0) / ht, rtol=1e-4, atol=1e-8)


def test_otto_specification_reproduces_the_compiled_model() -> None:
    info = septrial.define_model(OTTO_SPEC, replace="esketamine_otto2021_spec" in septrial.models())
    assert info.name == "esketamine_otto2021_spec"
    cov = {"weight_kg": 84.0}
    doses = [
        septrial.Bolus("esketamine", 0.25, "mg/kg", 0),
        septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0.5, 48),
    ]
    t = np.linspace(0, 72, 145)
    params = {"CL": 80.0, "V1": 150.0}
    a = septrial.simulate(
        model="esketamine_otto2021", covariates=cov, doses=doses, times_h=t, params=params, **TIGHT
    )
    b = septrial.simulate(
        model=info.name, covariates=cov, doses=doses, times_h=t, params=params, **TIGHT
    )
    for obs in ("esketamine_ng_ml", "norketamine_ng_ml"):
        peak = a[obs].max()
        assert peak > 0
        np.testing.assert_allclose(b[obs], a[obs], rtol=0, atol=1e-8 * peak)
    # covariate relations and structural parameters as in the compiled model
    mine = septrial.individual_parameters(info.name, cov, params)
    theirs = septrial.individual_parameters("esketamine_otto2021", cov, params)
    for name in ("V1", "CL", "V_NK", "CL_NK"):
        assert mine[name] == pytest.approx(theirs[name], rel=1e-12)


def test_spec_equal_to_linear_2cmt_gives_the_same_concentrations() -> None:
    spec = {
        "name": "test_linear2",
        "parameters": {
            n: {"value": v} for n, v in {"V1": 10.0, "CL": 5.0, "V2": 20.0, "Q2": 10.0}.items()
        },
        "states": {"A1": 0, "A2": 0, "A_elim": 0},
        "doses": {"drug": "A1"},
        "equations": {
            "A1": "-(CL + Q2) / V1 * A1 + Q2 / V2 * A2",
            "A2": "Q2 / V1 * A1 - Q2 / V2 * A2",
            "A_elim": "CL / V1 * A1",
        },
        "observables": {"drug_mg_l": "A1 / V1"},
    }
    septrial.define_model(spec, replace="test_linear2" in septrial.models())
    doses = [septrial.Bolus("drug", 50, "mg", 1), septrial.Infusion("drug", 20, "mg/h", 3, 6)]
    t = np.linspace(0, 30, 61)
    a = septrial.simulate(model="linear_2cmt", doses=doses, times_h=t, **TIGHT)
    b = septrial.simulate(model="test_linear2", doses=doses, times_h=t, **TIGHT)
    np.testing.assert_allclose(b["drug_mg_l"], a["drug_mg_l"], rtol=1e-6, atol=1e-12)


def test_variability_uses_the_declared_variance() -> None:
    septrial.define_model(mm_spec("test_mm_iiv"), replace="test_mm_iiv" in septrial.models())
    info = septrial.model_info("test_mm_iiv")
    assert "omega2_Vmax" in info.parameter_names
    assert info.defaults()["omega2_Vmax"] == 0.09
    n = 400
    import pandas as pd

    cov = pd.DataFrame({"weight_kg": np.full(n, 70.0)})
    doses = [septrial.Bolus("drugx", 100, "mg", 0)]
    off = septrial.simulate(
        model="test_mm_iiv", covariates=cov, doses=doses, times_h=[6.0], variability=False
    )
    on = septrial.simulate(
        model="test_mm_iiv", covariates=cov, doses=doses, times_h=[6.0], variability=True, seed=3
    )
    assert off["drugx_mg_l"].nunique() == 1
    assert on["drugx_mg_l"].nunique() == n
    zero = septrial.simulate(
        model="test_mm_iiv",
        covariates=cov,
        doses=doses,
        times_h=[6.0],
        variability=True,
        seed=3,
        params={"omega2_Vmax": 0.0},
    )
    np.testing.assert_allclose(zero["drugx_mg_l"], off["drugx_mg_l"], rtol=1e-12)


@pytest.mark.parametrize(
    ("kind", "relative_error"),
    [
        ("proportional", lambda obs, true: obs / true - 1),
        ("exponential", lambda obs, true: np.log(obs / true)),
    ],
)
def test_declared_residual_error_has_the_declared_size(kind: str, relative_error) -> None:
    spec = mm_spec(f"test_mm_{kind}")
    spec["parameters"]["sigma"] = {"value": 0.2, "lower": 0}
    spec["residual_errors"] = {"drugx_mg_l": {"kind": kind, "sd": "sigma"}}
    info = septrial.define_model(spec, replace=spec["name"] in septrial.models())
    assert info.defaults()["sigma"] == 0.2
    import pandas as pd

    n = 4000
    kw = {
        "model": spec["name"],
        "covariates": pd.DataFrame({"weight_kg": np.full(n, 70.0)}),
        "doses": [septrial.Bolus("drugx", 100, "mg", 0)],
        "times_h": [6.0],
        "seed": 5,
    }
    true = septrial.simulate(**kw)["drugx_mg_l"].to_numpy()
    observed = septrial.simulate(**kw, residual_error=True)["drugx_mg_l"].to_numpy()
    error = relative_error(observed, true)
    # sample SD of n normal draws: 0.2 within 4 standard errors (0.2 / sqrt(2 n) each)
    assert abs(error.std() - 0.2) < 4 * 0.2 / math.sqrt(2 * n)
    assert abs(error.mean()) < 4 * 0.2 / math.sqrt(n)


def test_define_from_toml_and_json_files(tmp_path: Path) -> None:
    spec = one_cmt("test_from_json")
    (tmp_path / "m.json").write_text(json.dumps(spec))
    assert (
        septrial.define_model(
            tmp_path / "m.json", replace="test_from_json" in septrial.models()
        ).name
        == "test_from_json"
    )
    toml = tmp_path / "m.toml"
    toml.write_text(
        'name = "test_from_toml"\nstates = { A1 = 0 }\ndoses = { drugx = "A1" }\n'
        'equations = { A1 = "-k * A1" }\nobservables = { a = "A1" }\n'
        "[parameters]\nk = { value = 0.5 }\n"
    )
    info = septrial.define_model(toml, replace="test_from_toml" in septrial.models())
    res = septrial.simulate(
        model=info.name, doses=[septrial.Bolus("drugx", 10, "mg", 0)], times_h=[2.0], **TIGHT
    )
    assert res["a"].iloc[0] == pytest.approx(10 * math.exp(-1.0), rel=1e-8)
    with pytest.raises(ValueError, match="model: file .* must end in"):
        septrial.define_model(tmp_path / "m.yaml")
    with pytest.raises(ValueError, match="no such file"):
        septrial.define_model(tmp_path / "missing.toml")


def test_redefinition_needs_replace_and_built_ins_are_protected() -> None:
    spec = one_cmt("test_redefine")
    if "test_redefine" not in septrial.models():
        septrial.define_model(spec)
    with pytest.raises(
        ValueError, match=r"name: model 'test_redefine' is already defined; pass replace=True"
    ):
        septrial.define_model(spec)
    spec["parameters"]["CL"]["value"] = 8.0
    info = septrial.define_model(spec, replace=True)
    assert info.defaults()["CL"] == 8.0
    with pytest.raises(ValueError, match="built-in model"):
        septrial.define_model(one_cmt("esketamine_otto2021"), replace=True)


def _bad(**changes) -> dict:
    spec = mm_spec("test_bad")
    for key, value in changes.items():
        spec[key] = value
    return spec


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"equations": {"A1": "-Vmax * C / (Kmm + C)"}},
            r"^equations\.A1: unknown name 'Kmm' \(did you mean 'Km'\?\); allowed: V, Vmax, Km",
        ),
        (
            {"definitions": {"C": "A1 / V + D", "D": "C * 2"}},
            r"^definitions: cycle among definitions: (C -> D -> C|D -> C -> D)",
        ),
        ({"states": {"A1": 0, "A2": 0}}, r"^equations: state 'A2' has no equation"),
        ({"doses": {"drugx": "A9"}}, r"^doses\.drugx: unknown state 'A9'.*allowed: A1"),
        (
            {"equations": {"A1": "__import__('os')"}},
            r"^equations\.A1: unknown function '__import__'; allowed: exp, log",
        ),
        (
            {"equations": {"A1": "-Vmax * A1 // V"}},
            r"^equations\.A1: '//' is not supported; write '/' for division",
        ),
        (
            {"equations": {"A1": "Vmax ^ 2"}},
            r"^equations\.A1: '\^' is not supported; write '\*\*' for powers",
        ),
        (
            {"equations": {"A1": "A1.real"}},
            r"^equations\.A1: unsupported syntax \(attribute access '\.real'\)",
        ),
        (
            {"equations": {"A1": "exp(A1, 2)"}},
            r"^equations\.A1: wrong number of arguments to exp\(\) \(2\)",
        ),
        ({"equations": {"A1": "-Vmax * "}}, r"^equations\.A1: not a valid expression"),
        (
            {"states": {"A1": "A1 + 1"}},
            r"^states\.A1: unknown name 'A1'.*allowed: V, Vmax, Km, weight_kg",
        ),
        ({"covariates": {"Q": "Q * 2"}}, r"^covariates\.Q: not a parameter.*allowed: V, Vmax, Km"),
        ({"parameters": {"t": {"value": 1}}}, r"^parameters\.t: 't' is reserved"),
        ({"observables": {"c": "[1, 2]"}}, r"^observables\.c: unsupported syntax \(List\)"),
        ({"doses": {"drugx": "A1", "drugy": "A1"}}, r"^doses: a model carries one drug"),
        ({"nme": "x"}, r"unknown key 'nme'"),
        ({"inputs": {"il6_pg_ml": {"unit": "pg/mL"}}}, r"^inputs\.il6_pg_ml: needs a default"),
        (
            {"parameters": {"V": {"value": -1, "lower": 0}}},
            r"^parameters\.V\.value: must be in \[0\.0, inf\], got -1",
        ),
        (
            {"parameters": {"V": {"value": 0, "lower": 0, "lower_inclusive": False}}},
            r"^parameters\.V\.value: must be in \(0\.0, inf\], got 0",
        ),
        (
            {"residual_errors": {"drugx": {"sd": "V"}}},
            r"^residual_errors\.drugx: not an observable.*allowed: drugx_mg_l",
        ),
        (
            {"residual_errors": {"drugx_mg_l": {"sd": "Vmx"}}},
            r"^residual_errors\.drugx_mg_l\.sd: not a parameter \(did you mean 'Vmax'\?\)",
        ),
        (
            {"residual_errors": {"drugx_mg_l": {"kind": "proportinal", "sd": "V"}}},
            r"^residual_errors\.drugx_mg_l\.kind: unknown residual error kind 'proportinal'.*"
            r"allowed: proportional, exponential, additive",
        ),
    ],
)
def test_bad_specifications_name_the_field(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        septrial.define_model(_bad(**changes))
    assert "test_bad" not in septrial.models()


def test_expressions_are_never_evaluated_by_python(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def refuse(*args, **kwargs):
        raise AssertionError("eval called")

    monkeypatch.setattr(builtins, "eval", refuse)
    info = septrial.define_model(
        mm_spec("test_no_eval"), replace="test_no_eval" in septrial.models()
    )
    assert info.states == ("A1",)


LANGUAGE = {
    "hill": ("hill(x, 2, 1.5, 2.5)", lambda x, t: 2 * x**2.5 / (1.5**2.5 + x**2.5)),
    "emax": ("emax(x, 3, 0.7)", lambda x, t: 3 * x / (0.7 + x)),
    "if": ("if(t > 2 and not (x < 0), 1 / x, -x)", lambda x, t: 1 / x if t > 2 and x >= 0 else -x),
    "ifexp": ("x ** 2 if t <= 1 or t >= 3 else 0", lambda x, t: x**2 if t <= 1 or t >= 3 else 0),
    "pw": ("piecewise(t < 1, 1, t < 2.5, 2, 3)", lambda x, t: 1 if t < 1 else 2 if t < 2.5 else 3),
    "fns": (
        "exp(-x) + log(x) + sqrt(x) + abs(x - 2) + min(x, t, 1.5) + max(x, t) + pow(x, 0.3)",
        lambda x, t: (
            math.exp(-x)
            + math.log(x)
            + math.sqrt(x)
            + abs(x - 2)
            + min(x, t, 1.5)
            + max(x, t)
            + x**0.3
        ),
    ),
    "cmp": (
        "(x == 1.25) + (x != 1.25) * 10 + (1 < t < 3) * 100",
        lambda x, t: 1 + 100 * (1 < t < 3),
    ),
    "cond_value": ("-(t >= 2) + x / -4", lambda x, t: -float(t >= 2) - x / 4),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_expression_language_evaluates_like_python_math(backend: str) -> None:
    spec = {
        "name": "test_language",
        "parameters": {"x0": {"value": 1.25}},
        "states": {"x": "x0"},
        "equations": {"x": 0},
        "observables": {k: v[0] for k, v in LANGUAGE.items()},
    }
    septrial.define_model(spec, replace="test_language" in septrial.models(), backend=backend)
    t = np.array([0.5, 1.0, 2.0, 2.5, 3.0, 4.0])
    res = septrial.simulate(model="test_language", times_h=t)
    for name, (_, f) in LANGUAGE.items():
        expected = [f(1.25, float(ti)) for ti in t]
        np.testing.assert_allclose(res[name], expected, rtol=1e-14, err_msg=name)


def test_an_input_reads_its_default_until_signals_are_connected() -> None:
    spec = one_cmt("test_input_default")
    spec["inputs"] = {"il6_pg_ml": {"unit": "pg/mL", "default": 300.0}}
    spec["equations"] = {"A1": "-CL * (1 - 0.5 * il6_pg_ml / (il6_pg_ml + 300)) * C"}
    septrial.define_model(spec, replace="test_input_default" in septrial.models())
    res = septrial.simulate(
        model="test_input_default",
        doses=[septrial.Bolus("drugx", 100, "mg", 0)],
        times_h=[3.0],
        **TIGHT,
    )
    k = 4.0 * 0.75 / 20.0
    assert res["drugx_mg_l"].iloc[0] == pytest.approx(100 / 20 * math.exp(-k * 3), rel=1e-8)


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock4"])
@pytest.mark.parametrize("params", [{}, {"k_pg": 0.6}, {"P0": 1.5}])
def test_reynolds_specification_reproduces_the_compiled_model(method: str, params: dict) -> None:
    info = septrial.define_model(
        MODELS / "reynolds2006.toml", replace="reynolds2006_spec" in septrial.models()
    )
    t = np.linspace(0, 400, 401)
    a = septrial.simulate(model="reynolds2006", times_h=t, params=params, method=method, **TIGHT)
    b = septrial.simulate(model=info.name, times_h=t, params=params, method=method, **TIGHT)
    for obs in ("P", "N", "D", "CA"):
        peak = np.abs(a[obs]).max()
        np.testing.assert_allclose(b[obs], a[obs], rtol=0, atol=1e-8 * peak, err_msg=obs)


@pytest.mark.skipif(not native.available(), reason="llvmlite is not installed")
def test_native_and_bytecode_backends_give_the_same_trajectories() -> None:
    t = np.linspace(0, 200, 101)
    runs = {}
    for backend in ("bytecode", "native"):
        septrial.define_model(MODELS / "reynolds2006.toml", replace=True, backend=backend)
        runs[backend] = septrial.simulate(
            model="reynolds2006_spec", times_h=t, params={"k_pg": 0.5}, method="rosenbrock4"
        )
    for obs in ("P", "N", "D", "CA"):
        np.testing.assert_allclose(runs["native"][obs], runs["bytecode"][obs], rtol=1e-12)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^backend: unknown backend 'gpu'; allowed: auto"):
        septrial.define_model(one_cmt("test_backend"), backend="gpu")


def test_a_specification_module_composes_with_the_built_in_patient() -> None:
    septrial.define_model(OTTO_SPEC, replace="esketamine_otto2021_spec" in septrial.models())
    ours = septrial.compose(["esketamine_otto2021_spec", "drug_effect_emax", "sepsis_immune"]).name
    theirs = septrial.compose(["esketamine_otto2021", "drug_effect_emax", "sepsis_immune"]).name
    doses = [septrial.Infusion("esketamine", 0.15, "mg/kg/h", 2, 48)]
    t = np.linspace(0, 96, 97)
    a = septrial.simulate(model=theirs, doses=doses, times_h=t, **TIGHT)
    b = septrial.simulate(model=ours, doses=doses, times_h=t, **TIGHT)
    assert a["esketamine_ng_ml"].max() > 10  # the drug reaches the immune model
    for obs in ("esketamine_ng_ml", "il6_pg_ml", "esketamine_inhibition", "sofa"):
        peak = np.abs(a[obs]).max()
        np.testing.assert_allclose(b[obs], a[obs], rtol=0, atol=1e-8 * peak, err_msg=obs)


def _relay(name: str, reads: str, writes: str) -> dict:
    return {
        "name": name,
        "parameters": {f"k_{name}": {"value": 0.5}},
        "states": {"x": 0},
        "equations": {"x": f"k_{name} * ({reads} - x)"},
        "inputs": {reads: {"unit": "1", "default": 0.0}},
        "outputs": {writes: {"expr": f"2 * {reads} + x", "unit": "1"}},
        "observables": {f"{name}_x": "x"},
    }


def test_feedthrough_outputs_are_declared_and_loops_refused() -> None:
    for name, reads, writes in (
        ("test_relay_a", "sig_a", "sig_b"),
        ("test_relay_b", "sig_b", "sig_a"),
    ):
        septrial.define_model(_relay(name, reads, writes), replace=name in septrial.models())
    with pytest.raises(ValueError, match=r"sig_a|sig_b"):
        septrial.compose(["test_relay_a", "test_relay_b"])
