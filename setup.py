"""The package list, which setup.cfg cannot say: the screens install under the project's own name.

The repository keeps one top-level folder per screen (``kiosk/``, ``display/``...); installed, they are
``mpp_queue.kiosk``, ``mpp_queue.display``... so nine generic names (``admin``, ``home``, ``counter``...) never land
in site-packages beside other packages. Everything else is declared in setup.cfg.
"""

from setuptools import find_namespace_packages, setup

SCREENS = ("kiosk", "display", "counter", "dashboard", "visitor", "admin", "home", "survey_tablet", "booking_page",
           "public_pages")

setup(
    packages=find_namespace_packages(include=["queue_app", "queue_app.*", "printers", "printers.*"])
    + [f"mpp_queue.{screen}" for screen in SCREENS]
    + [f"mpp_queue.{screen}.{sub}" for screen in SCREENS
       for sub in find_namespace_packages(where=screen, exclude=["templates*", "static*", "audio*"])],
    package_dir={f"mpp_queue.{screen}": screen for screen in SCREENS},
)
