"""Bad input raises ValueError naming the offending field and the allowed values or range.

API contract: negative or NaN dose or rate, unknown model name (message lists the models), unknown
parameter name (lists the allowed ones), weight_kg <= 0, times_h not increasing, unknown unit
(lists the units), a dose for a drug the model does not carry. DESIGN.md adds impossible
covariates (age 300) and "never a segfault, never a silent NaN". Invalid values may be rejected
when the dose object is built or when ``simulate`` is called; both are inside ``pytest.raises``.
"""

from __future__ import annotations

import math
import re

import pytest

import septrial

TIMES = [0.0, 1.0, 2.0]
LINEAR = {"model": "linear_1cmt", "params": {"V1": 10.0, "CL": 5.0}}
ELEVELD_COV = {"age_y": 50.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male"}


def run(doses=None, **kw):
    args = {
        **LINEAR,
        "covariates": {"weight_kg": 70.0},
        "doses": [] if doses is None else doses,
        "times_h": TIMES,
        "variability": False,
    }
    args.update(kw)
    return septrial.simulate(**args)


def bolus(**kw):
    return septrial.Bolus(**{"drug": "drug", "dose": 10.0, "unit": "mg", "time_h": 0.0, **kw})


def infusion(**kw):
    args = {"drug": "drug", "rate": 1.0, "unit": "mg/h", "start_h": 0.0, "duration_h": 1.0}
    return septrial.Infusion(**{**args, **kw})


def pumplog(**kw):
    return septrial.PumpLog(**{"drug": "drug", "unit": "mg/h", "steps": [(0.0, 1.0)], **kw})


def check(exc_info, *needles):
    msg = str(exc_info.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in error message {msg!r}"


# ------------------------------------------------------------------------------------------
# doses
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1.0, -1e-9, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("unit", ["mg", "mg/kg"])
def test_bad_bolus_dose(value, unit):
    with pytest.raises(ValueError, match="dose") as ei:
        run([bolus(dose=value, unit=unit)])
    assert "Traceback" not in str(ei.value)


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
@pytest.mark.parametrize("unit", ["mg/h", "mg/kg/h"])
def test_bad_infusion_rate(value, unit):
    with pytest.raises(ValueError, match="rate"):
        run([infusion(rate=value, unit=unit)])


@pytest.mark.parametrize("value", [-5.0, math.nan])
def test_bad_pumplog_rate(value):
    with pytest.raises(ValueError, match="rate|steps"):
        run([pumplog(steps=[(0.0, 1.0), (1.0, value)])])


@pytest.mark.parametrize("value", [-1.0, math.nan])
def test_bad_infusion_duration(value):
    with pytest.raises(ValueError, match="duration_h"):
        run([infusion(duration_h=value)])


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_bad_dose_time(value):
    with pytest.raises(ValueError, match="time_h"):
        run([bolus(time_h=value)])


def test_pumplog_steps_not_increasing():
    with pytest.raises(ValueError, match="steps"):
        run([pumplog(steps=[(0.0, 1.0), (2.0, 3.0), (1.0, 2.0)])])


@pytest.mark.parametrize(
    ("make", "bad", "allowed"),
    [
        (bolus, "g", ("mg", "mg/kg")),
        (bolus, "mg/h", ("mg", "mg/kg")),
        (infusion, "mg/min", ("mg/h", "mg/kg/h")),
        (infusion, "mg", ("mg/h", "mg/kg/h")),
        (pumplog, "ml/h", ("mg/h", "mg/kg/h")),
    ],
    ids=["bolus-g", "bolus-rate-unit", "infusion-mg/min", "infusion-amount-unit", "pumplog-ml/h"],
)
def test_unknown_unit(make, bad, allowed):
    with pytest.raises(ValueError, match="unit") as ei:
        run([make(unit=bad)])
    check(ei, *allowed)


@pytest.mark.parametrize(
    ("model", "covariates", "drug", "carried"),
    [
        ("linear_2cmt", {"weight_kg": 70.0}, "propofol", "drug"),
        ("esketamine_otto2021", {"weight_kg": 70.0}, "propofol", "esketamine"),
        ("propofol_eleveld2018", ELEVELD_COV, "esketamine", "propofol"),
    ],
)
def test_dose_for_a_drug_the_model_does_not_carry(model, covariates, drug, carried):
    with pytest.raises(ValueError, match="drug") as ei:
        septrial.simulate(
            model=model,
            covariates=covariates,
            doses=[septrial.Bolus(drug=drug, dose=10.0, unit="mg", time_h=0.0)],
            times_h=TIMES,
            variability=False,
        )
    check(ei, drug, carried)


# ------------------------------------------------------------------------------------------
# model, parameters, covariates, times
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["linear_4cmt", "", "Esketamine_Otto2021", "propofol"])
def test_unknown_model(name):
    with pytest.raises(ValueError, match="model") as ei:
        run(model=name, params=None)
    check(ei, "linear_1cmt", "esketamine_otto2021", "propofol_eleveld2018")


@pytest.mark.parametrize(
    ("model", "covariates", "bad", "allowed"),
    [
        ("linear_1cmt", {"weight_kg": 70.0}, "Q2", ("V1", "CL")),
        ("linear_3cmt", {"weight_kg": 70.0}, "Vc", ("V1", "V3", "Q3")),
        ("esketamine_otto2021", {"weight_kg": 70.0}, "CLNK", ("CL_NK", "fm")),
        ("propofol_eleveld2018", ELEVELD_COV, "theta99", ("V1",)),
    ],
)
def test_unknown_parameter(model, covariates, bad, allowed):
    with pytest.raises(ValueError, match=re.escape(bad)) as ei:
        septrial.simulate(
            model=model, covariates=covariates, doses=[], times_h=TIMES, params={bad: 1.0}
        )
    check(ei, *allowed)


@pytest.mark.parametrize("model", ["linear_1cmt", "esketamine_otto2021"])
def test_unknown_parameter_in_individual_parameters(model):
    with pytest.raises(ValueError, match="not_a_param"):
        septrial.individual_parameters(model, {"weight_kg": 70.0}, params={"not_a_param": 1.0})


def test_unknown_model_in_individual_parameters():
    with pytest.raises(ValueError, match="model") as ei:
        septrial.individual_parameters("no_such_model", {"weight_kg": 70.0})
    check(ei, "linear_1cmt")


@pytest.mark.parametrize("weight", [0.0, -70.0, math.nan])
@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("linear_1cmt", {}),
        ("esketamine_otto2021", {}),
        ("propofol_eleveld2018", {k: v for k, v in ELEVELD_COV.items() if k != "weight_kg"}),
    ],
)
def test_bad_weight(model, extra, weight):
    doses = [septrial.Infusion(drug="drug", rate=1.0, unit="mg/kg/h", start_h=0.0)]
    if model != "linear_1cmt":
        doses = []
    with pytest.raises(ValueError, match="weight_kg"):
        septrial.simulate(
            model=model,
            covariates={**extra, "weight_kg": weight},
            doses=doses,
            times_h=TIMES,
            variability=False,
        )


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_bad_weight_in_individual_parameters(weight):
    with pytest.raises(ValueError, match="weight_kg"):
        septrial.individual_parameters("esketamine_otto2021", {"weight_kg": weight})


@pytest.mark.parametrize(
    "times",
    [[0.0, 2.0, 1.0], [3.0, 2.0, 1.0], [0.0, math.nan, 2.0], [0.0, math.inf]],
    ids=["swap", "decreasing", "nan", "inf"],
)
def test_times_not_increasing(times):
    with pytest.raises(ValueError, match="times_h"):
        run(times_h=times)


@pytest.mark.parametrize(
    ("field", "value"),
    [("age_y", 300.0), ("age_y", -1.0), ("height_cm", 0.0), ("sex", "other")],
)
def test_impossible_covariates(field, value):
    with pytest.raises(ValueError, match=field) as ei:
        septrial.simulate(
            model="propofol_eleveld2018",
            covariates={**ELEVELD_COV, field: value},
            doses=[],
            times_h=TIMES,
        )
    if field == "sex":
        check(ei, "male", "female")


def test_unknown_state_in_initial_state():
    with pytest.raises(ValueError, match="A7") as ei:
        run(initial_state={"A7": 1.0})
    check(ei, "A1")


def test_unknown_method():
    with pytest.raises(ValueError, match="method") as ei:
        run(method="euler")
    check(ei, "dopri5", "rosenbrock4")
