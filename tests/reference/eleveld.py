"""Independent implementation of the Eleveld 2018 propofol covariate model (Br J Anaesth 120:942).

Arterial sampling (no venous corrections), opioid co-medication as a flag. Written from the
published equations only (as coded in cran/tci); returns typical (η = 0) individual parameters.
"""

from __future__ import annotations

import math

THETA = {
    1: 6.28,  # V1ref, L
    2: 25.5,  # V2ref, L
    3: 273.0,  # V3ref, L
    4: 1.79,  # CL male, L/min
    5: 1.75,  # Q2ref, L/min
    6: 1.11,  # Q3ref, L/min
    7: 0.191,  # residual SD (ln)
    8: 42.3,  # CL maturation E50, weeks
    9: 9.06,  # CL maturation slope
    10: -0.0156,  # V2 ageing, 1/y
    11: -0.00286,  # CL ageing with opioids, 1/y
    12: 33.6,  # V1 weight E50, kg
    13: -0.0138,  # V3 ageing with opioids, 1/y
    14: 68.3,  # Q3 maturation E50, weeks
    15: 2.10,  # CL female, L/min
    16: 1.30,  # Q2 immaturity
    17: 1.42,  # V1 venous
    18: 0.68,  # Q2 venous
}

REF_AGE_Y = 35.0
REF_WEIGHT_KG = 70.0
REF_HEIGHT_CM = 170.0


def fsig(x: float, e50: float, lam: float) -> float:
    return x**lam / (x**lam + e50**lam)


def ffm_kg(age_y: float, weight_kg: float, height_cm: float, sex: str) -> float:
    """Fat-free mass (Al-Sallami), as used by Eleveld 2018."""
    bmi = weight_kg / (height_cm / 100.0) ** 2
    if sex == "male":
        return (
            (0.88 + (1.0 - 0.88) / (1.0 + (age_y / 13.4) ** -12.7))
            * 9270.0
            * weight_kg
            / (6680.0 + 216.0 * bmi)
        )
    if sex == "female":
        return (
            (1.11 + (1.0 - 1.11) / (1.0 + (age_y / 7.1) ** -1.1))
            * 9270.0
            * weight_kg
            / (8780.0 + 244.0 * bmi)
        )
    raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")


def eleveld_parameters(
    age_y: float,
    weight_kg: float,
    height_cm: float,
    sex: str,
    opioids: bool = True,
) -> dict[str, float]:
    """Typical V1, V2, V3 (L); CL, Q2, Q3 in L/min and CL_h, Q2_h, Q3_h in L/h. Arterial."""
    t = THETA

    def fage(x: float) -> float:
        return math.exp(x * (age_y - REF_AGE_Y))

    def fop(x: float) -> float:
        return math.exp(x * age_y) if opioids else 1.0

    def fcen(w: float) -> float:
        return fsig(w, t[12], 1.0)

    def fclmat(age: float) -> float:
        pma_y = age + 40.0 / 52.0
        return fsig(52.0 * pma_y, t[8], t[9])

    def fq3mat(age: float) -> float:
        return fsig(52.0 * age + 40.0, t[14], 1.0)

    ffm = ffm_kg(age_y, weight_kg, height_cm, sex)
    ffm_ref = ffm_kg(REF_AGE_Y, REF_WEIGHT_KG, REF_HEIGHT_CM, "male")

    v1 = t[1] * fcen(weight_kg) / fcen(REF_WEIGHT_KG)
    v2 = t[2] * (weight_kg / REF_WEIGHT_KG) * fage(t[10])
    v3 = t[3] * (ffm / ffm_ref) * fop(t[13])
    cl_base = t[4] if sex == "male" else t[15]
    cl = (
        cl_base
        * (weight_kg / REF_WEIGHT_KG) ** 0.75
        * fclmat(age_y)
        / fclmat(REF_AGE_Y)
        * fop(t[11])
    )
    q2 = t[5] * (v2 / t[2]) ** 0.75 * (1.0 + t[16] * (1.0 - fq3mat(age_y)))
    q3 = t[6] * (v3 / t[3]) ** 0.75 * fq3mat(age_y) / fq3mat(REF_AGE_Y)
    return {
        "V1": v1,
        "V2": v2,
        "V3": v3,
        "CL": cl,
        "Q2": q2,
        "Q3": q3,
        "CL_h": cl * 60.0,
        "Q2_h": q2 * 60.0,
        "Q3_h": q3 * 60.0,
    }


def eleveld_engine_units(**covariates) -> dict[str, float]:
    """V1, V2, V3 (L) and CL, Q2, Q3 (L/h): the engine's units."""
    p = eleveld_parameters(**covariates)
    return {
        "V1": p["V1"],
        "V2": p["V2"],
        "V3": p["V3"],
        "CL": p["CL_h"],
        "Q2": p["Q2_h"],
        "Q3": p["Q3_h"],
    }


#: Reference-patient table derived from the Eleveld 2018 equations and printed in docs/model.md
#: (strings keep the shown digits).
#: Height of the 50-y 70-kg male is not printed; 170 cm is assumed (the FFM reference height).
ELEVELD_REFERENCE_TABLE = [
    (
        {"age_y": 35.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male", "opioids": False},
        {"V1": "6.28", "V2": "25.5", "V3": "273", "CL": "1.79", "Q2": "1.83", "Q3": "1.11"},
    ),
    (
        {"age_y": 50.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male", "opioids": True},
        {"V1": "6.28", "V2": "20.2", "V3": "137", "CL": "1.55", "Q2": "1.52", "Q3": "0.67"},
    ),
    (
        {"age_y": 50.0, "weight_kg": 60.0, "height_cm": 160.0, "sex": "female", "opioids": True},
        {"V1": "5.96", "V2": "17.3", "V3": "97.5", "CL": "1.62", "Q2": "1.35", "Q3": "0.52"},
    ),
]


def shown_tolerance(shown: str) -> float:
    """Half a unit in the last printed digit (plus a hair for binary round-off)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return 0.5 * 10.0**-decimals * (1.0 + 1e-9)
