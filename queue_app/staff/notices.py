"""Notices on the hall displays (title + text, e.g. "Persyaratan KTP baru"), edited by an admin, pushed live.

Stored in the settings table like the running text; the display shows them in turn in its media area.
The caller commits.
"""

from __future__ import annotations

from typing import Any

from queue_app.core.database import begin_write
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import setting_value
from queue_app.core.models.settings import DISPLAY_NOTICES
from queue_app.staff.admin import audit, store_setting
from queue_app.staff.events import to_every_zone
from queue_app.staff.models import User

MAX_NOTICES = 10
MAX_TITLE = 80
MAX_TEXT = 400


def notices() -> list[dict[str, str]]:
    value = setting_value(DISPLAY_NOTICES)
    return list(value) if isinstance(value, list) else []


def set_notices(actor: User | None, items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Replace the displays' notices; entries with neither title nor text are dropped."""
    begin_write()
    if not isinstance(items, list):
        raise ValidationFailed(text="notices_list", field="notices")
    clean: list[dict[str, str]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationFailed(text="notice_parts", field=f"notices[{i}]")
        title, text = item.get("title", ""), item.get("text", "")
        if not isinstance(title, str) or not isinstance(text, str):
            raise ValidationFailed(text="notice_parts", field=f"notices[{i}]")
        title, text = " ".join(title.split()), text.strip()
        if not title and not text:
            continue
        if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
            raise ValidationFailed(text="notice_long", values={"title": MAX_TITLE, "text": MAX_TEXT},
                                   field=f"notices[{i}]")
        clean.append({"title": title, "text": text})
    if len(clean) > MAX_NOTICES:
        raise ValidationFailed(text="notices_many", values={"n": MAX_NOTICES}, field="notices")
    before = notices()
    store_setting(actor, DISPLAY_NOTICES, clean)
    audit(actor, "notices_set", DISPLAY_NOTICES, before=before, after=clean)
    to_every_zone({"kind": "notices", "notices": clean})
    db.session.flush()
    return clean
