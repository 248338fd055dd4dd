"""The two benchmark models written three ways: SBML (for libroadrunner), NumPy (for SciPy), and
the parameter names septrial uses. The equations are those of septrial's ``esketamine_otto2021`` and
``reynolds2006`` (docs/model.md), written out once here so that every tool integrates the same
right-hand side.

SBML is generated from infix strings with a small ``ast`` -> MathML translator, so no Antimony or
libSBML is needed: only what ``pip install libroadrunner`` brings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------------------------
# infix -> MathML (only what the models below need: + - * / **, unary minus, numbers, names,
# and clamp(x) = max(x, 0) written as an SBML piecewise)
# --------------------------------------------------------------------------------------------

_BINOPS = {
    ast.Add: "plus",
    ast.Sub: "minus",
    ast.Mult: "times",
    ast.Div: "divide",
    ast.Pow: "power",
}
_CMPOPS = {ast.Gt: "gt", ast.GtE: "geq", ast.Lt: "lt", ast.LtE: "leq"}


def _mathml(node: ast.AST) -> str:
    if isinstance(node, ast.Expression):
        return _mathml(node.body)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        return f"<apply><{op}/>{_mathml(node.left)}{_mathml(node.right)}</apply>"
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        op = _CMPOPS[type(node.ops[0])]
        return f"<apply><{op}/>{_mathml(node.left)}{_mathml(node.comparators[0])}</apply>"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"<apply><minus/>{_mathml(node.operand)}</apply>"
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return f"<cn>{float(node.value)!r}</cn>"
    if isinstance(node, ast.Name):
        return (
            "<csymbol encoding='text' definitionURL='http://www.sbml.org/sbml/symbols/time'>"
            "time</csymbol>"
            if node.id == "time"
            else f"<ci>{node.id}</ci>"
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "clamp":
        x = _mathml(node.args[0])
        return (
            f"<piecewise><piece>{x}<apply><gt/>{x}<cn>0</cn></apply></piece>"
            f"<otherwise><cn>0</cn></otherwise></piecewise>"
        )
    raise ValueError(f"unsupported expression: {ast.dump(node)}")


def mathml(expr: str) -> str:
    body = _mathml(ast.parse(expr, mode="eval"))
    return f"<math xmlns='http://www.w3.org/1998/Math/MathML'>{body}</math>"


@dataclass
class OdeModel:
    """States with rate rules, constant parameters, observables as assignment rules, and
    optional events ``(trigger_expr, {parameter: value})``."""

    name: str
    states: dict[str, float]  # name -> initial value
    parameters: dict[str, float]  # constant unless assigned by an event
    rates: dict[str, str]  # state -> d/dt expression
    observables: dict[str, str]  # name -> expression
    helpers: dict[str, str] = field(default_factory=dict)  # assignment rules used in rates
    events: list[tuple[str, dict[str, float]]] = field(default_factory=list)

    def sbml(self) -> str:
        changed = {p for _, assigns in self.events for p in assigns}
        parts = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            "<sbml xmlns='http://www.sbml.org/sbml/level3/version1/core' level='3' version='1'>",
            f"<model id='{self.name}'>",
            "<listOfParameters>",
        ]
        for k, v in self.parameters.items():
            const = "false" if k in changed else "true"
            parts.append(f"<parameter id='{k}' value='{v!r}' constant='{const}'/>")
        for k, v in self.states.items():
            parts.append(f"<parameter id='{k}' value='{v!r}' constant='false'/>")
        for k in list(self.helpers) + list(self.observables):
            parts.append(f"<parameter id='{k}' value='0' constant='false'/>")
        parts.append("</listOfParameters><listOfRules>")
        for k, e in list(self.helpers.items()) + list(self.observables.items()):
            parts.append(f"<assignmentRule variable='{k}'>{mathml(e)}</assignmentRule>")
        for k, e in self.rates.items():
            parts.append(f"<rateRule variable='{k}'>{mathml(e)}</rateRule>")
        parts.append("</listOfRules>")
        if self.events:
            parts.append("<listOfEvents>")
            for i, (trigger, assigns) in enumerate(self.events):
                parts.append(
                    f"<event id='ev{i}' useValuesFromTriggerTime='true'>"
                    f"<trigger initialValue='true' persistent='true'>{mathml(trigger)}</trigger>"
                    "<listOfEventAssignments>"
                )
                for var, value in assigns.items():
                    parts.append(
                        f"<eventAssignment variable='{var}'>{mathml(repr(float(value)))}"
                        "</eventAssignment>"
                    )
                parts.append("</listOfEventAssignments></event>")
            parts.append("</listOfEvents>")
        parts.append("</model></sbml>")
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# (a) Otto 2021 esketamine + norketamine, 72 h infusion (docs/model.md), 70 kg so no weight scaling
# --------------------------------------------------------------------------------------------

OTTO_TYPICAL = {
    "V1": 133.0,
    "V2": 187.0,
    "V3": 98.8,
    "CL": 95.2,
    "Q2": 23.2,
    "Q3": 157.0,
    "fm": 1.0,
    "V_NK": 98.6,
    "CL_NK": 57.7,
    "Vp_NK": 160.0,
    "Q_NK": 42.8,
}
#: IIV of Otto 2021 (Eur J Clin Pharmacol 77:1181): (V1, CL) and (V_NK, CL_NK) are correlated
#: log-normal pairs.
OTTO_OMEGA = {
    ("V1", "CL"): np.array([[0.084, 0.023], [0.023, 0.026]]),
    ("V_NK", "CL_NK"): np.array([[0.040, 0.044], [0.044, 0.103]]),
}
OTTO_VARIED = ("V1", "CL", "V_NK", "CL_NK")
OTTO_RATE_MG_H = 4.9
OTTO_INFUSION_END_H = 72.0
OTTO_OUTPUTS = ("esketamine_ng_ml", "norketamine_ng_ml")


def otto_model() -> OdeModel:
    return OdeModel(
        name="otto2021",
        states={"A1": 0.0, "A2": 0.0, "A3": 0.0, "N1": 0.0, "N2": 0.0},
        parameters={**OTTO_TYPICAL, "R": OTTO_RATE_MG_H},
        rates={
            "A1": "R - (CL / V1 + Q2 / V1 + Q3 / V1) * A1 + Q2 / V2 * A2 + Q3 / V3 * A3",
            "A2": "Q2 / V1 * A1 - Q2 / V2 * A2",
            "A3": "Q3 / V1 * A1 - Q3 / V3 * A3",
            "N1": "fm * CL / V1 * A1 - (CL_NK / V_NK + Q_NK / V_NK) * N1 + Q_NK / Vp_NK * N2",
            "N2": "Q_NK / V_NK * N1 - Q_NK / Vp_NK * N2",
        },
        observables={"esketamine_ng_ml": "1000 * A1 / V1", "norketamine_ng_ml": "1000 * N1 / V_NK"},
        events=[(f"time >= {OTTO_INFUSION_END_H!r}", {"R": 0.0})],
    )


def otto_patients(n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-patient V1, CL, V_NK, CL_NK: typical x exp(eta), eta ~ N(0, Omega) (Otto 2021)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for names, omega in OTTO_OMEGA.items():
        eta = rng.multivariate_normal(np.zeros(2), omega, size=n)
        for j, name in enumerate(names):
            out[name] = OTTO_TYPICAL[name] * np.exp(eta[:, j])
    return out


def otto_rhs_factory(p: dict[str, float]):
    """Vectorised RHS: the model is linear, dx/dt = K x + r; accepts y of shape (5,) or (5, k)."""
    v1, v2, v3 = p["V1"], p["V2"], p["V3"]
    cl, q2, q3, fm = p["CL"], p["Q2"], p["Q3"], p["fm"]
    vnk, clnk, vpnk, qnk = p["V_NK"], p["CL_NK"], p["Vp_NK"], p["Q_NK"]
    k = np.zeros((5, 5))
    k[0, 0] = -(cl + q2 + q3) / v1
    k[0, 1] = q2 / v2
    k[0, 2] = q3 / v3
    k[1, 0] = q2 / v1
    k[1, 1] = -q2 / v2
    k[2, 0] = q3 / v1
    k[2, 2] = -q3 / v3
    k[3, 0] = fm * cl / v1
    k[3, 3] = -(clnk + qnk) / vnk
    k[3, 4] = qnk / vpnk
    k[4, 3] = qnk / vnk
    k[4, 4] = -qnk / vpnk

    def make(rate: float):
        r = np.array([rate, 0.0, 0.0, 0.0, 0.0])

        def rhs(t, y):
            out = k @ y
            return out + (r if out.ndim == 1 else r[:, None])

        return rhs

    def observe(y: np.ndarray) -> np.ndarray:  # y: (5, T) -> (T, 2)
        return np.stack([1000.0 * y[0] / v1, 1000.0 * y[3] / vnk], axis=1)

    return make, observe


# --------------------------------------------------------------------------------------------
# (b) Reynolds 2006 inflammation core (J Theor Biol 242:220), septic case P0 = 1, k_pg = 0.6
# --------------------------------------------------------------------------------------------

REYNOLDS_TYPICAL = {
    "k_pg": 0.6,
    "p_inf": 20.0,
    "k_pm": 0.6,
    "s_m": 0.005,
    "mu_m": 0.002,
    "k_mp": 0.01,
    "k_pn": 1.8,
    "k_np": 0.1,
    "k_nn": 0.01,
    "k_nd": 0.02,
    "s_nr": 0.08,
    "mu_nr": 0.12,
    "mu_n": 0.05,
    "k_dn": 0.35,
    "x_dn": 0.06,
    "mu_d": 0.02,
    "c_inf": 0.28,
    "s_c": 0.0125,
    "k_cn": 0.04,
    "k_cnd": 48.0,
    "mu_c": 0.1,
}
REYNOLDS_P0 = 1.0
REYNOLDS_CA0 = 0.125
#: log-normal IIV, CV 50 % on P0 and 30 % on k_pg ([A], as in docs/model.md)
REYNOLDS_CV = {"P0": 0.5, "k_pg": 0.3}
REYNOLDS_OUTPUTS = ("P", "N", "D", "CA")


def reynolds_model() -> OdeModel:
    # The same clamp of P, N, D at 0 that septrial's C++ right-hand side applies.
    return OdeModel(
        name="reynolds2006",
        states={"P": REYNOLDS_P0, "N": 0.0, "D": 0.0, "CA": REYNOLDS_CA0},
        parameters=dict(REYNOLDS_TYPICAL),
        helpers={
            "Pc": "clamp(P)",
            "Nc": "clamp(N)",
            "Dc": "clamp(D)",
            "inh": "1 + (CA / c_inf) ** 2",
            "fN": "Nc / inh",
            "Rr": "(k_nn * Nc + k_np * Pc + k_nd * Dc) / inh",
            "fs": "fN ** 6 / (x_dn ** 6 + fN ** 6)",
            "fc": "(Nc + k_cnd * Dc) / inh",
        },
        rates={
            "P": "k_pg * Pc * (1 - Pc / p_inf) - k_pm * s_m * Pc / (mu_m + k_mp * Pc)"
            " - k_pn * fN * Pc",
            "N": "s_nr * Rr / (mu_nr + Rr) - mu_n * Nc",
            "D": "k_dn * fs - mu_d * Dc",
            "CA": "s_c + k_cn * fc / (1 + fc) - mu_c * CA",
        },
        observables={},
    )


def reynolds_patients(n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-patient P0 and k_pg, log-normal around the septic case with median at the typical."""
    rng = np.random.default_rng(seed)
    typical = {"P0": REYNOLDS_P0, "k_pg": REYNOLDS_TYPICAL["k_pg"]}
    out = {}
    for name, cv in REYNOLDS_CV.items():
        out[name] = typical[name] * np.exp(rng.normal(0.0, np.sqrt(np.log1p(cv * cv)), size=n))
    return out


def reynolds_rhs_factory(p: dict[str, float]):
    """Vectorised RHS of the Reynolds core; y of shape (4,) or (4, k)."""
    k_pg, p_inf, k_pm, s_m, mu_m, k_mp = (
        p[k] for k in ("k_pg", "p_inf", "k_pm", "s_m", "mu_m", "k_mp")
    )
    k_pn, k_np, k_nn, k_nd, s_nr, mu_nr = (
        p[k] for k in ("k_pn", "k_np", "k_nn", "k_nd", "s_nr", "mu_nr")
    )
    mu_n, k_dn, x_dn6, mu_d, c_inf = p["mu_n"], p["k_dn"], p["x_dn"] ** 6, p["mu_d"], p["c_inf"]
    s_c, k_cn, k_cnd, mu_c = p["s_c"], p["k_cn"], p["k_cnd"], p["mu_c"]

    def rhs(t, y):
        pp, n, d, ca = np.maximum(y[0], 0.0), np.maximum(y[1], 0.0), np.maximum(y[2], 0.0), y[3]
        inh = 1.0 + (ca / c_inf) ** 2
        fn = n / inh
        r = (k_nn * n + k_np * pp + k_nd * d) / inh
        fn6 = fn**6
        fs = fn6 / (x_dn6 + fn6)
        fc = (n + k_cnd * d) / inh
        return np.array(
            [
                k_pg * pp * (1.0 - pp / p_inf)
                - k_pm * s_m * pp / (mu_m + k_mp * pp)
                - k_pn * fn * pp,
                s_nr * r / (mu_nr + r) - mu_n * n,
                k_dn * fs - mu_d * d,
                s_c + k_cn * fc / (1.0 + fc) - mu_c * ca,
            ]
        )

    return rhs
