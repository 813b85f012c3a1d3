"""The start page: the kiosks, a display per zone, the clerk panel, the dashboard and the API document.

``make run`` prints http://127.0.0.1:8000; whoever sets up the hall's PCs starts here.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from queue_app.core.i18n import register
from queue_app.core.site import current_site

bp = Blueprint("home", __name__, template_folder="templates")

register("home", {
    "id": {
        "intro": "Sistem antrean Mal Pelayanan Publik. Buka layar yang Anda perlukan di perangkatnya.",
        "kiosks": "Kios ambil nomor antrean",
        "kiosks_none": "Belum ada kios di config.toml ([[kiosks]]).",
        "printer": "printer {code}",
        "displays": "Layar ruang tunggu",
        "all_zones": "Semua zona",
        "zone": "Zona {zone}",
        "staff": "Petugas",
        "counter": "Panel loket (petugas loket)",
        "dashboard": "Dasbor & laporan (manajer)",
        "admin": "Halaman admin",
        "developers": "Untuk pengembang",
        "api": "Dokumen API (OpenAPI 3)",
        "health": "Status sistem",
        "maklumat": "Maklumat Pelayanan",
        "public": "Untuk masyarakat",
        "standards": "Standar pelayanan setiap layanan",
        "ikm": "Hasil survei kepuasan dan tindak lanjutnya",
        "complaints": "Sampaikan pengaduan",
        "poster": "Poster QR pengaduan (untuk dicetak)",
    },
    "en": {
        "intro": "Queue system of the public service mall. Open the screen you need on its device.",
        "kiosks": "Ticket kiosks",
        "kiosks_none": "No kiosk in config.toml yet ([[kiosks]]).",
        "printer": "printer {code}",
        "displays": "Hall displays",
        "all_zones": "All zones",
        "zone": "Zone {zone}",
        "staff": "Staff",
        "counter": "Counter panel (clerks)",
        "dashboard": "Dashboard & reports (managers)",
        "admin": "Admin pages",
        "developers": "For developers",
        "api": "API document (OpenAPI 3)",
        "health": "System status",
        "maklumat": "Service pledge (Maklumat Pelayanan)",
        "public": "For the public",
        "standards": "Service standards of every service",
        "ikm": "Satisfaction survey results and their follow-up",
        "complaints": "Send a complaint",
        "poster": "Complaint QR poster (to print)",
    },
})


@bp.get("/")
def index():
    """List every screen with its URL."""
    site = current_site()
    return render_template("home/index.html", kiosks=site.kiosks, zones=site.zones, maklumat=site.maklumat)
