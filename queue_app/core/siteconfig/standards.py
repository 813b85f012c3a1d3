"""``[services.standard]`` (the Standar Pelayanan of PermenPANRB 15/2014) and ``[complaints]`` in config.toml.

The fourteen components are the regulation's, in its order: the six of service delivery (what a visitor needs
before coming: requirements, procedure, time, cost, product, complaints) and the eight of managing the service
inside the organisation. An admin may replace a service's standard at run time (``queue_app.standards``); the
same model checks both, so what the admin page accepts is exactly what config.toml accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

from pydantic import BeforeValidator, Field

from .fields import Model, problem


class Component(NamedTuple):
    """One component of a Standar Pelayanan: its config key, its names, and whether visitors are shown it."""

    key: str
    #: the regulation's Indonesian name
    name: str
    name_en: str
    #: a service-delivery component (PermenPANRB 15/2014): shown on the kiosk, the phone and the public pages
    public: bool


#: the fourteen components in the regulation's order (delivery first, then management)
COMPONENTS: tuple[Component, ...] = (
    Component("persyaratan", "Persyaratan", "Requirements", True),
    Component("prosedur", "Sistem, Mekanisme, dan Prosedur", "System, mechanism and procedure", True),
    Component("waktu", "Jangka Waktu Pelayanan", "Service time", True),
    Component("biaya", "Biaya/Tarif", "Cost/fee", True),
    Component("produk", "Produk Pelayanan", "Service product", True),
    Component("pengaduan", "Penanganan Pengaduan, Saran, dan Masukan", "Complaints, suggestions and feedback", True),
    Component("dasar_hukum", "Dasar Hukum", "Legal basis", False),
    Component("sarana", "Sarana dan Prasarana, dan/atau Fasilitas", "Facilities and infrastructure", False),
    Component("kompetensi", "Kompetensi Pelaksana", "Staff competence", False),
    Component("pengawasan", "Pengawasan Internal", "Internal supervision", False),
    Component("jumlah_pelaksana", "Jumlah Pelaksana", "Number of staff", False),
    Component("jaminan", "Jaminan Pelayanan", "Service guarantee", False),
    Component("keamanan", "Jaminan Keamanan dan Keselamatan Pelayanan", "Security and safety guarantee", False),
    Component("evaluasi", "Evaluasi Kinerja Pelaksana", "Staff performance evaluation", False),
)
COMPONENT_KEYS = tuple(c.key for c in COMPONENTS)
#: the longest text of one component (or of one line of a list), and the most lines a list may have
MAX_TEXT = 2000
MAX_LINES = 50


def component_value(value: Any) -> Any:
    """A component is a text or a list of texts (each line of a list shown as a point); neither may be empty."""
    if isinstance(value, str):
        if not value.strip():
            raise problem("must not be empty (leave the key out instead)")
        if len(value) > MAX_TEXT:
            raise problem(f"must be at most {MAX_TEXT} characters")
        return value.strip()
    if isinstance(value, list | tuple):
        if not value:
            raise problem("must not be an empty list (leave the key out instead)")
        if len(value) > MAX_LINES:
            raise problem(f"may have at most {MAX_LINES} lines")
        lines = []
        for line in value:
            if not isinstance(line, str) or not line.strip():
                raise problem("every line of the list must be a non-empty text")
            if len(line) > MAX_TEXT:
                raise problem(f"every line must be at most {MAX_TEXT} characters")
            lines.append(line.strip())
        return tuple(lines)
    raise problem("must be a text or a list of texts")


#: a text, or a list of texts (a tuple once loaded, so a loaded configuration cannot change)
ComponentValue = Annotated[str | tuple[str, ...], BeforeValidator(component_value)]


class StandardConf(Model):
    """``[services.standard]``: any of the fourteen components; an absent one is simply not shown."""

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

    def values(self) -> dict[str, str | list[str]]:
        """The components that are set, in the regulation's order (lists as lists, for JSON)."""
        out: dict[str, str | list[str]] = {}
        for key in COMPONENT_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


class ComplaintsSection(Model):
    """``[complaints]``: how complaints (pengaduan) are handled."""

    #: a complaint must be answered within this many working days of the site's calendar
    respond_within_days: int = Field(5, ge=1, le=60)
