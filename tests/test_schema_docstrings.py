"""Schema descriptions come from attribute docstrings without pydantic parsing source at import.

runtime/plan/docstrings.py reads the docstrings only while a schema is generated; this checks
that the result is exactly what pydantic's ``use_attribute_docstrings`` would give, by turning
that option on for every model in a fresh interpreter and comparing the two schemas.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from compiler.schema import schema_json
from report.schema import schema_text

ROOT = Path(__file__).resolve().parent

_REFERENCE = """
import sys
from pydantic._internal import _config
_config.config_defaults["use_attribute_docstrings"] = True  # every model parses its source
import compiler.schema, report.load, report.schema, runtime.plan.docstrings as d
d.json_schema = lambda model, **kw: model.model_json_schema(**kw)  # pydantic's own reading
compiler.schema.json_schema = d.json_schema
texts = {"suite": compiler.schema.schema_json, "report": report.schema.schema_text,
         "load": report.load.load_schema_text}
print(texts[sys.argv[1]](), end="")
"""


def _reference(which: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", _REFERENCE, which],
        capture_output=True,
        text=True,
        cwd=ROOT.parent,
        check=True,
    )
    return proc.stdout


def test_suite_schema_descriptions_match_pydantic_attribute_docstrings() -> None:
    text = schema_json()
    assert '"description": "Endpoint URL (required for AZURE and OPENAI_COMPATIBLE)."' in text
    assert text == _reference("suite")


def test_report_schema_descriptions_match_pydantic_attribute_docstrings() -> None:
    assert schema_text() == _reference("report")


def test_importing_the_models_parses_none_of_their_source() -> None:
    code = (
        "import inspect\n"
        "ours = []\n"
        "def who(obj):\n"
        "    g = getattr(obj, 'f_globals', None)\n"
        "    return g.get('__name__', '') if g else getattr(obj, '__module__', '') or ''\n"
        "real = inspect.findsource\n"
        "def spy(obj):\n"
        "    if who(obj).split('.')[0] in ('runtime', 'compiler', 'report'):\n"
        "        ours.append(who(obj))\n"
        "    return real(obj)\n"
        "inspect.findsource = spy\n"
        "import runtime, runtime.plan, runtime.results, compiler, report.schema\n"
        "assert not ours, sorted(set(ours))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT.parent)


def test_load_schema_descriptions_match_pydantic_attribute_docstrings() -> None:
    from report.load import load_schema_text

    text = load_schema_text()
    assert '"description": "Counted requests sent (warm-up excluded)."' in text
    assert text == _reference("load")
