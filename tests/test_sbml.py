"""SBML export and import (``septrial.export_sbml``, ``septrial.import_sbml``): round trips give
the same trajectories as the original specification, libroadrunner runs the exported models to
the same values, a hand-written SBML model with reactions matches its closed form and SciPy, and
what the ODE subset leaves out is refused with the element named. Every expected value is
computed here (closed form, solve_ivp, or septrial/libroadrunner on the other side)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

import septrial
from septrial.modeldef.load import load_definition
from septrial.sbml import read_sbml, reference_covariates

MODELS = Path(__file__).resolve().parents[1] / "benchmarks" / "models"
TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def _define(spec: dict, name: str) -> str:
    spec = {**copy.deepcopy(spec), "name": name}
    septrial.define_model(spec, replace=name in septrial.models())
    return name


def _round_trip(spec: dict, name: str) -> tuple[str, str]:
    """(original, imported) model names."""
    original = _define(spec, f"{name}_orig")
    text = septrial.export_sbml(original)
    imported = f"{name}_back"
    septrial.import_sbml(text, name=imported, replace=imported in septrial.models())
    return original, imported


def _same(a, b, outputs, tol=1e-8) -> None:
    for obs in outputs:
        peak = float(np.abs(np.asarray(a[obs])).max())
        np.testing.assert_allclose(
            np.asarray(b[obs]), np.asarray(a[obs]), rtol=0, atol=tol * peak, err_msg=obs
        )


def mm_spec() -> dict:
    return {
        "name": "mm",
        "description": "one compartment, Michaelis-Menten elimination",
        "parameters": {
            "V": {"value": 50, "unit": "L", "lower": 0},
            "Vmax": {"value": 10, "unit": "mg/h", "iiv": 0.09},
            "Km": {"value": 2, "unit": "mg/L"},
        },
        "covariates": {"V": "V * (weight_kg / 70)"},
        "states": {"A1": 0.0},
        "doses": {"drugx": "A1"},
        "definitions": {"C": "A1 / V"},
        "equations": {"A1": "-Vmax * C / (Km + C)"},
        "observables": {"drugx_mg_l": {"expr": "C", "unit": "mg/L"}},
    }


#: every construct of the expression language, in one right-hand side
FEATURES = {
    "name": "features",
    "parameters": {"x0": {"value": 1.25}, "k": {"value": 0.3, "unit": "1/h"}},
    "states": {"x": "x0", "y": 0},
    "definitions": {
        "pulse": "piecewise(t < 2, 0.1, t < 4, 0.2, 0)",
        "gate": "(x > 1 and not (x > 3)) or t > 20 or pulse > 0.15",
        "smooth": "hill(x, 1, 2, 3) - emax(x, 0.2, 1) + sqrt(abs(x) + 1) * log(2 + x)",
    },
    "equations": {
        "x": "if(t < 5, pulse, -k * x) + 0.1 * smooth * exp(-0.1 * t) + 0.01 * gate"
        " + 0.01 * min(x, 1, y + 2) - 0.1 * max(0, x - 5) + 0.001 * pow(x + 1, 0.5)",
        "y": "(x if x < 2 else 2) - 0.5 * y ** 2 + (t >= 10) * 0.05",
    },
    "observables": {"x": "x", "y": "y", "both": {"expr": "x + y", "unit": "1"}},
}


# ---- round trips ----


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock4"])
def test_reynolds_round_trip_gives_the_same_trajectories(method: str) -> None:
    a, b = _round_trip(load_definition(MODELS / "reynolds2006.toml"), "sbml_reynolds")
    t = np.linspace(0, 336, 169)
    kw = {"times_h": t, "params": {"k_pg": 0.6, "P0": 1.3}, "method": method, **TIGHT}
    _same(septrial.simulate(model=a, **kw), septrial.simulate(model=b, **kw), ("P", "N", "D", "CA"))


def test_otto_round_trip_keeps_covariates_doses_and_variability() -> None:
    a, b = _round_trip(load_definition(MODELS / "esketamine_otto2021.toml"), "sbml_otto")
    doses = [
        septrial.Bolus("esketamine", 0.25, "mg/kg", 0),
        septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72),
    ]
    kw = {"doses": doses, "times_h": np.linspace(0, 96, 97), **TIGHT}
    outputs = ("esketamine_ng_ml", "norketamine_ng_ml")
    for weight in (55.0, 110.0):  # the covariate relations came back, not one reference patient
        kw["covariates"] = {"weight_kg": weight}
        _same(septrial.simulate(model=a, **kw), septrial.simulate(model=b, **kw), outputs)
    info_a, info_b = septrial.model_info(a), septrial.model_info(b)
    assert info_b.parameter_names == info_a.parameter_names  # omega2_* included
    assert info_b.defaults() == info_a.defaults()
    # random effects are drawn per model name: the import replaces the original under its name
    kw["covariates"] = pd.DataFrame({"weight_kg": [60.0, 80.0, 100.0]})
    before = septrial.simulate(model=a, **kw, variability=True, seed=5)
    septrial.import_sbml(septrial.export_sbml(a), name=a, replace=True)
    _same(before, septrial.simulate(model=a, **kw, variability=True, seed=5), outputs)


def test_michaelis_menten_round_trip_and_the_imported_specification() -> None:
    a, b = _round_trip(mm_spec(), "sbml_mm")
    kw = {
        "doses": [septrial.Infusion("drugx", 10, "mg/h", 0, 5)],
        "times_h": np.linspace(0.25, 24, 40),
        "covariates": {"weight_kg": 90.0},
        **TIGHT,
    }
    _same(septrial.simulate(model=a, **kw), septrial.simulate(model=b, **kw), ("drugx_mg_l",))
    back = read_sbml(septrial.export_sbml(mm_spec()))
    assert back["parameters"]["Vmax"] == {"value": 10.0, "unit": "mg/h", "iiv": 0.09}
    assert back["parameters"]["V"]["lower"] == 0.0
    assert back["covariates"] == {"V": "(V * (weight_kg / 70.0))"}
    assert back["doses"] == {"drugx": "A1"}
    assert back["observables"]["drugx_mg_l"]["unit"] == "mg/L"


def test_every_construct_of_the_expression_language_round_trips() -> None:
    a, b = _round_trip(FEATURES, "sbml_features")
    kw = {"times_h": np.linspace(0, 30, 61), **TIGHT}
    _same(septrial.simulate(model=a, **kw), septrial.simulate(model=b, **kw), ("x", "y", "both"))


def test_export_writes_the_file_and_names_bad_models(tmp_path: Path) -> None:
    path = tmp_path / "mm.xml"
    text = septrial.export_sbml(mm_spec(), path)
    assert path.read_text(encoding="utf-8") == text
    assert septrial.import_sbml(path, name="sbml_mm_file", replace=True).states == ("A1",)
    with pytest.raises(ValueError, match=r"^model: 'esketamine_otto2021' is a compiled model"):
        septrial.export_sbml("esketamine_otto2021")
    with pytest.raises(ValueError, match=r"^model: 'no_such_model' is unknown"):
        septrial.export_sbml("no_such_model")
    with pytest.raises(ValueError, match=r"^model: must be a model name"):
        septrial.export_sbml(42)


# ---- libroadrunner ----


def _roadrunner(text: str):
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = TIGHT["rtol"]
    rr.integrator.absolute_tolerance = TIGHT["atol"]
    return rr


def _rr_run(rr, outputs, t_end: float, n: int) -> dict[str, np.ndarray]:
    rr.timeCourseSelections = ["time", *outputs]
    res = rr.simulate(0, t_end, n)
    return {k: np.asarray(res[k]) for k in outputs}


def test_libroadrunner_runs_the_exported_reynolds_model() -> None:
    rr = _roadrunner(septrial.export_sbml(MODELS / "reynolds2006.toml"))
    rr["k_pg"] = 0.6  # the septic case
    rr["P0"] = 1.3
    rr.reset()  # re-evaluates the initial assignment P = P0
    outputs = ("P", "N", "D", "CA")
    ours = _define(load_definition(MODELS / "reynolds2006.toml"), "sbml_reynolds_rr")
    t = np.linspace(0, 336, 169)
    a = septrial.simulate(model=ours, times_h=t, params={"k_pg": 0.6, "P0": 1.3}, **TIGHT)
    _same(a, _rr_run(rr, outputs, 336, 169), outputs, tol=1e-7)


def test_libroadrunner_runs_the_exported_otto_model_with_a_bolus_and_an_infusion() -> None:
    # SBML has no dosing: the bolus is the initial amount of the dosed state, the infusion the
    # exported rate input, set to 0 at its end (two runs, as septrial integrates to the breakpoint)
    rr = _roadrunner(septrial.export_sbml(MODELS / "esketamine_otto2021.toml"))
    rr["init(A1)"] = 17.5  # set initial values first: libroadrunner resets parameters after it
    rr["esketamine_infusion_mg_h"] = 4.9
    rr.reset()
    outputs = ("esketamine_ng_ml", "norketamine_ng_ml")
    first = _rr_run(rr, outputs, 24, 49)
    rr["esketamine_infusion_mg_h"] = 0.0
    rr.timeCourseSelections = ["time", *outputs]
    rest = rr.simulate(24, 48, 49)
    theirs = {k: np.concatenate([first[k], np.asarray(rest[k])[1:]]) for k in outputs}
    ours = _define(load_definition(MODELS / "esketamine_otto2021.toml"), "sbml_otto_rr")
    a = septrial.simulate(
        model=ours,
        covariates={"weight_kg": reference_covariates()["weight_kg"]},
        doses=[
            septrial.Bolus("esketamine", 17.5, "mg", 0),
            septrial.Infusion("esketamine", 4.9, "mg/h", 0, 24),
        ],
        times_h=np.linspace(0, 48, 97),
        **TIGHT,
    )
    _same(a, theirs, outputs, tol=1e-7)


def test_libroadrunner_agrees_on_every_construct_of_the_language() -> None:
    rr = _roadrunner(septrial.export_sbml(FEATURES))
    ours = _define(FEATURES, "sbml_features_rr")
    a = septrial.simulate(model=ours, times_h=np.linspace(0, 30, 61), **TIGHT)
    _same(a, _rr_run(rr, ("x", "y", "both"), 30, 61), ("x", "y", "both"), tol=1e-7)


# ---- import of SBML written by hand ----

#: A (concentration, compartment of 2 L, 10 mg given as an amount) -> 2 B (concentration) by mass
#: action with a promoted local parameter; B -> C (an amount) by a Michaelis-Menten law written
#: with a function definition; k1 from a half-life by an initial assignment; a parameter x with
#: a rate rule; an assignment rule that adds the amounts back up.
HAND = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
<model id="hand_written" name="A to 2B to C">
 <listOfFunctionDefinitions>
  <functionDefinition id="mm">
   <math xmlns="http://www.w3.org/1998/Math/MathML"><lambda>
    <bvar><ci>vmax</ci></bvar><bvar><ci>km</ci></bvar><bvar><ci>s</ci></bvar>
    <apply><divide/><apply><times/><ci>vmax</ci><ci>s</ci></apply>
     <apply><plus/><ci>km</ci><ci>s</ci></apply></apply></lambda></math>
  </functionDefinition>
 </listOfFunctionDefinitions>
 <listOfCompartments>
  <compartment id="cell" size="2" constant="true" spatialDimensions="3"/>
 </listOfCompartments>
 <listOfSpecies>
  <species id="A" compartment="cell" initialAmount="10" hasOnlySubstanceUnits="false"
   boundaryCondition="false" constant="false"/>
  <species id="B" compartment="cell" initialConcentration="0" hasOnlySubstanceUnits="false"
   boundaryCondition="false" constant="false"/>
  <species id="C" compartment="cell" initialAmount="0" hasOnlySubstanceUnits="true"
   boundaryCondition="false" constant="false"/>
 </listOfSpecies>
 <listOfParameters>
  <parameter id="half_life" value="3" constant="true"/>
  <parameter id="k1" constant="true"/>
  <parameter id="Vmax" value="0.8" constant="true"/>
  <parameter id="x" value="1" constant="false"/>
  <parameter id="total" constant="false"/>
 </listOfParameters>
 <listOfInitialAssignments>
  <initialAssignment symbol="k1"><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><divide/><apply><ln/><cn>2</cn></apply><ci>half_life</ci></apply></math>
  </initialAssignment>
 </listOfInitialAssignments>
 <listOfRules>
  <rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><minus/><apply><times/><cn>0.5</cn><ci>x</ci></apply></apply></math></rateRule>
  <assignmentRule variable="total"><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><plus/><apply><times/><cn>2</cn><ci>A</ci><ci>cell</ci></apply>
    <apply><times/><ci>B</ci><ci>cell</ci></apply><ci>C</ci></apply></math></assignmentRule>
 </listOfRules>
 <listOfReactions>
  <reaction id="R1" reversible="false" fast="false">
   <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/>
   </listOfReactants>
   <listOfProducts><speciesReference species="B" stoichiometry="2" constant="true"/>
   </listOfProducts>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>cell</ci><ci>k1</ci><ci>A</ci></apply></math></kineticLaw>
  </reaction>
  <reaction id="R2" reversible="false" fast="false">
   <listOfReactants><speciesReference species="B" stoichiometry="1" constant="true"/>
   </listOfReactants>
   <listOfProducts><speciesReference species="C" stoichiometry="1" constant="true"/>
   </listOfProducts>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>cell</ci><apply><ci>mm</ci><ci>Vmax</ci><ci>Km</ci><ci>B</ci></apply>
    </apply></math>
    <listOfLocalParameters><localParameter id="Km" value="1.5"/></listOfLocalParameters>
   </kineticLaw>
  </reaction>
 </listOfReactions>
</model>
</sbml>
"""


def test_hand_written_reactions_match_the_closed_form_and_scipy() -> None:
    info = septrial.import_sbml(HAND, replace="hand_written" in septrial.models())
    assert info.name == "hand_written"
    t = np.linspace(0, 24, 49)
    res = septrial.simulate(model="hand_written", times_h=t, **TIGHT)
    volume, k1, vmax, km = 2.0, math.log(2) / 3, 0.8, 1.5
    a0 = 10 / volume  # A is a concentration: the initial amount over the volume
    np.testing.assert_allclose(res["A"], a0 * np.exp(-k1 * t), rtol=1e-8)
    np.testing.assert_allclose(res["x"], np.exp(-0.5 * t), rtol=1e-8)

    def rhs(_, y):
        a, b, _c = y
        v2 = volume * vmax * b / (km + b)  # extent per hour
        return [-k1 * a, 2 * k1 * a - v2 / volume, v2]

    ref = solve_ivp(rhs, (0, 24), [a0, 0, 0], t_eval=t, method="Radau", rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res["B"], ref.y[1], rtol=0, atol=1e-8 * ref.y[1].max())
    np.testing.assert_allclose(res["C"], ref.y[2], rtol=0, atol=1e-8 * ref.y[2].max())
    np.testing.assert_allclose(res["total"], 20.0, rtol=1e-8)  # 2 A + B + C in amounts


def test_reserved_ids_are_renamed_and_chains_of_initial_assignments_refused() -> None:
    # `t`, `exp` and `weight_kg` mean time, a function and a covariate in a specification
    text = (
        HAND.replace('id="x"', 'id="t"')
        .replace('variable="x"', 'variable="t"')
        .replace("<ci>x</ci>", "<ci>t</ci>")
        .replace('id="Vmax"', 'id="weight_kg"')
        .replace("<ci>Vmax</ci>", "<ci>weight_kg</ci>")
        .replace('id="half_life"', 'id="exp"')
        .replace("<ci>half_life</ci>", "<ci>exp</ci>")
    )
    spec = read_sbml(text)
    assert {"t_sbml", "exp_sbml", "weight_kg_sbml"} <= set(spec["parameters"]) | set(spec["states"])
    septrial.import_sbml(text, name="sbml_renamed", replace=True)
    t = np.linspace(0, 24, 49)
    a = septrial.simulate(model="sbml_renamed", times_h=t, **TIGHT)
    septrial.import_sbml(HAND, name="sbml_hand", replace=True)
    b = septrial.simulate(model="sbml_hand", times_h=t, **TIGHT)
    _same(b.rename(columns={"x": "t_sbml"}), a, ("A", "B", "C", "total", "t_sbml"))
    chain = HAND.replace(
        "</listOfInitialAssignments>",
        '<initialAssignment symbol="Vmax"><math xmlns="http://www.w3.org/1998/Math/MathML">'
        "<apply><times/><cn>2</cn><ci>k1</ci></apply></math></initialAssignment>"
        "</listOfInitialAssignments>",
    )
    with pytest.raises(ValueError, match=r"^initialAssignment for 'Vmax': reads 'k1'"):
        read_sbml(chain)


def _roadrunner_test_files() -> list[Path]:
    roadrunner = pytest.importorskip("roadrunner")
    return sorted((Path(roadrunner.__file__).parent / "tests").rglob("*.xml"))


def test_sbml_files_of_libroadrunner_import_or_are_refused_by_name() -> None:
    """libroadrunner's own test models (Level 2 and 3, amounts and concentrations): each imports
    and then agrees with libroadrunner, or is refused with a ValueError."""
    import libsbml
    import roadrunner

    files = _roadrunner_test_files()
    if not files:
        pytest.skip("this libroadrunner ships no test models")
    compared = 0
    for path in files:
        try:
            septrial.import_sbml(path, name="sbml_rr_file", replace=True)
        except ValueError:
            continue
        rr = roadrunner.RoadRunner(str(path))
        rr.integrator.relative_tolerance = TIGHT["rtol"]
        rr.integrator.absolute_tolerance = TIGHT["atol"]
        model = libsbml.readSBMLFromFile(str(path)).getModel()
        ids = list(rr.model.getFloatingSpeciesIds())
        amount = {i: model.getSpecies(i).getHasOnlySubstanceUnits() for i in ids}
        rr.timeCourseSelections = ["time", *(i if amount[i] else f"[{i}]" for i in ids)]
        theirs = np.asarray(rr.simulate(0, 10, 21))
        ours = septrial.simulate(model="sbml_rr_file", times_h=np.linspace(0, 10, 21), **TIGHT)
        _same(ours, {i: theirs[:, j + 1] for j, i in enumerate(ids)}, ids, tol=1e-7)
        compared += 1
    assert compared >= 1


# ---- what the ODE subset leaves out ----


def _swap(old: str, new: str) -> str:
    assert old in HAND
    return HAND.replace(old, new)


_EVENT = """</listOfReactions>
 <listOfEvents><event id="redose" useValuesFromTriggerTime="true">
  <trigger initialValue="false" persistent="true"><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><geq/><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">
   time</csymbol><cn>5</cn></apply></math></trigger>
  <listOfEventAssignments><eventAssignment variable="x"><math
   xmlns="http://www.w3.org/1998/Math/MathML"><cn>1</cn></math></eventAssignment>
  </listOfEventAssignments></event></listOfEvents>"""
_DELAY = """<rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><minus/><apply><csymbol encoding="text"
   definitionURL="http://www.sbml.org/sbml/symbols/delay">delay</csymbol><ci>x</ci><cn>1</cn>
   </apply></apply></math></rateRule>"""
_ALGEBRAIC = """<algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
   <apply><minus/><ci>y</ci><ci>x</ci></apply></math></algebraicRule>"""
_X_RULE = HAND[HAND.index('<rateRule variable="x">') : HAND.index("</rateRule>") + 11]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_swap("</listOfReactions>", _EVENT), r"^event 'redose': SBML events are not supported"),
        (_swap(_X_RULE, _DELAY), r"^rateRule for 'x': MathML 'delay' is not supported"),
        (
            _swap(_X_RULE, _X_RULE + _ALGEBRAIC).replace(
                '<parameter id="total"', '<parameter id="y" constant="false"/><parameter id="total"'
            ),
            r"^algebraicRule #2 \(y - x\): algebraic rules",
        ),
        (
            _swap(
                '<reaction id="R1" reversible="false" fast="false">',
                '<reaction id="R1" fast="true" reversible="false">',
            ),
            r"^reaction 'R1': fast reactions are not supported",
        ),
        (
            _swap("<cn>0.5</cn><ci>x</ci>", "<cn>0.5</cn><apply><sin/><ci>x</ci></apply>"),
            r"^rateRule for 'x': MathML 'sin' is not supported",
        ),
        ("<sbml", r"^sbml: not valid SBML"),
        ("no_such_file.xml", r"^sbml: no such file 'no_such_file.xml'"),
    ],
    ids=["event", "delay", "algebraic", "fast", "sin", "broken", "missing"],
)
def test_unsupported_constructs_name_the_element(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        septrial.import_sbml(text, name="sbml_refused", replace=True)
    assert "sbml_refused" not in septrial.models()
