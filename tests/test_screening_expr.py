"""Rule language and criteria validation (septrial.screening.expr / .criteria)."""

from __future__ import annotations

import ast
import builtins
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from septrial.screening import (
    Criterion,
    IntervalSet,
    compile_rule,
    load_criteria,
)

ALLOWED = {
    "age_y",
    "sex",
    "weight_kg",
    "height_cm",
    "sofa",
    "ventilated_h",
    "transplant",
    "consent",
    "autoimmune",
    "haem_malignancy",
    "chf",
    "uncontrolled_hypertension",
}


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age_y": [17.0, 18.0, 45.0, 59.9, 60.0, 75.0],
            "sex": ["male", "female", "female", "male", "female", "male"],
            "weight_kg": [70.0, 95.0, 50.0, 110.0, 62.0, 80.0],
            "height_cm": [175.0, 160.0, 165.0, 170.0, 150.0, 180.0],
            "sofa": [1, 2, 8, 12, 0, 5],
            "ventilated_h": [0.0, 24.0, 23.9, 100.0, 48.0, 30.0],
            "transplant": [False, True, False, False, True, False],
            "consent": [True, True, False, True, True, False],
            "autoimmune": [False, False, True, False, False, False],
            "haem_malignancy": [False, False, False, True, False, False],
            "chf": [True, False, False, False, False, False],
            "uncontrolled_hypertension": [False, False, False, False, True, False],
        }
    )


CASES = [
    ("age_y >= 18 and age_y <= 60", lambda d: (d.age_y >= 18) & (d.age_y <= 60)),
    ("sofa >= 2", lambda d: d.sofa >= 2),
    ("ventilated_h >= 24", lambda d: d.ventilated_h >= 24),
    ("transplant", lambda d: d.transplant),
    ("not consent", lambda d: ~d.consent),
    ("autoimmune or haem_malignancy", lambda d: d.autoimmune | d.haem_malignancy),
    ("18 <= age_y < 60", lambda d: (d.age_y >= 18) & (d.age_y < 60)),
    ("sex == 'female' and age_y < 45", lambda d: (d.sex == "female") & (d.age_y < 45)),
    ('sex != "female"', lambda d: d.sex != "female"),
    ("chf or uncontrolled_hypertension", lambda d: d.chf | d.uncontrolled_hypertension),
    (
        "weight_kg / (height_cm/100)**2 > 30",
        lambda d: d.weight_kg / (d.height_cm / 100) ** 2 > 30,
    ),
    ("sofa in [0, 2, 5]", lambda d: d.sofa.isin([0, 2, 5])),
    ("sex not in ['male']", lambda d: ~d.sex.isin(["male"])),
    ("sofa * 2 + 1 - 3 >= 10", lambda d: d.sofa * 2 + 1 - 3 >= 10),
    ("-age_y < -50", lambda d: -d.age_y < -50),
    ("not (age_y < 18 or age_y >= 60)", lambda d: ~((d.age_y < 18) | (d.age_y >= 60))),
    ("not transplant and consent", lambda d: ~d.transplant & d.consent),
    ("transplant or autoimmune and chf", lambda d: d.transplant | (d.autoimmune & d.chf)),
    ("1.5e1 < age_y", lambda d: d.age_y > 15),
    ("true", lambda d: pd.Series(True, index=d.index)),
    ("2 ** 3 == 8", lambda d: pd.Series(True, index=d.index)),
]


@pytest.mark.parametrize(("rule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_valid_rules_match_pandas(df: pd.DataFrame, rule: str, expected) -> None:
    compiled = compile_rule(rule, allowed=ALLOWED)
    got = compiled.evaluate(df)
    assert got.dtype == bool and got.shape == (len(df),)
    np.testing.assert_array_equal(got, expected(df).to_numpy(dtype=bool))
    assert compiled.text == rule


def test_variables() -> None:
    assert compile_rule("18 <= age_y < 60 and not transplant").variables == {"age_y", "transplant"}
    assert compile_rule("sex == 'female'").variables == {"sex"}
    assert compile_rule("1 < 2").variables == set()


BAD = [
    ("age_y >=", "unexpected end of rule after '>='"),
    ("__import__('os')", "function calls are not allowed"),
    ("df.age_y > 1", "attribute access is not allowed"),
    ("(age_y > 1", "'(' is never closed"),
    ("age_y > 1)", "unexpected token ')'"),
    ("age_y = 18", "use '=='"),
    ("age_y > 1 && sofa > 2", "use 'and'"),
    ("age_y[0] > 1", "indexing"),
    ("age_y 18", "expected an operator"),
    ("sex == 'female", "unterminated string"),
    ("age_y + 1", "must be a condition"),
    ("[1, 2]", "list"),
    ("age_y in 3", "must be followed by a list"),
    ("age_y in [1, 2] < 3", "cannot be chained"),
    ("lambda: 1", "unexpected"),
    ("age_y if sofa else 1", "expected"),
    ("sofa ≥ 2", "write '>='"),
    ("sofa >= 2 # comment", "unexpected character '#'"),
    ("", "empty"),
    ("   ", "empty"),
    ("(" * 200 + "age_y > 1" + ")" * 200, "nested too deeply"),
]


@pytest.mark.parametrize(("rule", "fragment"), BAD, ids=[b[0][:30] for b in BAD])
def test_malformed_rules_name_the_field(rule: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_rule(rule, allowed=ALLOWED, where="criteria[3].rule")
    msg = str(info.value)
    assert msg.startswith("criteria[3].rule")
    assert fragment in msg


def test_error_points_at_column() -> None:
    with pytest.raises(ValueError, match=r"criteria\[3\]\.rule, column 12: unexpected token '\)'"):
        compile_rule("age_y >= 18) and sofa", where="criteria[3].rule")


def test_unknown_covariate_lists_allowed_names() -> None:
    with pytest.raises(ValueError) as info:
        compile_rule("agee_y >= 18", allowed=ALLOWED, where="criteria[0].rule")
    msg = str(info.value)
    assert "criteria[0].rule" in msg and "unknown covariate 'agee_y'" in msg
    assert "did you mean 'age_y'" in msg
    for name in ALLOWED:
        assert name in msg


def test_type_errors_with_known_types() -> None:
    types = {"sex": "category", "age_y": "float", "transplant": "bool"}
    for rule, fragment in [
        ("sex > 3", "compares numbers"),
        ("sex == 3", "cannot compare"),
        ("age_y and transplant", "joins conditions"),
        ("not age_y", "needs a condition"),
        ("transplant * 2 > 1", "needs numbers"),
        ("sex in [1, 2]", "list item"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            compile_rule(rule, allowed=ALLOWED, types=types, where="x.rule")


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("sex > 3", "not numeric"),
        ("sex == 3", "one is text"),
        ("age_y", "not a condition"),
        ("weight_kg / (sofa - sofa) > 1", "non-finite"),
        ("lactate > 2", "no column 'lactate'"),
    ],
)
def test_evaluation_errors(df: pd.DataFrame, rule: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        compile_rule(rule, where="criteria[1].rule").evaluate(df)
    assert str(info.value).startswith("criteria[1].rule")


def test_missing_values_are_not_silent(df: pd.DataFrame) -> None:
    df = df.assign(sofa=[1.0, math.nan, 3.0, 4.0, 5.0, 6.0])
    with pytest.raises(ValueError, match="missing value"):
        compile_rule("sofa >= 2").evaluate(df)


def test_no_eval_is_used(df: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/compile must not be called")

    with monkeypatch.context() as m:
        for name in ("eval", "exec", "compile"):
            m.setattr(builtins, name, forbidden)
        got = compile_rule("18 <= age_y < 60 and sex == 'female'", allowed=ALLOWED).evaluate(df)
    np.testing.assert_array_equal(got, ((df.age_y >= 18) & (df.age_y < 60) & (df.sex == "female")))
    # Statically: the module never calls eval/exec/compile/__import__.
    import septrial.screening.expr as expr

    tree = ast.parse(Path(expr.__file__).read_text(encoding="utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}
    # And calls are rejected even for allowed-looking names.
    with pytest.raises(ValueError, match="function calls are not allowed"):
        compile_rule("abs(age_y) > 1")


def test_bounds() -> None:
    name, s = compile_rule("18 <= age_y <= 60").exact_bounds()
    assert name == "age_y" and s == IntervalSet.closed(18, 60)
    name, s = compile_rule("age_y < 18 or age_y >= 60").exact_bounds()
    assert str(s) == "(-inf, 18) ∪ [60, inf)"
    assert s == ~IntervalSet.from_comparison(">=", 18) | IntervalSet.from_comparison(">=", 60)
    assert str(compile_rule("not (age_y < 18)").exact_bounds()[1]) == "[18, inf)"
    assert str(compile_rule("60 > age_y").exact_bounds()[1]) == "(-inf, 60)"
    assert str(compile_rule("sofa in [1, 3]").exact_bounds()[1]) == "{1} ∪ {3}"
    assert str(compile_rule("age_y != 5").exact_bounds()[1]) == "(-inf, 5) ∪ (5, inf)"
    assert compile_rule("age_y < 12 * 5").exact_bounds()[1] == IntervalSet.from_comparison("<", 60)
    assert compile_rule("age_y < 18 or sofa > 2").exact_bounds() is None
    assert compile_rule("sex == 'female'").exact_bounds() is None
    nb = compile_rule("age_y >= 18 and sofa >= 2 and age_y <= 60 and transplant").necessary_bounds()
    assert nb == {"age_y": IntervalSet.closed(18, 60), "sofa": IntervalSet.from_comparison(">=", 2)}
    sb = compile_rule("age_y < 18 or transplant or age_y >= 60").sufficient_bounds()
    assert str(sb["age_y"]) == "(-inf, 18) ∪ [60, inf)"


def test_interval_set_algebra() -> None:
    a = IntervalSet.closed(18, 60)
    b = IntervalSet.from_comparison(">=", 60) | IntervalSet.from_comparison("<", 18)
    assert (a & b) == IntervalSet.points([60])
    assert (a & b).is_points()
    assert str(a - b) == "[18, 60)"
    assert (~~b) == b
    assert (a | ~a) == IntervalSet.everything()
    assert (a & ~a).is_empty()
    assert a.contains(60) and not (a - b).contains(60) and (a - b).contains(59.999)


def test_criterion_callable_validation(df: pd.DataFrame) -> None:
    ok = Criterion(
        id="bmi_cap", kind="exclusion", text="BMI > 35", rule=lambda d: d.weight_kg > 100
    )
    np.testing.assert_array_equal(ok.fails(df), (df.weight_kg > 100).to_numpy())
    assert ok.variables is None and ok.judged_at == "screening"
    bad = [
        (lambda d: d.weight_kg, "dtype float64"),
        (lambda d: (d.weight_kg > 1).to_numpy()[:3], r"shape \(3,\)"),
        (lambda d: True, r"shape \(\)"),
        (lambda d: d[["sofa"]] > 1, "DataFrame"),
        (lambda d: d.lactate > 2, "raised AttributeError"),
        (lambda d: (d.sofa > 1).reset_index(drop=True).set_axis(range(10, 16)), "index"),
    ]
    for fn, fragment in bad:
        c = Criterion(id="user_rule", kind="exclusion", text="x", rule=fn)
        with pytest.raises(ValueError, match=fragment) as info:
            c.fails(df)
        assert "criterion 'user_rule'.rule" in str(info.value)


def test_consent_stage_is_inferred() -> None:
    assert Criterion(id="c", kind="inclusion", text="", rule="consent").judged_at == "consent"
    assert Criterion(id="c", kind="exclusion", text="", rule="not consent").judged_at == "consent"
    assert Criterion(id="c", kind="exclusion", text="", rule="chf").judged_at == "screening"


GOOD = {"id": "inc_age", "kind": "inclusion", "text": "18 ≤ age", "rule": "age_y >= 18"}


@pytest.mark.parametrize(
    ("patch", "index", "fragment"),
    [
        ({"kind": "inc"}, 2, r"criteria\[2\]\.kind: must be 'inclusion' or 'exclusion', got 'inc'"),
        ({"id": ""}, 1, r"criteria\[1\]\.id: must be a non-empty name"),
        ({"id": 7}, 0, r"criteria\[0\]\.id"),
        ({"rule": "age_y >"}, 1, r"criteria\[1\]\.rule, column 8: unexpected end"),
        ({"rule": 3}, 0, r"criteria\[0\]\.rule: must be a rule string or a callable"),
        ({"rule": "agee_y > 1"}, 2, r"criteria\[2\]\.rule, column 1: unknown covariate 'agee_y'"),
        ({"judged_at": "baseline"}, 0, r"criteria\[0\]\.judged_at: must be one of"),
        ({"text": None}, 1, r"criteria\[1\]\.text: must be a string"),
        ({"rul": "x"}, 0, r"criteria\[0\]: unknown key 'rul' \(did you mean 'rule'\?\)"),
    ],
)
def test_load_criteria_errors_name_json_path(patch: dict, index: int, fragment: str) -> None:
    items = [dict(GOOD, id=f"c{i}") for i in range(3)]
    items[index].update(patch)
    with pytest.raises(ValueError, match=fragment):
        load_criteria(items, covariates=ALLOWED)


def test_load_criteria_structure_errors() -> None:
    missing = {k: v for k, v in GOOD.items() if k != "rule"}
    with pytest.raises(ValueError, match=r"criteria\[0\]\.rule: required field is missing"):
        load_criteria([missing])
    with pytest.raises(ValueError, match=r"criteria\[1\]\.id: duplicate id 'inc_age'"):
        load_criteria([GOOD, GOOD])
    with pytest.raises(ValueError, match=r"criteria\[0\]: must be an object"):
        load_criteria(["age_y > 1"])
    with pytest.raises(ValueError, match=r"criteria: the list is empty"):
        load_criteria([])
    with pytest.raises(ValueError, match=r"screening\.criteria\[0\]\.kind"):
        load_criteria([dict(GOOD, kind="x")], path="screening.criteria")
    assert load_criteria({"criteria": [GOOD]})[0].id == "inc_age"
    assert load_criteria([GOOD])[0].to_dict() == dict(GOOD, judged_at="screening")
