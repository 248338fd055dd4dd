"""Criteria lint (septrial.screening.lint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from septrial.protocol import cohort_covariates
from septrial.screening import (
    Criterion,
    LintFinding,
    lint_criteria,
    load_criteria_set,
    parse_covariates,
)

COHORT_COVARIATES = cohort_covariates()

CRITERIA_FILE = Path(__file__).resolve().parents[1] / "scenarios" / "criteria" / "nct04843982.json"


def by_code(findings: list[LintFinding], code: str) -> list[LintFinding]:
    return [f for f in findings if f.code == code]


def inc(id_: str, rule: str) -> Criterion:
    return Criterion(id=id_, kind="inclusion", text=rule, rule=rule)


def exc(id_: str, rule: str) -> Criterion:
    return Criterion(id=id_, kind="exclusion", text=rule, rule=rule)


@pytest.fixture(scope="module")
def small_cohort() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 200
    return pd.DataFrame(
        {
            "age_y": rng.integers(18, 90, n).astype(float),
            "sofa": rng.poisson(7, n),
            "chf": rng.random(n) < 0.1,
            "consent": rng.random(n) < 0.8,
        }
    )


def test_registry_file_age_contradiction_and_header() -> None:
    crit = load_criteria_set(CRITERIA_FILE)
    findings = lint_criteria(crit, COHORT_COVARIATES)
    assert not [f for f in findings if f.severity == "error"], findings
    (conflict,) = by_code(findings, "boundary_conflict")
    assert conflict.severity == "warning"
    assert conflict.criteria == ("inc_age", "exc_age")
    assert "age_y = 60" in conflict.message
    assert "[18, 60]" in conflict.message  # what the inclusion admits
    assert "Effective range: age_y ∈ [18, 60)" in conflict.message
    (header,) = by_code(findings, "header_mismatch")
    assert "18–80" in header.message and "[18, 60)" in header.message
    assert "upper limit 80 in the header, 60 (exclusive) in the criteria" in header.message
    assert "lower limit" not in header.message
    # The header is only checked when known.
    assert not by_code(lint_criteria(list(crit), COHORT_COVARIATES), "header_mismatch")
    assert by_code(
        lint_criteria(list(crit), COHORT_COVARIATES, age_header=(18, 80)), "header_mismatch"
    )


def test_header_consistent_with_strict_reading() -> None:
    crit = [inc("inc_age", "18 <= age_y < 60"), exc("exc_age", "age_y < 18 or age_y >= 60")]
    findings = lint_criteria(crit, COHORT_COVARIATES, age_header={"min": 18, "max": 60})
    assert not by_code(findings, "boundary_conflict")
    (header,) = by_code(findings, "header_mismatch")  # [18, 60) vs [18, 60]
    assert "60 (exclusive)" in header.message
    (red,) = by_code(findings, "redundant_exclusion")
    assert red.severity == "info"


def test_unknown_covariate() -> None:
    crit = [inc("inc_age", "age_y >= 18"), exc("exc_lactate", "lactate_mmol_l > 4 or agee_y > 90")]
    findings = lint_criteria(crit, COHORT_COVARIATES)
    (f,) = by_code(findings, "unknown_covariate")
    assert f.severity == "error" and f.criteria == ("exc_lactate",)
    assert "'lactate_mmol_l'" in f.message and "'agee_y' (did you mean 'age_y'?)" in f.message
    assert "which the population does not have" in f.message
    assert findings[0] is f  # errors come first
    names_only = lint_criteria(crit, {"age_y", "sofa"})
    assert by_code(names_only, "unknown_covariate")


def test_type_error_with_typed_covariates() -> None:
    findings = lint_criteria([exc("exc_sex", "sex > 1")], COHORT_COVARIATES)
    (f,) = by_code(findings, "type_error")
    assert "exc_sex" in f.message and "compares numbers" in f.message


def test_empty_inclusion_and_excluded_range() -> None:
    findings = lint_criteria([inc("inc_bad", "age_y > 60 and age_y < 18")], COHORT_COVARIATES)
    (f,) = by_code(findings, "empty_inclusion")
    assert "inc_bad" in f.message and "can never be met" in f.message
    findings = lint_criteria([inc("a", "age_y >= 65"), inc("b", "age_y <= 60")], COHORT_COVARIATES)
    (f,) = by_code(findings, "empty_inclusion")
    assert f.criteria == ("a", "b") and "together admit no value" in f.message
    findings = lint_criteria(
        [inc("a", "18 <= age_y <= 60"), exc("e", "age_y >= 10")], COHORT_COVARIATES
    )
    (f,) = by_code(findings, "no_admissible_values")
    assert "no value of age_y passes" in f.message
    # Domain from the covariate description: SOFA runs 0-24.
    findings = lint_criteria([inc("s", "sofa > 30")], COHORT_COVARIATES)
    assert "within its range [0, 24]" in by_code(findings, "empty_inclusion")[0].message
    findings = lint_criteria([exc("s", "sofa >= 0")], COHORT_COVARIATES)
    assert by_code(findings, "excludes_all_values")


def test_exclusion_narrowing_is_info() -> None:
    findings = lint_criteria([inc("a", "age_y >= 18"), exc("e", "age_y > 75")], COHORT_COVARIATES)
    (f,) = by_code(findings, "exclusion_narrows")
    assert f.severity == "info" and "effective range: age_y ∈ [18, 75]" in f.message


def test_cohort_thresholds(small_cohort: pd.DataFrame) -> None:
    crit = [
        inc("inc_adult", "age_y >= 18"),  # excludes nobody
        exc("exc_everyone", "age_y >= 0"),  # excludes everyone
        exc("exc_most", "sofa >= 1"),  # excludes nearly everyone
        exc("exc_chf", "chf"),
        inc("inc_consent", "consent"),
    ]
    findings = lint_criteria(crit, COHORT_COVARIATES, cohort_df=small_cohort)
    (everyone,) = by_code(findings, "excludes_everyone")
    assert everyone.severity == "error" and everyone.criteria == ("exc_everyone",)
    assert "200/200" in everyone.message
    (most,) = by_code(findings, "excludes_almost_all")
    assert most.criteria == ("exc_most",) and "95%" in most.message
    (nobody,) = by_code(findings, "excludes_nobody")
    assert nobody.criteria == ("inc_adult",) and "0/200" in nobody.message
    assert by_code(findings, "nobody_eligible")
    relaxed = lint_criteria(
        crit, COHORT_COVARIATES, cohort_df=small_cohort, max_fail_fraction=0.999
    )
    assert not by_code(relaxed, "excludes_almost_all")
    with pytest.raises(ValueError, match="max_fail_fraction"):
        lint_criteria(crit, COHORT_COVARIATES, max_fail_fraction=1.5)


def test_cohort_evaluation_error(small_cohort: pd.DataFrame) -> None:
    findings = lint_criteria([exc("e", "ckd")], COHORT_COVARIATES, cohort_df=small_cohort)
    (f,) = by_code(findings, "evaluation_error")
    assert "no column 'ckd'" in f.message


def test_duplicate_ids_and_callables() -> None:
    crit = [
        inc("inc_age", "age_y >= 18"),
        inc("inc_age", "age_y <= 60"),
        Criterion(id="bmi_cap", kind="exclusion", text="BMI > 35", rule=lambda d: d.bmi > 35),
    ]
    findings = lint_criteria(crit, COHORT_COVARIATES)
    (dup,) = by_code(findings, "duplicate_id")
    assert dup.severity == "error" and "'inc_age' is used by 2 criteria" in dup.message
    (nc,) = by_code(findings, "not_checked")
    assert nc.criteria == ("bmi_cap",) and nc.severity == "info"
    assert str(dup).startswith("error: [duplicate_id]")


def test_covariate_descriptions() -> None:
    class PopulationLike:
        kinds = {"age_y": "continuous", "sex": "categorical", "chf": "boolean"}

    crit = [exc("e", "sex > 1 or chf")]
    for cov in (PopulationLike(), PopulationLike.kinds):
        (f,) = by_code(lint_criteria(crit, cov), "type_error")
        assert "compares numbers" in f.message
    # Distribution specs from a population file: unknown types are unchecked, bounds are read.
    spec = {"age_y": {"type": "truncated", "lower": 18, "upper": 100}, "sex": {"type": "x"}}
    parsed = parse_covariates(spec)
    assert parsed["age_y"] == {"type": "any", "min": 18.0, "max": 100.0}
    findings = lint_criteria([inc("a", "age_y < 18")], spec)
    assert "within its range [18, 100]" in by_code(findings, "empty_inclusion")[0].message
    with pytest.raises(ValueError, match=r"covariates\.age_y\.min: must be a number"):
        parse_covariates({"age_y": {"min": "zero"}})
    with pytest.raises(ValueError, match="covariates: must be a set of names"):
        parse_covariates("age_y")
