"""SMS backends, chosen by settings.SMS_BACKEND like Django's email backends.

`SMS_BACKEND` takes a dotted path or a shorthand: console, locmem, filebased, aliyun. Every backend returns a
SendResult or raises SmsTimeout when it cannot know whether the provider accepted the message; the reminder
service then marks the message 'unknown' and asks `status()` later instead of sending it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from policies.masking import mask_phone

SHORTHANDS = {
    "console": "followups.sms.ConsoleBackend",
    "locmem": "followups.sms.LocmemBackend",
    "filebased": "followups.sms.FileBasedBackend",
    "aliyun": "followups.sms.AliyunBackend",
}

SENT, FAILED = "sent", "failed"


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    body: str
    template_code: str = ""
    params: dict = field(default_factory=dict)
    reference: str = ""  # our id, echoed back by providers that support it (Aliyun OutId)
    day: date | None = None


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""


class SmsTimeout(Exception):
    """The provider may or may not have accepted the message."""


class BaseBackend:
    supports_status = False

    def send(self, message: SmsMessage) -> SendResult:
        raise NotImplementedError

    def status(self, message: SmsMessage, provider_id: str = "") -> str | None:
        """'sent' / 'failed' as the provider knows it, or None when it cannot tell."""
        return None


class ConsoleBackend(BaseBackend):
    """Writes each message to stderr, the phone masked (DOMAIN.md §11: no full phone in a log line)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # stderr: `send_reminders --json` keeps stdout to its JSON

    def send(self, message: SmsMessage) -> SendResult:
        self.stream.write(f"[短信] {mask_phone(message.phone)} {message.template_code} {message.body}\n")
        self.stream.flush()
        return SendResult(ok=True, provider_id=f"console-{uuid.uuid4().hex[:12]}")


# The messages LocmemBackend "sent", for tests (like django.core.mail.outbox).
outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocmemBackend(BaseBackend):
    def send(self, message: SmsMessage) -> SendResult:
        with _outbox_lock:
            outbox.append(message)
        return SendResult(ok=True, provider_id=f"locmem-{len(outbox)}")


class FileBasedBackend(BaseBackend):
    """One file per message under settings.SMS_FILE_PATH (created on first use)."""

    def __init__(self, file_path: str | None = None):
        self.path = Path(file_path or settings.SMS_FILE_PATH)

    def send(self, message: SmsMessage) -> SendResult:
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{message.reference or 'sms'}-{uuid.uuid4().hex[:8]}.sms"
        lines = [
            f"To: {message.phone}",
            f"Template: {message.template_code}",
            f"Params: {json.dumps(message.params, ensure_ascii=False, sort_keys=True)}",
            f"Reference: {message.reference}",
            "",
            message.body,
            "",
        ]
        # "x": never overwrite, so a duplicate name could never hide a second message.
        with open(self.path / name, "x", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        return SendResult(ok=True, provider_id=name)


# --- Aliyun SMS (dysmsapi 2017-05-25, RPC signature version 1.0, HMAC-SHA1) ---------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's RPC signature wants it: space → %20, * → %2A, ~ kept."""
    return urllib.parse.quote(str(value), safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params))


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunBackend(BaseBackend):
    """Aliyun's SendSms (template code + JSON parameters), QuerySendDetails for reconciliation.

    Configured from settings ALIYUN_SMS_ACCESS_KEY_ID / _SECRET / _SIGN_NAME / _ENDPOINT. Never called in tests:
    `opener` is injectable, and signing is tested against Aliyun's documented example.
    """

    supports_status = True
    version = "2017-05-25"
    timeout_seconds = 10

    def __init__(self, *, access_key_id=None, access_key_secret=None, sign_name=None, endpoint=None, opener=None):
        self.access_key_id = access_key_id or settings.ALIYUN_SMS_ACCESS_KEY_ID
        self.access_key_secret = access_key_secret or settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        self.sign_name = sign_name or settings.ALIYUN_SMS_SIGN_NAME
        self.endpoint = endpoint or settings.ALIYUN_SMS_ENDPOINT
        self.opener = opener or urllib.request.urlopen

    def signed_url(self, action_params: dict[str, str], *, nonce: str | None = None, timestamp: str | None = None):
        params = {
            "AccessKeyId": self.access_key_id,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.version,
            **action_params,
        }
        signature = aliyun_signature(params, self.access_key_secret)
        return f"{self.endpoint.rstrip('/')}/?Signature={percent_encode(signature)}&{canonical_query(params)}"

    def _call(self, action_params: dict[str, str]) -> dict:
        if not (self.access_key_id and self.access_key_secret):
            raise RuntimeError("ALIYUN_SMS_ACCESS_KEY_ID / ALIYUN_SMS_ACCESS_KEY_SECRET are not configured")
        url = self.signed_url(action_params)
        try:
            with self.opener(url, timeout=self.timeout_seconds) as response:
                return json.loads(response.read().decode("utf-8"))
        except TimeoutError as error:
            raise SmsTimeout(str(error)) from error
        except urllib.error.HTTPError as error:
            try:
                return json.loads(error.read().decode("utf-8"))
            except (ValueError, OSError):
                return {"Code": f"HTTP{error.code}", "Message": str(error)}
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise SmsTimeout(str(error.reason)) from error
            raise  # not connected: nothing was sent; the caller records a failure

    def send(self, message: SmsMessage) -> SendResult:
        answer = self._call({
            "Action": "SendSms",
            "PhoneNumbers": message.phone,
            "SignName": self.sign_name,
            "TemplateCode": message.template_code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.reference,
        })  # fmt: skip
        if answer.get("Code") == "OK":
            return SendResult(ok=True, provider_id=answer.get("BizId", ""))
        return SendResult(ok=False, error=f"{answer.get('Code', '')} {answer.get('Message', '')}".strip()[:300])

    def status(self, message: SmsMessage, provider_id: str = "") -> str | None:
        if message.day is None:
            return None
        params = {"Action": "QuerySendDetails", "PhoneNumber": message.phone,
                  "SendDate": message.day.strftime("%Y%m%d"), "PageSize": "50", "CurrentPage": "1"}  # fmt: skip
        if provider_id:
            params["BizId"] = provider_id
        try:
            answer = self._call(params)
        except (SmsTimeout, OSError):
            return None
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        mine = [d for d in details if not message.reference or d.get("OutId") == message.reference]
        if answer.get("Code") != "OK":
            return None
        if not mine:
            return FAILED  # the provider has no record of it: it was never accepted
        # SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered. Waiting means accepted: it counts as sent.
        return FAILED if all(d.get("SendStatus") == 2 for d in mine) else SENT


def get_backend(path: str | None = None) -> BaseBackend:
    path = path or settings.SMS_BACKEND
    return import_string(SHORTHANDS.get(path, path))()
