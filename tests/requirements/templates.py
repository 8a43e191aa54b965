"""Template behaviours the agent-benchmark docs ("Template System") and issue 2 specify."""

from __future__ import annotations

_DOCS = "agent-benchmark docs, Template System"
_SEM = "agent-benchmark semantics §4"

REQUIREMENTS = {
    "template:randomValue": f"{_DOCS}: randomValue types ALPHANUMERIC, ALPHABETIC, NUMERIC, HEXADECIMAL, ALPHANUMERIC_AND_SYMBOLS, UUID; length (default 10), uppercase",
    "template:randomInt": f"{_DOCS}: randomInt lower/upper inclusive, default 0..100, negative ranges; reversed bounds swapped ({_SEM})",
    "template:randomDecimal": f"{_DOCS}: randomDecimal lower/upper, default 0..100, two decimals",
    "template:now": f"{_DOCS}: now defaults to RFC 3339 (2024-01-15T14:30:00Z) on the frozen compile clock",
    "template:now-format": f"{_DOCS}: now format 'epoch' (Unix ms), 'unix' (Unix s), Java SimpleDateFormat patterns",
    "template:now-offset": f"{_DOCS}: now offset 'N unit' with second/minute/hour/day/week/month/year, plural optional, negative allowed",
    "template:now-timezone": f"{_DOCS}: now timezone takes an IANA name",
    "template:faker": f"{_DOCS}: faker with every documented Category.key, mapped onto the Faker library",
    "template:cut": f"{_DOCS}: cut removes every occurrence of a substring",
    "template:replace": f"{_DOCS}: replace replaces every occurrence; empty old leaves the text unchanged ({_SEM})",
    "template:substring": f"{_DOCS}: substring start (default 0) / end (default length), clamped",
    "template:helper-args": "issue 2: helper arguments may be literals or variable names",
    "template:triple-stash": f"{_SEM}: {{{{{{raw}}}}}} renders the value unescaped",
    "template:no-html-escape": "issue 2: prompts are not HTML; {{x}} is not HTML-escaped (agent-benchmark escapes it)",
    "template:env-ref": f"{_DOCS} Environment Variables: {{{{VAR}}}} reads the environment",
    "template:dollar-env": "issue 2: ${VAR} reads the environment too (agent-benchmark leaves it literal though its README uses it)",
    "template:static-context": f"{_SEM}: TEST_DIR, TEMP_DIR and RUN_ID are defined",
    "template:precedence": f"{_SEM}: env < TEST_DIR/TEMP_DIR/RUN_ID < variables < AGENT_NAME...; helpers win over same-named variables",
    "template:dotted-path": f"{_SEM}: dotted names are path lookups",
    "template:hyphen-path": f"{_SEM} (raymond's ID grammar): a name may contain '-'; {{{{my-var}}}}, {{{{user.first-name}}}} and helper arguments like {{{{cut my-var '.txt'}}}} look it up",
    "template:jinja": "issue 2: native Jinja expressions and filters compile alongside Handlebars helpers",
    "template:variables": "issue 2: variables may use helpers and other variables, resolved in dependency order",
    "template:variables-cycle": "issue 2: a cycle among variables is an error naming the cycle",
    "template:undefined": "issue 2 / DESIGN: an undefined name is an error with a did-you-mean",
    "template:unknown-helper": "issue 2: a misspelled helper, helper argument or faker key is an error with a did-you-mean",
    "template:sandbox": "issue 2: sandbox escapes ({{ ''.__class__.__mro__ }} and friends) are refused with a diagnostic",
    "template:determinism": "issue 2: every random value comes from the seed; same seed same values, another seed other values",
    "template:secret-refused": "issue 2: a secret-looking env var in an ordinary field ({{GITHUB_TOKEN}} in a prompt) is refused",
    "template:secret-ref": "issue 2 / DESIGN: env references in credential fields stay references (SecretRef), never values",
    "template:budget": "issue 10 item 2: a template that would exhaust memory or time (widths, repetitions, huge numbers, loops, recursion, nesting) is a located template-budget diagnostic; the same limits hold at run time",
    "template:all-errors": "issue 10 item 15: every template error of a field is reported, each located; an undefined name gets a did-you-mean from the names defined there",
    "template:runtime": "DESIGN: values that exist only at run time (extractor outputs) stay templates that render the same text",
}
