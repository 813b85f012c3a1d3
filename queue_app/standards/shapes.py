"""Shapes of the standards' endpoints: a service's Standar Pelayanan, the site's public facts, the admin's edit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from queue_app.api.declare import Answer, Shape
from queue_app.core.siteconfig.standards import MAX_LINES, MAX_TEXT

ComponentText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
ComponentValue = ComponentText | Annotated[list[ComponentText], Field(max_length=MAX_LINES)]


class StandardComponent(Answer):
    """One component: its key, the regulation's Indonesian name, and a text or a list of texts."""

    key: str
    name: str
    value: str | list[str]


class ServiceStandard(Answer):
    """A service's Standar Pelayanan (PermenPANRB 15/2014): the components it sets, in the regulation's order
    (persyaratan, prosedur, waktu, biaya, produk, pengaduan, then the eight of managing the service)."""

    service: str
    service_name: str
    agency: str
    components: list[StandardComponent]


class AdminStandard(Answer):
    """A service's standard as it now applies, and where it comes from (``admin``: changed at run time)."""

    service: str
    source: Literal["admin", "config", "none"]
    components: list[StandardComponent]


class StandardBody(Shape):
    """Every component at once, as in ``[services.standard]``: a text or a list of texts; one left out, ``null``,
    empty or all blank lines is not shown."""

    persyaratan: ComponentValue | None = None
    prosedur: ComponentValue | None = None
    waktu: ComponentValue | None = None
    biaya: ComponentValue | None = None
    produk: ComponentValue | None = None
    pengaduan: ComponentValue | None = None
    dasar_hukum: ComponentValue | None = None
    sarana: ComponentValue | None = None
    kompetensi: ComponentValue | None = None
    pengawasan: ComponentValue | None = None
    jumlah_pelaksana: ComponentValue | None = None
    jaminan: ComponentValue | None = None
    keamanan: ComponentValue | None = None
    evaluasi: ComponentValue | None = None


class SiteInfo(Answer):
    """What the site publishes about itself: its name, language, time zone, address and Maklumat Pelayanan."""

    name: str
    locale: str
    timezone: str
    base_url: str
    #: the Maklumat Pelayanan ("" when the site has none)
    maklumat: str
