"""Sample runs for report tests, one per level of agent-benchmark's report table, plus errors,
an adversarial run and a large run for benchmarks/report_bench.py.

Each sample is built programmatically (CaseResult list + RunMetadata + a sealed Plan) and
can be written as a run directory exactly as the runtime writes one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from runtime.plan import (
    BuiltinAgent,
    Case,
    Criteria,
    Plan,
    ScriptedProvider,
    SourceFile,
    Span,
    Unit,
)
from runtime.results import AssertionResult, CaseResult, RunMetadata, RunTotals
from runtime.transcript import LlmCall, Message, TokenUsage, ToolCall, ToolResult, Transcript

__all__ = [
    "EVIL_OUTPUT",
    "LEVELS",
    "Sample",
    "adversarial",
    "big",
    "make_case",
    "repeated",
    "sample",
    "viewer",
    "write_run",
]

T0 = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)
PROVIDERS = {
    "gemini-agent": ("gemini", "GOOGLE", "gemini-2.0-flash"),
    "claude-agent": ("claude", "ANTHROPIC", "claude-sonnet-4"),
    "gpt-agent": ("gpt", "OPENAI", "gpt-4.1-mini"),
}


@dataclass
class Sample:
    """A run: its plan, metadata and results (in results.jsonl order)."""

    name: str
    plan: Plan
    meta: RunMetadata
    results: list[CaseResult]
    stale: list[CaseResult]
    """Earlier attempts written before the results (the latest line per case must win)."""


def _iso(ms: float) -> str:
    return (
        (T0 + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def make_case(
    *,
    case_id: str,
    agent: str,
    file: str,
    session: str,
    test: str,
    status: str = "passed",
    output: str = "Created test.txt with the content Hello.",
    start_ms: float = 0.0,
    error: str | None = None,
    tool_result: str = '{"ok": true, "path": "test.txt"}',
    prompt: str = "Create a file test.txt containing Hello",
    line: int = 10,
) -> CaseResult:
    """One realistic case: two LLM calls, one tool call, three assertions."""
    provider, ptype, model = PROVIDERS.get(agent, ("local", "OPENAI", "local-model"))
    failed = status == "failed"
    tool = ToolCall(
        id="call_1",
        name="write_file",
        arguments={"path": "test.txt"} if failed else {"path": "test.txt", "content": "Hello"},
        server="fs",
        result=ToolResult(content=[{"type": "text", "text": tool_result}]),
        iteration=1,
        started_ms=900.0,
        duration_ms=120.0,
    )
    calls = [
        LlmCall(
            provider=provider,
            model=model,
            iteration=1,
            started_ms=10,
            latency_ms=880,
            ttft_ms=300,
            usage=TokenUsage(input=100, output=20),
        ),
        LlmCall(
            provider=provider,
            model=model,
            iteration=2,
            started_ms=1030,
            latency_ms=700,
            usage=TokenUsage(input=140, output=30),
        ),
    ]
    messages = [
        Message(role="user", content=prompt, at_ms=0),
        Message(role="assistant", content="", tool_calls=[tool], at_ms=890),
        Message(
            role="tool", content=tool_result, tool_call_id="call_1", name="write_file", at_ms=1020
        ),
        Message(role="assistant", content=output, at_ms=1730),
    ]
    assertions = [
        AssertionResult(type="tool_called", passed=True, message="Tool 'write_file' was called"),
        AssertionResult(
            type="tool_param_equals",
            passed=not failed,
            message="Tool called with incorrect parameters"
            if failed
            else "Tool called with correct parameters",
            expected={"path": "test.txt", "content": "Hello"},
            actual=tool.arguments,
        ),
        AssertionResult(
            type="any_of",
            passed=True,
            message="1 of 2 alternatives passed",
            children=[
                AssertionResult(
                    type="output_contains", passed=True, message="Output contains 'Hello'"
                ),
                AssertionResult(
                    type="max_latency_ms",
                    passed=False,
                    message="Latency: 1750ms (max: 1000ms)",
                    expected=1000,
                    actual=1750,
                ),
            ],
        ),
    ]
    transcript = Transcript(
        messages=[] if status == "error" else messages,
        llm_calls=calls[:1] if status == "error" else calls,
        tool_calls=[] if status == "error" else [tool],
        final_output="" if status == "error" else output,
        errors=[error] if error else [],
        usage=TokenUsage(input=100, output=20)
        if status == "error"
        else TokenUsage(input=240, output=50, cached=40),
        latency_ms=1750.0,
        iterations=2,
    )
    duration = 2340.0 if agent != "claude-agent" else 3120.0
    return CaseResult(
        case_id=case_id,
        unit_id=case_id.split("/")[0],
        agent=agent,
        provider=provider,
        provider_type=ptype,
        model=model,
        session=session,
        test=test,
        description=f"Checks that {test.lower()} works",
        file=file,
        span=Span(file=file, line=line, col=7),
        status=status,  # type: ignore[arg-type]
        error=error if status == "error" else None,
        prompt=prompt,
        started_at=_iso(start_ms),
        ended_at=_iso(start_ms + duration),
        duration_ms=duration,
        transcript=transcript,
        assertions=[] if status == "error" else assertions,
        cost_usd=0.00042,
    )


_UnitSpec = tuple[str, str, str, str, list[tuple[str, str]]]
"""(unit id, agent, file, session, [(case id, test)])."""


def _plan(name: str, units: list[_UnitSpec], success_rate: float | None = None) -> Plan:
    agents = sorted({u[1] for u in units})
    files = sorted({u[2] for u in units})
    plan = Plan(
        bench_version="0.1.0",
        name=name,
        seed=42,
        compiled_now="2026-11-02T12:00:00Z",
        sources=tuple(SourceFile(path=f, sha256="0" * 64) for f in files),
        providers=tuple(
            ScriptedProvider(name=PROVIDERS.get(a, ("local",))[0], model="scripted") for a in agents
        ),
        agents=tuple(
            BuiltinAgent(name=a, provider=PROVIDERS.get(a, ("local",))[0]) for a in agents
        ),
        units=tuple(
            Unit(
                id=uid,
                agent=agent,
                session=session,
                file=file,
                cases=tuple(
                    Case(id=cid, test=test, prompt="p", span=Span(file=file, line=10, col=7))
                    for cid, test in cases
                ),
                span=Span(file=file, line=5, col=3),
            )
            for uid, agent, file, session, cases in units
        ),
        criteria=Criteria(success_rate=success_rate),
    )
    return plan.sealed()


def _build(
    name: str,
    agents: list[str],
    layout: dict[str, dict[str, list[str]]],
    *,
    fail: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    errors: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    success_rate: float | None = None,
) -> Sample:
    """``layout``: file -> session -> tests; ``fail``/``errors``: (agent, test) pairs."""
    units: list[_UnitSpec] = []
    results: list[CaseResult] = []
    clock = 0.0
    n = 0
    for agent in agents:
        for file, sessions in layout.items():
            for session, tests in sessions.items():
                uid = f"u{n:04d}"
                n += 1
                cases = []
                for i, test in enumerate(tests):
                    cid = f"{uid}/{i}"
                    cases.append((cid, test))
                    status = (
                        "error"
                        if (agent, test) in errors
                        else "failed"
                        if (agent, test) in fail
                        else "passed"
                    )
                    results.append(
                        make_case(
                            case_id=cid,
                            agent=agent,
                            file=file,
                            session=session,
                            test=test,
                            status=status,
                            start_ms=clock,
                            error="provider error: 503 Service Unavailable after 3 retries"
                            if status == "error"
                            else None,
                            line=10 + 6 * i,
                        )
                    )
                    clock += 2500
                units.append((uid, agent, file, session, cases))
    plan = _plan(name, units, success_rate)
    passed = sum(r.status == "passed" for r in results)
    meta = RunMetadata(
        run_id=f"20261102-120000-{name}",
        plan_hash=plan.hash,
        plan_name=name,
        bench_version="0.1.0",
        status="completed",
        started_at=_iso(0),
        ended_at=_iso(clock),
        case_count=len(results),
        totals=RunTotals(
            total=len(results),
            passed=passed,
            failed=sum(r.status == "failed" for r in results),
            errors=sum(r.status == "error" for r in results),
        ),
    )
    # A first attempt that errored, superseded by the latest line for the same case.
    stale = [
        results[0].model_copy(
            update={"status": "error", "error": "stale first attempt", "retry": 0}
        )
    ]
    results[0] = results[0].model_copy(update={"retry": 1})
    return Sample(name, plan, meta, results, stale)


ONE = {"tests.yaml": {"default": ["Create file"]}}
MANY = {"tests.yaml": {"default": ["Create file", "Read file", "Delete file"]}}
SESSIONS = {
    "tests.yaml": {"setup": ["Create file", "Read file"], "cleanup": ["Create file", "Delete file"]}
}
FILES = {
    "suite/files.yaml": {"basic": ["Create file", "Read file"], "edge": ["Create file"]},
    "suite/search.yaml": {"default": ["Search docs", "Create file"]},
}


def sample(level: str) -> Sample:
    """The sample run of one level (see LEVELS)."""
    one, two = ["gemini-agent"], ["gemini-agent", "claude-agent"]
    three = [*two, "gpt-agent"]
    if level == "01_single_agent_single_test":
        return _build(level, one, ONE)
    if level == "02_single_agent_multi_test":
        return _build(level, one, MANY, fail={("gemini-agent", "Read file")})
    if level == "03_multi_agent_single_test":
        return _build(level, two, ONE, fail={("claude-agent", "Create file")})
    if level == "04_multi_agent_multi_test":
        return _build(
            level, three, MANY, fail={("claude-agent", "Read file"), ("gpt-agent", "Delete file")}
        )
    if level == "05_single_agent_multi_session":
        return _build(level, one, SESSIONS, fail={("gemini-agent", "Delete file")})
    if level == "06_multi_agent_multi_session":
        return _build(level, two, SESSIONS, fail={("claude-agent", "Create file")})
    if level == "07_single_agent_multi_file":
        return _build(level, one, FILES, success_rate=0.5)
    if level == "08_multi_agent_multi_file":
        return _build(level, three, FILES, fail={("gpt-agent", "Search docs")}, success_rate=0.8)
    if level == "09_failed_with_errors":
        return _build(
            level,
            two,
            MANY,
            fail={("gemini-agent", "Read file")},
            errors={("claude-agent", "Create file"), ("claude-agent", "Delete file")},
        )
    if level == "10_adversarial":
        return adversarial()
    raise KeyError(level)


LEVELS = [
    "01_single_agent_single_test",
    "02_single_agent_multi_test",
    "03_multi_agent_single_test",
    "04_multi_agent_multi_test",
    "05_single_agent_multi_session",
    "06_multi_agent_multi_session",
    "07_single_agent_multi_file",
    "08_multi_agent_multi_file",
    "09_failed_with_errors",
    "10_adversarial",
]

EVIL_OUTPUT = (
    "<script>alert('xss')</script> @everyone please look "
    "[click me](javascript:alert(document.cookie)) | broken | table |\n"
    "| --- | --- |\n<img src=x onerror=alert(1)> ![pixel](https://evil.invalid/p.png) "
    "<!-- bench-report --> ``` fence ``` </details></summary> \x1b[31mred\x1b[0m \x00nul "
    + "A"
    * 100_000
)
"""Every hostile thing an agent may print, followed by 100 KB of text."""


def adversarial() -> Sample:
    """A run whose names, outputs, tool results and assertion messages are hostile."""
    s = _build(
        "10_adversarial",
        ["gemini-agent", "evil|agent @everyone"],
        {"evil<b>.yaml": {"s|1 <i>": ["t|x <script>alert(1)</script>", "Create file"]}},
        fail={("evil|agent @everyone", "t|x <script>alert(1)</script>")},
    )
    evil = []
    for r in s.results:
        t = r.transcript.model_copy(
            update={
                "final_output": EVIL_OUTPUT,
                "errors": ["<script>alert('err')</script> @here"],
                "tool_calls": [
                    tc.model_copy(
                        update={
                            "result": ToolResult(content=[{"type": "text", "text": EVIL_OUTPUT}]),
                            "arguments": {"q": "</script><script>alert(2)</script>"},
                        }
                    )
                    for tc in r.transcript.tool_calls
                ],
                "messages": [
                    m.model_copy(update={"content": EVIL_OUTPUT}) for m in r.transcript.messages
                ],
            }
        )
        assertions = [
            a.model_copy(
                update={
                    "message": "<script>alert(3)</script> @everyone ](javascript:alert(4)) |x|",
                    "actual": EVIL_OUTPUT,
                }
            )
            for a in r.assertions
        ]
        evil.append(
            r.model_copy(
                update={
                    "transcript": t,
                    "assertions": assertions,
                    "prompt": "<script>p</script> @everyone",
                }
            )
        )
    s.results = evil
    return s


def big(n: int = 10_000) -> Sample:
    """A large run: 4 agents x 50 files x 5 sessions x ``n/1000`` tests (about ``n`` cases)."""
    per = max(1, n // 1000)
    layout = {
        f"suite/f{f:02d}.yaml": {
            f"s{s}": [f"test {f}-{s}-{t}" for t in range(per)] for s in range(5)
        }
        for f in range(50)
    }
    agents = ["gemini-agent", "claude-agent", "gpt-agent", "local-agent"]
    fail = {
        (a, f"test {f}-{s}-{t}")
        for a in agents[1:3]
        for f in range(0, 50, 3)
        for s in range(5)
        for t in range(per)
    }
    return _build("big", agents, layout, fail=fail)


VIEWER = {
    f"suite/{f}.yaml": {
        s: [f"{f} {s} {t}" for t in ("alpha", "beta", "gamma")] for s in ("setup", "main")
    }
    for f in ("files", "search")
}


def viewer() -> Sample:
    """A run for the HTML viewer: 2 agents x 2 files x 2 sessions x 3 tests (more than 3
    tests: groups start closed and are built lazily), durations and tokens that differ per
    case, failures and an error, a searchable word in one tool result ("needle") and hostile
    output in a failed case of a closed group."""
    s = _build(
        "viewer",
        ["gpt-agent", "claude-agent"],
        VIEWER,
        fail={
            ("claude-agent", "files setup beta"),
            ("gpt-agent", "search main alpha"),
            ("claude-agent", "search main gamma"),
        },
        errors={("gpt-agent", "files main gamma")},
    )
    out = []
    for i, r in enumerate(s.results):
        update: dict[str, object] = {"duration_ms": 1000.0 + (i * 7919) % 9000}
        if r.test == "search setup beta" and r.agent == "gpt-agent":
            calls = [
                tc.model_copy(
                    update={
                        "result": ToolResult(
                            content=[{"type": "text", "text": "found the NEEDLE here"}]
                        )
                    }
                )
                for tc in r.transcript.tool_calls
            ]
            update["transcript"] = r.transcript.model_copy(update={"tool_calls": calls})
        if r.test == "files setup beta" and r.agent == "claude-agent":
            update["transcript"] = r.transcript.model_copy(
                update={"final_output": EVIL_OUTPUT[:400]}
            )
        out.append(r.model_copy(update=update))
    return Sample(s.name, s.plan, s.meta, out, s.stale)


def repeated(s: Sample, attempts: int, failing: dict[int, set[int]]) -> Sample:
    """``s`` with every case run ``attempts`` times; ``failing[i]``: failed attempts of case i."""
    units = [
        u.model_copy(
            update={"cases": tuple(c.model_copy(update={"repeat": attempts}) for c in u.cases)}
        )
        for u in s.plan.units
    ]
    plan = s.plan.model_copy(update={"units": tuple(units), "hash": ""}).sealed()
    results = []
    for i, r in enumerate(s.results):
        for a in range(attempts):
            status = "failed" if a in failing.get(i, set()) else "passed"
            results.append(r.model_copy(update={"attempt": a, "status": status}))
    meta = s.meta.model_copy(update={"case_count": len(results)})
    return Sample(s.name, plan, meta, results, [])


def write_run(s: Sample, root: Path) -> Path:
    """Write the sample as a run directory (plan.json, metadata.json, results.jsonl)."""
    run = root / s.meta.run_id
    run.mkdir(parents=True, exist_ok=True)
    (run / "plan.json").write_text(s.plan.dumps(), encoding="utf-8")
    (run / "metadata.json").write_text(
        json.dumps(s.meta.model_dump(mode="json"), indent=2), encoding="utf-8"
    )
    with (run / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in [*s.stale, *s.results]:
            fh.write(r.model_dump_json() + "\n")
    return run
