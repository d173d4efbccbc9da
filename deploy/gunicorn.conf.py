"""gunicorn settings for one lms app server: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Read from the environment (deploy/lms.env.example, deploy/systemd/lms@.service):

    LMS_BIND_HOST  address to listen on (127.0.0.1; a private address when nginx runs on
                   another machine; never a public one: nginx is the only way in)
    LMS_PORT       port (8000; lms@8001.service sets 8001)
    LMS_WORKERS    worker processes (2 per core, plus one)

Every worker is stateless: sessions are signed cookies, pending imports wait in the
database, login throttling counts in Redis (LMS_RATELIMIT_STORAGE_URI). So any worker
of any app server can answer any request, and a restart loses nothing.
"""

import multiprocessing
import os

bind = f"{os.environ.get('LMS_BIND_HOST', '127.0.0.1')}:{os.environ.get('LMS_PORT', '8000')}"
workers = int(os.environ.get("LMS_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
# Sync workers: nginx buffers slow clients (uploads and answers), so a worker is busy
# only while the app works.
worker_class = "sync"
# A 100,000-row roster is checked once for the preview and again on confirmation,
# each ~15 s on a 2-core machine: 120 s leaves room (nginx waits 130 s).
timeout = 120
graceful_timeout = 30
# A worker that has read a large workbook gives its memory back by being replaced, but
# not often: a new worker imports the app (about 1.7 s of CPU on the 2-core machine)
# and starts with no kept pages or verified session cookies. A worker serves over
# 1,000 kept learner pages a second at peak, so 2,000 requests (the earlier setting)
# replaced it every few seconds and cost more CPU than the pages themselves.
max_requests = 100000
max_requests_jitter = 10000
# Logs to stdout/stderr: journald keeps them under systemd.
accesslog = "-"
errorlog = "-"
# Visitors' addresses come from nginx's X-Forwarded-For, trusted by the app itself
# (LMS_PROXY_COUNT); gunicorn's own trust stays at its default, loopback only.
