"""The built-in specification models (python/septrial/models/*.toml) and the C++ generated from
them (cpp/src/generated/): every generated file is what its specification generates today, and
the engine's modules describe themselves exactly as the specifications do. (That the generated
code computes what the specification says, bit for bit: tests/test_sbml_patient.py.)"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import septrial
from septrial.modeldef import codegen
from septrial.modeldef.compile import compile_model
from septrial.modeldef.cxx import literal
from septrial.modeldef.edit import set_parameter_values
from septrial.modeldef.load import BUILTIN_SPECIFICATIONS, load_definition
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "cpp" / "src" / "generated"
SPECS = sorted(BUILTIN_SPECIFICATIONS.glob("*.toml"))


def test_the_default_patient_modules_are_specifications() -> None:
    assert {p.stem for p in SPECS} >= {"sepsis_immune", "drug_effect_emax", "hla_dr_percent"}
    patient = {c["module"] for c in septrial.model_info("sepsis_esketamine").components}
    assert {"sepsis_immune", "drug_effect_emax", "hla_dr_percent"} <= patient


@pytest.mark.skipif(not GENERATED.is_dir(), reason="not a source tree (no cpp/src/generated)")
def test_generated_sources_are_up_to_date() -> None:
    stale = [
        p.name
        for p in SPECS
        if not codegen.generated_path(p, GENERATED).is_file()
        or codegen.generated_path(p, GENERATED).read_text(encoding="utf-8") != codegen.generate(p)
    ]
    assert not stale, f"regenerate with `python -m septrial.modeldef.codegen`: {stale}"
    orphans = {p.stem for p in GENERATED.glob("*.cpp")} - {p.stem for p in SPECS}
    assert not orphans, f"generated files without a specification: {sorted(orphans)}"


@pytest.mark.skipif(not GENERATED.is_dir(), reason="not a source tree (no cpp/src/generated)")
def test_check_mode_reports_a_stale_file(tmp_path: Path, capsys) -> None:
    assert codegen.main(["--check", "--out", str(tmp_path)]) == 1  # nothing generated there
    assert "stale" in capsys.readouterr().out
    assert codegen.main(["--out", str(tmp_path)]) == 0
    assert codegen.main(["--check", "--out", str(tmp_path)]) == 0


def _parameters(name: str) -> list[tuple]:
    keys = ("name", "value", "unit", "doc", "lower", "upper", "lower_inclusive", "upper_inclusive")
    return [tuple(p[k] for k in keys) for p in septrial.model_info(name).parameters]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_built_in_module_describes_itself_as_its_specification(path: Path) -> None:
    spec = validate_spec(ModelDefinition, load_definition(path), root="")
    d = compile_model(spec)
    expected = [
        (p.name, p.value, p.unit, p.doc, p.lower, p.upper, p.lower_inclusive, p.upper_inclusive)
        for p in d.parameters
    ]
    assert _parameters(spec.name) == expected
    info = septrial.model_info(spec.name)
    assert info.states == tuple(spec.states)
    assert [o["name"] for o in info.observables] == list(spec.observables)
    assert info.roles == dict(spec.roles)
    assert all(doc for _, _, _, doc, *_ in expected), "every parameter carries its source"


def test_built_in_specification_modules_export_to_sbml_by_name() -> None:
    pytest.importorskip("libsbml")
    text = septrial.export_sbml("sepsis_immune")
    assert 'id="cum_hazard_state"' in text and 'id="k_res"' in text
    with pytest.raises(ValueError, match="'esketamine_otto2021' is a compiled model"):
        septrial.export_sbml("esketamine_otto2021")


def test_fitted_values_are_written_into_the_specification(tmp_path: Path) -> None:
    """What ``python -m septrial.calibrate`` does with its result (comments and layout kept)."""
    path = tmp_path / "sepsis_immune.toml"
    original = (BUILTIN_SPECIFICATIONS / "sepsis_immune.toml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    set_parameter_values(path, {"a_6": 1234.5, "omega2_a_6": 1.25, "h0": 3e-4})
    spec = validate_spec(ModelDefinition, load_definition(path), root="")
    assert (spec.parameters["a_6"].value, spec.parameters["a_6"].iiv) == (1234.5, 1.25)
    assert spec.parameters["h0"].value == 3e-4
    changed = [
        (a, b) for a, b in zip(original.splitlines(), path.read_text().splitlines(), strict=True)
    ]
    assert sum(a != b for a, b in changed) == 2  # the a_6 and h0 lines, nothing else
    with pytest.raises(ValueError, match=r"^parameters\.a_66: no one-line"):
        set_parameter_values(path, {"a_66": 1.0})
    with pytest.raises(ValueError, match=r"parameters\.a_6\.value: must be in"):
        set_parameter_values(path, {"a_6": -1.0})


def test_literals_read_back_exactly() -> None:
    for value in (0.1, 1 / 3, -2.5e-300, 1e300, 5e-324, 0.0):
        assert float(literal(value).strip("()")) == value
    assert "infinity" in literal(math.inf) and literal(-math.inf).startswith("(-")
    assert "quiet_NaN" in literal(math.nan)
