"""One Aliyun RPC call (Dysmsapi for SMS, Dyvmsapi for voice) through aliyun-python-sdk-core's
``CommonRequest``, with the SDK's three ways of failing made one shape.

- ``ServerException``: the provider answered HTTP >= 300; its code decides (``error_for``).
- ``ClientException``: the SDK gave up before an answer. Connection refused, DNS, TLS and
  timeouts are "unavailable, try later"; anything else the SDK refuses locally is a request we
  built wrong (misconfiguration).
- HTTP 200 with ``Code`` other than ``OK``: a business error (notes/integration.md), decided by
  ``error_for`` too.

Business parameters go in the signed form body, not the URL, so phone numbers stay out of proxy
and load-balancer access logs. Blocking: callers run it in a thread.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

log = logging.getLogger(__name__)
NETWORK_ERRORS = frozenset({"SDK.HttpError", "SDK.ServerUnreachable"})


@dataclass(frozen=True)
class RpcErrors:
    """How one product turns a failure into its own errors."""

    product: str                                            # for the log: "sms", "voice"
    error_for: Callable[[str, int | None], Exception]      # provider code (and HTTP status) → error
    unavailable: Callable[[str], Exception]                 # provider code → "try again later"
    misconfigured: Callable[[str], Exception]               # provider code → "our request is wrong"


def call_rpc(client: AcsClient, *, endpoint: str, version: str, protocol: str, action: str,
             params: Mapping[str, str], errors: RpcErrors) -> dict[str, Any]:
    request = CommonRequest(domain=endpoint, version=version, action_name=action)
    request.set_protocol_type(protocol)
    request.set_method("POST")
    for key, value in params.items():
        request.add_body_params(key, value)
    try:
        raw = client.do_action_with_exception(request)
    except ServerException as exc:
        raise errors.error_for(exc.get_error_code() or "", exc.get_http_status()) from exc
    except ClientException as exc:
        code = exc.get_error_code() or ""
        if code in NETWORK_ERRORS:
            raise errors.unavailable(code) from exc
        raise errors.misconfigured(code) from exc
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise errors.unavailable("InvalidResponse") from exc
    code = str(body.get("Code", ""))
    if code != "OK":
        log.info("aliyun %s: %s refused with %s, RequestId %s", errors.product, action, code, body.get("RequestId"))
        raise errors.error_for(code, None)
    return body
