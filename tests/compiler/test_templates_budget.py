"""Templates cannot exhaust time or memory (issue 10 item 2).

Each class of runaway template (huge widths, repetitions, numbers, concatenations, loops,
recursion, nesting) ends in a located ``template-budget`` diagnostic at compile time, and in a
template error at run time. The classes run in a subprocess with a memory limit and a timeout,
so a template that still escaped would fail the test instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import SuiteInvalid, compile_suite
from runtime.templating import TemplateLimits, TemplateRenderError, render
from tests.compiler.conftest import BASE, NOW, compile_errors, compile_ok

# One template per class of input; hidden variants of each class are expected to hold too.
CLASSES = {
    "center": "{{ 'x'|center(10**9) }}",
    "percent-filter": "{{ '%1000000000s'|format('x') }}",
    "percent-op": "{{ '%-1000000000s' % 'x' }}",
    "percent-star": "{{ '%*s' % (10**9, 'x') }}",
    "str-format": "{{ '{:>1000000000}'.format('x') }}",
    "str-format-nested": "{{ '{:>{}}'.format('x', 10**9) }}",
    "indent": "{{ 'a\\nb'|indent(10**9) }}",
    "wordwrap": "{{ ('x ' * 400000)|wordwrap(1, wrapstring='y' * 1000) }}",
    "ljust": "{{ 'x'.ljust(10**9) }}",
    "rjust": "{{ 'x'.rjust(10**9) }}",
    "zfill": "{{ '1'.zfill(10**9) }}",
    "str-repeat": "{{ 'x' * 10**9 }}",
    "list-repeat": "{{ ([1] * 10**9)|length }}",
    "list-of-big-printed": "{{ ['x' * 1000000] * 1000 }}",
    "join-big": "{{ (['x' * 1000000] * 1000)|join }}",
    "replace-big": "{{ ('x' * 1000).replace('x', 'y' * 100000) }}",
    "map-join": "{{ range(100000)|map('center', 999999)|join }}",
    "map-list": "{{ (range(100000)|map('center', 999999)|list)|length }}",
    "select-sort": "{{ (range(100000)|map('center', 999999)|select|sort)|length }}",
    "cycle": "{% set s = 'x' * 1000000 %}{% for i in range(5000) %}{{ loop.cycle(s, s) }}{% endfor %}",
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "power-of-power": "{{ (9 ** 9999) ** 9999 }}",
    "power": "{{ 2 ** 10000000000 }}",
    "squaring": "{% set n = namespace(v=9 ** 9999) %}{% for i in range(40) %}{% set n.v = n.v * n.v %}{% endfor %}{{ n.v > 0 }}",
    "tilde-doubling": "{% set n = namespace(s='x') %}{% for i in range(40) %}{% set n.s = n.s ~ n.s %}{% endfor %}{{ n.s|length }}",
    "plus-doubling": "{% set n = namespace(s='x') %}{% for i in range(40) %}{% set n.s = n.s + n.s %}{% endfor %}{{ n.s|length }}",
    "set-block-doubling": "{% set s = 'x' * 100000 %}{% set t %}{% for i in range(100) %}{{ s }}{% endfor %}{% endset %}{{ t|length }}",
    "range": "{{ range(10**10)|list }}",
    "parentheses": "{{ " + "(" * 100 + "1" + ")" * 100 + " }}",
    "brackets": "{{ " + "[" * 150 + "1" + "]" * 150 + " }}",
    "nested-for": "{% for i in [1] %}" * 25 + "x" + "{% endfor %}" * 25,
    "nested-if": "{% if 1 %}" * 200 + "x" + "{% endif %}" * 200,
    "macro-recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "loop-recursion": "{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}",
}

WORKER = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))
from compiler import SuiteInvalid, compile_suite
from runtime.templating import TemplateRenderError, render

mode, arg = sys.argv[1], sys.argv[2]
if mode == "compile":
    try:
        compile_suite(arg, seed=1, now="2026-01-01T00:00:00Z", env={})
        print(json.dumps([]))
    except SuiteInvalid as exc:
        print(json.dumps([[d.code, d.line, d.message] for d in exc.errors]))
else:
    out = {}
    for name, source in json.loads(arg).items():
        try:
            out[name] = "rendered " + str(len(render(source, {})))
        except TemplateRenderError as exc:
            out[name] = str(exc)
    print(json.dumps(out))
"""


def _worker(*args: str) -> Any:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,  # generous: it must end, not be fast
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _suite() -> tuple[str, dict[str, int]]:
    """A suite with one test per class (its prompt on a known line) and a doubling chain."""
    lines = BASE.splitlines()
    lines.append("variables:")
    lines.append('  v0: "xxxxxxxxxx"')
    for i in range(1, 41):  # 28 levels hold 1.3 GB; 40 would never end
        lines.append(f'  v{i}: "{{{{v{i - 1}}}}}{{{{v{i - 1}}}}}"')
    where = {"chain": len(lines)}
    lines += ["sessions:", "  - name: s", "    tests:"]
    for name, template in CLASSES.items():
        lines.append(f"      - name: {name}")
        lines.append(f"        prompt: {json.dumps(template)}")
        where[name] = len(lines)
    lines.append("      - name: chain")
    lines.append('        prompt: "{{v40}}"')
    return "\n".join(lines) + "\n", where


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], dict[str, int]]:
    text, where = _suite()
    path = tmp_path_factory.mktemp("budget") / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return _worker("compile", str(path)), where


@pytest.mark.slow
@pytest.mark.requirement("template:budget")
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_runaway_template_is_a_located_budget_diagnostic(
    compiled: tuple[list[Any], dict[str, int]], name: str
) -> None:
    diagnostics, where = compiled
    at_line = [(code, message) for code, line, message in diagnostics if line == where[name]]
    assert at_line, f"no diagnostic at line {where[name]}: {diagnostics}"
    assert [code for code, _ in at_line] == ["template-budget"], at_line


@pytest.mark.slow
@pytest.mark.requirement("template:budget")
def test_a_chain_of_doubling_variables_stops_at_one_value(
    compiled: tuple[list[Any], dict[str, int]],
) -> None:
    diagnostics, where = compiled
    chain = [(line, message) for code, line, message in diagnostics if code == "template-budget"]
    variable_lines = [line for line, _ in chain if line <= where["chain"]]
    # v17 is the first longer than a value may be; the variables built on it stay quiet.
    assert variable_lines == [where["chain"] - 40 + 17], chain
    assert all(line != where["chain"] + 1 for line, _ in chain)


@pytest.mark.slow
@pytest.mark.requirement("template:budget")
def test_the_same_limits_hold_at_run_time() -> None:
    outcomes = _worker("render", json.dumps(CLASSES))
    for name, outcome in outcomes.items():
        assert outcome.startswith("template refused at run time"), (name, outcome)


# -- in process: the limits are settable, and legitimate templates are untouched ---------------


def _prompt_suite(write: Callable[..., Path], *prompts: str) -> Path:
    tests = "".join(
        f"      - name: t{i}\n        prompt: {json.dumps(p)}\n" for i, p in enumerate(prompts)
    )
    return write(BASE + "sessions:\n  - name: s\n    tests:\n" + tests)


@pytest.mark.requirement("template:budget")
def test_limits_are_settable_and_name_the_limit(write: Callable[..., Path]) -> None:
    path = _prompt_suite(write, "{% for i in range(50) %}{{ i }}{% endfor %}")
    compile_ok(path)
    errors = compile_errors(path, limits=TemplateLimits(operations=20))
    assert [e.code for e in errors] == ["template-budget"]
    assert "more than 20 operations" in errors[0].message
    assert (errors[0].line, errors[0].col) == (13, 18)  # inside the quotes


@pytest.mark.requirement("template:budget")
def test_a_slow_template_is_stopped_by_its_time_limit(write: Callable[..., Path]) -> None:
    slow = (
        "{% set s = 'ab' * 200000 %}{% for i in range(100000) %}{{ s.upper()|length }}{% endfor %}"
    )
    errors = compile_errors(_prompt_suite(write, slow), limits=TemplateLimits(seconds=0.05))
    assert [e.code for e in errors] == ["template-budget"]
    assert "longer than 0.05 s" in errors[0].message


@pytest.mark.requirement("template:budget")
def test_the_whole_compile_has_one_budget(write: Callable[..., Path]) -> None:
    # Each value fits; together they exceed the compile's total.
    path = _prompt_suite(write, *["{{ 'x' * 600 }}"] * 5)
    compile_ok(path, limits=TemplateLimits(value_chars=1000, total_chars=4000))
    limits = TemplateLimits(value_chars=1000, total_chars=2000)
    errors = compile_errors(path, limits=limits)
    assert [e.code for e in errors] == ["template-budget"] * 2
    assert "2,000 characters in all" in errors[0].message


@pytest.mark.requirement("template:budget")
def test_ordinary_templates_still_render(write: Callable[..., Path]) -> None:
    prompts = [
        "{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{{ loop.length }}{% endfor %}",
        "{{ 'a' ~ 1 ~ [2] }} {{ 2 ** 10 }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ '%05d' % 42 }}",
        "{{ '{:>6}'.format('x') }}|{{ 'x'|center(5) }}|{{ 'a b c'|wordwrap(3) }}",
        "{% macro m(n) %}{% if n %}{{ n }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(5) }}",
        "{% for x in [3, 1, 2]|sort %}{{ x }}{% else %}none{% endfor %}{{ range(3)|join(',') }}",
        "{% set t %}{{ 'x' * 10 }}{% endset %}{{ t|length }} {{ 'a-b'.replace('-', '+') }}",
    ]
    plan = compile_ok(_prompt_suite(write, *prompts))
    texts = [case.prompt for unit in plan.units for case in unit.cases]
    assert texts == [
        "a3b3a3",
        "a1[2] 1024 ababab [1, 2] 00042",
        "     x|  x  |a b\nc",
        "54321",
        "1230,1,2",
        "10 a+b",
    ]


def test_a_budget_error_is_never_a_traceback(write: Callable[..., Path]) -> None:
    path = write(
        textwrap.dedent(BASE)
        + "variables:\n  big: \"{{ 'x' * 10**9 }}\"\n"
        + "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: '{{big}}'}\n"
    )
    with pytest.raises(SuiteInvalid) as info:
        compile_suite(path, seed=1, now=NOW, env={})
    assert [d.code for d in info.value.errors] == ["template-budget"]


@pytest.mark.requirement("template:budget")
def test_run_time_renders_in_threads_are_counted_apart() -> None:
    # Extractors and assertions render in worker threads. Two renders of 600,000 operations
    # each fit one template's budget; paused half-way until both are there, they must not be
    # counted together.
    barrier = threading.Barrier(2, timeout=60)

    def wait() -> str:
        barrier.wait()
        return ""

    source = (
        "{% for i in range(1000) %}{% if i == 500 %}{{ wait() }}{% endif %}"
        "{% for j in range(600) %}{% endfor %}{% endfor %}ok"
    )
    outcomes: list[str] = []

    def run() -> None:
        try:
            outcomes.append(render(source, {"wait": wait}))
        except TemplateRenderError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["ok", "ok"]
