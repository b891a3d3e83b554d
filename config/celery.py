import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Job modules are named jobs.py so the `tasks` app never holds a tasks/tasks.py.
app.autodiscover_tasks(related_name="jobs")
