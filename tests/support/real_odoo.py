"""A real Odoo 18.0 for the tests, from ``../shared/odoo18/`` (see its README).

- The tarball is unpacked, and Odoo gets a venv of its own (Odoo pins old libraries),
  both in a cache folder (``AIE_ODOO18_CACHE``, default ``~/.cache/ai-employee/odoo18``)
  that later runs reuse.
- A private PostgreSQL cluster runs on loopback as the ``postgres`` user, as the mail
  and sync fixtures run theirs.
- The cluster holding one database with ``account`` (``acme_base``, 30 s to make) is kept
  in the cache too, and copied for each run; each test gets its own copy of the database
  (``createdb -T``, a fraction of a second).
- ``odoo-bin`` serves every copy on a free port; everything stops after the session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import odoorpc

from devstack.find_uv import find_uv
from devstack.mail_servers import free_port
from servers.odoo_mcp.server import build_server
from shared.settings import OdooSettings

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT.parent / "shared" / "odoo18"
TARBALL = SHIPPED / "odoo-18.0-account-lgpl.tar.gz"
REQUIREMENTS = SHIPPED / "requirements-py311.txt"
OUR_ADDONS = ROOT / "deployment" / "odoo_addons"


def _pg_bin() -> Path:
    """Debian's newest PostgreSQL (``/usr/lib/postgresql/<major>/bin``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
ADMIN_UID = 2  # base.user_admin
CLUSTER_RECIPE = 3  # bump when what goes into the kept cluster changes


def missing() -> str | None:
    """Why real Odoo cannot run here, or None."""
    if not TARBALL.is_file():
        return f"no Odoo 18 tarball at {TARBALL}"
    if not (PG_BIN / "initdb").is_file():
        return "PostgreSQL is not installed (scripts/bootstrap.sh installs it as root)"
    if os.geteuid() != 0:
        return "the private PostgreSQL cluster runs as the postgres user: needs root"
    if find_uv() is None:
        return "uv is not installed (scripts/bootstrap.sh installs it)"
    return None


def _run(argv: list[str], what: str, **options: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, **options)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


@dataclass
class RealOdoo:
    cache: Path = field(
        default_factory=lambda: Path(
            os.environ.get("AIE_ODOO18_CACHE", Path.home() / ".cache" / "ai-employee" / "odoo18")
        )
    )
    run_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aie-odoo18-")))
    pg_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    db_password: str = "odoo-test-pw"
    _odoo: subprocess.Popen[bytes] | None = None
    _copies: count[int] = field(default_factory=lambda: count(1))
    _templates: set[str] = field(default_factory=set)
    _admins: dict[str, Any] = field(default_factory=dict)
    admin_key: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def admin(self) -> tuple[str, str]:
        """How the tests sign in as ``admin``: with its API key (see ``_admin_by_key``)."""
        return ("admin", self.admin_key)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def src(self) -> Path:
        return self.cache / "src"

    @property
    def python(self) -> Path:
        return self.cache / "venv" / "bin" / "python"

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> RealOdoo:
        try:
            self._timed("unpack and venv", self._prepare)
            self._timed("postgresql and the account database", self._cluster)
            self._timed("odoo start", self._serve)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _timed(self, step: str, work: Any) -> None:
        start = time.monotonic()
        work()
        self.timings[step] = time.monotonic() - start

    def _prepare(self) -> None:
        stamp = self.cache / ".prepared"
        digest = hashlib.sha256(TARBALL.read_bytes() + REQUIREMENTS.read_bytes()).hexdigest()
        if stamp.is_file() and stamp.read_text() == digest and self.python.is_file():
            return
        shutil.rmtree(self.cache, ignore_errors=True)
        self.cache.mkdir(parents=True)
        with tarfile.open(TARBALL) as archive:
            archive.extractall(self.cache, filter="data")
        uv = str(find_uv())
        _run([uv, "venv", "-q", "--python", "3.11", str(self.cache / "venv")], "uv venv")
        _run(
            [uv, "pip", "install", "-q", "--python", str(self.python), "-r", str(REQUIREMENTS)],
            "installing Odoo's requirements",
        )
        stamp.write_text(digest)

    def _cluster(self) -> None:
        """A running cluster holding ``acme_base``: a copy of the cached one, or made now."""
        kept = self.cache / f"cluster-{PG_BIN.parts[-2]}-{CLUSTER_RECIPE}"
        self.run_dir.chmod(0o755)
        (self.run_dir / "sock").mkdir()
        shutil.chown(self.run_dir / "sock", "postgres")
        key_file = kept.with_name(kept.name + ".admin-key")
        if (kept / "PG_VERSION").is_file() and key_file.is_file():
            _run(["cp", "-a", str(kept), str(self.run_dir / "data")], "copying the kept cluster")
            self.admin_key = key_file.read_text().strip()
            self.start_postgres()
            return
        self._init_postgres()
        self.start_postgres()
        self._init_base()
        self._admin_by_key()
        self.stop_postgres()
        copying = kept.with_name(kept.name + ".part")
        shutil.rmtree(copying, ignore_errors=True)
        _run(["cp", "-a", str(self.run_dir / "data"), str(copying)], "keeping the cluster")
        shutil.rmtree(kept, ignore_errors=True)
        copying.rename(kept)
        key_file.write_text(self.admin_key)
        self.start_postgres()

    def _admin_by_key(self) -> None:
        """``admin`` signs in with an API key and has no password. Odoo 18 hashes passwords
        with at least 600,000 rounds of PBKDF2 (``MIN_ROUNDS``, about 0.85 s of CPU here),
        paid at each login and at each first call with it, several times per test; a key
        is checked with 6,000 rounds. With no password stored, Odoo's password check fails
        at once and the key check follows, as it does for any key."""
        self.admin_key = self.api_key("acme_base", ADMIN_UID, "tests", expires=False)
        self.psql("acme_base", f"UPDATE res_users SET password = NULL WHERE id = {ADMIN_UID}")

    def _as_postgres(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args], tool)

    def _init_postgres(self) -> None:
        (self.run_dir / "data").mkdir()
        password_file = self.run_dir / "pw"
        password_file.write_text(self.db_password)
        shutil.chown(self.run_dir / "data", "postgres")
        shutil.chown(password_file, "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.run_dir / "data"), "-A", "scram-sha-256",
            f"--pwfile={password_file}", "-U", "odoo",
        )  # fmt: skip
        password_file.unlink()

    def start_postgres(self) -> None:
        options = f"-p {self.pg_port} -k {self.run_dir / 'sock'} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            "pg_ctl", "-D", str(self.run_dir / "data"), "-l", str(self.run_dir / "sock" / "pg.log"),
            "-w", "-o", options, "start",
        )  # fmt: skip

    def _db_flags(self) -> list[str]:
        return [
            "--db_host", "127.0.0.1", "--db_port", str(self.pg_port),
            "--db_user", "odoo", "--db_password", self.db_password,
            "--data-dir", str(self.run_dir / "filestore"),
        ]  # fmt: skip

    def _odoo_bin(self) -> list[str]:
        addons = f"{self.src / 'odoo' / 'addons'},{self.src / 'category_stubs'},{OUR_ADDONS}"
        return [str(self.python), str(self.src / "odoo-bin"), f"--addons-path={addons}"]

    def _init_base(self) -> None:
        with (self.run_dir / "init.log").open("wb") as log:
            done = subprocess.run(
                [*self._odoo_bin(), "-d", "acme_base", "-i", "account", "--without-demo=all",
                 "--stop-after-init", *self._db_flags()],
                stdout=log, stderr=log, timeout=600,
            )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"odoo -i account failed; see {self.run_dir / 'init.log'}")

    def _serve(self) -> None:
        log = (self.run_dir / "odoo.log").open("ab")
        self._odoo = subprocess.Popen(
            [*self._odoo_bin(), *self._db_flags(), "--http-interface", "127.0.0.1",
             "--http-port", str(self.http_port), "--workers", "0", "--max-cron-threads", "0",
             "--db-filter", "^acme_t[0-9]", "--no-database-list"],
            stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._odoo.poll() is not None:
                raise RuntimeError(f"odoo-bin stopped; see {self.run_dir / 'odoo.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/webclient/version_info", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (that route wants a JSON POST)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("odoo-bin did not answer within 120 s")

    def restart(self) -> None:
        """Stop ``odoo-bin`` and start it again on the same port (its caches go with it)."""
        self._stop_odoo()
        self._serve()

    def _stop_odoo(self) -> None:
        if self._odoo is not None and self._odoo.poll() is None:
            self._odoo.terminate()
            try:
                self._odoo.wait(20)
            except subprocess.TimeoutExpired:
                self._odoo.kill()

    def stop(self) -> None:
        self._stop_odoo()
        self.stop_postgres()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def stop_postgres(self) -> None:
        if (self.run_dir / "data" / "postmaster.pid").is_file():
            subprocess.run(
                ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"),
                 "-D", str(self.run_dir / "data"), "-m", "fast", "-w", "stop"],
                capture_output=True, timeout=60,
            )  # fmt: skip

    # -- per test ----------------------------------------------------------------------------
    def new_database(self, *modules: str) -> str:
        """A fresh copy of the account database, for one test, with our ``modules``
        (from ``deployment/odoo_addons``) installed. Each set of modules is installed once
        per session, in a template database that later copies start from."""
        template = "acme_base"
        if modules:
            template = "acme_t0_" + "_".join(sorted(modules))
            if template not in self._templates:
                self._copy("acme_base", template)
                self.install(template, *modules)
                self._templates.add(template)
        name = f"acme_t{next(self._copies)}"
        self._copy(template, name)
        return name

    def _copy(self, template: str, name: str) -> None:
        self.psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def install(self, db: str, *modules: str) -> None:
        admin = self.rpc(db)
        ids = admin.execute_kw("ir.module.module", "search", [[["name", "in", list(modules)]]])
        assert len(ids) == len(modules), f"not all of {modules} found in the addons path"
        admin.execute_kw("ir.module.module", "button_immediate_install", [ids])
        # Postgres copies no database with open connections, and Odoo pools its own
        self.psql(
            "postgres",
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'",
        )

    def psql(self, db: str, statement: str) -> str:
        env = dict(os.environ, PGPASSWORD=self.db_password)
        done = _run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "odoo",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement],
            "psql", env=env,
        )  # fmt: skip
        return done.stdout.strip()

    def _odoo_python(self, code: str, what: str) -> str:
        return _run([str(self.python), "-c", code], what, cwd=self.src).stdout

    def add_user(self, db: str, login: str, *groups: str) -> int:
        """An internal user ``login`` (password = login) in ``groups`` (xml ids)."""
        admin = self.rpc(db)
        group_ids = [self.xml_id(db, group) for group in ("base.group_user", *groups)]
        return int(
            admin.execute_kw(
                "res.users",
                "create",
                [
                    {
                        "name": login,
                        "login": login,
                        "password": login,
                        "groups_id": [(6, 0, group_ids)],
                    }
                ],
            )  # fmt: skip
        )

    def xml_id(self, db: str, xml_id: str) -> int:
        module, name = xml_id.split(".")
        (row,) = self.rpc(db).execute_kw(
            "ir.model.data", "search_read",
            [[["module", "=", module], ["name", "=", name]]], {"fields": ["res_id"]},
        )  # fmt: skip
        return int(row["res_id"])

    def api_key(self, db: str, uid: int, name: str = "ai-employee", expires: bool = True) -> str:
        """A new API key of user ``uid``, made as ``res.users.apikeys._generate`` makes one:
        hashed by Odoo's own ``KEY_CRYPT_CONTEXT``, in Odoo's venv; valid for a day, or for
        ever (what Odoo allows an administrator)."""
        made = self._odoo_python(
            "import binascii, os, sys\n"
            "from odoo.addons.base.models.res_users import KEY_CRYPT_CONTEXT, API_KEY_SIZE\n"
            "key = binascii.hexlify(os.urandom(API_KEY_SIZE)).decode()\n"
            "print(key, KEY_CRYPT_CONTEXT.hash(key))",
            "hashing an API key",
        )
        key, hashed = made.split()
        until = "now() at time zone 'utc' + interval '1 day'" if expires else "NULL"
        self.psql(
            db,
            "INSERT INTO res_users_apikeys (name, user_id, scope, expiration_date, key, index) "
            f"VALUES ('{name}', {uid}, NULL, {until}, '{hashed}', '{key[:8]}')",
        )
        return key

    def outstanding_receipts(self, db: str) -> int:
        """A reconcilable "Outstanding Receipts" account (the generic chart has none) on the
        bank journal's inbound payment methods, as an accountant sets one up; its id."""
        admin = self.rpc(db)
        account = admin.execute_kw(
            "account.account",
            "create",
            [{"name": "Outstanding Receipts", "code": "101499", "account_type": "asset_current",
              "reconcile": True}],
        )  # fmt: skip
        (bank,) = admin.execute_kw("account.journal", "search", [[["type", "=", "bank"]]])
        lines = admin.execute_kw(
            "account.payment.method.line",
            "search",
            [[["journal_id", "=", bank], ["payment_type", "=", "inbound"]]],
        )
        admin.execute_kw(
            "account.payment.method.line", "write", [lines, {"payment_account_id": account}]
        )
        return int(account)

    def rpc(self, db: str) -> Any:
        """Plain odoorpc as admin, to read figures back (``execute_kw``: ``browse`` fails on
        Odoo 18); one login per database."""
        if db not in self._admins:
            odoo = odoorpc.ODOO("127.0.0.1", port=self.http_port, timeout=60)
            odoo.login(db, *self.admin)
            self._admins[db] = odoo
        return self._admins[db]


def servers(
    real_odoo: RealOdoo,
    db: str,
    make_settings: Any,
    clock: Any,
    role: str,
    login: tuple[str, str] | None = None,
) -> Any:
    """odoo-mcp on ``role``, in this process, against the real server's database ``db``,
    logged in as ``login`` (user, password or API key; ``admin`` by default)."""
    user, password = login or real_odoo.admin
    odoo = OdooSettings(url=real_odoo.url, db=db, user=user, password=password, timeout_s=60)
    return build_server(make_settings(role), odoo, clock)


def read_move(real_odoo: RealOdoo, db: str, move_id: int) -> dict[str, Any]:
    """An invoice's figures as Odoo has them, read with plain odoorpc."""
    fields = ["name", "state", "move_type", "amount_untaxed", "amount_tax", "amount_total"]
    fields += ["amount_residual", "payment_state", "ref"]
    (row,) = real_odoo.rpc(db).execute_kw("account.move", "read", [[move_id]], {"fields": fields})
    return dict(row)
