"""JSON responses for the hot study-loop routes.

FastAPI re-validates a returned model against `response_model` (in a worker thread for sync
routes) before serializing it; for `next` and `reviews`, whose models were just built and
validated here, that is pure overhead. These routes declare `response_model` for OpenAPI and
return the already-serialized body.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json", status_code=status_code)
