"""MLS505 agent-tool-param-injection: MCP servers and agent tools whose model-chosen parameters reach
a shell, eval/exec, a file path or a URL fetch.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import os
import shlex
import shutil
import subprocess
import urllib.request
from enum import Enum
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import httpx
import requests
from agents import function_tool
from crewai.tools import BaseTool as CrewBaseTool
from langchain_core.tools import BaseTool, tool
from mcp.server.fastmcp import FastMCP
from smolagents import Tool

mcp = FastMCP("dev-tools")
WORKSPACE = Path("/srv/agent-workspace").resolve()
ALLOWED_HOSTS = {"api.github.com", "pypi.org"}
GIT_COMMANDS = ["status", "log", "diff"]


class Unit(Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


@mcp.tool()
def run_command(command: str) -> str:
    """Run a shell command in the workspace."""
    result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=WORKSPACE)  # expect: MLS505
    return result.stdout


@mcp.tool()
def read_file(path: str) -> str:
    """Read a file of the workspace."""
    with open(path, encoding="utf-8") as handle:  # expect: MLS505
        return handle.read()


@mcp.tool()
def read_workspace_file(path: str) -> str:
    """Read a file, refusing anything outside the workspace."""
    target = (WORKSPACE / path).resolve()
    if not target.is_relative_to(WORKSPACE):
        raise ValueError(f"{path} is outside the workspace")
    return target.read_text(encoding="utf-8")  # ok: resolved and checked against the root


@mcp.tool()
def write_note(name: str, text: str) -> str:
    """Save a note."""
    note = Path("notes") / name
    note.write_text(text, encoding="utf-8")  # expect: MLS505
    safe = Path("notes") / os.path.basename(name)
    safe.write_text(text, encoding="utf-8")  # ok: only the last part of the name is used
    return str(note)


@mcp.tool()
def git(subcommand: str, ref: str = "HEAD") -> str:
    """Run a read-only git command."""
    if subcommand not in GIT_COMMANDS:
        return "unsupported"
    out = subprocess.run(["git", subcommand, ref], capture_output=True, text=True)  # ok: fixed program, no shell
    subprocess.run(f"git {subcommand}", shell=True)  # ok: subcommand was checked against a literal allow-list
    subprocess.run(f"git show {shlex.quote(ref)}", shell=True)  # ok: quoted for the shell
    subprocess.run(f"git show {ref}", shell=True)  # expect: MLS505
    return out.stdout


@mcp.tool()
async def fetch_url(url: str) -> str:
    """Fetch a web page for the model."""
    async with httpx.AsyncClient() as http:
        response = await http.get(url)  # expect: MLS505
    return response.text


@mcp.tool()
def weather(city: str, days: int, unit: Unit, fmt: Literal["json", "text"]) -> str:
    """Forecast for a city."""
    url = f"https://api.weather.example.com/v1/forecast?city={city}&days={days}"
    requests.get(url, timeout=10)  # ok: the host is fixed, the parameter is in the query string
    requests.get(f"https://{city}.weather.example.com/", timeout=10)  # expect: MLS505
    open(f"/var/cache/weather/{days}.json").close()  # ok: an int parameter cannot carry a path
    open(f"/var/cache/weather/{unit}-{fmt}.json").close()  # ok: an Enum and a Literal
    return url


@mcp.tool()
def mirror(url: str) -> bytes:
    """Download a file from an allowed host."""
    if urlparse(url).hostname not in ALLOWED_HOSTS:
        raise ValueError("host not allowed")
    with urllib.request.urlopen(url) as response:  # ok: the host was checked against an allow-list
        return response.read()


@tool
def python_calculator(expression: str) -> str:
    """Evaluate a Python arithmetic expression."""
    return str(eval(expression))  # expect: MLS505


@tool("cleanup")
def cleanup(directory: str) -> str:
    """Delete a scratch directory."""
    shutil.rmtree(directory)  # expect: MLS505
    return "deleted"


@function_tool
def list_dir(directory: str) -> list:
    """List a directory."""
    return os.listdir(directory)  # expect: MLS505


def _run(cmd):
    return subprocess.check_output(cmd, shell=True, text=True)


@tool
def diagnostics(target: str) -> str:
    """Ping a host."""
    return _run(f"ping -c 1 {target}")  # expect: MLS505  (through a helper that runs a shell)


class SearchLogsTool(BaseTool):
    name: str = "search_logs"
    description: str = "grep the service logs"

    def _run(self, pattern: str) -> str:
        return os.popen(f"grep -r '{pattern}' /var/log/app").read()  # expect: MLS505


class FileWriterTool(CrewBaseTool):
    name: str = "file_writer"
    description: str = "Write content to a file"

    def _run(self, filename: str, content: str) -> str:
        with open(os.path.join("output", filename), "w") as handle:  # expect: MLS505  (CrewAI #4895)
            handle.write(content)
        return "ok"


class ShellTool(Tool):
    name = "shell"
    description = "run a command"
    inputs = {"command": {"type": "string", "description": "command"}}
    output_type = "string"

    def forward(self, command: str) -> str:
        return subprocess.getoutput(command)  # expect: MLS505


class PythonREPLTool(BaseTool):
    """LangChain's own REPL tool: running its input is its purpose."""

    name: str = "python_repl"
    description: str = "run python"

    def _run(self, query: str) -> str:
        return str(exec(query))  # ok: MLS502 reports where an agent is given this tool


def helper_not_a_tool(command: str) -> str:
    return subprocess.run(command, shell=True, capture_output=True).stdout  # ok: not a tool; callers decide


@tool
def s3_object(uri: str) -> str:
    """Read an object from S3."""
    bucket, key = uri.replace("s3://", "").split("/", 1)  # ok: str.replace, not Path.replace
    return f"{bucket}/{key}"


@mcp.resource("config://{section}")
def config(section: str) -> str:
    return Path("/etc/app/config.d", section).read_text()  # expect: MLS505
