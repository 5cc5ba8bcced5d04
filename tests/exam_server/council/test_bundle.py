"""Signed results bundles: made by the CLI and the page, checked by `audit verify-bundle`."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.cli import ScriptInfo
from sqlalchemy import select

from exam_server.cli import main
from exam_server.council.bundle import (
    public_pem,
    trusted_public_key,
    verify_bundle,
)
from exam_server.models.council import ResultsBundle
from tests.conftest import csrf_from
from tests.exam_server.council.conftest import sign_in
from tests.exam_server.council.factories_council import sit


def run_cli(app, *args):
    return CliRunner().invoke(
        main, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False
    )


@pytest.fixture
def bundle_path(app, db, clock, tmp_path):
    sat = sit(db, clock, [6, 2], code="BND1")
    sat.sitting.exam.status = "closed"
    db.flush()
    assert run_cli(app, "results", "compile", "BND1").exit_code == 0
    result = run_cli(app, "audit", "bundle", "BND1", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "out").glob("bundle-BND1-*.zip")
    return path


def rewrite(path, target, change):
    """Copy the zip to `target`, letting `change(members)` edit the members."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    change(members)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def test_a_fresh_bundle_verifies_and_lists_every_file(app, db, bundle_path):
    with zipfile.ZipFile(bundle_path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"results.xlsx", "results.csv", "results.pdf", "audit.json", "decisions.json"} <= names
    assert {"manifest.json", "manifest.sig", "public_key.pem"} <= names
    assert manifest["exam"] == "BND1" and len(manifest["files"]) == 5
    result = run_cli(app, "audit", "verify-bundle", str(bundle_path))
    assert result.exit_code == 0, result.output
    assert "Nguyên vẹn" in result.output
    record = db.scalar(select(ResultsBundle))
    assert record.filename == bundle_path.name and len(record.manifest_sha256) == 64


def test_an_altered_file_is_caught(app, bundle_path, tmp_path):
    def alter(members):
        members["results.csv"] = members["results.csv"].replace(
            b"Kh\xc3\xb4ng \xc4\x91\xe1\xba\xa1t", "Đạt".encode()
        )

    forged = rewrite(bundle_path, tmp_path / "forged.zip", alter)
    result = run_cli(app, "audit", "verify-bundle", str(forged), "--json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["signature_ok"] is True
    assert out["problems"] == [
        {"what": "altered", "file": "results.csv", "message": out["problems"][0]["message"]}
    ]
    assert "results.csv" in out["problems"][0]["message"]


def test_missing_and_unlisted_files_are_caught(app, bundle_path, tmp_path):
    def swap(members):
        del members["decisions.json"]
        members["extra.txt"] = b"added later"

    forged = rewrite(bundle_path, tmp_path / "forged.zip", swap)
    check = verify_bundle(forged, trusted_public_key(app.instance_path))
    assert sorted(check.problems) == [("missing", "decisions.json"), ("unlisted", "extra.txt")]
    result = run_cli(app, "audit", "verify-bundle", str(forged), "--lang", "en")
    assert result.exit_code == 1
    assert "decisions.json is listed in the manifest but missing." in result.output


def test_a_rewritten_manifest_breaks_the_signature(app, bundle_path, tmp_path):
    def rehash(members):
        import hashlib

        members["results.csv"] = b"forged"
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["files"]:
            if entry["name"] == "results.csv":
                entry["sha256"] = hashlib.sha256(b"forged").hexdigest()
                entry["size"] = 6
        members["manifest.json"] = json.dumps(manifest).encode()

    forged = rewrite(bundle_path, tmp_path / "forged.zip", rehash)
    check = verify_bundle(forged, trusted_public_key(app.instance_path))
    assert not check.signature_ok and check.problems == [("bad_signature", "manifest.sig")]


def test_a_bundle_signed_with_another_key_is_refused(app, bundle_path, tmp_path):
    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    result = run_cli(
        app, "audit", "verify-bundle", str(bundle_path), "--public-key", str(other), "--json"
    )
    assert result.exit_code == 1
    assert {p["what"] for p in json.loads(result.output)["problems"]} == {
        "bad_signature",
        "wrong_key",
    }


def test_an_unpacked_bundle_verifies_too(app, bundle_path, tmp_path):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle_path) as archive:
        archive.extractall(folder)
    assert run_cli(app, "audit", "verify-bundle", str(folder)).exit_code == 0
    (folder / "audit.json").write_text("{}")
    assert run_cli(app, "audit", "verify-bundle", str(folder)).exit_code == 1


def test_not_a_bundle(app, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    run_cli(app, "audit", "public-key")
    result = run_cli(app, "audit", "verify-bundle", str(junk), "--lang", "en")
    assert result.exit_code == 1 and "Not a results bundle" in result.output


def test_public_key_prints_the_fingerprint(app):
    first = run_cli(app, "audit", "public-key")
    assert first.exit_code == 0 and "BEGIN PUBLIC KEY" in first.output
    assert run_cli(app, "audit", "public-key").output == first.output  # the key is kept


def test_the_page_hands_out_a_verifiable_bundle(app, client, db, clock, tmp_path):
    sat = sit(db, clock, [6, 2], code="BND2")
    sat.sitting.exam.status = "closed"
    db.flush()
    sign_in(client, db, clock, "council_chair")
    page = f"/council/exams/{sat.sitting.exam.id}"
    token = csrf_from(client.get(page).text)
    response = client.post(f"{page}/bundle", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    path = tmp_path / "page.zip"
    path.write_bytes(response.data)
    assert verify_bundle(path, trusted_public_key(app.instance_path)).ok
