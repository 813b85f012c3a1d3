"""The two ways a message leaves: the WhatsApp Business Cloud API, or one HTTP request to a gateway.

A provider takes a plain :class:`Outgoing` (no database row: it runs outside any transaction) and answers an
:class:`Outcome`: ``sent`` (with the provider's id), ``retry`` (5xx, 429, a timeout, refused: the sender waits
and tries again) or ``failed`` (another 4xx: the provider will never take it). Nothing here raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from queue_app.core.i18n import translate
from queue_app.core.siteconfig.notify import NotifySection, read_secret


@dataclass(frozen=True)
class Outgoing:
    id: int
    kind: str
    to: str
    lang: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    result: str  #: "sent", "retry" or "failed"
    provider_id: str | None = None
    error: str = ""


def _classify(resp: requests.Response) -> Outcome | None:
    """None for a 2xx answer; the outcome of any other status."""
    if 200 <= resp.status_code < 300:
        return None
    text = (resp.text or "")[:200].replace("\n", " ")
    error = f"HTTP {resp.status_code}: {text}".strip()
    if resp.status_code >= 500 or resp.status_code in (408, 425, 429):
        return Outcome("retry", error=error)
    return Outcome("failed", error=error)


def _post(method: str, url: str, timeout: float, **kw: Any) -> requests.Response | Outcome:  # noqa: ANN401
    try:
        return requests.request(method, url, timeout=timeout, allow_redirects=False, **kw)
    except requests.Timeout:
        return Outcome("retry", error=f"no answer within {timeout:g} s")
    except requests.RequestException as exc:  # refused, reset, DNS...
        return Outcome("retry", error=f"{type(exc).__name__}: {exc}"[:300])


def message_text(message: Outgoing) -> str:
    """The message in the visitor's language, from the catalogue (the gateway's text; WhatsApp's is the
    template's): ``notify.text_<kind>`` with ``{p1}``, ``{p2}``... the parameters."""
    values = {f"p{i + 1}": p for i, p in enumerate(message.params)}
    return translate(message.lang if message.lang in ("id", "en") else "id", f"notify.text_{message.kind}", **values)


class WhatsApp:
    """``POST {api_url}/{phone_number_id}/messages`` with the kind's approved template."""

    name = "whatsapp"

    def __init__(self, conf: NotifySection) -> None:
        self.conf = conf.whatsapp
        self.timeout = conf.timeout_seconds

    def body(self, message: Outgoing) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "to": message.to,
            "type": "template",
            "template": {
                "name": self.conf.templates.get(message.kind, message.kind),
                "language": {"code": self.conf.language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": str(p)}
                                                               for p in message.params]}],
            },
        }

    def send(self, message: Outgoing) -> Outcome:
        token = read_secret(self.conf.token_file)
        if not token:
            return Outcome("retry", error=f"no access token in {self.conf.token_file}")
        url = f"{self.conf.api_url.rstrip('/')}/{self.conf.phone_number_id}/messages"
        resp = _post("POST", url, self.timeout, json=self.body(message),
                     headers={"Authorization": f"Bearer {token}"})
        if isinstance(resp, Outcome):
            return resp
        bad = _classify(resp)
        if bad is not None:
            return bad
        try:
            provider_id = str(resp.json()["messages"][0]["id"])[:200]
        except (ValueError, KeyError, IndexError, TypeError):
            provider_id = None
        return Outcome("sent", provider_id=provider_id)


class HttpGateway:
    """One request per message; ``{phone}`` and ``{text}`` filled into the form or JSON body."""

    name = "http"

    def __init__(self, conf: NotifySection) -> None:
        self.conf = conf.http
        self.timeout = min(conf.timeout_seconds, self.conf.timeout_seconds)

    def headers(self) -> dict[str, str] | Outcome:
        out = {}
        for name, value in self.conf.headers.items():
            if value.startswith("file:"):
                value = read_secret(value[5:])
                if not value:
                    return Outcome("retry", error=f"header {name}: its file is missing or empty")
            out[name] = value
        return out

    def fill(self, message: Outgoing) -> dict[str, str]:
        text = message_text(message)
        template = self.conf.form if self.conf.form is not None else (self.conf.json_body or {})
        return {k: v.replace("{phone}", message.to).replace("{text}", text) for k, v in template.items()}

    def send(self, message: Outgoing) -> Outcome:
        headers = self.headers()
        if isinstance(headers, Outcome):
            return headers
        values = self.fill(message)
        kw: dict[str, Any] = {"headers": headers}
        if self.conf.method == "GET":
            kw["params"] = values
        elif self.conf.form is not None:
            kw["data"] = values
        else:
            kw["data"] = json.dumps(values)
            headers.setdefault("Content-Type", "application/json")
        resp = _post(self.conf.method, self.conf.url, self.timeout, **kw)
        if isinstance(resp, Outcome):
            return resp
        bad = _classify(resp)
        if bad is not None:
            return bad
        try:
            answer = resp.json()
            provider_id = answer.get("id") if isinstance(answer, dict) else None
        except ValueError:
            provider_id = None
        return Outcome("sent", provider_id=str(provider_id)[:200] if provider_id else None)


def provider_for(conf: NotifySection) -> WhatsApp | HttpGateway | None:
    """The site's provider, or None when notices are off."""
    if conf.provider == "whatsapp":
        return WhatsApp(conf)
    if conf.provider == "http":
        return HttpGateway(conf)
    return None
