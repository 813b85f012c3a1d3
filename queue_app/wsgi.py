"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py "queue_app.wsgi:app"``.

The gevent worker has already monkey-patched the standard library before this import.
"""

import os

from queue_app.factory import create_app
from queue_app.ops.backup import hold_server_lock
from queue_app.startup import bootstrap

# a serving process counts its metrics with the site's others (queue_app/metrics/processes.py)
os.environ.setdefault("MPP_QUEUE_METRICS_MULTIPROCESS", "1")
app = create_app()
hold_server_lock(app.config["SQLALCHEMY_DATABASE_URI"])  # `mpp-queue restore` refuses while a worker lives
_password_file = bootstrap(app)
if _password_file:
    # the path only: this output goes to the journal, which more people can read than the file
    print(f"Created user 'admin'; its password is in {_password_file} (change it at first sign-in)", flush=True)
