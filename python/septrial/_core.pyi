"""Type stubs for the private extension ``septrial._core`` (cpp/bindings).

Hand-written; ``tests/test_stubs.py`` checks them against the compiled module (``mypy.stubtest``
plus the argument names and defaults in pybind11's signatures). Arrays are converted to
C-contiguous float64 (or the integer type named in the docs) on entry; results are float64 arrays
that own no copy of the engine's buffers.

Every long-running call releases the GIL; ``progress``, when given, is called on the calling
thread with the number of newly finished patients, and Ctrl-C raises ``KeyboardInterrupt``.
Bad input raises ``ValueError`` whose message starts with the offending field.
"""

from collections.abc import Callable, Sequence
from typing import ClassVar, Literal, TypedDict

import numpy as np
import numpy.typing as npt

_Float64Array = npt.NDArray[np.float64]
_Progress = Callable[[int], object] | None

class _Status(TypedDict):
    """Per-patient solver status as arrays (no Python object per patient): patient i succeeded
    if ok[i]; its reason is reasons[reason[i]] (reasons[0] == "", each distinct reason once)."""

    ok: npt.NDArray[np.bool_]
    steps: npt.NDArray[np.int64]
    rhs_evals: npt.NDArray[np.int64]
    reason: npt.NDArray[np.int32]
    reasons: list[str]

class _ParameterInfo(TypedDict):
    name: str
    value: float
    unit: str
    doc: str
    lower: float
    upper: float
    lower_inclusive: bool
    upper_inclusive: bool

class _ObservableInfo(TypedDict):
    name: str
    unit: str
    doc: str

class _ComponentInfo(TypedDict):
    prefix: str
    module: str
    description: str
    covariates: list[str]

class _SignalInfo(TypedDict):
    name: str
    unit: str
    doc: str
    default: float

class _ModelInfo(TypedDict):
    name: str
    description: str
    parameters: list[_ParameterInfo]
    states: list[str]
    observables: list[_ObservableInfo]
    drugs: list[str]
    components: list[_ComponentInfo]
    signals: list[_SignalInfo]
    roles: dict[str, str]

class _ModuleSignals(TypedDict):
    inputs: list[_SignalInfo]
    outputs: list[_SignalInfo]
    drug: str

def module_names() -> list[str]:
    """Names of the library modules a composition can join."""

def compose_model(name: str, modules: list[str], description: str = "") -> str:
    """Registers the composition of ``modules`` (joined by their signals) as model ``name``."""

def module_signals(module: str) -> _ModuleSignals:
    """Input and output signals of a library module."""

def role_names() -> list[tuple[str, str, str]]:
    """Roles the trial engine asks a model for: (name, 'state' or 'observable', description)."""

def models(include_run_time: bool = True) -> list[str]:
    """Names of the registered models (with the compositions made at run time unless false)."""

def model_info(name: str) -> _ModelInfo:
    """Parameters (qualified names, values, units, ranges), states, observables and drugs."""

def covariate_names() -> list[str]:
    """Covariate columns the engine reads: weight_kg, height_cm, age_y, male, opioids."""

class BolusDose:
    """An instantaneous dose; ``drug`` is an index into model_info()["drugs"]."""

    drug: int
    time_h: float
    amount: float
    per_kg: bool
    def __init__(self) -> None: ...

class InfusionDose:
    """A constant-rate infusion on [start_h, end_h); ``drug`` indexes the model's drugs."""

    drug: int
    start_h: float
    end_h: float
    rate: float
    per_kg: bool
    def __init__(self) -> None: ...

class Regimen:
    boluses: list[BolusDose]
    infusions: list[InfusionDose]
    def __init__(self) -> None: ...

def solver_methods() -> list[str]:
    """Solver methods of the engine."""

class SolverOptions:
    method: str
    rtol: float
    atol: float
    max_steps: int
    def __init__(self) -> None: ...

def simulate(
    model: str,
    covariates: dict[str, npt.ArrayLike],
    params: npt.ArrayLike,
    regimens: Sequence[Regimen],
    regimen_of: npt.ArrayLike,
    times: npt.ArrayLike,
    initial_states: npt.ArrayLike | None,
    solver: SolverOptions,
    variability: bool,
    residual_error: bool,
    include_states: bool,
    seed: int,
    first_index: int,
    threads: int,
    progress: _Progress,
) -> tuple[_Float64Array, list[str], _Status]:
    """Simulates n patients on one output grid.

    covariates: covariate_names() -> one value per patient; params: n x n_parameters in
    model_info()["parameters"] order; regimens: the distinct regimens; regimen_of: int64 index into
    regimens per patient; initial_states: n x n_states or None.
    Returns (values n x times x columns, columns = observables then states if asked, status).
    A failed patient gets NaN rows and ok = False; the call itself does not raise.
    """

def long_index(
    n: int, times: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(patient, time_h) columns of n patients x times in long format."""

def structural_parameters(
    model: str, covariates: dict[str, npt.ArrayLike], params: npt.ArrayLike
) -> list[tuple[str, float]]:
    """Covariate-adjusted structural parameters (e.g. V1, CL) of one patient, no random effects."""

def check_parameter_values(model: str, index: int, values: npt.ArrayLike, field: str) -> None:
    """Raises ValueError naming field.name for a value out of range."""

def anchor_names() -> list[str]:
    """Journey events a dose can follow."""

def endpoint_kinds() -> list[str]:
    """Endpoint kinds the engine reduces."""

class DoseRule:
    """A protocol dose placed relative to a journey event."""

    drug: str
    bolus: bool
    amount: float
    per_kg: bool
    anchor: str
    start_h: float
    duration_h: float
    while_ventilated: bool
    def __init__(self) -> None: ...

class ArmSpec:
    name: str
    doses: list[DoseRule]
    background_factor: dict[str, float]
    def __init__(self) -> None: ...

class EndpointSpec:
    name: str
    kind: str
    observable: str
    time_h: float
    baseline_h: float
    from_h: float
    to_h: float
    every_h: float
    threshold: float
    above: bool
    def __init__(self) -> None: ...
    @property
    def flag_name(self) -> str: ...

class MeasurementSpec:
    assay_noise: bool
    lloq: dict[str, float]
    def __init__(self) -> None: ...

class VentilationSpec:
    p_ref: float
    sofa_ref: float
    odds_ratio_per_point: float
    duration_median_h: float
    duration_sdlog: float
    def __init__(self) -> None: ...

class JourneySpec:
    t_icu_median_h: float
    t_icu_sdlog: float
    screening_after_icu_h: float
    randomisation_delay_h: float
    follow_up_h: float
    sepsis3_min_acute_sofa: float
    max_attempts: int
    ventilation: VentilationSpec
    def __init__(self) -> None: ...

class TrialSpec:
    """Everything the trial engine needs, as typed data."""

    model: str
    params: dict[str, float]
    variability: bool
    journey: JourneySpec
    background: list[DoseRule]
    arms: list[ArmSpec]
    endpoints: list[EndpointSpec]
    measurement: MeasurementSpec
    solver: SolverOptions
    roles: dict[str, str]
    def __init__(self) -> None: ...

class _ScreenQuantity(TypedDict):
    name: str
    unit: str
    kind: Literal["number", "bool"]
    lower: float
    upper: float
    doc: str

def screen_quantities() -> list[_ScreenQuantity]:
    """The fixed columns of the screening table (phase A), with unit, kind and range."""

class ValueKind:
    """How a column stores a value: real, 0/1 or level index."""

    continuous: ClassVar[ValueKind]
    boolean: ClassVar[ValueKind]
    categorical: ClassVar[ValueKind]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class DistType:
    """The form of a distribution (the spec's `type`)."""

    normal: ClassVar[DistType]
    lognormal: ClassVar[DistType]
    truncated: ClassVar[DistType]
    categorical: ClassVar[DistType]
    bernoulli: ClassVar[DistType]
    bernoulli_logit: ClassVar[DistType]
    bernoulli_mixture: ClassVar[DistType]
    empirical: ClassVar[DistType]
    empirical_cdf: ClassVar[DistType]
    stratified: ClassVar[DistType]
    derived: ClassVar[DistType]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Formula:
    """The formula of a derived covariate."""

    male: ClassVar[Formula]
    bmi: ClassVar[Formula]
    weight_from_bmi: ClassVar[Formula]
    ffm_janmahasatian: ClassVar[Formula]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Condition:
    """A test on an earlier column of the same row (by index)."""

    @staticmethod
    def is_true(covariate: int) -> Condition:
        """The (boolean) column is nonzero."""

    @staticmethod
    def equals(covariate: int, value: float) -> Condition:
        """The column equals value (a number, 0/1 or a level index)."""

    @staticmethod
    def range(covariate: int, min: float, max: float) -> Condition:
        """min <= column < max (either bound may be infinite)."""

    @property
    def covariate(self) -> int:
        """Index of the column tested."""

class LogitTerm:
    """One term of a bernoulli_logit linear predictor."""

    @staticmethod
    def slope(covariate: int, odds_ratio: float, per: float, ref: float) -> LogitTerm:
        """ln(odds_ratio) * (x - ref) / per for a continuous or 0/1 column."""

    @staticmethod
    def indicator_of(covariate: int, level: float, odds_ratio: float) -> LogitTerm:
        """ln(odds_ratio) * (x == level) for a categorical column."""

    @property
    def coef(self) -> float:
        """The coefficient on the logit scale."""

class MixtureTerm:
    """An independent cause of a bernoulli_mixture."""

    def __init__(self, when: Condition, p: float) -> None: ...
    @property
    def p(self) -> float:
        """Probability that the cause fires."""

class Distribution:
    """A covariate distribution built by one of the static factories (resolved column and level
    indices; the spec rules are checked in Python). Bad arguments raise ValueError naming them."""

    @staticmethod
    def normal(mean: float, sd: float) -> Distribution: ...
    @staticmethod
    def lognormal(meanlog: float, sdlog: float) -> Distribution: ...
    @staticmethod
    def truncated(base: Distribution, lower: float, upper: float) -> Distribution:
        """Exact truncation of a normal or lognormal base (infinite bound = none)."""

    @staticmethod
    def categorical(levels: Sequence[str], probs: Sequence[float]) -> Distribution: ...
    @staticmethod
    def bernoulli(p: float) -> Distribution: ...
    @staticmethod
    def bernoulli_logit(p_ref: float, terms: Sequence[LogitTerm]) -> Distribution: ...
    @staticmethod
    def bernoulli_mixture(base: float, causes: Sequence[MixtureTerm]) -> Distribution: ...
    @staticmethod
    def empirical(values: Sequence[float], weights: Sequence[float]) -> Distribution:
        """Discrete draw from values; equal weights when weights is empty."""

    @staticmethod
    def empirical_cdf(values: Sequence[float], cdf: Sequence[float]) -> Distribution: ...
    @staticmethod
    def stratified(by: int, strata: Sequence[Distribution]) -> Distribution:
        """strata[k] applies when column `by` has code k."""

    @staticmethod
    def derived(formula: Formula, inputs: Sequence[int]) -> Distribution:
        """A formula of earlier columns (see Formula for the inputs each needs)."""

    @property
    def type(self) -> DistType:
        """The form of the distribution."""

    @property
    def kind(self) -> ValueKind:
        """The kind of value it gives."""

    @property
    def levels(self) -> list[str]:
        """Level names (categorical values only)."""

class CovariateSpec:
    """A named column: a distribution plus only_if conditions."""

    def __init__(
        self,
        name: str,
        path: str,
        dist: Distribution,
        only_if: Sequence[Condition],
        otherwise: float,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...

class CorrelationSpec:
    """A Gaussian copula between continuous columns."""

    def __init__(self, variables: Sequence[int], matrix: npt.ArrayLike) -> None: ...
    @property
    def variables(self) -> list[int]: ...
    @property
    def cholesky(self) -> _Float64Array:
        """Lower Cholesky factor L (matrix = L L^T)."""

class PopulationSpec:
    """Covariates in sampling order plus an optional copula."""

    def __init__(
        self,
        name: str,
        covariates: Sequence[CovariateSpec],
        correlation: CorrelationSpec | None = None,
    ) -> None: ...
    @property
    def name(self) -> str: ...

class PopulationSampler:
    """Baseline-covariate sampler built from a PopulationSpec.

    Patient i's row depends only on (seed, first_index + i), whatever the thread count.
    """

    def __init__(self, spec: PopulationSpec) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> list[str]:
        """Column names, in spec order."""

    @property
    def kinds(self) -> list[Literal["continuous", "boolean", "categorical"]]:
        """Per column: 'continuous', 'boolean' (0/1) or 'categorical' (level index)."""

    @property
    def levels(self) -> dict[str, list[str]]:
        """Level names of the categorical columns: {column: [level for code 0, code 1, ...]}."""

    def sample(
        self,
        n: int,
        seed: int,
        first_index: int = 0,
        threads: int = 1,
        progress: _Progress = None,
    ) -> _Float64Array:
        """Patients first_index .. first_index + n - 1 as an (n, len(columns)) float64 array."""

class TrialEngine:
    """The virtual trial of one TrialSpec: screening (phase A) and arms (phase B)."""

    def __init__(self, spec: TrialSpec) -> None: ...
    @property
    def screen_columns(self) -> list[str]: ...
    @property
    def treat_columns(self) -> list[str]: ...
    @property
    def arm_names(self) -> list[str]: ...
    @property
    def observables(self) -> list[str]: ...
    @property
    def n_states(self) -> int: ...
    def screen(
        self,
        covariates: dict[str, npt.ArrayLike],
        indices: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, _Status]:
        """Phase A for patients `indices` (uint64) with named covariate columns.

        Returns (values n x screen_columns, states at screening n x n_states, status).
        """

    def treat(
        self,
        covariates: dict[str, npt.ArrayLike],
        indices: npt.ArrayLike,
        attempts: npt.ArrayLike,
        intubated: npt.ArrayLike,
        states: npt.ArrayLike,
        arm: int,
        override_names: Sequence[str],
        overrides: npt.ArrayLike,
        grid_h: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, _Status]:
        """Phase B in arm `arm` from the screening states (attempts int32, intubated int8).

        overrides: n x len(override_names) parameter values for the treatment phase; grid_h: times
        after randomisation for trajectories. Returns (values n x treat_columns, trajectories
        n x len(grid_h) x len(observables), status).
        """

# ---- models as data (cpp/bindings/bind_expression.cpp) ----

class ExprOp:
    """Opcode of an expression program."""

    copy: ClassVar[ExprOp]
    add: ClassVar[ExprOp]
    sub: ClassVar[ExprOp]
    mul: ClassVar[ExprOp]
    div: ClassVar[ExprOp]
    neg: ClassVar[ExprOp]
    pow: ClassVar[ExprOp]
    exp: ClassVar[ExprOp]
    log: ClassVar[ExprOp]
    sqrt: ClassVar[ExprOp]
    abs: ClassVar[ExprOp]
    min: ClassVar[ExprOp]
    max: ClassVar[ExprOp]
    sign: ClassVar[ExprOp]
    lt: ClassVar[ExprOp]
    le: ClassVar[ExprOp]
    gt: ClassVar[ExprOp]
    ge: ClassVar[ExprOp]
    eq: ClassVar[ExprOp]
    ne: ClassVar[ExprOp]
    logical_and: ClassVar[ExprOp]
    logical_or: ClassVar[ExprOp]
    logical_not: ClassVar[ExprOp]
    select: ClassVar[ExprOp]
    muladd: ClassVar[ExprOp]
    mulsub: ClassVar[ExprOp]
    negmuladd: ClassVar[ExprOp]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class ExprInstruction:
    """One instruction: frame[dst] = op(frame[a], frame[b], frame[c])."""

    op: ExprOp
    dst: int
    a: int
    b: int
    c: int
    def __init__(self, op: ExprOp, dst: int, a: int = 0, b: int = 0, c: int = 0) -> None: ...

class ExprProgram:
    """Straight-line code and the frame slots holding its results."""

    code: list[ExprInstruction]
    outputs: list[int]
    native: int
    def __init__(self) -> None: ...
    def evaluate(self, frame: Sequence[float]) -> list[float]:
        """Runs the program on a copy of `frame`; returns its outputs."""

    def run(self, frame: Sequence[float]) -> list[float]:
        """Runs the program on a copy of `frame`; returns the whole frame after it."""

class ParameterInfo:
    """A named parameter: typical value, unit, doc and range."""

    name: str
    value: float
    unit: str
    doc: str
    lower: float
    upper: float
    lower_inclusive: bool
    upper_inclusive: bool
    def __init__(self) -> None: ...

class RandomEffect:
    """Log-normal variability: P * exp(eta), eta ~ N(0, variance)."""

    parameter: str
    variance_name: str
    def __init__(self) -> None: ...

class ObservableInfo:
    """A named observable with its unit."""

    name: str
    unit: str
    doc: str
    def __init__(self) -> None: ...

class ExpressionSignal:
    """A declared input or output signal."""

    name: str
    unit: str
    doc: str
    default_value: float
    def __init__(self) -> None: ...

class RoleBinding:
    """A role played by an observable or a state."""

    role: str
    target: str
    def __init__(self) -> None: ...

class ResidualError:
    """Assay error on an observable, sized by a named parameter."""

    observable: str
    kind: str
    sd_name: str
    def __init__(self) -> None: ...

def residual_error_kinds() -> list[str]:
    """Names of the residual error kinds."""

class ExpressionModelDef:
    """A model as data: names, frame layout and programs."""

    name: str
    description: str
    drug: str
    dose_state: int
    parameters: list[ParameterInfo]
    random_effects: list[RandomEffect]
    states: list[str]
    observables: list[ObservableInfo]
    inputs: list[ExpressionSignal]
    outputs: list[ExpressionSignal]
    outputs_read_inputs: bool
    roles: list[RoleBinding]
    residual_errors: list[ResidualError]
    frame_init: list[float]
    n_read_only: int
    parameter_slots: list[int]
    covariates: list[str]
    covariate_slots: list[int]
    state_base: int
    input_base: int
    time_slot: int
    individual: ExprProgram
    initial: ExprProgram
    derivatives: ExprProgram
    observe: ExprProgram
    output: ExprProgram
    jacobian: ExprProgram
    linear: bool
    def __init__(self) -> None: ...
    def validate(self) -> None:
        """Raises ValueError naming the field when inconsistent."""

def define_expression_model(definition: ExpressionModelDef, replace: bool = False) -> None:
    """Registers a model definition (replace: redefine a user model)."""

def expression_models() -> list[str]:
    """Names of the models defined as data."""

def solve_statistics(
    model: str,
    covariates: dict[str, npt.ArrayLike],
    params: Sequence[float],
    regimen: Regimen,
    times: Sequence[float],
    solver: SolverOptions,
) -> tuple[bool, int, int]:
    """(ok, steps, rhs_evals) of one patient's solve; a Jacobian counts as one evaluation when
    analytic, n + 2 when by finite differences."""
