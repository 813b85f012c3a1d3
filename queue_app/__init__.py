"""mpp-queue: the walk-in queue and counter system for Indonesia's public service malls.

The app is built by :func:`queue_app.factory.create_app`; a serving process's first-start work is
:func:`queue_app.startup.bootstrap`. This package itself imports nothing, so importing any of its modules does
not load the whole app.
"""
