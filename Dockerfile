# One image for web (gunicorn), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=smsoffice.settings.production

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt

COPY . .
# collectstatic needs settings but no real secret, key or database (a test runs this line).
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost MAILBOX_PASSWORD_KEYS=collectstatic-only \
    METRICS_TOKEN=collectstatic-only \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 smsoffice && mkdir -p /app/var && chown smsoffice /app/var
USER smsoffice
EXPOSE 8000
# -c (a file path, see its docstring): gevent workers, so slow clients do not hold them, and the
# metrics of all workers summed at /metrics.
CMD ["gunicorn", "smsoffice.wsgi:application", "-c", "smsoffice/gunicorn_conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
