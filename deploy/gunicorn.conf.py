"""gunicorn settings of the production image (``gunicorn --config deploy/gunicorn.conf.py``).

Each web container runs WEB_WORKERS processes of WEB_THREADS threads: about one worker per core
the container may use, four threads each (requests mostly wait on the database).
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 30
# Longer than the proxy keeps an idle connection (Caddy: 60 s, deploy/Caddyfile), so the proxy
# always closes first and never sends a request down a connection gunicorn just dropped.
keepalive = 75
# Heartbeat files in memory: a container's overlay filesystem can stall them.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (a memory filesystem, not a shared temp dir)
# Behind the proxy the peer is the proxy: log the person's address it passed on.
accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
