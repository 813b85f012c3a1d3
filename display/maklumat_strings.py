"""Display texts of the maklumat slide and the IKM line's QR code, under the ``display`` prefix."""

from queue_app.core.i18n import register

register("display", {
    "id": {
        "maklumat": "Maklumat Pelayanan",
        "ikm_scan": "Pindai untuk hasil survei dan tindak lanjutnya",
    },
    "en": {
        "maklumat": "Service pledge",
        "ikm_scan": "Scan for the survey results and their follow-up",
    },
})
