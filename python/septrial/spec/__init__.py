"""The typed specification: scenarios, populations, criteria, doses, endpoints and analysis plans
as pydantic models. Every default, range and name list lives here once; the JSON Schemas in
``scenarios/schema`` are generated from these models (``python -m septrial.spec.schema``)."""
