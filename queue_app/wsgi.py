"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py "queue_app.wsgi:app"``.

The gevent worker has already monkey-patched the standard library before this import.
"""

from queue_app import bootstrap, create_app

app = create_app()
_password = bootstrap(app)
if _password:
    print(f"Created user 'admin' with password: {_password}  (shown once; change it after signing in)",
          flush=True)
