"""The OpenAPI request body of a route that reads one uploaded file itself (to bound its size
before reading it all), from a multipart form field named `file`."""

from __future__ import annotations

from typing import Any


def file_upload_doc(description: str) -> dict[str, Any]:
    """`openapi_extra` for such a route; `description` says what the file is and its limit."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary", "description": description}
                        },
                    }
                }
            },
        }
    }
