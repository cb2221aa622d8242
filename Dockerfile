# Image for compose.yaml (production users). Not built in this repository's CI: the
# development machines have no Docker engine.
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && mkdir -p /var/lib/goldentime && chown nobody /var/lib/goldentime
USER nobody
