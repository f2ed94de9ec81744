# StepWise web, worker and beat image (one image, three commands: see docker-compose.yml).
FROM node:20.18.0-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11.10-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=stepwise.settings
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs settings that refuse to start without a real key: give it a throwaway one.
RUN DEBUG=false ALLOWED_HOSTS=build SECRET_KEY=collectstatic-only-$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 stepwise \
 && mkdir -p /app/media && chown stepwise /app/media
# Uploaded pictures (MEDIA_ROOT); compose mounts its `media` volume here, which starts out with
# this directory's owner, so the app can write to it.
USER stepwise
EXPOSE 8000
CMD ["gunicorn", "stepwise.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--no-control-socket", "--access-logfile", "-"]
