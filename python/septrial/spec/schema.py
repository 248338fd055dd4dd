"""JSON Schemas of the specification files, generated from the typed models (never written by
hand): ``python -m septrial.spec.schema`` rewrites ``scenarios/schema/*.schema.json``; a test fails
when the committed files differ from what the models generate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from septrial.spec.criteria import CriteriaFile
from septrial.spec.model_spec import ModelDefinition
from septrial.spec.population import PopulationSpec
from septrial.spec.scenario import Scenario

#: schema file stem -> (model, title)
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "scenario": (Scenario, "septrial scenario"),
    "criteria": (CriteriaFile, "septrial eligibility criteria"),
    "population": (PopulationSpec, "septrial population spec"),
    "model": (ModelDefinition, "septrial model specification"),
}

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "schema"


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one specification file kind (with defaults and descriptions)."""
    model, title = SCHEMAS[name]
    body = model.model_json_schema(by_alias=True, mode="validation")
    body.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://septrial/schema/{name}.schema.json",
        "title": title,
        **body,
    }


def text(name: str) -> str:
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR, help="folder of the schemas")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (args.out / f"{name}.schema.json").write_text(text(name), encoding="utf-8")
        print(f"wrote {args.out / f'{name}.schema.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
