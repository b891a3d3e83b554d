FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/microgrid
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY common common
COPY grids grids
COPY residents residents
COPY tasks tasks
COPY outbox outbox
COPY deliberation deliberation
RUN pip install --no-cache-dir .
COPY . .
# A throwaway key: with DEBUG=0 the settings refuse a short one.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
