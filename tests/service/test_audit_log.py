"""The provable audit log (issue 17): the Merkle tree over the audit entries, signed checkpoints, proofs, the
standalone verifier, witnesses; and the point of the issue: a rewrite of history that recomputes the hash chain
and the tree passes `audit verify` but fails the consistency proof against a checkpoint kept outside."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from processes import worker
from processes.usecases.audit_checkpoints import checkpoint_step
from processes.usecases.context import Ctx, Services, SmtpSettings
from storage import audit, audit_log, merkle
from storage.audit import Actor
from storage.db import transaction
from storage.models import AuditCheckpoint, AuditEvent, AuditHead, AuditWitnessMail, OutboxMail, utcnow

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "verify_audit.py"


@pytest.fixture
def cp_settings(tmp_path) -> audit_log.CheckpointSettings:
    return audit_log.CheckpointSettings(key_path=tmp_path / "keys" / audit_log.KEY_FILE,
                                        origin="kelisim.test/kelisim-audit")


@pytest.fixture
def cp_services(services, cp_settings) -> Services:
    return dataclasses.replace(services, settings=dataclasses.replace(services.settings, checkpoints=cp_settings))


def _append(factory, n: int, word: str = "entry") -> None:
    with transaction(factory) as s:
        for i in range(n):
            audit.append(s, Actor("tester", "auditor"), "test_event", object=f"test:{i}",
                         data={"i": i, "word": word}, comment=f"{word} {i} — жазба")


def _checkpoint(factory, services, now=None) -> AuditCheckpoint:
    with transaction(factory) as s:
        made = checkpoint_step(Ctx(session=s, services=services, clock=lambda: now or utcnow()), force=True)
        assert made is not None
        s.expunge(made)
        return made


def _size(factory) -> int:
    with factory() as s:
        return s.execute(select(func.max(AuditEvent.seq))).scalar() or 0


def _key(services) -> str:
    return audit_log.signer(services.settings.checkpoints).verifier_key()


def test_every_entry_of_a_1000_entry_log_has_a_valid_inclusion_proof(factory, cp_services):
    _append(factory, 1000 - _size(factory))
    cp = _checkpoint(factory, cp_services)
    assert cp.tree_size == 1000
    root = bytes.fromhex(cp.root_hash)
    with factory() as s:
        entries = audit.entries(s)
        leaves = [audit.leaf_bytes(ev) for ev in entries]
        assert root == merkle.MemoryTree(leaves).root()  # the stored tree is the tree of the entries' bytes
        for ev, data in zip(entries, leaves, strict=True):
            proof = audit_log.inclusion(s, ev.seq, 1000)
            assert proof.leaf_hash == hashlib.sha256(b"\x00" + data).digest()
            assert merkle.verify_inclusion(ev.seq - 1, 1000, proof.leaf_hash, proof.hashes, root)
        # and against an older size, and not for another leaf
        proof = audit_log.inclusion(s, 17, 333)
        assert merkle.verify_inclusion(16, 333, proof.leaf_hash, proof.hashes, audit_log.root_at(s, 333))
        assert not merkle.verify_inclusion(16, 333, merkle.leaf_hash(leaves[17]), proof.hashes,
                                           audit_log.root_at(s, 333))


def test_consistency_between_checkpoints_of_a_growing_log(factory, cp_services):
    sizes = []
    for n in (1, 2, 5, 31, 64, 3, 100, 57):
        _append(factory, n)
        sizes.append(_checkpoint(factory, cp_services).tree_size)
    with factory() as s:
        roots = {size: audit_log.root_at(s, size) for size in range(1, sizes[-1] + 1)}
        stored = {c.tree_size: bytes.fromhex(c.root_hash) for c in s.execute(select(AuditCheckpoint)).scalars()}
        assert all(roots[size] == stored[size] for size in sizes)
        pairs = [(a, b) for a in range(1, sizes[-1] + 1, 7) for b in range(a, sizes[-1] + 1, 11)]
        pairs += [(a, b) for a in sizes for b in sizes if a <= b]
        for a, b in pairs:
            hashes = audit_log.consistency(s, a, b)
            assert merkle.verify_consistency(a, b, roots[a], roots[b], hashes), (a, b)
            if a < b:
                assert not merkle.verify_consistency(a, b, roots[b], roots[b], hashes)


def test_proofs_outside_the_tree_are_refused(factory, cp_services):
    _append(factory, 10)
    size = _checkpoint(factory, cp_services).tree_size
    with factory() as s:
        for seq, at in ((0, size), (size + 1, size + 1), (5, 4), (3, size + 1)):
            with pytest.raises(audit_log.ProofError):
                audit_log.inclusion(s, seq, at)
        for old, new in ((0, 3), (5, 4), (2, size + 1)):
            with pytest.raises(audit_log.ProofError):
                audit_log.consistency(s, old, new)


def test_checkpoint_note_is_a_signed_note_cryptography_verifies(factory, cp_services):
    _append(factory, 3)
    cp = _checkpoint(factory, cp_services)
    key_line = _key(cp_services)
    name, key_hash_hex, key_b64 = key_line.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert name == "kelisim.test/kelisim-audit" and raw[0] == 1 and len(raw) == 33
    assert bytes.fromhex(key_hash_hex) == hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4]
    body, blank, sig_line = cp.note.partition("\n\n")
    assert blank and cp.note.endswith("\n")
    origin, size, root_b64 = body.split("\n")
    assert (origin, int(size), base64.b64decode(root_b64).hex()) == (name, cp.tree_size, cp.root_hash)
    dash, signer_name, sig_b64 = sig_line.rstrip("\n").split(" ")
    assert dash == "\u2014" and signer_name == name
    blob = base64.b64decode(sig_b64)
    assert blob[:4] == bytes.fromhex(key_hash_hex) and len(blob) == 68
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    public.verify(blob[4:], (body + "\n").encode())  # raises when it does not verify
    with pytest.raises(InvalidSignature):
        public.verify(blob[4:], (body.replace(size, str(int(size) + 1), 1) + "\n").encode())


def test_new_tables_are_insert_only(factory, cp_services):
    _append(factory, 4)
    _checkpoint(factory, cp_services)
    for stmt in ("UPDATE audit_tree_nodes SET hash = hash WHERE level = 0 AND idx = 0",
                 "DELETE FROM audit_tree_nodes WHERE level = 0 AND idx = 0",
                 "UPDATE audit_checkpoints SET note = 'x'", "DELETE FROM audit_checkpoints"):
        with factory() as s, pytest.raises(DBAPIError):
            s.execute(text(stmt))
            s.commit()


def _run_verifier(*args: str) -> subprocess.CompletedProcess:
    """tools/verify_audit.py with only the standard library and cryptography (and its dependency cffi)
    importable: -I ignores PYTHONPATH and the user's site, -S the venv's site-packages; a directory of links
    to those two packages alone is put on sys.path."""
    import cryptography

    only = Path(tempfile.gettempdir()) / f"kelisim-verify-audit-path-{os.getpid()}"
    only.mkdir(exist_ok=True)
    site = Path(cryptography.__file__).parent.parent
    for name in ("cryptography", "cffi", "_cffi_backend"):
        for found in site.glob(f"{name}*"):
            if not (only / found.name).exists():
                (only / found.name).symlink_to(found)
    code = (f"import sys; sys.path.insert(0, {str(only)!r}); sys.argv = ['verify_audit.py', *{list(args)!r}]; "
            f"import runpy; runpy.run_path({str(VERIFIER)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)


def test_standalone_verifier_checks_a_bundle_and_refuses_a_forged_one(factory, cp_services, tmp_path):
    probe = _run_verifier("--help")
    assert probe.returncode == 0, probe.stderr
    no_sqlalchemy = subprocess.run([sys.executable, "-I", "-S", "-c", "import sqlalchemy"], capture_output=True)
    assert no_sqlalchemy.returncode != 0  # the subprocess really sees nothing of the project's environment
    _append(factory, 20)
    _checkpoint(factory, cp_services)
    key = _key(cp_services)
    with factory() as s:
        bundle = audit_log.bundle(s, cp_services.settings.checkpoints, 7)
    good = tmp_path / "b.json"
    good.write_text(json.dumps(bundle))
    result = _run_verifier("bundle", str(good), "--key", key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: entry 7" in result.stdout

    forged = json.loads(json.dumps(bundle))
    forged["entry"]["comment"] = "something else"
    forged["leaf"] = base64.b64encode(audit.canonical(forged["entry"])).decode()
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = _run_verifier("bundle", str(tmp_path / "forged.json"), "--key", key)
    assert result.returncode == 1 and "FAILED" in result.stdout

    other = audit_log.Signer("kelisim.test/kelisim-audit",
                             audit_log._load(str(audit_log.make_demo_checkpoint_key(tmp_path / "other")), 0,
                                             "kelisim.test/kelisim-audit").private)
    result = _run_verifier("bundle", str(good), "--key", other.verifier_key())
    assert result.returncode == 1 and "signature" in result.stdout


def _rewrite_history(factory, seq: int) -> None:
    """What an attacker with write access to the database can do: edit entry `seq`, recompute the hash chain
    from there and move the head, throw away the Merkle tree and the checkpoints (the guards lifted as the
    database's owner can)."""
    with factory() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            names = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                                     "(tbl_name LIKE 'audit_%')"))]
            for name in names:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        entries = audit.entries(s, AuditEvent.seq >= seq - 1)
        prev = entries[0].hash
        for ev in entries[1:]:
            changed = dataclasses.replace(ev, prev_hash=prev)
            if ev.seq == seq:
                changed = dataclasses.replace(changed, comment="rewritten by the attacker")
            new_hash = audit.compute_hash(changed)
            s.execute(text("UPDATE audit_events SET comment = :c, prev_hash = :p, hash = :h WHERE seq = :seq"),
                      {"c": changed.comment, "p": prev, "h": new_hash, "seq": ev.seq})
            prev = new_hash
        s.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
        for table in ("audit_witness_mails", "audit_checkpoints", "audit_tree_nodes"):
            s.execute(text(f"DELETE FROM {table}"))
        s.commit()


def test_a_rewritten_history_passes_the_chain_check_but_not_the_checkpoint_kept_outside(
        factory, cp_services, tmp_path):
    _append(factory, 40)
    kept = _checkpoint(factory, cp_services)  # a witness keeps this one, outside Kelisim
    (tmp_path / "old.txt").write_text(kept.note)
    _append(factory, 15)

    _rewrite_history(factory, seq=kept.tree_size - 10)
    with factory() as s:
        assert audit.verify(s).ok  # today's check sees nothing: the chain was recomputed
        assert s.get(AuditHead, 1).seq == kept.tree_size + 15

    # the server goes on: it rebuilds the tree from the rewritten entries and signs what it sees
    later = _checkpoint(factory, cp_services)
    (tmp_path / "new.txt").write_text(later.note)
    with factory() as s:
        assert audit_log.root_at(s, kept.tree_size).hex() != kept.root_hash
        hashes = audit_log.consistency(s, kept.tree_size, later.tree_size)
    assert not merkle.verify_consistency(kept.tree_size, later.tree_size, bytes.fromhex(kept.root_hash),
                                         bytes.fromhex(later.root_hash), hashes)
    proof = {"from": kept.tree_size, "to": later.tree_size, "hashes": [audit_log.b64(h) for h in hashes]}
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    result = _run_verifier("consistency", str(tmp_path / "old.txt"), str(tmp_path / "new.txt"),
                           str(tmp_path / "proof.json"), "--key", _key(cp_services))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "changed, removed or reordered" in result.stdout


def test_an_untouched_history_is_consistent_with_the_checkpoint_kept_outside(factory, cp_services, tmp_path):
    _append(factory, 40)
    kept = _checkpoint(factory, cp_services)
    _append(factory, 15)
    later = _checkpoint(factory, cp_services)
    with factory() as s:
        hashes = audit_log.consistency(s, kept.tree_size, later.tree_size)
    (tmp_path / "old.txt").write_text(kept.note)
    (tmp_path / "new.txt").write_text(later.note)
    (tmp_path / "proof.json").write_text(json.dumps(
        {"from": kept.tree_size, "to": later.tree_size, "hashes": [audit_log.b64(h) for h in hashes]}))
    result = _run_verifier("consistency", str(tmp_path / "old.txt"), str(tmp_path / "new.txt"),
                           str(tmp_path / "proof.json"), "--key", _key(cp_services))
    assert result.returncode == 0, result.stdout + result.stderr
    # swapping old and new is no proof either
    result = _run_verifier("consistency", str(tmp_path / "new.txt"), str(tmp_path / "old.txt"),
                           str(tmp_path / "proof.json"), "--key", _key(cp_services))
    assert result.returncode == 1


def test_the_tree_stops_before_an_entry_that_breaks_the_chain(factory, cp_services):
    _append(factory, 5)
    size = _size(factory)
    with factory() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(text("UPDATE audit_events SET comment = 'edited' WHERE seq = :seq"), {"seq": size - 2})
        s.commit()
    with transaction(factory) as s:
        grown = audit_log.extend_tree(s)
    assert (grown.size, grown.stopped_at) == (size - 3, size - 2)


def test_worker_checkpoints_each_minute_and_mails_witnesses_hourly(factory, cp_services):
    settings = dataclasses.replace(cp_services.settings, smtp=SmtpSettings(host="localhost"),
                                   checkpoints=dataclasses.replace(cp_services.settings.checkpoints,
                                                                   witnesses=("rector@kineu.kz", "audit@firm.kz")))
    services = dataclasses.replace(cp_services, settings=settings)
    t0 = utcnow()
    _append(factory, 2)
    assert worker.make_checkpoint(factory, services, t0)  # the first one at once
    assert not worker.make_checkpoint(factory, services, t0 + timedelta(seconds=5))  # nothing new
    _append(factory, 1)
    assert not worker.make_checkpoint(factory, services, t0 + timedelta(seconds=30))  # too early
    assert worker.make_checkpoint(factory, services, t0 + timedelta(seconds=61))
    _append(factory, 1)
    assert worker.make_checkpoint(factory, services, t0 + timedelta(seconds=125))
    with factory() as s:
        mails = s.execute(select(OutboxMail).where(OutboxMail.recipient.in_(settings.checkpoints.witnesses))
                          ).scalars().all()
        assert sorted(m.recipient for m in mails) == ["audit@firm.kz", "rector@kineu.kz"]  # once within the hour
        first = audit_log.latest(s)
        assert first is not None
        sent = s.execute(select(AuditWitnessMail)).scalars().one()
        assert mails[0].body.endswith(s.get(AuditCheckpoint, sent.tree_size).note)
        assert _key(services) in mails[0].body
    # an hour later the newest checkpoint goes out, even with nothing new since
    assert not worker.make_checkpoint(factory, services, t0 + timedelta(seconds=3700))
    with factory() as s:
        mails = s.execute(select(OutboxMail).where(OutboxMail.recipient == "rector@kineu.kz")
                          .order_by(OutboxMail.id)).scalars().all()
        assert len(mails) == 2 and mails[1].body.endswith(audit_log.latest(s).note)


def test_default_key_is_made_at_first_use_and_a_configured_missing_one_is_an_error(tmp_path):
    settings = audit_log.settings_from({}, tmp_path, "https://kelisim.kineu.kz:8443/app")
    assert settings.origin == "kelisim.kineu.kz:8443/kelisim-audit"
    assert not settings.key_path.exists()
    key = audit_log.signer(settings)
    assert settings.key_path.exists() and oct(settings.key_path.stat().st_mode & 0o777) == "0o600"
    assert audit_log.signer(settings).verifier_key() == key.verifier_key()  # kept, not made anew
    configured = audit_log.settings_from({"KELISIM_CHECKPOINT_KEY": str(tmp_path / "absent.pem")}, tmp_path,
                                         "http://x")
    with pytest.raises(audit_log.CheckpointKeyError):
        audit_log.signer(configured)
    with pytest.raises(ValueError):
        audit_log.settings_from({"KELISIM_CHECKPOINT_ORIGIN": "a b"}, tmp_path, "http://x")


def test_cli_checkpoint_and_prove_write_a_bundle_the_verifier_accepts(factory, db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from web.cli import main

    _append(factory, 3)
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    too_early = CliRunner().invoke(main, ["audit", "prove", "2"])
    assert too_early.exit_code == 1 and "not yet covered" in too_early.output
    made = CliRunner().invoke(main, ["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    origin, size = made.output.split("\n")[:2]
    assert origin == "127.0.0.1:5000/kelisim-audit" and int(size) == _size(factory)
    out = tmp_path / "proof.json"
    proved = CliRunner().invoke(main, ["audit", "prove", "2", "-o", str(out)])
    assert proved.exit_code == 0, proved.output
    bundle = json.loads(out.read_text())
    assert bundle["entry"]["seq"] == 2 and bundle["checkpoint"].startswith(made.output.split("\n\n")[0])
    key = bundle["key"]
    result = _run_verifier("bundle", str(out), "--key", key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert CliRunner().invoke(main, ["audit", "prove", "0"]).exit_code != 0
