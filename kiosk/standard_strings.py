"""Kiosk texts of the service standard's info view (kiosk/static/standard.js), under the ``kiosk`` prefix."""

from queue_app.core.i18n import register

register("kiosk", {
    "id": {
        "standard_info_label": "Persyaratan dan standar pelayanan: {service}",
        "standard_title": "Standar Pelayanan",
        "standard_note": "Baca dulu persyaratannya. Anda tidak perlu mengambil nomor untuk melihat informasi ini.",
        "standard_close": "Tutup",
        "standard_take": "Ambil nomor antrean",
    },
    "en": {
        "standard_info_label": "Requirements and service standard: {service}",
        "standard_title": "Service standard",
        "standard_note": "Check the requirements first. You do not need to take a number to read this.",
        "standard_close": "Close",
        "standard_take": "Take a number",
    },
})
