"""PawBench's scenario JSON, translated into a suite document (docs/scenarios.md).

A ``.json`` file whose top level has an ``agents`` list and ``tools_schema``, or agents with
``turns``, is a PawBench scenario. It becomes the same suite constructs a YAML scenario is written with:
one session per scenario agent (its turns the tests), an ``injected`` server declaring
``tools_schema`` and answering from the turns' ``inject_tool_results``, ``expect`` and
``steer`` per turn, and one agent under test on the endpoint the command line names. The
translated document keeps a position map into the JSON file, so every later diagnostic
points at the JSON key that caused it.

Read from PawBench's loader (its scenario files are plain ``json.load``ed dicts): an agent
needs ``id``, ``name`` and ``turns``; a turn ``turn`` and usually ``content``; ``tools``
names the tools offered at that turn (none when absent); ``inject_tool_results`` of turn
N+1 answer the calls the model made in turn N; ``expect.steering_followed`` makes the turn
a steering event checked with ``expect.steering_keywords``. Unknown keys are ignored, as
PawBench ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.plan import Span

from .diagnostics import Diagnostics
from .source import PositionTree, SourceDoc, YamlPath
from .templating.segments import jinja_literal

__all__ = [
    "DEFAULT_ENDPOINT",
    "add_target",
    "DEFAULT_STEERING_KEYWORDS",
    "SERVER_NAME",
    "ScenarioTarget",
    "is_pawbench_scenario",
    "needs_target",
    "translate",
]

DEFAULT_ENDPOINT = "http://localhost:8000"
"""PawBench's default ``--endpoint`` (an OpenAI-compatible server; ``/v1`` is appended)."""
DEFAULT_STEERING_KEYWORDS = ("size-guide", "size_guide", "wishlist")
"""The keywords PawBench checks a steering turn with when the turn names none."""
SERVER_NAME = "scenario-tools"
"""Name of the injected server a translated scenario declares its tools on."""
STATUS_KEYS = ("STATUS", "FILES_CREATED", "FILES_MODIFIED", "TESTS", "BUILD", "LEARNED")
"""The status block PawBench's agents are told to end with; the last turn is checked for it."""
SYSTEM_PROMPT = (
    "You are a coding agent working on a shared project. Do the work with the tools you "
    "are given, one call per file or command.\n\n"
    "When you have no more tool calls to make, answer with a status block and nothing "
    "else, one KEY:value per line, starting with STATUS:\n"
    "STATUS:ok\nFILES_CREATED:comma-separated paths\nFILES_MODIFIED:comma-separated paths\n"
    "TESTS:pass:<count>\nBUILD:pass or fail\nLEARNED:one sentence"
)
"""bench's own wording of the instructions PawBench gives its coding agents."""


@dataclass(frozen=True)
class ScenarioTarget:
    """The agent under test of a JSON scenario: an OpenAI-compatible endpoint and model."""

    endpoint: str = DEFAULT_ENDPOINT
    """Base URL as PawBench's ``--endpoint`` takes it (``/v1`` is appended unless present)."""
    model: str = "default"
    """Model name sent with every request."""

    @property
    def base_url(self) -> str:
        """The OpenAI base URL: the endpoint with ``/v1``."""
        url = self.endpoint.rstrip("/")
        return url if url.endswith("/v1") else url + "/v1"


def is_pawbench_scenario(path: Path, data: Any) -> bool:
    """Whether ``data`` (read from ``path``) is a PawBench scenario: by extension and shape."""
    if path.suffix.lower() != ".json" or not isinstance(data, dict) or "sessions" in data:
        return False
    agents = data.get("agents")
    if not isinstance(agents, list):
        return False
    # tools_schema, or agents with turns (a suite's agents never have them): a scenario that
    # lacks one of its parts is told what is missing, not that a suite has no providers.
    return "tools_schema" in data or any(isinstance(a, dict) and "turns" in a for a in agents)


def needs_target(data: Any) -> bool:
    """Whether a YAML document is a scenario without an agent under test: no providers, no
    agents, no test_files, and an ``injected`` server. It runs against ``ScenarioTarget``."""
    if not isinstance(data, dict) or any(k in data for k in ("providers", "agents", "test_files")):
        return False
    servers = data.get("servers")
    return isinstance(servers, list) and any(
        isinstance(s, dict) and s.get("type") == "injected" for s in servers
    )


def add_target(suite: dict[str, Any], target: ScenarioTarget, *, system_prompt: str | None = None
               ) -> None:  # fmt: skip
    """Add the agent under test to ``suite`` (in place): provider ``endpoint`` and an agent
    named after the model, using every server of the suite."""
    agent: dict[str, Any] = {
        "name": target.model,
        "provider": "endpoint",
        "servers": [{"name": s["name"]} for s in suite.get("servers", []) if isinstance(s, dict)],
    }
    if system_prompt is not None:
        agent["system_prompt"] = system_prompt
    suite["providers"] = [
        {
            "name": "endpoint",
            "type": "OPENAI_COMPATIBLE",
            "baseUrl": target.base_url,
            "model": target.model,
        }  # fmt: skip
    ]
    suite["agents"] = [agent]


class _Builder:
    """Builds the suite data and the map from its paths to the JSON paths they came from."""

    def __init__(self, doc: SourceDoc, diags: Diagnostics) -> None:
        self.doc = doc
        self.diags = diags
        self.origin: dict[YamlPath, YamlPath] = {}
        self.ok = True

    def bad(self, message: str, path: YamlPath, hint: str | None = None) -> None:
        self.diags.add("invalid-value", message, self.doc.positions.span(path), hint=hint)
        self.ok = False

    def missing(self, key: str, path: YamlPath, what: str) -> None:
        self.diags.add("missing-key", f"{what} needs '{key}'", self.doc.positions.span(path),
                       hint=f"add \"{key}\": ... (PawBench's scenario format)")  # fmt: skip
        self.ok = False

    def link(self, new: YamlPath, old: YamlPath) -> None:
        self.origin[new] = old

    def take(self, obj: Any, path: YamlPath, key: str, kind: type | tuple[type, ...], what: str,
             *, required: bool = True) -> Any:  # fmt: skip
        if not isinstance(obj, dict) or key not in obj:
            if required:
                self.missing(key, path, what)
            return None
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            self.bad(f"{what}: '{key}' must be {_article(names)}, got {type(value).__name__}",
                     (*path, key))  # fmt: skip
            return None
        return value


def _article(name: str) -> str:
    words = {"str": "a string", "int": "an integer", "list": "a list", "dict": "an object",
             "bool": "true or false"}  # fmt: skip
    return " or ".join(words.get(n, n) for n in name.split(" or "))


def _tools(b: _Builder, schema: Any) -> tuple[list[dict[str, Any]], set[str]]:
    tools: list[dict[str, Any]] = []
    names: set[str] = set()
    if not isinstance(schema, list):
        b.bad("'tools_schema' must be a list of OpenAI function tools", ("tools_schema",))
        return tools, names
    for k, entry in enumerate(schema):
        at: YamlPath = ("tools_schema", k)
        fn = b.take(entry, at, "function", dict, f"tools_schema[{k}]")
        if fn is None:
            continue
        name = b.take(fn, (*at, "function"), "name", str, f"tools_schema[{k}].function")
        if name is None:
            continue
        names.add(name)
        tool: dict[str, Any] = {"name": name}
        new: YamlPath = ("servers", 0, "tools", len(tools))
        b.link(new, (*at, "function"))
        b.link((*new, "name"), (*at, "function", "name"))
        if isinstance(fn.get("description"), str):
            tool["description"] = fn["description"]
            b.link((*new, "description"), (*at, "function", "description"))
        if "parameters" in fn:
            tool["parameters"] = fn["parameters"]
            b.link((*new, "parameters"), (*at, "function", "parameters"))
        tools.append(tool)
    return tools, names


def _expect(b: _Builder, turn: dict[str, Any], at: YamlPath, new: YamlPath, what: str,
            last: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:  # fmt: skip
    raw = b.take(turn, at, "expect", dict, what, required=False) or {}
    eat: YamlPath = (*at, "expect")
    expect: dict[str, Any] = {}
    minimum = b.take(raw, eat, "tool_calls_min", int, f"{what}.expect", required=False)
    if minimum is not None:
        expect["tool_calls_min"] = minimum
        b.link((*new, "expect", "tool_calls_min"), (*eat, "tool_calls_min"))
    for src, dst in (("tool_name_any", "tool_name_any"), ("output_mentions", "keywords")):
        words = b.take(raw, eat, src, list, f"{what}.expect", required=False)
        if words:
            expect[dst] = [str(w) for w in words]
            b.link((*new, "expect", dst), (*eat, src))
    if last:
        expect["format"] = {"type": "key_value", "required": list(STATUS_KEYS)}
    steer: dict[str, Any] | None = None
    if raw.get("steering_followed"):
        words = b.take(raw, eat, "steering_keywords", list, f"{what}.expect", required=False)
        steer = {
            "kind": "steering",
            "keywords": [str(w) for w in (words or DEFAULT_STEERING_KEYWORDS)],
        }
        b.link((*new, "steer"), (*eat, "steering_followed"))
        b.link(
            (*new, "steer", "keywords"),
            (*eat, "steering_keywords" if words else "steering_followed"),
        )
    return expect, steer


def _session(b: _Builder, agent: Any, i: int, tools: set[str], results: list[dict[str, Any]]
             ) -> dict[str, Any] | None:  # fmt: skip
    at: YamlPath = ("agents", i)
    what = f"agents[{i}]"
    agent_id = b.take(agent, at, "id", str, what)
    b.take(agent, at, "name", str, what)
    turns = b.take(agent, at, "turns", list, what)
    if agent_id is None or turns is None:
        return None
    if not turns:
        b.bad(f"agent '{agent_id}' has no turns", (*at, "turns"))
        return None
    tests: list[dict[str, Any]] = []
    new_s: YamlPath = ("sessions", i)
    b.link(new_s, at)
    b.link((*new_s, "name"), (*at, "id"))
    previous_turn: int | None = None
    for j, turn in enumerate(turns):
        tat: YamlPath = (*at, "turns", j)
        twhat = f"agent '{agent_id}' turn {j + 1}"
        number = b.take(turn, tat, "turn", int, twhat)
        content = b.take(turn, tat, "content", str, twhat, required=False) or ""
        offered = b.take(turn, tat, "tools", list, twhat, required=False) or []
        new: YamlPath = (*new_s, "tests", j)
        b.link(new, tat)
        for k, name in enumerate(offered):
            if name not in tools:
                b.bad(f"{twhat}: tool {name!r} is not in tools_schema", (*tat, "tools", k),
                      hint="declare it in tools_schema or remove it from the turn's tools")  # fmt: skip
        injected = b.take(turn, tat, "inject_tool_results", list, twhat, required=False) or []
        for k, row in enumerate(injected):
            text = b.take(row, (*tat, "inject_tool_results", k), "content", str,
                          f"{twhat} inject_tool_results[{k}]")  # fmt: skip
            if text is None:
                continue
            if previous_turn is None:
                b.bad(f"{twhat}: the first turn has no earlier tool calls to answer",
                      (*tat, "inject_tool_results"))  # fmt: skip
                continue
            name = row.get("name")
            result: dict[str, Any] = {"session": agent_id, "turn": previous_turn, "content": text}
            if isinstance(name, str) and name in tools:
                result["tool"] = name
            b.link(("servers", 0, "results", len(results)), (*tat, "inject_tool_results", k))
            results.append(result)
        test: dict[str, Any] = {
            "name": f"turn {number if number is not None else j + 1}",
            "prompt": jinja_literal(content),
            "allowed_tools": [t for t in offered if isinstance(t, str)],
        }
        b.link((*new, "prompt"), (*tat, "content"))
        b.link((*new, "allowed_tools"), (*tat, "tools"))
        expect, steer = _expect(b, turn, tat, new, twhat, last=j == len(turns) - 1)
        if expect:
            test["expect"] = expect
        if steer:
            test["steer"] = steer
        tests.append(test)
        previous_turn = j + 1
    return {"name": agent_id, "tests": tests}


def translate(doc: SourceDoc, target: ScenarioTarget, diags: Diagnostics) -> SourceDoc | None:
    """``doc`` (a PawBench scenario) as a suite document; None when it has errors (reported)."""
    data = doc.data
    b = _Builder(doc, diags)
    tools, names = _tools(b, data.get("tools_schema"))
    results: list[dict[str, Any]] = []
    sessions = []
    agents = data["agents"]
    if not agents:
        b.bad("'agents' is empty: a scenario needs at least one agent", ("agents",))
    seen: set[str] = set()
    for i, agent in enumerate(agents):
        session = _session(b, agent, i, names, results)
        if session is None:
            continue
        if session["name"] in seen:
            b.bad(f"agent id '{session['name']}' is used twice", ("agents", i, "id"))
        seen.add(session["name"])
        sessions.append(session)
    if not b.ok:
        return None
    name = data.get("name") or data.get("id") or doc.file
    suite: dict[str, Any] = {
        "name": str(name),
        "servers": [{"name": SERVER_NAME, "type": "injected", "tools": tools, "results": results}],
        "sessions": sessions,
        "settings": {"concurrency": max(1, len(sessions))},
    }
    add_target(suite, target, system_prompt=SYSTEM_PROMPT)
    b.link(("name",), ("name",) if "name" in data else ("id",))
    b.link(("sessions",), ("agents",))
    b.link(("servers",), ("tools_schema",))
    b.link(("servers", 0), ("tools_schema",))
    mapped = _Mapped(doc.positions, b.origin)
    return SourceDoc(file=doc.file, path=doc.path, text=doc.text, data=suite,
                     positions=mapped, sha256=doc.sha256)  # fmt: skip


class _Mapped(PositionTree):
    """A position tree over the translated document: each path answered from the JSON path it
    came from (its nearest translated ancestor's, else the file's start)."""

    def __init__(self, json_positions: PositionTree, origin: dict[YamlPath, YamlPath]) -> None:
        super().__init__(json_positions.file)
        self._json = json_positions
        self._origin = origin

    def _source(self, path: YamlPath) -> YamlPath | None:
        p = tuple(path)
        while True:
            if p in self._origin:
                return self._origin[p]
            if not p:
                return None
            p = p[:-1]

    def span(self, path: YamlPath, *, key: bool = False) -> Span:
        """Where the JSON says what ``path`` of the translated document holds."""
        src = self._source(path)
        exact = src is not None and tuple(path) in self._origin
        return self._json.span(src if src is not None else (), key=key and exact)

    def has(self, path: YamlPath) -> bool:
        """True when ``path`` maps to a key written in the JSON file."""
        return tuple(path) in self._origin and self._json.has(self._origin[tuple(path)])

    def remapped(self, translate: Callable[[YamlPath], YamlPath | None]) -> PositionTree:
        """Pruning list items of a translated document: paths translated, sources kept."""
        out: dict[YamlPath, YamlPath] = {}
        for path, src in self._origin.items():
            new = translate(path)
            if new is not None:
                out.setdefault(new, src)
        return _Mapped(self._json, out)
