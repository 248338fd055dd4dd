"""The population spec models: generated schema, defaults, and one bad spec per rule, each a
ValueError whose message starts with the JSON path."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from septrial.cohort import Population
from septrial.spec.base import SpecError
from septrial.spec.covariates import RESERVED_COLUMNS
from septrial.spec.population import (
    DISTRIBUTION_TYPES,
    loads,
    validate_population,
)
from septrial.spec.schema import schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "scenarios" / "schema" / "population.schema.json"
BUNDLED = ROOT / "scenarios" / "populations" / "septic_icu_china.json"

#: Every distribution type and condition form, with a copula; validates as written.
ALL_TYPES: dict[str, Any] = {
    "name": "all_types",
    "covariates": [
        {
            "name": "age_y",
            "type": "truncated",
            "base": {"type": "normal", "mean": 60, "sd": 15},
            "lower": 18,
            "upper": 100,
        },
        {"name": "sex", "type": "categorical", "levels": ["female", "male"], "probs": [0.4, 0.6]},
        {"name": "male", "type": "derived", "formula": "male"},
        {
            "name": "height_cm",
            "type": "stratified",
            "by": "sex",
            "strata": {
                "female": {"type": "normal", "mean": 160, "sd": 6},
                "male": {"type": "normal", "mean": 172, "sd": 7},
            },
        },
        {"name": "weight_kg", "type": "lognormal", "median": 65, "sdlog": 0.2},
        {"name": "bmi", "type": "derived", "formula": "bmi"},
        {"name": "ffm_kg", "type": "derived", "formula": "ffm_janmahasatian"},
        {"name": "lab", "type": "empirical_cdf", "values": [0, 1, 4], "cdf": [0, 0.5, 1]},
        {"name": "visits", "type": "empirical", "values": [0, 1, 2]},
        {"name": "shock", "type": "bernoulli", "p": 0.5},
        {
            "name": "ckd",
            "type": "bernoulli_logit",
            "p_ref": 0.05,
            "terms": [
                {"covariate": "age_y", "per": 10, "ref": 60, "odds_ratio": 2.0},
                {"covariate": "sex", "equals": "female", "odds_ratio": 1.5},
            ],
        },
        {
            "name": "crrt",
            "type": "bernoulli_mixture",
            "base": 0.1,
            "if": [
                {"covariate": "ckd", "p": 0.3},
                {"covariate": "sex", "equals": "male", "p": 0.1},
                {"covariate": "age_y", "min": 70, "p": 0.2},
            ],
        },
        {
            "name": "dose",
            "type": "normal",
            "mean": 5,
            "sd": 1,
            "only_if": [{"covariate": "shock"}],
            "otherwise": 0,
        },
    ],
    "correlation": {
        "variables": ["age_y", "height_cm", "lab"],
        "matrix": [[1, 0.2, 0.1], [0.2, 1, 0], [0.1, 0, 1]],
    },
}


def _cov(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in spec["covariates"] if c["name"] == name)


def _replace(spec: dict[str, Any], name: str, dist: dict[str, Any]) -> None:
    """Give covariate ``name`` another distribution."""
    index = spec["covariates"].index(_cov(spec, name))
    spec["covariates"][index] = {"name": name, **dist}


def _error(spec: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as info:
        Population(spec)
    assert isinstance(info.value, SpecError)
    return str(info.value)


# -- the schema ---------------------------------------------------------------------------------


def test_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == schema("population"), (
        "scenarios/schema/population.schema.json is stale: run python -m septrial.spec.schema"
    )


def test_schema_keeps_its_identity_and_documents_every_field() -> None:
    generated = schema("population")
    assert generated["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert generated["$id"] == "https://septrial/schema/population.schema.json"
    assert generated["title"] == "septrial population spec"
    jsonschema.Draft202012Validator.check_schema(generated)

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            required = set(node.get("required", []))
            for key, field in node.get("properties", {}).items():
                assert field.get("description"), f"{where}.{key}: no description"
                assert key in required or "default" in field, f"{where}.{key}: no default"
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(generated, "#")


@pytest.mark.parametrize("spec", [BUNDLED, ALL_TYPES], ids=["bundled", "all_types"])
def test_specs_validate_against_the_schema_and_the_models(spec: Path | dict) -> None:
    data = json.loads(spec.read_text(encoding="utf-8")) if isinstance(spec, Path) else spec
    jsonschema.Draft202012Validator(schema("population")).validate(data)
    validate_population(data)


def test_every_distribution_type_is_covered() -> None:
    def types(node: Any) -> set[str]:
        if isinstance(node, dict):
            own = {node["type"]} if isinstance(node.get("type"), str) else set()
            return own.union(*(types(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(types(v) for v in node))
        return set()

    assert types(ALL_TYPES["covariates"]) == set(DISTRIBUTION_TYPES)


# -- defaults -----------------------------------------------------------------------------------


def test_defaults_are_filled_in_once() -> None:
    spec = validate_population(ALL_TYPES)
    ckd = spec.covariates[10]
    assert ckd.terms[1].per == 1.0 and ckd.terms[1].ref == 0.0
    assert ckd.target_prevalence is None and ckd.assumption is False and ckd.source == ""
    assert spec.covariates[8].weights is None and spec.covariates[0].otherwise is None
    assert spec.correlation is not None and spec.correlation.note == ""
    with pytest.raises(ValueError):  # frozen
        spec.covariates[0].name = "x"  # type: ignore[misc]


def test_population_keeps_its_public_view() -> None:
    pop = Population(ALL_TYPES)
    assert pop.columns[:3] == ["age_y", "sex", "male"]
    assert pop.kinds["dose"] == "continuous" and pop.kinds["crrt"] == "boolean"
    assert pop.levels == {"sex": ["female", "male"]}
    assert pop.model.covariates[4].median == 65
    df = pop.sample(2_000, seed=1, threads=1)
    assert (df.loc[~df["shock"], "dose"] == 0).all()
    assert (df["visits"].isin([0, 1, 2])).all()


# -- bad specs, one per rule --------------------------------------------------------------------

BAD: dict[str, tuple[Any, str]] = {
    "unknown top-level key": (
        lambda s: s.update(covariate=[]),
        r"\$\.covariate: unknown key 'covariate' \(did you mean 'covariates'\?\); allowed keys",
    ),
    "unknown nested key": (
        lambda s: _cov(s, "age_y")["base"].update(sdd=1),
        r"\$\.covariates\[0\]\.base\.sdd: unknown key 'sdd' \(did you mean 'sd'\?\)",
    ),
    "wrong type": (
        lambda s: _cov(s, "weight_kg").update(median="65"),
        r"\$\.covariates\[4\]\.median: input should be a valid number, got '65' \(str\)",
    ),
    "boolean is not a number": (
        lambda s: _cov(s, "shock").update(p=True),
        r"\$\.covariates\[9\]\.p: input should be a valid number",
    ),
    "NaN from Python": (
        lambda s: _cov(s, "dose").update(mean=math.nan),
        r"\$\.covariates\[12\]\.mean: must be a finite number",
    ),
    "missing field": (
        lambda s: _cov(s, "shock").pop("p"),
        r"\$\.covariates\[9\]\.p: required field is missing",
    ),
    "unknown type": (
        lambda s: _cov(s, "shock").update(type="bernouli"),
        r"\$\.covariates\[9\]\.type: unknown distribution type 'bernouli' \(did you mean "
        r"'bernoulli'\?\); allowed: normal, ",
    ),
    "derived inside a stratum": (
        lambda s: _cov(s, "height_cm")["strata"].update(male={"type": "derived", "formula": "bmi"}),
        r"\$\.covariates\[3\]\.strata\.male\.type: 'derived' is allowed only for a top-level",
    ),
    "probability above 1": (
        lambda s: _cov(s, "sex").update(probs=[0.4, 1.6]),
        r"\$\.covariates\[1\]\.probs\[1\]: input should be less than or equal to 1, got 1.6",
    ),
    "probs do not sum to 1": (
        lambda s: _cov(s, "sex").update(probs=[0.4, 0.5]),
        r"\$\.covariates\[1\]\.probs: must sum to 1",
    ),
    "duplicate level": (
        lambda s: _cov(s, "sex").update(levels=["a", "a"]),
        r"\$\.covariates\[1\]\.levels\[1\]: duplicate level 'a'",
    ),
    "p_ref out of (0, 1)": (
        lambda s: _cov(s, "ckd").update(p_ref=1.0),
        r"\$\.covariates\[10\]\.p_ref: input should be less than 1",
    ),
    "reference to a later covariate": (
        lambda s: _cov(s, "ckd")["terms"][0].update(covariate="dose"),
        r"\$\.covariates\[10\]\.terms\[0\]\.covariate: covariate 'dose' is defined later "
        r"\(at \$\.covariates\[12\]\)",
    ),
    "unknown covariate": (
        lambda s: _cov(s, "crrt")["if"][0].update(covariate="ckdd"),
        r"\$\.covariates\[11\]\.if\[0\]\.covariate: unknown covariate 'ckdd' \(did you mean "
        r"'ckd'\?\); covariates available here: age_y, ",
    ),
    "condition level unknown": (
        lambda s: _cov(s, "crrt")["if"][1].update(equals="mael"),
        r"\$\.covariates\[11\]\.if\[1\]\.equals: must be a level of 'sex', got 'mael' \(did you "
        r"mean 'male'\?\); allowed: female, male",
    ),
    "min/max on a boolean": (
        lambda s: _cov(s, "crrt")["if"][0].update(min=1),
        r"\$\.covariates\[11\]\.if\[0\]\.min: min/max need a continuous covariate",
    ),
    "categorical condition without equals": (
        lambda s: _cov(s, "crrt")["if"][1].pop("equals"),
        r"\$\.covariates\[11\]\.if\[1\]: 'sex' is categorical; give equals \(one of female, male\)",
    ),
    "per with a categorical term": (
        lambda s: _cov(s, "ckd")["terms"][1].update(per=2),
        r"\$\.covariates\[10\]\.terms\[1\]\.per: not used with a categorical covariate",
    ),
    "otherwise without only_if": (
        lambda s: _cov(s, "shock").update(otherwise=True),
        r"\$\.covariates\[9\]\.otherwise: only used together with only_if",
    ),
    "only_if without otherwise for a number": (
        lambda s: _cov(s, "dose").pop("otherwise"),
        r"\$\.covariates\[12\]\.otherwise: required with only_if for a continuous covariate",
    ),
    "otherwise of the wrong kind": (
        lambda s: _cov(s, "dose").update(otherwise="none"),
        r"\$\.covariates\[12\]\.otherwise: 'dose' is continuous; give a number",
    ),
    "median and meanlog": (
        lambda s: _cov(s, "weight_kg").update(meanlog=4),
        r"\$\.covariates\[4\]\.meanlog: give either median or meanlog, not both",
    ),
    "truncation without bounds": (
        lambda s: [_cov(s, "age_y").pop(k) for k in ("lower", "upper")],
        r"\$\.covariates\[0\]\.lower: give lower, upper or both",
    ),
    "negative lower bound of a lognormal": (
        lambda s: _cov(s, "age_y").update(
            base={"type": "lognormal", "median": 60, "sdlog": 0.3}, lower=-1
        ),
        r"\$\.covariates\[0\]\.lower: must be >= 0 for a lognormal base, got -1",
    ),
    "cdf not monotone": (
        lambda s: _cov(s, "lab").update(cdf=[0, 0.6, 0.5]),
        r"\$\.covariates\[7\]\.cdf\[2\]: cdf must be non-decreasing",
    ),
    "cdf does not end at 1": (
        lambda s: _cov(s, "lab").update(cdf=[0, 0.5, 0.9]),
        r"\$\.covariates\[7\]\.cdf: must start at 0 and end at 1",
    ),
    "weights of the wrong length": (
        lambda s: _cov(s, "visits").update(weights=[1, 2]),
        r"\$\.covariates\[8\]\.weights: must have one entry per value \(3\), got 2",
    ),
    "unknown stratum": (
        lambda s: _cov(s, "height_cm")["strata"].update(
            mael={"type": "normal", "mean": 1, "sd": 1}
        ),
        r"\$\.covariates\[3\]\.strata\.mael: unknown stratum, got 'mael' \(did you mean 'male'\?\)",
    ),
    "strata of different kinds": (
        lambda s: _cov(s, "height_cm")["strata"].update(male={"type": "bernoulli", "p": 0.5}),
        r"\$\.covariates\[3\]\.strata\.male: all strata must give the same kind of value",
    ),
    "formula input missing": (
        lambda s: s["covariates"].pop(4),
        r"\$\.covariates\[4\]\.formula: formula 'bmi' needs covariates listed before this one: "
        r"weight_kg \(missing\)",
    ),
    "bad reserved kind": (
        lambda s: _replace(s, "weight_kg", {"type": "bernoulli", "p": 0.5}),
        r"\$\.covariates\[4\]\.type: 'weight_kg' is reserved and must be continuous; got boolean",
    ),
    "reserved name 'patient'": (
        lambda s: _cov(s, "visits").update(name="patient"),
        r"\$\.covariates\[8\]\.name: 'patient' is reserved",
    ),
    "duplicate name": (
        lambda s: _cov(s, "visits").update(name="lab"),
        r"\$\.covariates\[8\]\.name: duplicate covariate 'lab' \(first defined at "
        r"\$\.covariates\[7\]\)",
    ),
    "bad name": (
        lambda s: _cov(s, "visits").update(name="2visits"),
        r"\$\.covariates\[8\]\.name: string should match pattern",
    ),
    "copula of a boolean": (
        lambda s: s["correlation"].update(variables=["age_y", "height_cm", "shock"]),
        r"\$\.correlation\.variables\[2\]: covariate 'shock' is not continuous; allowed: age_y, "
        r"height_cm, weight_kg, lab",
    ),
    "copula variable twice": (
        lambda s: s["correlation"].update(variables=["age_y", "height_cm", "age_y"]),
        r"\$\.correlation\.variables\[2\]: duplicate variable 'age_y'",
    ),
    "matrix not symmetric": (
        lambda s: s["correlation"]["matrix"][1].__setitem__(0, 0.3),
        r"\$\.correlation\.matrix\[1\]\[0\]: matrix must be symmetric",
    ),
    "matrix diagonal": (
        lambda s: s["correlation"]["matrix"][2].__setitem__(2, 0.9),
        r"\$\.correlation\.matrix\[2\]\[2\]: diagonal entries must be 1",
    ),
    "matrix of the wrong size": (
        lambda s: s["correlation"].update(matrix=[[1, 0], [0, 1]]),
        r"\$\.correlation\.matrix: must be a 3 x 3 array",
    ),
    "correlation outside [-1, 1]": (
        lambda s: s["correlation"]["matrix"][0].__setitem__(1, 1.5),
        r"\$\.correlation\.matrix\[0\]\[1\]: input should be less than or equal to 1",
    ),
    "matrix not positive definite": (
        lambda s: s["correlation"].update(matrix=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]),
        r"\$\.correlation\.matrix: correlation matrix is not positive definite",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_gives_a_spec_error_at_the_json_path(case: str) -> None:
    edit, pattern = BAD[case]
    spec = copy.deepcopy(ALL_TYPES)
    edit(spec)
    message = _error(spec)
    assert message.startswith("$"), message
    assert re.match(pattern, message), message


def test_nan_and_infinity_literals_are_refused_at_their_path() -> None:
    text = json.dumps(ALL_TYPES).replace('"sd": 6', '"sd": Infinity')
    with pytest.raises(ValueError, match=r"^\$\.covariates\[3\]\.strata\.female\.sd: must be a "):
        Population.from_json(text)
    with pytest.raises(ValueError, match=r"^\$\.sources\.x: must be a finite number"):
        validate_population({**ALL_TYPES, "sources": {"x": loads("NaN")}})


def test_reserved_kinds_come_from_the_covariate_list() -> None:
    assert RESERVED_COLUMNS["sex"].levels == ("female", "male")
    spec = copy.deepcopy(ALL_TYPES)
    _replace(spec, "male", {"type": "normal", "mean": 0, "sd": 1})
    message = _error(spec)
    assert message.startswith("$.covariates[2].type: 'male' is reserved and must be boolean")
