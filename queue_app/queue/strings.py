"""The queue's own texts in both languages (the i18n catalogue, prefix ``opening``)."""

from __future__ import annotations

from queue_app.core.i18n import register

register("opening", {
    "id": {"again_at": "Buka kembali pukul {time}", "on_day": "Buka {day} {time}"},
    "en": {"again_at": "Opens again at {time}", "on_day": "Opens {day} {time}"},
})
