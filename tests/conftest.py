"""Shared fixtures: a migrated, seeded database per test (SQLite, or PostgreSQL via KELISIM_DATABASE_URL)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from processes.engine import ProcessEngine
from processes.policy_amendment import policy
from processes.usecases import deploy
from processes.usecases.context import Ctx, Services, Settings
from processes.usecases.seed import seed_demo
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker, transaction
from storage.migrate import upgrade
from storage.models import Base, User

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("KELISIM_DATABASE_URL", "")


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker has a PostgreSQL database of its own (`<database>_<worker>`, created
    once), since every test resets the whole schema of the database it uses."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if PG_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    PG_URL = _worker_database(PG_URL, os.environ["PYTEST_XDIST_WORKER"])
    os.environ["KELISIM_DATABASE_URL"] = PG_URL  # the tests and the servers they start use the worker's
DEMO_PASSWORD = "kelisim-demo"
KEEP = ("units", "users", "user_roles", "process_definitions", "documents", "policy_editions", "policy_clauses",
        "unit_memberships", "unit_parent_history", "decision_versions")


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """Compile the .po catalogs so the pages are tested in the catalogs' current state."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "web" / "translations").glob("*/LC_MESSAGES/messages.po"):
        # written aside and renamed: another worker (pytest-xdist) may be reading the catalog meanwhile
        partial = po.with_suffix(f".mo.{os.getpid()}")
        with po.open("rb") as src, partial.open("wb") as out:
            write_mo(out, read_po(src))
        os.replace(partial, po.with_suffix(".mo"))


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory):
    """The demo signing keys (issue 17), made once per session; every app, service and `kelisim` subprocess the
    tests start signs with them (through the environment: KELISIM_SIGNING_P12 and its password file)."""
    from processes import signing_keys as keys

    made = keys.make_demo_keys(tmp_path_factory.mktemp("signing-keys"))
    saved = {name: os.environ.get(name) for name in ("KELISIM_SIGNING_P12", "KELISIM_SIGNING_PASSWORD_FILE")}
    os.environ["KELISIM_SIGNING_P12"] = str(made.p12)
    os.environ["KELISIM_SIGNING_PASSWORD_FILE"] = str(made.password_file)
    yield made
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def engine_dir() -> Path:
    return ROOT / "processes"


@pytest.fixture(scope="session")
def _template(tmp_path_factory, engine_dir):
    """Migrate and seed once; each test starts from a copy of this state."""
    if PG_URL:
        eng = make_engine(PG_URL)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(eng)
        _seed(eng, engine_dir)
        with eng.connect() as conn:
            snapshot = {t: [dict(r._mapping) for r in conn.execute(select(Base.metadata.tables[t]))] for t in KEEP}
        yield {"kind": "pg", "engine": eng, "snapshot": snapshot}
        eng.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "kelisim.sqlite3"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    _seed(eng, engine_dir)
    eng.dispose()  # the last connection to close checkpoints the WAL into the file
    yield {"kind": "sqlite", "path": path}


def _seed(eng, engine_dir: Path) -> None:
    with transaction(make_sessionmaker(eng)) as session:
        seed_demo(session, DEMO_PASSWORD)
        deploy.deploy(session, ProcessEngine(engine_dir))
        policy.import_policy(Ctx(session=session, services=None))


@pytest.fixture
def db_url(_template, tmp_path) -> str:
    """A database URL holding exactly the seeded demo organisation."""
    if _template["kind"] == "sqlite":
        target = tmp_path / "kelisim.sqlite3"
        shutil.copy(_template["path"], target)
        return f"sqlite:///{target}"
    eng = _template["engine"]
    tables = [t.name for t in Base.metadata.sorted_tables]
    with eng.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER ALL"))
        conn.execute(text("ALTER TABLE audit_head ENABLE TRIGGER ALL"))
        # The audit tables refuse TRUNCATE and a head moved back; the reset, as the owner, fires no triggers.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in Base.metadata.sorted_tables:
            rows = _template["snapshot"].get(table.name)
            if rows:
                conn.execute(insert(table), rows)
                if "id" in table.c and isinstance(rows[0].get("id"), int):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT max(id) FROM {table.name}))"))
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
    return PG_URL


@pytest.fixture
def factory(db_url):
    eng = make_engine(db_url)
    yield make_sessionmaker(eng)
    eng.dispose()


@pytest.fixture
def services(tmp_path, engine_dir) -> Services:
    return Services(engine=ProcessEngine(engine_dir), blobs=BlobStore(tmp_path / "blobs"),
                    settings=Settings(base_url="https://kelisim.test"))


class Actions:
    """Run use cases as a named demo user, each call in its own committed transaction."""

    def __init__(self, factory, services):
        self.factory, self.services = factory, services

    def __call__(self, username: str | None, fn, *args, **kwargs):
        with transaction(self.factory) as session:
            user = session.execute(select(User).where(User.username == username)).scalar_one() \
                if username else None
            return fn(Ctx(session=session, services=self.services, user=user), *args, **kwargs)


@pytest.fixture
def act(factory, services) -> Actions:
    return Actions(factory, services)


@pytest.fixture
def app(db_url, tmp_path):
    from web import create_app

    # RENDER_INLINE: issued PDFs are rendered right after the request's commit, so a test may download
    # them at once; the background render queue itself is tested with apps built without it
    # (tests/web/test_pending_documents.py, tests/service/test_render_queue.py)
    app = create_app({"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "SESSION_COOKIE_SECURE": False, "TESTING": True, "BASE_URL": "https://kelisim.test",
                      "RENDER_INLINE": True})
    yield app
    app.extensions["kelisim.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str, password: str = DEMO_PASSWORD):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def api_token(client, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
