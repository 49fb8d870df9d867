"""The MCP server: tools over the learner's topics, contexts and study loop, and the card
schema as a resource. Every tool is one call to the public API with the learner's token
(stdio: AIMED_MCP_TOKEN; streamable HTTP: the request's `Authorization: Bearer`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from aimed_contracts.schema import schema_document
from aimed_mcp.api import GatewayApi
from aimed_mcp.config import Settings

CARD_SCHEMA_URI = "aimed://schema/card"
INSTRUCTIONS = """AI-Med Learning: a medical student's spaced-repetition study of clinical guidelines.
Topics (temas) hold contexts: guideline excerpts the cards are generated from and checked against.
Push excerpts (e.g. from a NotebookLM notebook) with add_context, citing the source in source_label.
Study: next_card gives the item and its cards; show the BattleCard, then the drill; answer_card with
the learner's grade (fail, hard, good, easy), the card_to_grade_id and item.state.version it returned.
Learner-facing text is Spanish."""

TopicId = Annotated[int, Field(ge=1, le=2**31 - 1, description="A topic id (list_topics gives them).")]


def bearer_token(ctx: Context, settings: Settings) -> str:
    """The learner's token: the HTTP request's bearer header, else the configured one (stdio)."""
    headers = ctx.headers
    if headers is not None:
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if settings.token is not None and settings.token.get_secret_value().strip():
        return settings.token.get_secret_value().strip()
    raise ToolError(
        "No learner token: set AIMED_MCP_TOKEN for stdio (the token `make run` prints), "
        "or send 'Authorization: Bearer <token>' over HTTP."
    )


def build_server(settings: Settings, api: GatewayApi | None = None) -> MCPServer:
    gateway = api or GatewayApi(settings.api_url, settings.timeout_s)
    server: MCPServer = MCPServer(name="aimed-mcp", instructions=INSTRUCTIONS, version="0.1.0")

    @server.tool()
    async def list_topics(
        ctx: Context,
        query: Annotated[
            str | None, Field(max_length=200, description="Words to find in the title or module (any case).")
        ] = None,
        modulo: Annotated[str | None, Field(max_length=200, description="Only this module.")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """List and search the learner's topics, with their module, level and next review."""
        page = await gateway.call("GET", "/topics", bearer_token(ctx, settings), params={"modulo": modulo})
        topics = page["data"]
        if query:
            words = query.casefold().split()
            topics = [t for t in topics if all(w in f"{t['title']} {t['modulo']}".casefold() for w in words)]
        shown = [
            {
                "id": t["id"],
                "title": t["title"],
                "modulo": t["modulo"],
                "priority": t["priority"],
                "date_assigned": t["date_assigned"],
                "level": t["srs"]["level"],
                "mastered": t["srs"]["mastered"],
                "due_at": t["srs"]["due_at"],
            }
            for t in topics[:limit]
        ]
        return {"count": len(topics), "topics": shown}

    @server.tool()
    async def create_topic(
        ctx: Context,
        title: Annotated[str, Field(min_length=1, max_length=300, description="The topic, in Spanish.")],
        modulo: Annotated[str, Field(min_length=1, max_length=200, description="e.g. Cardiología")],
        priority: Annotated[int, Field(ge=1, le=5, description="1 = highest.")] = 3,
        date_assigned: Annotated[date | None, Field(description="YYYY-MM-DD; empty: from today.")] = None,
    ) -> dict[str, Any]:
        """Create a topic in the learner's syllabus."""
        body: dict[str, Any] = {"title": title, "modulo": modulo, "priority": priority}
        if date_assigned is not None:
            body["date_assigned"] = date_assigned.isoformat()
        topic: dict[str, Any] = await gateway.call("POST", "/topics", bearer_token(ctx, settings), json=body)
        return topic

    @server.tool()
    async def add_context(
        ctx: Context,
        topic_id: TopicId,
        text: Annotated[
            str, Field(min_length=1, max_length=200_000, description="The guideline excerpt, verbatim.")
        ],
        source_label: Annotated[
            str,
            Field(
                min_length=1, max_length=300, description="Where it comes from, e.g. 'NotebookLM: GPC NAC'."
            ),
        ],
    ) -> dict[str, Any]:
        """Add a guideline excerpt to a topic: cards are generated from it and must not go beyond it.
        Sending the same text again returns the context already stored."""
        if not text.strip():
            raise ToolError("text is blank: send the guideline excerpt.")
        context: dict[str, Any] = await gateway.call(
            "POST",
            f"/topics/{topic_id}/contexts",
            bearer_token(ctx, settings),
            json={"source_label": source_label, "text": text, "format": "markdown"},
        )
        return context

    @server.tool()
    async def next_card(ctx: Context) -> dict[str, Any]:
        """The next thing to study: `status` ready (cards to show; grade card_to_grade_id), generating
        (ask again after retry_after_s), done, or why no card can be served; with grade previews."""
        study: dict[str, Any] = await gateway.call("GET", "/study/next", bearer_token(ctx, settings))
        return study

    @server.tool()
    async def answer_card(
        ctx: Context,
        card_id: Annotated[int, Field(ge=1, le=2**31 - 1, description="next_card's card_to_grade_id.")],
        grade: Literal["fail", "hard", "good", "easy"],
        state_version: Annotated[
            int, Field(ge=1, le=2**31 - 1, description="next_card's item.state.version.")
        ],
        chosen_option: Annotated[
            int | None, Field(ge=0, le=4, description="MCQ: the option index chosen.")
        ] = None,
        answer: Annotated[
            str | None, Field(max_length=20_000, description="Open drill: the learner's answer.")
        ] = None,
        idempotency_key: Annotated[
            str | None,
            Field(min_length=8, max_length=200, description="Reuse it to retry the same answer safely."),
        ] = None,
    ) -> dict[str, Any]:
        """Grade the drill the learner answered; returns the new SRS state (and an angle opened by a fail)."""
        body: dict[str, Any] = {
            "card_id": card_id,
            "grade": grade,
            "state_version": state_version,
            "idempotency_key": idempotency_key or uuid.uuid4().hex,
        }
        if chosen_option is not None:
            body["chosen_option"] = chosen_option
        if answer is not None:
            body["answer"] = answer
        result: dict[str, Any] = await gateway.call(
            "POST", "/study/reviews", bearer_token(ctx, settings), json=body
        )
        return result

    @server.tool()
    async def stats(ctx: Context, days: Annotated[int, Field(ge=1, le=366)] = 30) -> dict[str, Any]:
        """The learner's dashboard: due today, new available, forecast, success rate, by module."""
        result: dict[str, Any] = await gateway.call(
            "GET", "/stats", bearer_token(ctx, settings), params={"days": days}
        )
        return result

    @server.resource(
        CARD_SCHEMA_URI,
        name="card_schema",
        title="AI-Med card JSON Schema",
        description="The card contract (BattleCard, MCQ drill, open drill) every served card follows.",
        mime_type="application/schema+json",
    )
    def card_schema() -> str:
        document: str = schema_document()
        return document

    return server
