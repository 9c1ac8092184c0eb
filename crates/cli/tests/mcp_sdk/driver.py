"""The MCP client of hostguard's integration suite: the official MCP Python SDK (`mcp` on PyPI)
driving one server over stdio through `ClientSession` and `stdio_client`.

    python driver.py SCENARIO.json

The scenario is a JSON object:

    {"command": "...", "args": [...], "env": {...}, "cwd": "...",   # the server (or the gateway)
     "steps": [
        {"list": true},                           # tools/list
        {"call": "NAME", "arguments": {...}},     # tools/call
        {"touch": "PATH"},                        # create a file (tells the test where we are)
        {"wait_file": "PATH", "timeout": 10},     # wait until a file exists
        {"sleep": 1.5}
     ]}

What the client received is printed as JSON lines, one per step, in the SDK's own wire
spelling (`by_alias`): `{"step": N, "tools": [...]}`, `{"step": N, "result": {...}}` or
`{"step": N, "error": {"code": C, "message": M}}` for a JSON-RPC error. The first line is
`{"initialize": {...}}`, the last `{"done": true}`. Anything else that goes wrong is a
traceback on stderr and exit status 1.
"""

import json
import sys
import time
from pathlib import Path

import anyio
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

# No step may hang the suite: a request unanswered this long fails the run.
READ_TIMEOUT_SECONDS = 20.0


def emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def dump(model) -> dict:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


async def run_step(session: ClientSession, index: int, step: dict) -> None:
    if step.get("list"):
        listed = await session.list_tools()
        emit({"step": index, "tools": [dump(tool) for tool in listed.tools]})
    elif "call" in step:
        try:
            result = await session.call_tool(step["call"], step.get("arguments", {}))
        except MCPError as error:
            emit({"step": index, "error": {"code": error.error.code, "message": error.error.message}})
            return
        emit({"step": index, "result": dump(result)})
    elif "touch" in step:
        Path(step["touch"]).touch()
        emit({"step": index, "touched": step["touch"]})
    elif "wait_file" in step:
        deadline = time.monotonic() + float(step.get("timeout", 10))
        path = Path(step["wait_file"])
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} never appeared")
            await anyio.sleep(0.05)
        emit({"step": index, "waited": step["wait_file"]})
    elif "sleep" in step:
        await anyio.sleep(float(step["sleep"]))
        emit({"step": index, "slept": step["sleep"]})
    else:
        raise ValueError(f"unknown step {step!r}")


async def main(scenario: dict) -> None:
    server = StdioServerParameters(
        command=scenario["command"],
        args=scenario.get("args", []),
        env=scenario.get("env"),
        cwd=scenario.get("cwd"),
    )
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=READ_TIMEOUT_SECONDS) as session:
            init = await session.initialize()
            emit({"initialize": dump(init)})
            for index, step in enumerate(scenario["steps"]):
                await run_step(session, index, step)
    emit({"done": True})


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        anyio.run(main, json.load(f))
