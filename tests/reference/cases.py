"""Parameter sets and solver settings shared by the PK tests (closed forms and invariants)."""

METHODS = ["dopri5", "rosenbrock4", "exact"]
TIGHT = {"rtol": 1e-10, "atol": 1e-12, "max_steps": 1_000_000}

MODEL_PARAMS = {
    "1cmt": ("linear_1cmt", {"V1": 10.0, "CL": 5.0}),
    "2cmt": ("linear_2cmt", {"V1": 10.0, "V2": 30.0, "CL": 5.0, "Q2": 8.0}),
    "3cmt": (
        "linear_3cmt",
        {"V1": 10.0, "V2": 30.0, "V3": 200.0, "CL": 5.0, "Q2": 8.0, "Q3": 2.0},
    ),
    # Eleveld reference patient in L/h: fast distribution (k10 + k12 + k13 ~ 45/h), slow V3
    "3cmt_stiff": (
        "linear_3cmt",
        {"V1": 6.28, "V2": 25.5, "V3": 273.0, "CL": 107.4, "Q2": 109.8, "Q3": 66.6},
    ),
}
