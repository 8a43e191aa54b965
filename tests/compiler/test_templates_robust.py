"""Arbitrary text never crashes the engine; values do not depend on the process."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compiler.templating.engine import TemplateEngine, TemplateProblem

PIECES = [
    *("{{", "}}", "{{{", "}}}", "{%", "%}", "{#", "#}", "${", "$${", "}", "{", "'", '"', "\\", " "),
    *("x", "a.b", "=", "(", ")", "randomValue", "now", "faker", "cut", "replace", "substring"),
    *("#if", "/if", "else", "#each", "/each", "@index", "this", "-", "~", "!", "--", "|", "upper"),
    *("raw", "endraw", "if", "for", "in", "endfor", "endif", "set", "1", "-5", "'Internet.email'"),
    *(
        "length=",
        "type=",
        "start=",
        "\n",
        "\r",
        "é",
        "API_TOKEN",
        "HOME",
        "user_id",
        "**",
        "*",
        "9",
    ),
    *("[", "]", ",", ".", "__class__", "&", "^", ">"),
]


@pytest.mark.requirement("template:sandbox")
def test_arbitrary_text_gives_a_value_or_a_problem_never_a_crash() -> None:
    engine = TemplateEngine(
        seed=1, now=datetime(2024, 1, 1, tzinfo=UTC), env={"HOME": "/h", "API_TOKEN": "s"}
    )
    picker = random.Random(0)
    for _ in range(4000):
        text = "".join(picker.choice(PIECES) for _ in range(picker.randint(1, 12)))
        for call in (
            lambda t: engine.render(t, {"x": "1", "a": "z"}, runtime_vars={"user_id"}),
            lambda t: engine.render_credential(t, {"x": "1"}),
            lambda t: engine.referenced_names(t),
            lambda t: engine.resolve_variables({"v": t, "w": "{{v}}"}, {"x": "1"}),
        ):
            try:
                call(text)
            except TemplateProblem:
                pass


SCRIPT = """
from datetime import UTC, datetime
from compiler.templating.fakerkeys import FAKER_KEYS
from compiler.templating.engine import TemplateEngine
engine = TemplateEngine(seed=7, now=datetime(2024, 1, 1, tzinfo=UTC), env={})
out = [str(engine.render("{{faker '" + key + "'}}", {})) for key in sorted(FAKER_KEYS)]
out += [str(engine.render("{{randomValue}} {{randomValue type='UUID'}} {{randomInt}} {{randomDecimal}}", {}))]
out += [str(engine.render("{{ [1, 2, 3]|random }}", {}))]
raw = {f"v{i}": "{{randomValue length=3}}" + "".join("{{v%d}}" % j for j in range(i)) for i in range(6)}
out += list(engine.resolve_variables(raw, {})[0].values()) + [engine.make_run_id()]
print("\\n".join(out))
"""


@pytest.mark.slow
@pytest.mark.requirement("template:determinism")
def test_values_do_not_depend_on_string_hashing() -> None:
    root = Path(__file__).resolve().parents[2]

    def run(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    first = run("1")
    assert first == run("2") and first.count("\n") > 40
