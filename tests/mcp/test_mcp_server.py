"""aimed-mcp through the MCP SDK's own client: over stdio (the `aimed-mcp` command as a child
process) and over streamable HTTP, directly and behind the real nginx config, against a real
stack (a gateway process on a scheduler process, SQLite). Tools, the card-schema resource,
bad input and wrong tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from aimed_contracts.schema import schema_document
from aimed_gateway.tokens import TokenStore
from aimed_llama.processes import ProcessExited, stop_process, wait_healthy
from infra.nginx.render import nginx_command, write_local_config
from tests.gateway.services import Learner, gold_topic
from tests.support.llama import REPO, free_port
from tests.support.process import ServiceProcess

AIMED_MCP = str(Path(sys.executable).parent / "aimed-mcp")
TOOLS = {"list_topics", "create_topic", "add_context", "next_card", "answer_card", "stats"}


@dataclass
class Stack:
    scheduler_url: str
    gateway_url: str
    tokens: TokenStore


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("mcp-stack")
    scheduler = ServiceProcess(
        "aimed_scheduler.main:create_app",
        {"AIMED_SCHEDULER_DATABASE_URL": f"sqlite:///{folder / 'aimed.db'}"},
    ).start()
    gateway = ServiceProcess(
        "aimed_gateway.main:create_app",
        {
            "AIMED_GATEWAY_SCHEDULER_URL": scheduler.url,
            # No generator: cards are stored by the test, as the prefetcher would have.
            "AIMED_GATEWAY_GENERATOR_URL": f"http://127.0.0.1:{free_port()}",
            "AIMED_GATEWAY_TOKEN_DB_PATH": str(folder / "tokens.db"),
        },
        health_path="/api/health",
    ).start()
    try:
        yield Stack(scheduler.url, gateway.url, TokenStore(folder / "tokens.db"))
    finally:
        gateway.stop()
        scheduler.stop()


def stdio(stack: Stack, token: str) -> Client:
    params = StdioServerParameters(
        command=AIMED_MCP,
        args=["stdio"],
        env={"AIMED_MCP_API_URL": stack.gateway_url, "AIMED_MCP_TOKEN": token},
        cwd=str(REPO),
    )
    return Client(params, read_timeout_seconds=60)


def over_http(url: str, token: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"}
    return Client(
        streamable_http_client(url, http_client=create_mcp_http_client(headers=headers)),
        read_timeout_seconds=60,
    )


def run(client: Client, scenario: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with client:
            return await scenario(client)

    return asyncio.run(main())


def data(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return result.structured_content


def error_text(result: Any) -> str:
    assert result.is_error, result.structured_content
    return str(result.content[0].text)


def test_tools_and_card_schema_resource_over_stdio(stack: Stack) -> None:
    learner = Learner(stack.scheduler_url, stack.tokens, "mcp-ana")

    async def scenario(client: Client) -> tuple[int, str]:
        tools = await client.list_tools()
        assert {t.name for t in tools.tools} == TOOLS
        resources = await client.list_resources()
        assert [str(r.uri) for r in resources.resources] == ["aimed://schema/card"]
        schema = await client.read_resource("aimed://schema/card")
        assert schema.contents[0].text == schema_document()
        assert json.loads(schema.contents[0].text)["title"]

        topic = data(
            await client.call_tool("create_topic", {"title": "Neumonía grave", "modulo": "Neumología"})
        )
        data(await client.call_tool("create_topic", {"title": "Asma", "modulo": "Neumología", "priority": 1}))
        found = data(await client.call_tool("list_topics", {"query": "neumonía"}))
        assert found["count"] == 1
        assert found["topics"][0]["id"] == topic["id"]
        assert data(await client.call_tool("list_topics", {"modulo": "Neumología"}))["count"] == 2

        excerpt = {
            "topic_id": topic["id"],
            "text": "La CURB-65 estima la gravedad.",
            "source_label": "NotebookLM: GPC",
        }
        first = data(await client.call_tool("add_context", excerpt))
        again = data(await client.call_tool("add_context", excerpt))
        assert first["id"] == again["id"]
        assert first["source_label"] == "NotebookLM: GPC"
        return topic["id"], excerpt["text"]

    topic_id, text = run(stdio(stack, learner.token), scenario)
    contexts = httpx.get(
        f"{stack.gateway_url}/api/v1/topics/{topic_id}/contexts", headers=learner.headers, timeout=10
    )
    assert [c["text"] for c in contexts.json()["data"]] == [text]


def test_study_loop_over_stdio(stack: Stack) -> None:
    learner = Learner(stack.scheduler_url, stack.tokens, "mcp-estudio")
    topic = learner.add_topic(priority=1)
    learner.store_card(topic, "battlecard")
    drill = learner.store_card(topic, "drill_mcq")
    gold = gold_topic()["cards"]["drill_mcq"]

    async def scenario(client: Client) -> None:
        study = data(await client.call_tool("next_card"))
        assert study["status"] == "ready"
        assert [c["kind"] for c in study["cards"]] == ["battlecard", "drill_mcq"]
        assert study["card_to_grade_id"] == drill["id"]
        assert study["grade_previews"][0]["label"] == "10 min"
        wrong = (gold["answer_index"] + 1) % len(gold["options"])
        answer = {
            "card_id": drill["id"],
            "grade": "fail",
            "state_version": study["item"]["state"]["version"],
            "chosen_option": wrong,
        }
        result = data(await client.call_tool("answer_card", answer))
        assert result["grade"] == "fail"
        assert result["correct"] is False
        # Answering again at the version already used: the API's 409, passed on.
        stale = error_text(await client.call_tool("answer_card", answer))
        assert "409 stale_version" in stale
        stats = data(await client.call_tool("stats", {"days": 7}))
        assert stats["reviews_total"] == 1
        assert stats["angles_in_progress"] == 1

    run(stdio(stack, learner.token), scenario)


def test_bad_input_is_a_tool_error_and_changes_nothing(stack: Stack) -> None:
    learner = Learner(stack.scheduler_url, stack.tokens, "mcp-errores")
    other = Learner(stack.scheduler_url, stack.tokens, "mcp-otro")
    theirs = other.add_topic(with_context=False)

    async def scenario(client: Client) -> None:
        bad_priority = error_text(
            await client.call_tool("create_topic", {"title": "X", "modulo": "Y", "priority": 9})
        )
        assert "priority" in bad_priority
        assert "title" in error_text(await client.call_tool("create_topic", {"modulo": "Y"}))
        assert "grade" in error_text(
            await client.call_tool("answer_card", {"card_id": 1, "grade": "regular", "state_version": 1})
        )
        blank = error_text(
            await client.call_tool(
                "add_context", {"topic_id": theirs["id"], "text": "   ", "source_label": "x"}
            )
        )
        assert "blank" in blank
        foreign = error_text(
            await client.call_tool(
                "add_context", {"topic_id": theirs["id"], "text": "Texto.", "source_label": "x"}
            )
        )
        assert "404" in foreign
        assert "not_found" in foreign
        dated = error_text(
            await client.call_tool("create_topic", {"title": "X", "modulo": "Y", "date_assigned": "mañana"})
        )
        assert "date_assigned" in dated
        assert "Unknown tool" in error_text(await client.call_tool("delete_everything", {}))
        assert data(await client.call_tool("list_topics"))["count"] == 0

    run(stdio(stack, learner.token), scenario)
    contexts = httpx.get(
        f"{stack.gateway_url}/api/v1/topics/{theirs['id']}/contexts", headers=other.headers, timeout=10
    ).json()
    assert contexts["count"] == 0


def test_a_wrong_token_is_refused_on_every_tool(stack: Stack) -> None:
    async def scenario(client: Client) -> None:
        listed = error_text(await client.call_tool("list_topics"))
        assert "401 unauthorized" in listed
        created = error_text(await client.call_tool("create_topic", {"title": "X", "modulo": "Y"}))
        assert "401" in created
        assert "401" in error_text(await client.call_tool("next_card"))

    run(stdio(stack, "token-que-no-existe"), scenario)


@pytest.fixture(scope="module")
def mcp_http(stack: Stack) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "AIMED_MCP_API_URL": stack.gateway_url, "AIMED_MCP_PORT": str(port)}
    env.pop("AIMED_MCP_TOKEN", None)
    log = REPO / "artifacts" / "tests" / f"aimed-mcp-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [AIMED_MCP, "http"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}/health", 30)
        yield f"http://127.0.0.1:{port}/mcp"
    except ProcessExited:
        pytest.fail(log.read_text())
    finally:
        stop_process(process)


def test_streamable_http_with_the_learners_bearer_token(stack: Stack, mcp_http: str) -> None:
    learner = Learner(stack.scheduler_url, stack.tokens, "mcp-http")

    async def scenario(client: Client) -> None:
        created = data(await client.call_tool("create_topic", {"title": "Sepsis", "modulo": "Urgencias"}))
        listed = data(await client.call_tool("list_topics", {"query": "sepsis"}))
        assert [t["id"] for t in listed["topics"]] == [created["id"]]

    run(over_http(mcp_http, learner.token), scenario)

    for headers in ({}, {"Authorization": "Bearer token-que-no-existe"}):
        response = httpx.post(
            mcp_http,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", **headers},
            timeout=10,
        )
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.fixture(scope="module")
def proxy(stack: Stack, mcp_http: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real nginx config (infra/nginx/site.conf.template) in front of the gateway and aimed-mcp."""
    port = free_port()
    conf = write_local_config(
        tmp_path_factory.mktemp("nginx"),
        listen_port=port,
        frontend_root=REPO / "frontend",
        gateway_upstream=stack.gateway_url.removeprefix("http://"),
        mcp_upstream=mcp_http.removeprefix("http://").removesuffix("/mcp"),
    )
    process = subprocess.Popen(nginx_command(conf), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url + "/api/health", 20)
        yield url
    except ProcessExited:
        pytest.fail((conf.parent / "error.log").read_text())
    finally:
        stop_process(process)


def test_streamable_http_behind_the_proxy(stack: Stack, proxy: str) -> None:
    learner = Learner(stack.scheduler_url, stack.tokens, "mcp-proxy")
    topic = learner.add_topic(priority=1)
    learner.store_card(topic, "battlecard")
    learner.store_card(topic, "drill_mcq")

    async def scenario(client: Client) -> None:
        study = data(await client.call_tool("next_card"))
        assert study["status"] == "ready"
        assert study["item"]["topic"]["id"] == topic["id"]
        schema = await client.read_resource("aimed://schema/card")
        assert schema.contents[0].text == schema_document()

    transport = streamable_http_client(
        f"{proxy}/mcp",
        http_client=create_mcp_http_client(headers={"Authorization": f"Bearer {learner.token}"}),
    )
    run(Client(transport, read_timeout_seconds=60), scenario)
    refused = httpx.post(
        f"{proxy}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "unauthorized"
