"""A scenario: a trial's model, population, criteria, journey, arms, endpoints and analysis plan,
typed once. Loading checks the structure (pydantic), the references between fields, and every
name against the live model registry; errors name the JSON path, the bad value and the allowed
values, with a suggestion for near misses.

>>> sc = Scenario.load("nct04843982")            # bundled name, or a path to a JSON file
>>> sc2 = sc.with_params(IC50=300.0).with_changes({"power.n_trials": 200})

A scenario may ``"extends"`` another (a bundled name or a path relative to its folder) and
override parts of it: objects merge, lists replace.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, PrivateAttr, model_validator

from septrial import _core
from septrial.io import write_text_atomic
from septrial.library import ModelInfo, model_info, models
from septrial.modeldef.files import define_model_file, is_model_file
from septrial.protocol import protocol_findings
from septrial.resources import available, bundled_path
from septrial.screening.criteria import Criterion
from septrial.spec.analysis import AnalysisPlan
from septrial.spec.base import SpecError, SpecModel, fail, load_json, validate_spec
from septrial.spec.composition import Composition, ModelChoice
from septrial.spec.covariates import PATIENT_COVARIATES
from septrial.spec.criteria import CriteriaChoice
from septrial.spec.design import (
    Allocation,
    Arm,
    FixedCovariate,
    Measurement,
    PowerSettings,
    Recruitment,
    RegistryRecord,
    Solver,
    Uncertainty,
)
from septrial.spec.dosing import ProtocolDose
from septrial.spec.endpoints import Endpoint
from septrial.spec.journey import Journey
from septrial.stats.analyses import ANALYSIS_TESTS
from septrial.user_functions import CovariateSampler, Extensions, UserAnalysis, UserEndpoint

__all__ = ["Scenario", "available_scenarios", "read_scenario"]

#: Columns of the per-patient tables that the pipeline writes (user functions cannot take them).
PATIENT_TABLE_COLUMNS = frozenset(
    {"patient", "arm", "order", "solver_ok", "solver_reason", "withdrawn", "t_rand_h"}
    | {"death_rel_h", "followed_h", "alive", "status", "attempts", "intubated", "ventilated"}
)


def available_scenarios() -> list[str]:
    """Names of the bundled scenarios."""
    return [name for name in available("") if name != "README"]


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _scenario_file(name_or_path: str | Path, folder: Path | None) -> Path:
    text = str(name_or_path)
    if text.endswith(".json") or "/" in text:
        path = Path(text) if folder is None else folder / text
        if not path.is_file():
            raise SpecError(f"{text}: no such scenario file")
        return path
    return bundled_path("", text)


def read_scenario(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[dict, Path]:
    """The scenario's data with ``extends`` resolved, and its folder."""
    path = _scenario_file(name_or_path, None)
    key = str(path.resolve())
    if key in seen:
        raise SpecError(f"$.extends: circular reference through {path}")
    data = load_json(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a scenario is a JSON object")
    parent = data.pop("extends", None)
    if parent is None:
        return data, path.parent
    if not isinstance(parent, str):
        fail("$.extends", "must be a scenario name or a path", parent)
    parent_path = path.parent / parent if (path.parent / parent).is_file() else parent
    base, _ = read_scenario(parent_path, seen + (key,))
    return _merge(base, data), path.parent


class Scenario(SpecModel):
    """A validated scenario. Immutable: ``with_*`` methods return changed copies."""

    schema_: str | None = Field(None, alias="$schema")
    """JSON Schema of this file (for editors)."""
    name: str = Field(min_length=1)
    """Scenario name."""
    title: str = ""
    """One line: what is simulated."""
    registry: RegistryRecord = RegistryRecord()
    """The trial's registry record."""
    model: ModelChoice
    """Model name (``septrial.models()``), a model specification file (``.toml``/``.json``,
    relative to the scenario), or modules composed at run time (``{"compose": [...]}``)."""
    population: str
    """Bundled population name, or a path relative to the scenario's folder."""
    population_overrides: dict[str, Any] = {}
    """Population parameters changed for this scenario (``Population.with_overrides`` keys)."""
    criteria: str | CriteriaChoice
    """Bundled criteria name, a path relative to the scenario's folder, or a base with
    criteria overridden inline."""
    params: dict[str, float] = {}
    """Model parameters, by bare (``IC50``) or qualified (``esketamine.CL``) name."""
    covariates: dict[str, FixedCovariate] = {}
    """Covariates shared by every patient (e.g. ``opioids``)."""
    journey: Journey = Journey()
    """Infection to follow-up."""
    background: list[ProtocolDose] = []
    """Doses every patient gets in every arm (e.g. sedation)."""
    arms: list[Arm] = Field(min_length=2)
    """Randomised arms, control first."""
    allocation: Allocation = Allocation()
    """Block randomisation."""
    withdrawal_rate: float = Field(0.0, ge=0, lt=1)
    """Share of randomised patients withdrawn (every endpoint missing)."""
    measurement: Measurement = Measurement()
    """Assay model."""
    endpoints: list[Endpoint] = Field(min_length=1)
    """Per-patient endpoints reduced in the engine."""
    analysis: AnalysisPlan
    """Analysis plan."""
    recruitment: Recruitment | None = None
    """Recruitment rate."""
    power: PowerSettings = PowerSettings()
    """Defaults of the power calculations."""
    uncertainty: Uncertainty = Uncertainty()
    """Drug-effect assumptions swept and averaged over."""
    solver: Solver = Solver()
    """ODE solver."""
    roles: dict[str, str] = {}
    """What plays each role the trial needs (``sofa``, ``acute_sofa``: observables;
    ``cumulative_hazard``: a state), when not the one the model declares."""

    _folder: Path = PrivateAttr(default_factory=Path.cwd)
    _extra_criteria: tuple = PrivateAttr(default=())
    _extensions: Extensions = PrivateAttr(default_factory=Extensions)

    # ---- structure: references between fields ----
    @model_validator(mode="after")
    def _references(self) -> Scenario:
        for what, names in (
            ("arms", [a.name for a in self.arms]),
            ("endpoints", [e.name for e in self.endpoints]),
            ("analysis.plan", [p.name for p in self.analysis.plan]),
        ):
            if len(set(names)) != len(names):
                dup = next(n for n in names if names.count(n) > 1)
                raise ValueError(f"{what}: names must be unique; {dup!r} appears twice")
        by_name = {e.name: e for e in self.endpoints}
        for i, item in enumerate(self.analysis.plan):
            where = f"analysis.plan[{i}]"
            if item.endpoint not in by_name:
                fail(where + ".endpoint", "unknown endpoint", item.endpoint, by_name)
            test = ANALYSIS_TESTS[item.test]
            ep = by_name[item.endpoint]
            if test.outcome_kind not in ep.outcomes:
                allowed = [t for t, d in ANALYSIS_TESTS.items() if d.outcome_kind in ep.outcomes]
                fail(
                    where + ".test",
                    f"endpoint {ep.name!r} ({ep.kind}) gives {' or '.join(ep.outcomes)} outcomes, "
                    f"which {item.test!r} does not test",
                    item.test,
                    allowed,
                )
            if item.baseline is not None:
                values = [n for n, e in by_name.items() if e.kind == "value"]
                if item.baseline not in values:
                    fail(where + ".baseline", "must be a 'value' endpoint", item.baseline, values)
            elif test.needs_baseline:
                fail(where + ".baseline", f"test {item.test!r} needs a baseline endpoint")
        for name in self.covariates:
            if name not in PATIENT_COVARIATES:
                fail(f"covariates.{name}", "unknown covariate", name, PATIENT_COVARIATES)
        return self

    # ---- construction ----
    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """A bundled scenario by name (see :func:`available_scenarios`) or a JSON file path."""
        data, folder = read_scenario(name_or_path)
        return cls.from_dict(data, folder=folder)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, folder: Path | None = None, extra_criteria: tuple = ()
    ) -> Scenario:
        """Validate ``data``; relative paths in it resolve against ``folder`` (default: cwd)."""
        sc = validate_spec(cls, dict(data))
        sc._folder = Path(folder) if folder is not None else Path.cwd()
        sc._extra_criteria = tuple(extra_criteria)
        sc.check_model()
        return sc

    def _copy_with(
        self,
        data: Mapping[str, Any],
        extra: tuple | None = None,
        extensions: Extensions | None = None,
    ) -> Scenario:
        extra = self._extra_criteria if extra is None else extra
        sc = Scenario.from_dict(data, folder=self._folder, extra_criteria=extra)
        sc._extensions = self._extensions if extensions is None else extensions
        return sc

    def save(self, path: str | Path) -> Path:
        """Writes the scenario as JSON (atomically)."""
        return write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    # ---- model registry: names resolve in the live model ----
    @property
    def model_name(self) -> str:
        """The registered model's name (a composition is registered on first use)."""
        if isinstance(self.model, Composition):
            return self.model.register(folder=self._folder)
        if is_model_file(self.model):
            return define_model_file(self.model, self._folder, "$.model")
        return self.model

    @property
    def model_info(self) -> ModelInfo:
        return model_info(self.model_name)

    def check_model(self) -> None:
        """Every name the scenario uses exists in its model: parameters (and their ranges),
        drugs, observables."""
        if (
            isinstance(self.model, str)
            and not is_model_file(self.model)
            and self.model not in models()
        ):
            fail("$.model", "unknown model", self.model, models())
        info = self.model_info
        for name, value in self.params.items():
            info.check_value(info.resolve(name, "$.params"), value, "$.params")
        for a, arm in enumerate(self.arms):
            for name, value in arm.params.items():
                info.check_value(info.resolve(name, f"$.arms[{a}].params"), value, "$.params")
            for i, dose in enumerate(arm.doses):
                info.drug_index(dose.drug, f"$.arms[{a}].doses[{i}].drug")
            if arm.propofol_sparing_fraction and "propofol" not in info.drugs:
                fail(f"$.arms[{a}].propofol_sparing_fraction", "the model carries no propofol")
        for i, dose in enumerate(self.background):
            info.drug_index(dose.drug, f"$.background[{i}].drug")
        observables = [o["name"] for o in info.observables]
        for role, target in self.roles.items():
            kinds = {name: kind for name, kind, _ in _core.role_names()}
            if role not in kinds:
                fail(f"$.roles.{role}", "unknown role", role, kinds)
            allowed = info.states if kinds[role] == "state" else observables
            if target not in allowed:
                fail(f"$.roles.{role}", f"unknown {kinds[role]}", target, allowed)
        for i, e in enumerate(self.endpoints):
            if e.observed is not None and e.observed not in observables:
                fail(f"$.endpoints[{i}].observable", "unknown observable", e.observed, observables)
        for name in self.measurement.lloq:
            if name not in observables:
                fail(f"$.measurement.lloq.{name}", "unknown observable", name, observables)
        for name, values in self.uncertainty.grid.items():
            j = info.resolve(name, "$.uncertainty.grid")
            for v in values:
                info.check_value(j, v, "$.uncertainty.grid")
        prior = self.uncertainty.prior
        for name, dist in (prior.parameters if prior is not None else {}).items():
            j = info.resolve(name, "$.uncertainty.prior")
            # the prior's bulk (all but 1e-6 in each tail) inside the parameter's range
            ends = dist.frozen().ppf([1e-6, 1 - 1e-6])
            info.check_values(j, np.asarray(ends, dtype=float), "$.uncertainty.prior")

    # ---- files next to the scenario ----
    def resolve_file(self, value: str, kind: str, field: str) -> Path:
        """A bundled ``kind`` file by name, or a path relative to the scenario's folder that
        stays inside it."""
        if not (value.endswith(".json") or "/" in value):
            try:
                return bundled_path(kind, value)
            except FileNotFoundError:
                fail(field, f"no bundled {kind.rstrip('s')}", value, available(kind))
        folder = self._folder.resolve()
        path = (folder / value).resolve()
        if not path.is_relative_to(folder):
            fail(field, f"a relative path must stay inside the scenario's folder {folder}", value)
        if not path.is_file():
            fail(field, "no such file", value)
        return path

    # ---- changes ----
    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """Copy with values set by dotted path, e.g. ``{"power.n_trials": 200,
        "arms.1.doses.0.rate": 0.14}`` (list items by index)."""
        data = self.to_dict()
        for dotted, value in changes.items():
            node: Any = data
            keys = dotted.split(".")
            for k in keys[:-1]:
                node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
            last = keys[-1]
            if isinstance(node, list):
                node[int(last)] = value
            else:
                node[last] = value
        return self._copy_with(data)

    def with_params(self, **params: float) -> Scenario:
        """Copy with model parameters set (e.g. ``IC50=300``, ``I_max=0``)."""
        data = self.to_dict()
        # values go in as given: the specification checks them and names "$.params.<name>"
        data["params"] = {**data["params"], **params}
        return self._copy_with(data)

    def with_criteria(self, *criteria) -> Scenario:
        """Copy with extra criteria added from Python, e.g. a callable over the cohort table:
        ``Criterion(id="bmi_cap", kind="exclusion", text="BMI > 35", rule=lambda df: df.bmi > 35)``.
        With a Dask executor, a rule that cannot be serialised is refused, naming it."""
        for i, c in enumerate(criteria):
            if not isinstance(c, Criterion):
                raise ValueError(f"criteria[{i}]: must be a septrial.screening.Criterion")
        return self._copy_with(self.to_dict(), self._extra_criteria + tuple(criteria))

    def with_covariates(self, **samplers) -> Scenario:
        """Copy with covariate columns computed in Python after the population is sampled:
        ``name=fn`` where ``fn(table: pandas.DataFrame, rng: numpy.random.Generator)`` returns one
        finite number per row of ``table`` (a new column, e.g. a biomarker, or a replacement of
        an existing one such as ``weight_kg``). Samplers run in the order given, each seeing the
        columns of those before it; criteria (string rules or callables) may use the new columns.

        ``rng`` is derived from the seed (never global state): the same seed gives the same
        column, on any chunking and on a Dask cluster.

        >>> def crp(df, rng):
        ...     return rng.lognormal(np.log(150.0), 0.5, size=len(df))
        >>> sc2 = sc.with_covariates(crp_mg_l=crp)
        """
        known = {s.name for s in self._extensions.samplers}
        added = []
        for name, fn in samplers.items():
            if name in known:
                raise ValueError(f"covariates.{name}: a sampler of that name is already set")
            if name in PATIENT_TABLE_COLUMNS:
                raise ValueError(f"covariates.{name}: a column the pipeline owns; choose another")
            added.append(CovariateSampler(name, fn))
        ext = self._extensions
        ext = Extensions(ext.samplers + tuple(added), ext.endpoints, ext.analyses)
        return self._copy_with(self.to_dict(), extensions=ext)

    def with_endpoint(self, name: str, fn, times_h) -> Scenario:
        """Copy with an endpoint computed in Python from each patient's trajectory: ``fn``
        receives a DataFrame with ``time_h`` (hours after randomisation, the values of
        ``times_h``) and one column per model observable, and returns a float (NaN: missing).
        The value appears as column ``name`` of the per-patient tables (``run_trial``, power
        pools, fresh trials) and user analyses can test it. Withdrawn patients and failed solves
        get NaN; a patient who dies has NaN observables after death.

        >>> def il6_auc(traj):
        ...     return np.trapezoid(traj.il6_pg_ml, traj.time_h)
        >>> sc2 = sc.with_endpoint("il6_auc_72h", il6_auc, times_h=np.arange(0, 73, 4))
        """
        taken = set(self.endpoint_names) | {e.name for e in self._extensions.endpoints}
        if name in taken:
            raise ValueError(f"name: endpoint {name!r} already exists")
        if name in PATIENT_TABLE_COLUMNS or name in {s.name for s in self._extensions.samplers}:
            raise ValueError(f"name: {name!r} is already a column of the per-patient table")
        ext = self._extensions
        endpoint = UserEndpoint(name, fn, tuple(times_h))
        ext = Extensions(ext.samplers, ext.endpoints + (endpoint,), ext.analyses)
        return self._copy_with(self.to_dict(), extensions=ext)

    def with_analysis(self, name: str, fn, *, role: str = "secondary") -> Scenario:
        """Copy with an analysis written in Python: ``fn(patients: pandas.DataFrame)`` gets one
        trial's per-patient table (both arms, column ``arm``; missing outcomes are NaN) and
        returns the p-value, a tuple ``(estimate, p_value)``, or a dict with ``p_value`` and
        optionally ``estimate``, ``ci_low``, ``ci_high``. It joins the plan's multiplicity
        control in ``run_trial`` and can be chosen in ``power_curve(analyses=[name])``.

        >>> def welch_il6(df):
        ...     c, t = (np.log(df.loc[df.arm == a, "il6_72h"].dropna()) for a in ("control",
        ...                                                                   "esketamine"))
        ...     r = scipy.stats.ttest_ind(t, c, equal_var=False)
        ...     return t.mean() - c.mean(), r.pvalue
        >>> sc2 = sc.with_analysis("welch_log_il6", welch_il6)
        """
        taken = [p.name for p in self.analysis.plan] + [a.name for a in self._extensions.analyses]
        if name in taken:
            raise ValueError(f"name: analysis {name!r} already exists")
        ext = self._extensions
        ext = Extensions(
            ext.samplers, ext.endpoints, ext.analyses + (UserAnalysis(name, fn, role),)
        )
        return self._copy_with(self.to_dict(), extensions=ext)

    def with_criterion(self, criterion_id: str, **changes: Any) -> Scenario:
        """Copy with one criterion of the set changed, e.g.
        ``sc.with_criterion("inc_age", rule="18 <= age_y <= 65")``."""
        data = self.to_dict()
        choice = data["criteria"]
        if isinstance(choice, str):
            choice = {"base": choice, "override": {}, "drop": []}
        choice["override"] = {**choice["override"]}
        choice["override"][criterion_id] = {**choice["override"].get(criterion_id, {}), **changes}
        data["criteria"] = choice
        return self._copy_with(data)

    # ---- views ----
    @property
    def folder(self) -> Path:
        """Folder that relative paths resolve against."""
        return self._folder

    @property
    def extra_criteria(self) -> tuple:
        """Criteria added from Python (:meth:`with_criteria`)."""
        return self._extra_criteria

    @property
    def extensions(self) -> Extensions:
        """Python functions added with :meth:`with_covariates`, :meth:`with_endpoint` and
        :meth:`with_analysis`."""
        return self._extensions

    @property
    def arm_names(self) -> list[str]:
        return [a.name for a in self.arms]

    @property
    def endpoint_names(self) -> list[str]:
        return [e.name for e in self.endpoints]

    def arm(self, name: str) -> Arm:
        """The arm of that name."""
        for a in self.arms:
            if a.name == name:
                return a
        return fail("arm", "unknown arm", name, self.arm_names)

    def endpoint(self, name: str):
        """The endpoint of that name."""
        for e in self.endpoints:
            if e.name == name:
                return e
        return fail("endpoint", "unknown endpoint", name, self.endpoint_names)

    def covariate(self, name: str) -> Any:
        """A covariate shared by every patient: the scenario's value, or the default."""
        fixed = self.covariates.get(name)
        return fixed.value if fixed is not None else PATIENT_COVARIATES[name].default

    def canonical_json(self) -> str:
        """The resolved specification as canonical JSON (sorted keys, defaults included), with
        the names of the Python functions it carries, if any (checkpoint keys)."""
        data = self.to_dict()
        if self._extensions:
            data["python_extensions"] = self._extensions.key()
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def lint(self) -> list:
        """Protocol consistency findings: contradictory bounds, header mismatches, criteria on
        covariates the population does not have, criteria that exclude (almost) everyone, and
        study drug that ends before the primary endpoint is measured."""
        return protocol_findings(self)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, model={self.model_name!r}, arms={self.arm_names})"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{a.name}</td><td>{a.label}</td></tr>" for a in self.arms)
        return (
            f"<b>Scenario {self.name}</b>: {self.title}<br>model <code>{self.model_name}</code>, "
            f"population <code>{self.population}</code><table>{rows}</table>"
        )
