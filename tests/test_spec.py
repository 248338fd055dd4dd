"""The typed specification: bundled files load, schemas are generated from the models, bad
specifications fail at load naming the JSON path (and ``septrial validate`` exits 2), parameter
names mean the same everywhere, criteria can be changed inline."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

import septrial
from septrial import _core
from septrial.cli import main as cli_main
from septrial.resources import available, bundled_path
from septrial.scenario import Scenario, available_scenarios, read_scenario
from septrial.spec import schema as schema_module
from septrial.spec.base import load_json, validate_spec
from septrial.spec.criteria import CriteriaFile
from septrial.spec.endpoints import ENDPOINT_KINDS
from septrial.study import Study

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base() -> dict:
    return Scenario.load("nct04843982").to_dict()


# ---- bundled files and generated schemas ----


@pytest.mark.parametrize("name", available_scenarios())
def test_every_bundled_scenario_loads_and_resolves(name):
    sc = Scenario.load(name)
    assert sc.name == name
    study = Study(sc)
    assert study.engine.arm_names == sc.arm_names


@pytest.mark.parametrize("name", available("criteria"))
def test_every_bundled_criteria_file_validates(name):
    validate_spec(CriteriaFile, load_json(bundled_path("criteria", name)))


@pytest.mark.parametrize("name", sorted(schema_module.SCHEMAS))
def test_committed_schema_is_the_generated_one(name):
    committed = json.loads((REPO / "scenarios" / "schema" / f"{name}.schema.json").read_text())
    assert committed == schema_module.schema(name), (
        f"scenarios/schema/{name}.schema.json is stale: run python -m septrial.spec.schema"
    )


def _properties(node, defs, path=""):
    """(path, property schema) of every property in the schema."""
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}.{key}", value, key in node.get("required", [])
        for key, value in node.items():
            if key != "properties":
                yield from _properties(value, defs, f"{path}/{key}")
        for key, value in node.get("properties", {}).items():
            yield from _properties(value, defs, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, defs, f"{path}[{i}]")


@pytest.mark.parametrize("name", sorted(schema_module.SCHEMAS))
def test_every_field_has_a_description_and_optional_fields_a_default(name):
    s = schema_module.schema(name)
    defs = s.get("$defs", {})
    for path, prop, required in _properties(s, defs):
        ref = prop.get("$ref", "").rsplit("/", 1)[-1]
        described = "description" in prop or "description" in defs.get(ref, {})
        assert described, f"{name}{path}: no description"
        if not required:
            assert "default" in prop, f"{name}{path}: optional without a default"


# ---- bad specifications: ValueError naming the JSON path; validate exits 2 ----

BAD = [
    ({"model": "sepsis_esketamin"}, r"\$\.model: .*did you mean 'sepsis_esketamine'"),
    ({"params": {"IC5": 3.0}}, r"\$\.params\.IC5: unknown parameter .*did you mean 'IC50'"),
    ({"params": {"IC50": -3.0}}, r"\$\.params\.IC50: must be in"),
    ({"arms.1.doses.0.drug": "ketamine"}, r"\$\.arms\[1\]\.doses\[0\]\.drug: .*'esketamine'"),
    ({"arms.1.doses.0.rate": -1.0}, r"\$\.arms\[1\]\.doses\[0\]\.rate: .*greater than or equal"),
    ({"arms.1.doses.0.rat": 1.0}, r"\$\.arms\[1\]\.doses\[0\]\.rat: unknown key .*'rate'"),
    ({"arms.1.doses.0.unit": "mg/min"}, r"\$\.arms\[1\]\.doses\[0\]\.unit: .*'mg/h'"),
    ({"arms.1.doses.0.anchor": "icu"}, r"\$\.arms\[1\]\.doses\[0\]\.anchor: .*randomisation"),
    ({"endpoints.0.observable": "il6_pg_m"}, r"\$\.endpoints\[0\]\.observable: .*il6_pg_ml"),
    ({"endpoints.0.kind": "valu"}, r"\$\.endpoints\[0\]"),
    ({"analysis.plan.0.endpoint": "il6_73h"}, r"\$\.analysis\.plan\[0\]\.endpoint: .*il6_72h"),
    ({"analysis.plan.0.test": "welsh"}, r"\$\.analysis\.plan\[0\]\.test: .*'welch'"),
    ({"analysis.plan.0.baseline": "death_28d"}, r"\$\.analysis\.plan\[0\]\.baseline: .*value"),
    ({"analysis.plan.6.test": "welch"}, r"\$\.analysis\.plan\[6\]\.test: .*binary"),
    ({"measurement.lloq": {"il7_pg_ml": 1.0}}, r"\$\.measurement\.lloq\.il7_pg_ml"),
    ({"measurement.assay_noise": "true"}, r"\$\.measurement\.assay_noise: .*boolean"),
    ({"journey.max_attempts": 1.5}, r"\$\.journey\.max_attempts"),
    ({"journey.ventilation.p_ref": 1.2}, r"\$\.journey\.ventilation\.p_ref: .*less than 1"),
    ({"solver.rtol": 0.5}, r"\$\.solver\.rtol"),
    ({"solver.method": "rk45"}, r"\$\.solver\.method: .*dopri5"),
    ({"allocation.block_size": 5}, r"\$\.allocation\.block_size: must be a multiple"),
    ({"withdrawal_rate": 1.0}, r"\$\.withdrawal_rate"),
    ({"criteria": "nct0484398"}, r"\$\.criteria: no bundled criteri.*nct04843982"),
    ({"criteria": "../criteria/x.json"}, r"\$\.criteria: a relative path must stay inside"),
    ({"population": "septic_icu_chin"}, r"\$\.population: no bundled population"),
    ({"uncertainty.grid.IC50": [30.0, -1.0]}, r"\$\.uncertainty\.grid\.IC50: must be in"),
    ({"covariates": {"opiods": {"value": True}}}, r"\$\.covariates\.opiods: .*'opioids'"),
    (
        {"criteria": {"base": "nct04843982", "override": {"inc_agee": {"rule": "age_y > 1"}}}},
        r"\$\.criteria\.override\.inc_agee: unknown criterion .*'inc_age'",
    ),
    (
        {"criteria": {"base": "nct04843982", "override": {"inc_age": {"rule": "agee_y > 1"}}}},
        r"criteria.*inc_age.*agee_y",
    ),
]


def _changed(base: dict, changes: dict) -> dict:
    data = json.loads(json.dumps(base))
    for dotted, value in changes.items():
        node = data
        keys = dotted.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value
    return data


@pytest.mark.parametrize(("changes", "pattern"), BAD, ids=[str(c) for c, _ in BAD])
def test_bad_scenarios_name_the_json_path(tmp_path, base, capsys, changes, pattern):
    data = _changed(base, changes)
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=pattern):
        Study(Scenario.load(path))
    assert cli_main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "septrial validate: error: $" in err or "criteria" in err


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(tmp_path, literal):
    text = (REPO / "scenarios" / "nct04843982.json").read_text()
    path = tmp_path / "s.json"
    path.write_text(text.replace('"withdrawal_rate": 0.0', f'"withdrawal_rate": {literal}'))
    with pytest.raises(ValueError, match=f"{literal} is not valid JSON"):
        Scenario.load(path)


def test_validate_passes_a_good_scenario_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main(["validate", "nct04843982"]) == 0
    assert "valid" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_regimen_ending_before_the_primary_endpoint_is_a_lint_warning():
    codes = [f.code for f in Scenario.load("nct04843982_24h").lint()]
    assert "regimen_ends_early" in codes
    assert "regimen_ends_early" not in [f.code for f in Scenario.load("nct04843982").lint()]


# ---- one parameter, bare or qualified, everywhere ----


def test_bare_and_qualified_parameters_agree_in_simulate():
    kw = dict(
        model="esketamine_propofol",
        doses=[septrial.Infusion("esketamine", 5.0, "mg/h", 0, 24)],
        times_h=np.arange(0, 30.0, 3.0),
    )
    a = septrial.simulate(params={"CL": 50.0}, **kw)
    b = septrial.simulate(params={"esketamine.CL": 50.0}, **kw)
    c = septrial.simulate(**kw)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["esketamine_ng_ml"], c["esketamine_ng_ml"])


def test_bare_and_qualified_parameters_agree_in_trials_power_and_scenarios():
    sc = Scenario.load("nct04843982")
    a = septrial.run_trial(sc, n_per_arm=4, seed=3, params={"CL": 50.0}, threads=2)
    b = septrial.run_trial(sc, n_per_arm=4, seed=3, params={"esketamine.CL": 50.0}, threads=2)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    c = septrial.run_trial(sc.with_params(**{"esketamine.CL": 50.0}), n_per_arm=4, seed=3)
    d = septrial.run_trial(sc.with_params(CL=50.0), n_per_arm=4, seed=3)
    pd.testing.assert_frame_equal(c.patients, d.patients)
    kw = dict(n_per_arm=[4], n_trials=20, seed=3, pool_per_arm=12, threads=2)
    p = septrial.power_curve(sc, params={"CL": 50.0}, **kw)
    q = septrial.power_curve(sc, params={"esketamine.CL": 50.0}, **kw)
    pd.testing.assert_frame_equal(
        p.table.drop(columns=["CL"]), q.table.drop(columns=["esketamine.CL"])
    )


def test_ambiguous_bare_names_are_refused():
    pattern = r"ambiguous .* esketamine\.omega2_V1, propofol\.omega2_V1"
    with pytest.raises(ValueError, match=pattern):
        septrial.simulate("esketamine_propofol", times_h=[1.0], params={"omega2_V1": 0.1})


# ---- criteria changed inline ----


def test_a_criterion_can_be_overridden_inline_and_from_python():
    sc = Scenario.load("nct04843982")
    inline = sc.with_changes(
        {
            "criteria": {
                "base": "nct04843982",
                "override": {
                    "inc_age": {"rule": "18 <= age_y <= 65"},
                    "exc_age": {"rule": "age_y < 18 or age_y > 65"},
                },
            }
        }
    )
    py = sc.with_criterion("inc_age", rule="18 <= age_y <= 65").with_criterion(
        "exc_age", rule="age_y < 18 or age_y > 65"
    )
    assert Study(inline).criteria["inc_age"].rule == "18 <= age_y <= 65"
    assert Study(py).criteria["exc_age"].rule == Study(inline).criteria["exc_age"].rule
    older = septrial.screen(inline, n=1500, seed=2, threads=2)
    default = septrial.screen(sc, n=1500, seed=2, threads=2)
    assert older.report.n_consented > default.report.n_consented


def test_a_criteria_file_next_to_the_scenario_is_found(tmp_path):
    crit = json.loads(bundled_path("criteria", "nct04843982").read_text())
    (tmp_path / "mine.json").write_text(json.dumps(crit))
    data = Scenario.load("nct04843982").to_dict()
    data["criteria"] = "mine.json"
    (tmp_path / "s.json").write_text(json.dumps(data))
    study = Study(Scenario.load(tmp_path / "s.json"))
    assert study.criteria.ids == crit_ids(crit)


def crit_ids(data: dict) -> list[str]:
    return [c["id"] for c in data["criteria"]]


# ---- results a user can read ----


def test_results_have_short_reprs_and_html():
    sc = Scenario.load("nct04843982")
    run = septrial.screen(sc, n=300, seed=1, threads=2)
    tr = septrial.run_trial(sc, n_per_arm=4, seed=1, threads=2)
    pc = septrial.power_curve(sc, n_per_arm=[4], n_trials=10, pool_per_arm=8, seed=1)
    info = septrial.model_info("esketamine_otto2021")
    for obj in (run, tr, pc, info, sc, Study(sc)):
        text = repr(obj)
        assert len(text) < 400 and type(obj).__name__ in text
        assert obj._repr_html_().startswith("<b>")
    for result in (run, tr, pc):
        assert isinstance(result.table, pd.DataFrame)


def test_every_public_callable_has_a_docstring():
    missing = []
    for name in septrial.__all__:
        obj = getattr(septrial, name)
        if callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(name)
    assert not missing


def test_nan_defaults_never_reach_the_engine():
    """The engine's journey has no defaults of its own: a Study fills every field."""
    study = Study(Scenario.load("nct04843982"))
    assert study.engine.n_states > 0
    assert not math.isnan(Scenario.load("nct04843982").journey.t_icu_median_h)


@pytest.mark.parametrize("name", available_scenarios())
def test_bundled_scenarios_are_valid_against_the_generated_schema(name):
    """The generated schema describes what the models accept (as an editor would check it)."""
    data, _ = read_scenario(name)
    jsonschema.Draft202012Validator(schema_module.schema("scenario")).validate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_module.schema("scenario")).validate(
            {**data, "withdrawal_rate": 2.0}
        )


def test_endpoint_kinds_are_the_engines():
    """One list: each engine endpoint kind has exactly one typed model, and vice versa."""
    tags = [m.model_fields["kind"].annotation.__args__[0] for m in ENDPOINT_KINDS]
    assert sorted(tags) == sorted(_core.endpoint_kinds())
