"""NCT04843982 criteria file, screening funnel and plots (septrial.screening.funnel)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from septrial.plotting.funnel import plot_exclusions, plot_funnel  # noqa: E402
from septrial.protocol import cohort_covariates
from septrial.screening import (  # noqa: E402
    Criterion,
    funnel_order,
    load_criteria_set,
    screen_table,
)

COHORT_COVARIATES = cohort_covariates()

ROOT = Path(__file__).resolve().parents[1]
CRITERIA_FILE = ROOT / "scenarios" / "criteria" / "nct04843982.json"
SEED_TEXT = ROOT.parent / "shared" / "seeds" / "000_2ffe69bfc30fe20d.txt"

CONDITIONS = [
    "transplant",
    "autoimmune",
    "haem_malignancy",
    "active_cancer",
    "chemo_radio_30d",
    "immunosuppressants",
    "steroids_gt10mg",
    "mi_6mo",
    "acute_brain_injury",
    "uncontrolled_hypertension",
    "chf",
    "raised_icp_iop",
    "ckd",
    "crrt",
    "child_pugh_bc",
    "alcohol_dependence",
    "mental_illness",
    "severe_cognitive_impairment",
    "septic_shock",
]


def make_cohort(n: int = 4000, seed: int = 20250730) -> pd.DataFrame:
    """A random cohort with every column the criteria read (integer ages hit 18 and 60)."""
    rng = np.random.default_rng(seed)
    male = rng.random(n) < 0.66
    age = rng.integers(10, 91, n).astype(float)
    height = np.where(male, rng.normal(168, 6.5, n), rng.normal(157, 6.0, n))
    bmi = np.exp(rng.normal(np.log(22.5), 0.18, n))
    weight = bmi * (height / 100) ** 2
    vent_h = np.where(rng.random(n) < 0.75, rng.exponential(60.0, n), 0.0)
    df = pd.DataFrame(
        {
            "age_y": age,
            "sex": np.where(male, "male", "female"),
            "male": male,
            "weight_kg": weight,
            "height_cm": height,
            "bmi": bmi,
            "ffm_kg": weight * np.where(male, 0.75, 0.65),
            "sofa": rng.poisson(6.0, n).astype(int),
            "ventilated_h": vent_h,
            "ventilated": vent_h > 0,
        }
    )
    for name in CONDITIONS:
        df[name] = rng.random(n) < 0.04
    df["pregnant_lactating"] = ~male & (age < 45) & (rng.random(n) < 0.1)
    df["consent"] = rng.random(n) < 0.8
    return df


# Independent pandas expressions: True where the patient FAILS the criterion.
EXPECTED_FAILS = {
    "inc_age": lambda d: ~((d["age_y"] >= 18) & (d["age_y"] <= 60)),
    "inc_sofa": lambda d: ~(d["sofa"] >= 2),
    "inc_ventilation": lambda d: ~(d["ventilated_h"] >= 24),
    "inc_consent": lambda d: ~d["consent"],
    "exc_age": lambda d: (d["age_y"] < 18) | (d["age_y"] >= 60),
    "exc_transplant": lambda d: d["transplant"],
    "exc_autoimmune_haem": lambda d: d["autoimmune"] | d["haem_malignancy"],
    "exc_immunosuppression": lambda d: (
        d["chemo_radio_30d"] | d["immunosuppressants"] | d["steroids_gt10mg"]
    ),
    "exc_cardiac": lambda d: d["mi_6mo"],
    "exc_brain_injury": lambda d: d["acute_brain_injury"],
    "exc_hypertension_chf": lambda d: d["uncontrolled_hypertension"] | d["chf"],
    "exc_raised_pressure": lambda d: d["raised_icp_iop"],
    "exc_renal": lambda d: d["ckd"] | d["crrt"],
    "exc_liver": lambda d: d["child_pugh_bc"],
    "exc_alcohol_mental": lambda d: (
        d["alcohol_dependence"] | d["mental_illness"] | d["severe_cognitive_impairment"]
    ),
    "exc_pregnancy": lambda d: d["pregnant_lactating"],
    "exc_consent": lambda d: ~d["consent"],
}


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return make_cohort()


@pytest.fixture(scope="module")
def crit():
    return load_criteria_set(CRITERIA_FILE, covariates=COHORT_COVARIATES)


def test_file_covers_the_registry(crit) -> None:
    assert crit.trial == "NCT04843982"
    assert crit.age_header == (18.0, 80.0)
    assert set(crit.ids) == set(EXPECTED_FAILS)
    assert [c.kind for c in crit].count("inclusion") == 4
    assert [c.kind for c in crit].count("exclusion") == 13
    assert {c.id for c in crit if c.judged_at == "consent"} == {"inc_consent", "exc_consent"}
    raw = json.loads(CRITERIA_FILE.read_text(encoding="utf-8"))
    assert [c["id"] for c in raw["criteria"]] == crit.ids


def test_texts_are_verbatim(crit) -> None:
    if not SEED_TEXT.exists():
        pytest.skip("registry seed text not available")
    registry = SEED_TEXT.read_text(encoding="utf-8")
    bullets = [
        line.strip()[1:].strip() for line in registry.splitlines() if line.strip().startswith("•")
    ]
    start = bullets.index("18 years old ≤ age ≤60 years old;")
    assert [c.text for c in crit] == bullets[start : start + 17]


def test_each_criterion_excludes_what_its_rule_says(crit, cohort: pd.DataFrame) -> None:
    for c in crit:
        expected = EXPECTED_FAILS[c.id](cohort).to_numpy(dtype=bool)
        np.testing.assert_array_equal(c.fails(cohort), expected, err_msg=c.id)
        assert 0 < expected.sum() < len(cohort), c.id  # the cohort exercises every criterion


def test_funnel_adds_up(crit, cohort: pd.DataFrame) -> None:
    rep = screen_table(cohort, crit)
    order = [c.id for c in rep.criteria]
    assert order[-2:] == ["inc_consent", "exc_consent"]  # consent asked last
    assert order[:3] == ["inc_age", "inc_sofa", "inc_ventilation"]
    # Independent first-failing attribution.
    fails = pd.DataFrame({cid: EXPECTED_FAILS[cid](cohort) for cid in order})
    first_list: list[str | None] = []
    for _, row in fails.iterrows():
        hit = [cid for cid in order if row[cid]]
        first_list.append(hit[0] if hit else None)
    first = pd.Series(first_list, index=cohort.index, dtype=object)
    assert first.map(type).isin([str, type(None)]).all()
    assert rep.first_failing.map(type).isin([str, type(None)]).all()
    pd.testing.assert_series_equal(rep.first_failing, first, check_names=False)
    pd.testing.assert_frame_equal(rep.failures, fails)
    table = rep.criteria_table().set_index("criterion")
    np.testing.assert_array_equal(table["all failing"], fails.sum().to_numpy())
    counts = first.value_counts()
    np.testing.assert_array_equal(table["first failing"], [counts.get(c, 0) for c in order])
    screening_ids = order[:-2]
    eligible = ~fails[screening_ids].any(axis=1)
    consented = eligible & cohort["consent"]
    assert rep.n_screened == len(cohort)
    assert rep.n_eligible == eligible.sum()
    assert rep.n_consented == consented.sum() == rep.n_randomised
    assert table.loc[screening_ids, "first failing"].sum() + rep.n_eligible == rep.n_screened
    assert table.loc["inc_consent", "first failing"] == (eligible & ~cohort["consent"]).sum()
    assert table.loc["exc_consent", "first failing"] == 0
    assert table["first failing"].sum() + rep.n_consented == rep.n_screened
    assert rep.screen_to_enrol == pytest.approx(len(cohort) / consented.sum())
    # Patients aged exactly 60 are admitted by inc_age but removed by exc_age.
    at_60 = cohort["age_y"] == 60
    assert at_60.any() and not rep.consented[at_60].any()


def test_randomisation_cap_and_tables(crit, cohort: pd.DataFrame) -> None:
    rep = screen_table(cohort, crit, n_target=25)
    assert rep.n_randomised == 25 < rep.n_consented
    first25 = rep.consented[rep.consented].index[:25]
    assert set(rep.randomised[rep.randomised].index) == set(first25)
    t = rep.table()
    assert list(t.columns) == ["step", "n", "% of screened", "% of previous"]
    assert list(t["step"]) == ["Screened", "Eligible", "Consented", "Randomised"]
    assert list(t["n"]) == [rep.n_screened, rep.n_eligible, rep.n_consented, 25]
    assert t["% of previous"].iloc[3] == pytest.approx(100 * 25 / rep.n_consented)
    assert math.isnan(t["% of previous"].iloc[0])
    md = rep.to_markdown()
    assert md.startswith("| step | n | % of screened | % of previous |")
    assert "| Randomised | 25 |" in md and "inc_ventilation" in md and "capped at 25" in md
    assert "18 years old ≤ age ≤60 years old;" in md


def test_recruitment_time(crit, cohort: pd.DataFrame) -> None:
    rep = screen_table(cohort, crit)
    est = rep.recruitment_time(100, admissions_per_month=40)
    p = rep.n_consented / rep.n_screened
    rate = 40 * p
    assert est.rate_per_month == pytest.approx(rate)
    assert est.expected_months == pytest.approx(100 / rate)
    assert est.expected_screened == pytest.approx(100 / p)
    assert est.low_months < est.median_months < est.high_months
    # Cross-check with a Monte Carlo of the n-th arrival time (numpy, not scipy).
    rng = np.random.default_rng(5)
    t = rng.exponential(1 / rate, size=(20_000, 100)).sum(axis=1)
    assert est.median_months == pytest.approx(np.median(t), rel=0.02)
    assert est.low_months == pytest.approx(np.quantile(t, 0.1), rel=0.02)
    assert est.high_months == pytest.approx(np.quantile(t, 0.9), rel=0.02)
    assert "months" in str(est)
    with pytest.raises(ValueError, match="n_target"):
        rep.recruitment_time(0, 40)
    with pytest.raises(ValueError, match="admissions_per_month"):
        rep.recruitment_time(10, -1.0)


def test_python_callable_criterion_in_funnel(crit, cohort: pd.DataFrame) -> None:
    extra = Criterion(id="bmi_cap", kind="exclusion", text="BMI > 35", rule=lambda d: d.bmi > 35)
    rep = screen_table(cohort, [*crit, extra])
    order = [c.id for c in rep.criteria]
    assert order.index("bmi_cap") == order.index("inc_consent") - 1
    np.testing.assert_array_equal(rep.failures["bmi_cap"], cohort["bmi"] > 35)


def test_bad_inputs(crit, cohort: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="cohort is empty"):
        screen_table(cohort.iloc[:0], crit)
    with pytest.raises(ValueError, match=r"no column 'sofa'"):
        screen_table(cohort.drop(columns="sofa"), crit)
    with pytest.raises(ValueError, match="n_target"):
        screen_table(cohort, crit, n_target=0)
    dup = [crit["inc_age"], crit["inc_age"]]
    with pytest.raises(ValueError, match="duplicate id 'inc_age'"):
        screen_table(cohort, dup)
    rep = screen_table(
        cohort, [{"id": "old", "kind": "exclusion", "text": "", "rule": "age_y > 200"}]
    )
    assert rep.n_eligible == len(cohort)


def test_funnel_order_is_stable() -> None:
    mk = Criterion
    items = [
        mk(id="e1", kind="exclusion", text="", rule="chf"),
        mk(id="c1", kind="inclusion", text="", rule="consent"),
        mk(id="i1", kind="inclusion", text="", rule="sofa >= 2"),
        mk(id="e2", kind="exclusion", text="", rule="ckd"),
        mk(id="i2", kind="inclusion", text="", rule="age_y >= 18"),
    ]
    assert [c.id for c in funnel_order(items)] == ["i1", "i2", "e1", "e2", "c1"]


def test_plots(crit, cohort: pd.DataFrame) -> None:
    rep = screen_table(cohort, crit, n_target=25)
    ax = plot_funnel(rep, top=3)
    texts = "\n".join(t.get_text() for t in ax.texts)
    assert f"Screened\nn = {rep.n_screened}" in texts
    assert "Randomised\nn = 25" in texts
    assert "Excluded at screening" in texts and "other (" in texts
    assert "target 25 reached" in texts
    ax2 = plot_exclusions(rep)
    assert len(ax2.patches) == 2 * len(rep.criteria)
    assert [t.get_text() for t in ax2.get_yticklabels()] == [c.id for c in rep.criteria]
    fig, given = plt.subplots()
    assert plot_funnel(rep, ax=given) is given
    plt.close("all")
