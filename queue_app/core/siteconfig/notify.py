"""``[notify]``: notices to visitors by WhatsApp (the Business Cloud API) or by any gateway called by URL.

Secrets never live in config.toml: the access token, the app secret and the webhook's verify token are read
from files (``token_file``...), a gateway's header from ``"file:PATH"``. Paths are relative to config.toml.
The checks here name the key that is wrong (``notify.whatsapp.phone_number_id: missing``); whether the files
exist is checked when a message is sent (a file made after the start is read then), and reported on the
dashboard's health of the provider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from .fields import Model, choice, problem

#: every kind of message, in the order of a visit (docs/notify.md)
KINDS = ("issued", "ahead", "come_now", "called", "missed", "done", "booked", "reminder", "notice")



def _provider(value: str) -> str:
    if value not in ("", "whatsapp", "http"):
        raise problem(f'must be "whatsapp", "http" or "" (notices off), not "{value}"')
    return value


Provider = Annotated[str, AfterValidator(_provider)]
Language = choice("id", "en")
HttpMethod = choice("POST", "GET", "PUT")


class WhatsAppConf(Model):
    """``[notify.whatsapp]``: the WhatsApp Business Cloud API."""

    api_url: str = "https://graph.facebook.com/v21.0"
    phone_number_id: str = ""
    token_file: str = "instance/whatsapp-token"
    app_secret_file: str = "instance/whatsapp-app-secret"
    verify_token_file: str = "instance/whatsapp-verify-token"
    language: Language = "id"
    #: the approved template of each kind (all nine are needed when the provider is "whatsapp")
    templates: dict[str, Annotated[str, Field(min_length=1, max_length=512)]] = {}


class HttpConf(Model):
    """``[notify.http]``: one request per message to any SMS or WhatsApp gateway."""

    url: str = ""
    method: HttpMethod = "POST"
    #: header values; ``"file:PATH"`` reads the value from a file (a token)
    headers: dict[str, str] = {}
    #: a form body, or a JSON body (one of them), each value a string with ``{phone}`` and ``{text}``
    form: dict[str, str] | None = None
    json_body: dict[str, str] | None = Field(None, alias="json")
    #: seconds the gateway has to answer
    timeout_seconds: float = Field(10.0, gt=0, le=60, strict=False)


class NotifySection(Model):
    """``[notify]``."""

    provider: Provider = ""
    #: the "ahead" notice goes when this many are ahead (0 = never)
    ahead_at: int = Field(3, ge=0, le=100)
    #: seconds a provider has to answer one message
    timeout_seconds: float = Field(10.0, gt=0, le=60, strict=False)
    whatsapp: WhatsAppConf = WhatsAppConf()
    http: HttpConf = HttpConf()

    @model_validator(mode="after")
    def _complete(self) -> NotifySection:
        if self.provider == "whatsapp":
            w = self.whatsapp
            if not w.api_url.startswith(("http://", "https://")):
                raise at(("whatsapp", "api_url"), f'must be an absolute http(s) URL, not "{w.api_url}"')
            if not w.phone_number_id.strip():
                raise at(("whatsapp", "phone_number_id"), 'missing: the number\'s id in the WhatsApp Manager')
            for key in ("token_file", "app_secret_file", "verify_token_file"):
                if not getattr(w, key).strip():
                    raise at(("whatsapp", key), "must name a file")
            unknown = sorted(set(w.templates) - set(KINDS))
            if unknown:
                raise at(("whatsapp", "templates", unknown[0]),
                         f'unknown kind of message "{unknown[0]}" (kinds: {", ".join(KINDS)})')
            missing = [k for k in KINDS if k not in w.templates]
            if missing:
                raise at(("whatsapp", "templates"), f"no template for {', '.join(missing)}")
        if self.provider == "http":
            h = self.http
            if not h.url.startswith(("http://", "https://")):
                raise at(("http", "url"), f'must be an absolute http(s) URL, not "{h.url}"')
            if (h.form is None) == (h.json_body is None):
                raise at(("http",), "give either form = { ... } or json = { ... } (one of them)")
            body = h.form if h.form is not None else h.json_body
            if not any("{text}" in v for v in (body or {}).values()):
                raise at(("http", "form" if h.form is not None else "json"), "no value holds {text}")
            for name, value in h.headers.items():
                if value.startswith("file:") and not value[5:].strip():
                    raise at(("http", "headers", name), '"file:" must name a file')
        return self

    def resolved(self, base_dir: Path) -> NotifySection:
        """The same with every file made absolute (relative to config.toml's folder)."""
        def absolute(p: str) -> str:
            return str((base_dir / p).resolve()) if p else p

        w = self.whatsapp.model_copy(update={k: absolute(getattr(self.whatsapp, k))
                                             for k in ("token_file", "app_secret_file", "verify_token_file")})
        headers = {k: ("file:" + absolute(v[5:].strip()) if v.startswith("file:") else v)
                   for k, v in self.http.headers.items()}
        h = self.http.model_copy(update={"headers": headers})
        return self.model_copy(update={"whatsapp": w, "http": h})


def read_secret(path: str) -> str:
    """A secret file's content, stripped; "" when it is missing or unreadable."""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def at(sub: tuple[Any, ...], message: str) -> PydanticCustomError:
    """A problem about one key of ``[notify]`` (``sub``, relative to the table)."""
    return PydanticCustomError("config", "{message}", {"message": message, "sub": sub})
