"""The start page: every screen of the site (kiosks, displays, booking, counter panels and their survey
tablets, dashboard and IKM report, admin, the API document), and the site's icon.

``make run`` prints http://127.0.0.1:8000; whoever sets up the hall's PCs starts here.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template

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
        "visitors": "Untuk pengunjung",
        "booking": "Reservasi online (dari ponsel)",
        "remote": "Antre dari jauh (dari ponsel, hari ini)",
        "tablets": "Tablet survei di loket",
        "tablet": "{name}",
        "ikm_report": "Laporan Indeks Kepuasan Masyarakat (IKM)",
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
        "visitors": "For visitors",
        "booking": "Online booking (from a phone)",
        "remote": "Join the line from afar (from a phone, today)",
        "tablets": "Survey tablets at the counters",
        "tablet": "{name}",
        "ikm_report": "Public satisfaction index (IKM) report",
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
    from queue_app.core.lookups import counters_with_current

    site = current_site()
    return render_template("home/index.html", kiosks=site.kiosks, zones=site.zones, counters=counters_with_current(),
                           booking=any(s.booking is not None for s in site.services),
                           remote=any(s.remote is not None for s in site.services), maklumat=site.maklumat)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon: browsers ask for it at the root, whatever screen they show (one route for all)."""
    # 3.5 KB read once per process and answered from memory: no file handle left to whoever reads it
    icon = current_app.extensions.get("favicon")
    if icon is None:
        icon = current_app.extensions["favicon"] = (Path(current_app.static_folder) / "favicon.ico").read_bytes()
    return Response(icon, mimetype="image/vnd.microsoft.icon", headers={"Cache-Control": "public, max-age=604800"})
