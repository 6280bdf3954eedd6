"""The baseline for bench.production: a bare Flask JSON endpoint, served the same way as Makker
(`gunicorn bench.bare_app:app` with the same gunicorn configuration, workers and threads).

It does what every JSON request needs and nothing Makker-specific: parse a small JSON body, answer
a small JSON object. No database, no session, no CSRF, no rate limit."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/ping")
def ping():
    data = request.get_json(silent=True) or {}
    return jsonify({"pong": True, "fields": len(data)})
