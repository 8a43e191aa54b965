"""Amazon Bedrock (AMAZON-ANTHROPIC) specifics, through ``AsyncAnthropicBedrock`` on aiohttp.

The cases every provider shares (text and usage, tool calls, streaming with TTFT, 429 with
Retry-After, 500, a stall, malformed JSON, errors inside a stream) run for Bedrock in
tests/runtime/test_providers_contract.py (kits ``bedrock`` and ``bedrock-stream``). Here:
SigV4 itself (a wrong secret or an unknown key is a clear 403, never retried), model ids
with ':' and ARNs in the path, the request body Bedrock gets, Bedrock's error types in and
out of a stream, and what a missing install or region says.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime.errors import ProviderError
from runtime.plan import BedrockAnthropicProvider, ProviderSpec, RetryPolicy
from runtime.providers.registry import create_provider
from tests.fakes import FakeLLM, Fault, Reply, ToolCallSpec, Usage, serve_in_thread
from tests.fakes.bedrock_server import CORRUPT_FRAME, BedrockAuth, bedrock_app

from .provider_kits import (
    BEDROCK_MODEL,
    BEDROCK_REGION,
    KEY_VAR,
    SECRET_VAR,
    TOOL,
    bedrock_spec,
    call_recording_sleeps,
    chat_request,
)

pytestmark = pytest.mark.anyio

KEY = "AKIDBENCHTEST0000001"
SECRET = "bench-secret-SENTINEL-5555"
ENV = {KEY_VAR: KEY, SECRET_VAR: SECRET}
ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"


@pytest.fixture(scope="module")
def bedrock_() -> Iterator[tuple[FakeLLM, BedrockAuth, str]]:
    fake = FakeLLM()
    auth = BedrockAuth({KEY: SECRET}, region=BEDROCK_REGION)
    with serve_in_thread(bedrock_app(fake, auth)) as url:
        yield fake, auth, url


@pytest.fixture
def bedrock(
    bedrock_: tuple[FakeLLM, BedrockAuth, str],
) -> tuple[FakeLLM, BedrockAuth, str]:
    fake, auth, url = bedrock_
    fake.reset()
    auth.reset()
    return fake, auth, url


async def _fails(spec: ProviderSpec, env: dict[str, str]) -> ProviderError:
    """The error one call through the retry loop ends with (max 3 retries, none slept)."""
    with pytest.raises(ProviderError) as info:
        await call_recording_sleeps(spec, chat_request(), env)
    return info.value


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(
    ("env", "error_type"),
    [
        ({KEY_VAR: KEY, SECRET_VAR: "not-the-secret"}, "InvalidSignatureException"),
        ({KEY_VAR: "AKIDUNKNOWN000000000", SECRET_VAR: SECRET}, "UnrecognizedClientException"),
    ],
    ids=["wrong-secret", "unknown-key"],
)
async def test_bad_credentials_are_a_clear_403_and_not_retried(
    bedrock: tuple[FakeLLM, BedrockAuth, str], env: dict[str, str], error_type: str, stream: bool
) -> None:
    fake, auth, url = bedrock
    spec = bedrock_spec(url, stream=stream, retry=RetryPolicy(retry_on_429=True, max_retries=3))
    error = await _fails(spec, env)
    assert error.status_code == 403
    message = str(error)
    assert message.startswith(f"provider 'p': HTTP 403: {error_type}: ")
    assert "signature" in message or "security token" in message
    assert "gave up" not in message and "Traceback" not in message
    assert env[SECRET_VAR] not in message and SECRET not in message
    # One signed attempt reached the server and was turned away before any model ran.
    assert len(auth.rejected) == 1 and fake.requests == []


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(
    ("model", "raw"),
    [
        (BEDROCK_MODEL, BEDROCK_MODEL),
        (ARN, ARN.replace("/", "%2F")),
    ],
    ids=["colon", "arn"],
)
async def test_model_ids_with_colons_and_arns_are_signed_and_routed(
    bedrock: tuple[FakeLLM, BedrockAuth, str], model: str, raw: str, stream: bool
) -> None:
    fake, auth, url = bedrock
    fake.push(Reply(text="routed", usage=Usage(9, 2)))
    response, attempts, _ = await call_recording_sleeps(
        bedrock_spec(url, model=model, stream=stream), chat_request(), ENV
    )
    route = "invoke-with-response-stream" if stream else "invoke"
    # ':' stays as is, an ARN's '/' is escaped into the one path segment, and the signature
    # over that escaped path verified (the fake answered).
    assert auth.signed_paths == [f"/model/{raw}/{route}"]
    assert fake.requests[-1].path == f"/model/{model}/{route}"
    assert (response.text, response.model, attempts) == ("routed", model, 1)
    assert auth.rejected == []


async def test_the_body_is_anthropic_messages_without_model_or_stream(
    bedrock: tuple[FakeLLM, BedrockAuth, str],
) -> None:
    fake, _, url = bedrock
    fake.push(Reply(tool_calls=(ToolCallSpec("get_weather", {"city": "Oslo"}, id="tu_1"),)))
    response, _, _ = await call_recording_sleeps(
        bedrock_spec(url, stream=True, max_tokens=77), chat_request(tools=[TOOL]), ENV
    )
    assert [(c.id, c.arguments) for c in response.tool_calls] == [("tu_1", {"city": "Oslo"})]
    sent = fake.requests[-1]
    # Bedrock takes the model from the path and streaming from the route; the version is in
    # the body instead of a header.
    assert "model" not in sent.body and "stream" not in sent.body
    assert sent.body["anthropic_version"] and sent.body["max_tokens"] == 77
    assert sent.body["tools"][0]["name"] == "get_weather"
    assert sent.headers["content-type"] == "application/json"
    assert re.fullmatch(r"\d{8}T\d{6}Z", sent.headers["x-amz-date"])
    assert f"/{BEDROCK_REGION}/bedrock/aws4_request" in sent.headers["authorization"]


@pytest.mark.requirement("provider:streaming-ttft")
@pytest.mark.parametrize(
    ("status", "error_type", "kind"),
    [
        (429, "throttlingException", "rate_limit"),
        (500, "internalServerException", "transient"),
        (503, "serviceUnavailableException", "transient"),
        (408, "modelTimeoutException", "transient"),
        (400, "validationException", "fatal"),
        (424, "modelStreamErrorException", "fatal"),
    ],
)
async def test_exception_frames_in_a_stream_mean_their_status(
    bedrock: tuple[FakeLLM, BedrockAuth, str], status: int, error_type: str, kind: str
) -> None:
    fake, _, url = bedrock
    fake.push(Fault.in_stream(status, message="went wrong"))
    provider = create_provider(bedrock_spec(url, stream=True), env=ENV)
    try:
        with pytest.raises(ProviderError) as info:
            await provider.generate(chat_request())
    finally:
        await provider.aclose()
    assert info.value.status_code == status
    assert f"{error_type}: went wrong" in str(info.value)
    assert provider.classify(info.value).kind == kind


@pytest.mark.requirement("retry:429-retry-after")
async def test_http_errors_name_bedrocks_error_type(
    bedrock: tuple[FakeLLM, BedrockAuth, str],
) -> None:
    fake, _, url = bedrock
    fake.push(Fault.http(429, retry_after="4", message="Too many requests"))
    # retry_on_429 off: the first answer's error is what this test reads.
    error = await _fails(bedrock_spec(url, retry=RetryPolicy(retry_on_429=False)), ENV)
    assert (error.status_code, error.retry_after) == (429, 4.0)
    assert "HTTP 429 rate limited: ThrottlingException: Too many requests" in str(error)


async def test_an_error_echoing_the_secret_key_is_redacted(
    bedrock: tuple[FakeLLM, BedrockAuth, str],
) -> None:
    fake, _, url = bedrock
    fake.push(Fault.http(400, message=f"bad request signed by {KEY} with {SECRET}"))
    error = await _fails(bedrock_spec(url), ENV)
    assert SECRET not in str(error) and KEY not in str(error)
    assert "ValidationException: bad request signed by *** with ***" in str(error)


async def test_a_corrupt_event_stream_frame_is_a_malformed_response(
    bedrock: tuple[FakeLLM, BedrockAuth, str],
) -> None:
    fake, _, url = bedrock
    fake.push(CORRUPT_FRAME, Reply(text="not reached"))
    error = await _fails(bedrock_spec(url, stream=True), ENV)
    assert "malformed response from the API: " in str(error)
    assert "Checksum" in str(error) and len(fake.requests) == 1


def test_the_fake_refuses_a_body_changed_after_signing(
    bedrock_: tuple[FakeLLM, BedrockAuth, str],
) -> None:
    # The fake's own check must be able to fail: sign one body with botocore, send another.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    fake, auth, url = bedrock_
    auth.reset()
    target = f"{url}/model/{BEDROCK_MODEL}/invoke"
    signed_body = json.dumps({"max_tokens": 5, "messages": []}).encode()
    request = AWSRequest(
        method="POST",
        url=target,
        data=signed_body,
        headers={"content-type": "application/json"},
    )
    SigV4Auth(Credentials(KEY, SECRET), "bedrock", BEDROCK_REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items()}
    with httpx.Client() as client:
        honest = client.post(target, content=signed_body, headers=headers)
        tampered = client.post(target, content=signed_body + b" ", headers=headers)
    assert honest.status_code == 200
    assert tampered.status_code == 403
    assert tampered.headers["x-amzn-errortype"].startswith("InvalidSignatureException")
    assert len(auth.rejected) == 1


def test_without_boto3_the_error_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("boto3", "botocore") else real(name, *a),
    )
    spec = BedrockAnthropicProvider(name="br", model="anthropic.claude", region="us-east-1")
    with pytest.raises(ProviderError, match=r"needs boto3.*pip install 'anthropic\[bedrock\]'"):
        create_provider(spec, env={})


def test_no_region_anywhere_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Neither the suite's `location` nor AWS_REGION nor a profile: the SDK cannot pick an
    # endpoint; the error says what to set instead of a ValueError traceback.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    spec = BedrockAnthropicProvider(name="br", model="anthropic.claude")
    with pytest.raises(ProviderError, match=r"provider 'br': .*region.*location: us-east-1"):
        create_provider(spec, env={})
