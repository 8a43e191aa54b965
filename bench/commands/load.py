"""``bench load``: sweep a provider's streaming endpoint and write a load result (docs/load-cli.md).

The composition: compile the suite (its prompts, its providers, its ``load:`` section), merge
the flags over that section, run runtime/load's sweep, write the JSON document and print the
table. The runtime never reads the suite.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = "load"
HELP = "load a provider's streaming endpoint: TTFT, ITL, tok/s, goodput and the knee per level"
ORDER = 25

_SLO_KEYS = ("ttft", "tpot", "e2e")


def register(subparsers: Any) -> None:
    """Add ``bench load`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Send the suite's prompts (or a dataset, or generated prompts) to one provider, "
            "streaming, at each level of a sweep, and measure TTFT, inter-token latency, TPOT, "
            "end-to-end latency, tok/s, goodput under SLOs and the knee. Flags override the "
            "suite's load: section. Exit codes: 0 done, 1 knee under --fail-under-knee, "
            "2 invalid input."
        ),
    )
    p.add_argument("suite", metavar="SUITE", help="a suite .yaml (its providers and prompts)")
    p.add_argument("--provider", default=None, help="the provider to load (default: the only one)")
    levels = p.add_mutually_exclusive_group()
    levels.add_argument("--concurrency", type=_int_list, default=None, metavar="1,2,4,8",
                        help="closed loop: requests in flight at each level")  # fmt: skip
    levels.add_argument("--rate", type=_float_list, default=None, metavar="1,2,4",
                        help="open loop: requests per second at each level")  # fmt: skip
    p.add_argument("--burstiness", type=_positive_float, default=None, metavar="B",
                   help="gamma shape of arrival gaps (open loop): 1 Poisson (default), <1 burstier")  # fmt: skip
    p.add_argument("--seed", type=int, default=None, help="seed of arrivals and generated prompts")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--requests", type=_positive_int, default=None, metavar="N",
                      help="counted requests per level (default 20)")  # fmt: skip
    size.add_argument("--duration", type=_duration_s, default=None, metavar="S",
                      help="or send for this long per level, e.g. 30s")  # fmt: skip
    p.add_argument("--warmup", type=_non_negative_int, default=None, metavar="N",
                   help="uncounted requests before each level (default 1)")  # fmt: skip
    p.add_argument("--max-tokens", type=_positive_int, default=None, metavar="N",
                   help="output cap of each request")  # fmt: skip
    p.add_argument("--slo", type=_slo, default=None, metavar="ttft=500ms,tpot=50ms,e2e=10s",
                   help="objectives a request must meet to count in goodput")  # fmt: skip
    p.add_argument("--slo-fraction", type=_fraction, default=None, metavar="F",
                   help="the knee: highest level where this fraction met the SLO (default 0.9)")  # fmt: skip
    p.add_argument("--timeout", type=_duration_s, default=None, metavar="S",
                   help="a request's deadline, counted as a timeout error (default: the "
                   "provider's timeout:, 5m unless set)")  # fmt: skip
    p.add_argument("--no-early-stop", action="store_true",
                   help="run every level even when the server is over-saturated")  # fmt: skip
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", type=Path, default=None, metavar="FILE.jsonl",
                     help="prompts from a JSON Lines file (field --dataset-field)")  # fmt: skip
    src.add_argument("--generate-prompts", type=_positive_int, default=None, metavar="N",
                     help="N synthetic prompts of about --input-tokens tokens")  # fmt: skip
    p.add_argument("--dataset-field", default="prompt", metavar="NAME",
                   help="the prompt's field in each dataset line (default prompt)")  # fmt: skip
    p.add_argument("--input-tokens", type=_positive_int, default=256, metavar="T",
                   help="length of generated prompts in tokens (default 256)")  # fmt: skip
    p.add_argument("--tag", action="append", default=[], metavar="TAG",
                   help="a tag for the model card (repeatable)")  # fmt: skip
    p.add_argument("--card", action="append", default=[], type=_card, metavar="KEY=VALUE",
                   help="a model card field, e.g. quantization=q4_k_m (repeatable)")  # fmt: skip
    p.add_argument("--fail-under-knee", type=float, default=None, metavar="X",
                   help="exit 1 when the knee is below X (or no level met the SLO)")  # fmt: skip
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE.json",
                   help="where to write the result (default runs/load/<time>-<provider>.json)")  # fmt: skip
    p.add_argument("--output-dir", type=Path, default=None,
                   help="the run store the default output goes under (default: .)")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress")
    p.set_defaults(handler=run)


# -- argparse types ------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = _positive_int(text) if text.strip() != "0" else 0
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def _int_list(text: str) -> list[int]:
    return [_positive_int(part) for part in _parts(text)]


def _float_list(text: str) -> list[float]:
    return [_positive_float(part) for part in _parts(text)]


def _parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if not parts or any(not p for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list like 1,2,4, got {text!r}"
        )
    return parts


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"a fraction between 0 and 1, got {text!r}")
    return value


def duration_seconds(text: str) -> float:
    """A duration with a unit (``500ms``, ``2s``, ``1m30s``) in seconds; ValueError otherwise."""
    from compiler.suite.scalars import DURATION_RE, duration_ms

    cleaned = text.strip()
    if not DURATION_RE.match(cleaned):
        raise ValueError(f"{text!r} is not a duration; write e.g. 500ms, 2s, 1m30s")
    return duration_ms(cleaned) / 1000.0


def _duration_s(text: str) -> float:
    try:
        value = duration_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be longer than 0, got {text!r}")
    return value


def _slo(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in _parts(text):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in _SLO_KEYS:
            raise argparse.ArgumentTypeError(
                f"{part!r}: expected KEY=DURATION with KEY one of {', '.join(_SLO_KEYS)}, "
                "e.g. ttft=500ms,tpot=50ms,e2e=10s"
            )
        out[key] = _duration_s(value) * 1000.0
    return out


def _card(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.\-]+", key):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, e.g. gpu=L4, got {text!r}")
    return key, value


# -- the command -----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench load``."""
    import anyio

    from bench.load_console import LoadConsole
    from compiler import compile_with_warnings
    from runtime.errors import InputError
    from runtime.load.judge import suite_judge
    from runtime.load.metrics import level_watcher
    from runtime.load.sweep import Sweep
    from runtime.load.wire import wire_for

    suite = Path(args.suite)
    if suite.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"{suite}: bench load takes a suite (.yaml, .yml)")
    comp = compile_with_warnings(suite, seed=args.seed)
    section = comp.load
    spec = _provider(comp.plan, args.provider or (section.provider if section else None))
    config = load_config(args, section, spec.retry.timeout_ms / 1000.0)
    prompts, origin, cases = _prompts(args, comp.plan, config.seed)
    wire = wire_for(spec)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    view = LoadConsole(config, quiet=args.quiet)
    judge = suite_judge(cases) if cases else None
    api = _api_base(wire)
    watch = level_watcher(api, wire.headers) if api else None
    sweep = Sweep(wire, prompts, config, judge=judge, watch=watch, report=view.hooks())
    card = anyio.run(_read_card, wire, api, args) if api else None
    with view:
        anyio.run(sweep.run)
    result = build_result(args, spec, wire, config, sweep, origin, started, card)
    out = args.output or _default_output(args.output_dir, spec.name, started)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    view.summary(result, out)
    if args.fail_under_knee is not None and (
        result.knee is None or result.knee < args.fail_under_knee
    ):
        return 1
    return 0


def _api_base(wire: Any) -> str | None:
    """The OpenAI-compatible API base of ``wire`` (``.../v1``): where /models, /metrics and
    the server's self-descriptions are asked; None for the other families."""
    suffix = "/chat/completions"
    if wire.family != "openai" or not wire.url.endswith(suffix):
        return None
    return str(wire.url[: -len(suffix)])


async def _read_card(wire: Any, api: str, args: argparse.Namespace) -> Any:
    import httpx

    from runtime.load.card import read_card

    async with httpx.AsyncClient(headers=dict(wire.headers)) as client:
        return await read_card(client, api, wire.model, list(args.tag), dict(args.card))


def _provider(plan: Any, name: str | None) -> Any:
    from runtime.errors import InputError

    providers = {p.name: p for p in plan.providers}
    if name is not None:
        if name not in providers:
            known = ", ".join(sorted(providers)) or "none"
            raise InputError(
                f"--provider {name!r}: no such provider in the suite (defined: {known})"
            )
        return providers[name]
    if len(providers) != 1:
        raise InputError(
            f"the suite defines {len(providers)} providers ({', '.join(sorted(providers))}); "
            "choose one with --provider NAME"
        )
    return next(iter(providers.values()))


def load_config(args: argparse.Namespace, section: Any, provider_timeout_s: float) -> Any:
    """The sweep's configuration: the flags over the suite's ``load:`` section over defaults."""
    from runtime.load.result import SloSpec
    from runtime.load.sweep import LoadConfig

    sec: dict[str, Any] = section.model_dump(exclude_none=True) if section is not None else {}
    if args.concurrency is not None or args.rate is not None:
        sec.pop("concurrency", None)
        sec.pop("rate", None)
    if args.rate is not None or "rate" in sec:
        mode, levels = "rate", tuple(float(v) for v in (args.rate or sec["rate"]))
    else:
        mode, levels = (
            "concurrency",
            tuple(float(v) for v in (args.concurrency or sec.get("concurrency") or [1])),
        )
    requests = args.requests
    duration = args.duration
    if requests is None and duration is None:
        requests = sec.get("requests")
        duration = duration_seconds(sec["duration"]) if "duration" in sec else None
        if requests is None and duration is None:
            requests = 20
    slo_sec = sec.get("slo") or {}
    bounds = {k: duration_seconds(v) * 1000.0 for k, v in slo_sec.items() if k in _SLO_KEYS}
    if args.slo is not None:
        bounds = dict(args.slo)
    fraction = args.slo_fraction or slo_sec.get("fraction") or 0.9
    slo = None
    if bounds:
        slo = SloSpec(
            ttft_ms=bounds.get("ttft"), tpot_ms=bounds.get("tpot"), e2e_ms=bounds.get("e2e"),
            target_fraction=fraction,
        )  # fmt: skip
    config = LoadConfig(
        mode=mode,  # type: ignore[arg-type]
        levels=levels,
        requests=requests,
        duration_s=duration,
        warmup=args.warmup if args.warmup is not None else sec.get("warmup", 1),
        max_tokens=args.max_tokens or sec.get("max_tokens"),
        burstiness=args.burstiness or sec.get("burstiness") or 1.0,
        seed=args.seed if args.seed is not None else sec.get("seed", 0),
        slo=slo,
        timeout_s=args.timeout or provider_timeout_s or None,
        stop_early=not args.no_early_stop,
    )
    return config


def _prompts(
    args: argparse.Namespace, plan: Any, seed: int
) -> tuple[list[str], dict[str, Any], list[Any]]:
    """The prompts, where they came from, and (suite prompts) the case of each."""
    from runtime.errors import InputError
    from runtime.load.workload import generated_prompts, read_dataset

    if args.dataset is not None:
        prompts = read_dataset(args.dataset, args.dataset_field)
        return prompts, {"source": "dataset", "path": str(args.dataset), "count": len(prompts)}, []
    if args.generate_prompts is not None:
        prompts = generated_prompts(args.generate_prompts, args.input_tokens, seed)
        origin = {"source": "generated", "count": len(prompts), "input_tokens": args.input_tokens}
        return prompts, origin, []
    seen: dict[str, Any] = {}  # prompt -> its first case (whose assertions judge the answer)
    for unit in plan.units:
        for case in unit.cases:
            if isinstance(case.prompt, str) and case.prompt:
                seen.setdefault(case.prompt, case)
    if not seen:
        raise InputError(
            "the suite has no prompt that is known before a run (every prompt uses a run-time "
            "variable); give --dataset FILE.jsonl or --generate-prompts N"
        )
    return list(seen), {"source": "suite", "count": len(seen)}, list(seen.values())


def build_result(
    args: argparse.Namespace,
    spec: Any,
    wire: Any,
    config: Any,
    sweep: Any,
    origin: dict[str, Any],
    started: str,
    card: Any = None,
) -> Any:
    """The load result document of a finished sweep."""
    from bench import __version__
    from runtime.load.card import public_url
    from runtime.load.result import LoadResult, ModelCard
    from runtime.load.stats import knee

    tally = sweep.tally
    answers = tally.with_usage + tally.estimated
    if tally.estimated:
        counting = "estimate"
        note = (
            f"{tally.estimated} of {answers} answers came without usage from the server: their "
            "output tokens are counted as one per streamed content delta"
        )
    else:
        counting = "usage"
        note = f"output tokens from the server's usage ({answers} answers)"
    return LoadResult(
        bench_version=__version__,
        started_at=started,
        provider=spec.name,
        provider_type=spec.type,
        endpoint=public_url(wire.url),
        mode=config.mode,
        burstiness=config.burstiness if config.mode == "rate" else None,
        prompts=origin,
        token_counting=counting,
        token_counting_note=note,
        slo=config.slo,
        levels=sweep.levels,
        knee=knee(sweep.levels, config.slo),
        stopped_early=sweep.stopped_early,
        model_card=card
        or ModelCard(model_id=spec.model, tags=list(args.tag), fields=dict(args.card)),
    )


def _default_output(output_dir: Path | None, provider: str, started: str) -> Path:
    from runtime.store import RUNS_DIR

    stamp = started.replace("-", "").replace(":", "")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", provider)
    return (output_dir or Path.cwd()) / RUNS_DIR / "load" / f"{stamp}-{safe}.json"
