"""The bare route the answer-save endpoint is compared with (same gunicorn settings)."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/bare", methods=["GET", "POST"])
def bare():
    request.get_data()
    return jsonify(ok=True, acked_seq=1)
