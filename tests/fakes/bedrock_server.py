"""A fake Amazon Bedrock runtime for Anthropic models: ``InvokeModel`` and its streamed twin.

The same ``FakeLLM`` script as the Anthropic fake, in Bedrock's framing:

- ``POST /model/{modelId}/invoke``: the Anthropic message JSON;
- ``POST /model/{modelId}/invoke-with-response-stream``: an AWS event stream
  (``application/vnd.amazon.eventstream``) of ``chunk`` frames whose payload is
  ``{"bytes": base64(anthropic event JSON)}``;
- errors: the status with ``x-amzn-ErrorType`` and a ``{"message": …}`` body (429
  ThrottlingException, 500 InternalServerException, …), and after a stream began an
  ``exception`` frame (``throttlingException``, ``internalServerException``, …) as Bedrock
  sends them.

Every request's SigV4 signature is recomputed with botocore from what arrived (method, raw
path, signed headers, body) and the secret the test gave for its access key; a request that
does not verify is answered 403 as AWS answers it (``InvalidSignatureException``, or
``UnrecognizedClientException`` for an unknown key), is kept in ``BedrockAuth.rejected`` and
consumes nothing of the script.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import struct
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, RecordedRequest, Reply, receive
from .anthropic_server import message_body, start_event, stream_events

__all__ = ["CORRUPT_FRAME", "BedrockAuth", "bedrock_app", "event_frame"]

_ERRORS = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
"""Bedrock's error type (``x-amzn-ErrorType``) for each HTTP status of InvokeModel."""

_STREAM_EXCEPTIONS = {
    400: "validationException",
    408: "modelTimeoutException",
    424: "modelStreamErrorException",
    429: "throttlingException",
    500: "internalServerException",
    503: "serviceUnavailableException",
}
"""The ``exception`` frames of InvokeModelWithResponseStream's ResponseStream, by the status
botocore's service model gives each."""

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<sig>[0-9a-f]+)"
)

_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


@dataclass
class BedrockAuth:
    """The credentials the fake accepts, and the requests it turned away."""

    credentials: Mapping[str, str]
    """Access key id -> secret access key."""
    region: str = "us-east-1"
    rejected: list[RecordedRequest] = field(default_factory=list)
    """Requests answered 403 because their signature did not verify."""
    signed_paths: list[str] = field(default_factory=list)
    """The raw (still percent-encoded) path of each request whose signature verified."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> str:
        """Why the request's signature is refused (the AWS error type), or "" when it verifies."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        match = _AUTH.fullmatch(headers.get("authorization", ""))
        if match is None or "x-amz-date" not in headers:
            return "MissingAuthenticationTokenException"
        secret = self.credentials.get(match["key"])
        if secret is None:
            return "UnrecognizedClientException"
        signed = match["signed"].split(";")
        if "host" not in signed or any(name not in headers for name in signed):
            return "InvalidSignatureException"
        request = AWSRequest(
            method=method,
            url=f"http://{headers['host']}{raw_path}",
            headers={name: headers[name] for name in signed},
            data=body,
        )
        request.context["timestamp"] = headers["x-amz-date"]
        # The region and service are the fake's, not the ones the request names: a request
        # scoped to another region or service does not verify, as on AWS.
        signer = SigV4Auth(Credentials(match["key"], secret), "bedrock", self.region)
        want = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        return "" if hmac.compare_digest(want, match["sig"]) else "InvalidSignatureException"

    def reject(self, recorded: RecordedRequest) -> None:
        """Keep a turned-away request (thread-safe: the server runs in its own thread)."""
        with self._lock:
            self.rejected.append(recorded)

    def accept(self, raw_path: str) -> None:
        """Note the raw path of a request that verified."""
        with self._lock:
            self.signed_paths.append(raw_path)

    def reset(self) -> BedrockAuth:
        """Forget what was turned away and accepted (a module-scoped fake, between tests)."""
        with self._lock:
            self.rejected.clear()
            self.signed_paths.clear()
        return self


def event_frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude, string headers, payload, both CRC32s."""
    encoded = b""
    for name, value in headers.items():
        raw = value.encode()
        encoded += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def _chunk(data: bytes) -> bytes:
    payload = json.dumps({"bytes": base64.b64encode(data).decode()}).encode()
    return event_frame(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def _exception(fault: Fault) -> bytes:
    kind = _STREAM_EXCEPTIONS.get(fault.status, "internalServerException")
    return event_frame(
        {
            ":exception-type": kind,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": fault.message}).encode(),
    )


CORRUPT_FRAME = Fault("corrupt_frame")
"""A Bedrock-only fault: a streamed call's first frame fails its message CRC."""


async def _stream(item: Reply | Fault, model: str) -> AsyncIterator[bytes]:
    if isinstance(item, Fault):
        if item.kind == "malformed":  # a chunk whose bytes are not JSON
            yield _chunk(MALFORMED_BODY)
            return
        if item.kind == "corrupt_frame":
            frame = _chunk(json.dumps(start_event(model)).encode())
            yield frame[:-4] + bytes(b ^ 0xFF for b in frame[-4:])
            return
        yield _chunk(json.dumps(start_event(model)).encode())
        yield _exception(item)
        return
    for event in stream_events(item, model):
        yield _chunk(json.dumps(event).encode())


def _error(status: int, kind: str, message: str, headers: Mapping[str, str] = {}) -> Response:
    amzn = {
        "x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        "x-amzn-RequestId": "00000000-0000-4000-8000-000000000000",
    }
    return JSONResponse({"message": message}, status_code=status, headers={**headers, **amzn})


def _fault(fault: Fault) -> Response:
    if fault.kind == "malformed":
        return Response(MALFORMED_BODY, media_type="application/json")
    default = "ValidationException" if fault.status < 500 else "InternalServerException"
    kind = _ERRORS.get(fault.status, default)
    return _error(fault.status, kind, fault.message, fault.headers)


def _refusal(kind: str) -> Response:
    if kind == "InvalidSignatureException":
        return _error(403, kind, _BAD_SIGNATURE)
    if kind == "UnrecognizedClientException":
        return _error(403, kind, "The security token included in the request is invalid.")
    return _error(403, kind, "Missing Authentication Token")


def bedrock_app(fake: FakeLLM, auth: BedrockAuth) -> Starlette:
    """A Starlette app speaking Bedrock's InvokeModel API for Anthropic models.

    ``auth`` holds the credentials it verifies signatures against. The model answering is
    the ``modelId`` of the path (a model id, an inference profile or an ARN, URL-decoded).
    """

    async def invoke(request: Request) -> Response:
        raw_path = request.scope["raw_path"].decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = await request.body()
        refused = auth.check(
            request.method, raw_path + (f"?{query}" if query else ""), headers, body
        )
        if refused:
            payload = json.loads(body) if body else {}
            auth.reject(RecordedRequest(request.url.path, headers, payload, {}))
            return _refusal(refused)
        auth.accept(raw_path)
        item, _ = await receive(fake, request)
        model = request.path_params["model"]
        stream = request.url.path.endswith("/invoke-with-response-stream")
        in_stream = ("in_stream", "malformed", "corrupt_frame")
        if isinstance(item, Fault) and not (stream and item.kind in in_stream):
            return _fault(item)
        if stream:
            return StreamingResponse(
                _stream(item, model),
                media_type="application/vnd.amazon.eventstream",
                headers={"x-amzn-bedrock-content-type": "application/json"},
            )
        assert isinstance(item, Reply)
        return JSONResponse(message_body(item, model))

    return Starlette(
        routes=[
            Route("/model/{model:path}/invoke", invoke, methods=["POST"]),
            Route("/model/{model:path}/invoke-with-response-stream", invoke, methods=["POST"]),
        ]
    )
