"""The Odoo deployment for the cloud VM: compose file, Caddyfile, odoo.conf, backup script.

No Docker engine runs here, so the compose file is checked as data, its Odoo entrypoint is
run by sh against temp files, and `docker compose config` runs only where Compose exists.
The backup script runs for real: with a fake pg_dump on PATH, and against a throwaway
PostgreSQL cluster with the real pg_dump.
"""

from __future__ import annotations

import configparser
import glob
import os
import pwd
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CLOUD = ROOT / "deployment" / "cloud"
COMPOSE = CLOUD / "docker-compose.odoo.yml"
CADDYFILE = CLOUD / "Caddyfile"
ODOO_CONF = CLOUD / "odoo" / "odoo.conf"
BACKUP_SH = CLOUD / "odoo-backup.sh"

SERVICES = ("db", "odoo", "proxy", "backup")
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|KEY|TOKEN", re.IGNORECASE)
# ${NAME} or ${NAME:?message}: a required variable, never a default that would be inline.
REQUIRED_REF = re.compile(r"\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*)?\}")
ANY_REF = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(:?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    svc = compose["services"][name]
    assert isinstance(svc, dict)
    return svc


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def mounts(svc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Container path -> (source, mode) for every short-syntax volume of a service."""
    out = {}
    for spec in svc.get("volumes", []):
        source, target, *mode = spec.split(":")
        out[target] = (source, mode[0] if mode else "rw")
    return out


def run(
    args: list[str], env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, check=check)


def compose_unescape(script: str) -> str:
    """What the container receives: Compose turns `$$` into `$` (and would interpolate
    any lone `$`, so a runtime variable written with one `$` is a bug)."""
    assert not re.search(r"(?<!\$)\$(\$\$)*(?!\$)", script), "unescaped $ in " + script
    return script.replace("$$", "$")


def test_the_four_services_run_the_intended_images(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == set(SERVICES)
    images = {name: service(compose, name)["image"] for name in SERVICES}
    odoo_name, odoo_tag = images["odoo"].split(":")
    assert odoo_name == "odoo" and odoo_tag.split(".")[0] == "18"
    assert images["proxy"].split(":")[0] == "caddy"
    assert images["db"].split(":")[0] == "postgres"
    # pg_dump must not be older than the server it dumps.
    assert images["backup"] == images["db"]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_healthcheck_and_restarts(compose: dict[str, Any], name: str) -> None:
    svc = service(compose, name)
    assert svc["restart"] == "unless-stopped"
    check = svc["healthcheck"]
    assert not check.get("disable", False)
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
    assert {"interval", "timeout", "retries"} <= set(check)


def test_services_start_after_what_they_need_is_healthy(compose: dict[str, Any]) -> None:
    needs = {"odoo": "db", "backup": "db", "proxy": "odoo"}
    for name, dependency in needs.items():
        depends = service(compose, name)["depends_on"]
        assert depends[dependency]["condition"] == "service_healthy", name


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("db", "/var/lib/postgresql/data"),
        ("odoo", "/var/lib/odoo"),
        ("proxy", "/data"),
        ("proxy", "/config"),
        ("backup", "/backups"),
    ],
)
def test_persistent_data_lives_on_declared_named_volumes(
    compose: dict[str, Any], name: str, path: str
) -> None:
    source, _mode = mounts(service(compose, name))[path]
    assert not source.startswith((".", "/", "~")), f"{name}:{path} is a bind mount"
    assert source in (compose.get("volumes") or {}), f"volume {source} is not declared"


def test_every_named_volume_used_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = {
        source
        for name in SERVICES
        for source, _ in mounts(service(compose, name)).values()
        if not source.startswith((".", "/", "~"))
    }
    assert used == declared


def test_backup_reads_the_same_filestore_odoo_writes_and_only_reads_it(
    compose: dict[str, Any],
) -> None:
    odoo_data, _ = mounts(service(compose, "odoo"))["/var/lib/odoo"]
    backup_mounts = mounts(service(compose, "backup"))
    assert backup_mounts["/var/lib/odoo"] == (odoo_data, "ro")
    script_source, _ = backup_mounts["/usr/local/bin/odoo-backup.sh"]
    assert (CLOUD / script_source).resolve() == BACKUP_SH
    loop = compose_unescape(service(compose, "backup")["entrypoint"][2])
    assert "/usr/local/bin/odoo-backup.sh" in loop
    env = environment(service(compose, "backup"))
    assert env["ODOO_FILESTORE_DIR"] == "/var/lib/odoo/filestore"
    assert env["ODOO_BACKUP_KEEP_DAYS"].startswith("${ODOO_BACKUP_KEEP_DAYS")


def test_odoo_sees_our_draft_only_addon_read_only(compose: dict[str, Any]) -> None:
    source, mode = mounts(service(compose, "odoo"))["/mnt/extra-addons"]
    assert (CLOUD / source).resolve() == ROOT / "deployment" / "odoo_addons" and mode == "ro"
    manifest = ROOT / "deployment" / "odoo_addons" / "aie_draft_only" / "__manifest__.py"
    assert manifest.is_file()


def test_no_secret_is_written_inline(compose: dict[str, Any]) -> None:
    secrets_seen = []
    for name in SERVICES:
        for key, value in environment(service(compose, name)).items():
            if SECRET_NAME.search(key):
                secrets_seen.append(key)
                assert REQUIRED_REF.fullmatch(value), f"{name}.{key} = {value!r}"
    assert {"POSTGRES_PASSWORD", "PGPASSWORD", "ODOO_MASTER_PASSWORD"} <= set(secrets_seen)
    conf = configparser.ConfigParser()
    conf.read(ODOO_CONF)
    assert not [key for key in conf["options"] if SECRET_NAME.search(key)]


def test_every_variable_without_a_default_is_documented_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    text = COMPOSE.read_text()
    required = {name for name, rest in ANY_REF.findall(text) if not rest.startswith(("-", ":-"))}
    assert required, "the compose file reads no variable at all"
    assert required <= documented, sorted(required - documented)


def test_only_the_proxy_publishes_ports(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        svc = service(compose, name)
        assert svc.get("network_mode") != "host", name
        if name != "proxy":
            assert "ports" not in svc, f"{name} publishes {svc['ports']}"
    published = {str(p).split(":")[0] for p in service(compose, "proxy")["ports"]}
    assert published == {"80", "443"}


def test_database_and_backup_have_no_route_out(compose: dict[str, Any]) -> None:
    networks = compose["networks"]
    assert service(compose, "db")["networks"] == ["backend"]
    assert service(compose, "backup")["networks"] == ["backend"]
    assert networks["backend"]["internal"] is True
    assert "backend" not in service(compose, "proxy")["networks"]
    assert set(service(compose, "odoo")["networks"]) == {"backend", "frontend"}


def test_odoo_conf_runs_behind_the_proxy_with_no_database_manager() -> None:
    conf = configparser.ConfigParser()
    conf.read(ODOO_CONF)
    options = conf["options"]
    assert options.getboolean("proxy_mode") is True
    assert options.getboolean("list_db") is False
    assert options["without_demo"] == "all"
    assert options["db_host"] == "db"
    assert options["data_dir"] == "/var/lib/odoo"
    # /websocket is served by the gevent process only when Odoo runs prefork workers.
    assert options.getint("workers") >= 1
    assert options.getint("gevent_port") == 8072


def test_odoo_entrypoint_writes_a_private_config_with_the_master_password(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    odoo = service(compose, "odoo")
    shell, flags, script, argv0 = odoo["entrypoint"]
    assert odoo["command"] == ["odoo"]
    [base_conf] = [target for target in mounts(odoo) if target in script]
    assert (CLOUD / mounts(odoo)[base_conf][0]).resolve() == ODOO_CONF
    script = compose_unescape(script).replace(base_conf, str(ODOO_CONF))
    rc = tmp_path / "odoo.conf"
    env = {
        "PATH": os.environ["PATH"],
        "ODOO_RC": str(rc),
        "ODOO_MASTER_PASSWORD": "s3cret %s 'quoted'",
    }
    result = run([shell, flags, script, argv0, "sh", "-c", 'echo "started with $ODOO_RC"'], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"started with {rc}\n"
    assert (rc.stat().st_mode & 0o777) == 0o600
    conf = configparser.RawConfigParser()
    conf.read(rc)
    assert conf["options"]["admin_passwd"] == "s3cret %s 'quoted'"
    assert conf["options"]["proxy_mode"] == "True"
    assert environment(odoo)["ODOO_RC"] == "/tmp/odoo.conf"


def test_caddyfile_serves_the_domain_and_proxies_http_and_websocket(
    compose: dict[str, Any],
) -> None:
    text = CADDYFILE.read_text()
    site = re.search(r"^\{\$ODOO_DOMAIN\}\s*\{(?P<body>.*)^\}", text, re.MULTILINE | re.DOTALL)
    assert site, "the site block must be addressed by {$ODOO_DOMAIN}"
    body = site["body"]
    assert re.search(r"^\s*email\s+\{\$ODOO_ADMIN_EMAIL\}\s*$", text, re.MULTILINE)
    websocket = re.search(r"handle\s+/websocket\s*\{\s*reverse_proxy\s+(\S+)\s*\}", body)
    assert websocket and websocket[1] == "odoo:8072"
    assert re.search(r"handle\s*\{\s*reverse_proxy\s+odoo:8069\s*\}", body)
    assert re.search(r"^\s*encode\b.*\bgzip\b", body, re.MULTILINE)
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"):
        assert header in body
    proxy = service(compose, "proxy")
    source, mode = mounts(proxy)["/etc/caddy/Caddyfile"]
    assert (CLOUD / source).resolve() == CADDYFILE and mode == "ro"
    assert {"ODOO_DOMAIN", "ODOO_ADMIN_EMAIL"} <= set(environment(proxy))


# --- the backup script --------------------------------------------------------------------

FAKE_PG_DUMP = """#!/bin/sh
# Records its arguments in the output file; fails on the database named in FAIL_DB.
out=""; fmt=""
while [ $# -gt 1 ]; do
    case $1 in -Fc) fmt=custom ;; -f) shift; out=$1 ;; esac
    shift
done
printf 'dump of %s format=%s\\n' "$1" "$fmt" >"$out"
[ "$1" != "${FAIL_DB:-}" ] || { echo "pg_dump: connection lost" >&2; exit 1; }
"""
FAKE_PSQL = """#!/bin/sh
printf '%s' "${FAKE_DATABASES:-}" | tr ' ' '\\n'
"""
OLD_FILES = ("odoo-acme-20200101T023000Z.dump", "odoo-acme-20200101T023000Z-filestore.tar.gz")
RECENT_FILES = ("odoo-acme-20200110T023000Z.dump", "odoo-acme-20200110T023000Z-filestore.tar.gz")


class BackupBed:
    """A backup directory with old, recent and unrelated files, a filestore, fake tools."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "backups"
        self.filestore = root / "filestore"
        self.bin = root / "bin"
        for path in (self.dir, self.filestore / "acme" / "3f", self.bin):
            path.mkdir(parents=True)
        (self.filestore / "acme" / "3f" / "3f2a").write_text("invoice.pdf bytes")
        for name, script in (("pg_dump", FAKE_PG_DUMP), ("psql", FAKE_PSQL)):
            (self.bin / name).write_text(script)
            (self.bin / name).chmod(0o755)
        for name in OLD_FILES + ("notes-kept-by-hand.txt",):
            self.age(name, "20 days ago")
        for name in RECENT_FILES:
            self.age(name, "10 days ago")

    def age(self, name: str, when: str) -> None:
        (self.dir / name).write_text(name)
        subprocess.run(["touch", "-d", when, str(self.dir / name)], check=True)

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        full = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "ODOO_BACKUP_DIR": str(self.dir),
            "ODOO_FILESTORE_DIR": str(self.filestore),
            "ODOO_BACKUP_KEEP_DAYS": "14",
            "FAKE_DATABASES": "acme second",
            **env,
        }
        return run(["sh", str(BACKUP_SH)], full)

    def names(self) -> set[str]:
        return {path.name for path in self.dir.iterdir()}

    def log_lines(self) -> list[str]:
        return (self.dir / "odoo-backup.log").read_text().splitlines()


@pytest.fixture
def bed(tmp_path: Path) -> BackupBed:
    return BackupBed(tmp_path)


def new_backups(bed: BackupBed) -> list[str]:
    return sorted(
        name
        for name in bed.names() - set(OLD_FILES + RECENT_FILES)
        if re.fullmatch(r"odoo-\w+-\d{8}T\d{6}Z(\.dump|-filestore\.tar\.gz)", name)
    )


def test_backup_dumps_archives_and_applies_retention(bed: BackupBed, tmp_path: Path) -> None:
    result = bed.run()
    assert result.returncode == 0, result.stderr

    made = new_backups(bed)
    dumps = [name for name in made if name.endswith(".dump")]
    tarballs = [name for name in made if name.endswith(".tar.gz")]
    assert [name.split("-")[1] for name in dumps] == ["acme", "second"]
    assert (bed.dir / dumps[0]).read_text() == "dump of acme format=custom\n"
    # "second" has no filestore directory yet, so only acme gets a tarball.
    assert len(tarballs) == 1 and tarballs[0].startswith("odoo-acme-")
    with tarfile.open(bed.dir / tarballs[0]) as archive:
        archive.extractall(tmp_path / "restored", filter="data")
    assert (tmp_path / "restored" / "acme" / "3f" / "3f2a").read_text() == "invoice.pdf bytes"
    assert all((bed.dir / name).stat().st_mode & 0o077 == 0 for name in made)

    names = bed.names()
    assert not names & set(OLD_FILES), "backups past retention were kept"
    assert set(RECENT_FILES) <= names, "backups within retention were deleted"
    assert "notes-kept-by-hand.txt" in names, "retention touched a file that is no backup"
    assert ".last-success" in names
    [line] = bed.log_lines()
    assert "ok: 2 database(s): acme second" in line and "removed 2 older than 14 days" in line
    assert result.stdout == line + "\n"


def test_a_shorter_retention_deletes_more(bed: BackupBed) -> None:
    assert bed.run(ODOO_BACKUP_KEEP_DAYS="5").returncode == 0
    assert not bed.names() & set(OLD_FILES + RECENT_FILES)


def test_failed_dump_exits_non_zero_leaves_no_partial_file_and_deletes_nothing(
    bed: BackupBed,
) -> None:
    result = bed.run(FAIL_DB="second")
    assert result.returncode != 0
    assert "connection lost" in result.stderr
    names = bed.names()
    assert not [name for name in names if "second" in name or name.endswith(".part")]
    assert set(OLD_FILES + RECENT_FILES) <= names, "a failed run must not apply retention"
    assert ".last-success" not in names
    [line] = bed.log_lines()
    assert "FAILED" in line and "dumping second" in line and "done before it: acme" in line


def test_a_run_with_no_database_keeps_every_old_backup(bed: BackupBed) -> None:
    result = bed.run(FAKE_DATABASES="")
    assert result.returncode == 0, result.stderr
    assert set(OLD_FILES + RECENT_FILES) <= bed.names()
    assert "ok: 0 database(s): none" in bed.log_lines()[-1]


def test_named_databases_skip_discovery(bed: BackupBed) -> None:
    (bed.bin / "psql").write_text("#!/bin/sh\nexit 3\n")
    assert bed.run(ODOO_BACKUP_DATABASES="acme").returncode == 0
    assert [name.split("-")[1] for name in new_backups(bed)] == ["acme", "acme"]
    assert bed.run(ODOO_BACKUP_DATABASES="").returncode != 0
    assert "FAILED" in bed.log_lines()[-1] and "listing databases" in bed.log_lines()[-1]


@pytest.mark.parametrize("keep", ["0", "-3", "two", "7d"])
def test_invalid_retention_is_refused_before_anything_is_touched(bed: BackupBed, keep: str) -> None:
    before = bed.names()
    result = bed.run(ODOO_BACKUP_KEEP_DAYS=keep)
    assert result.returncode == 2
    assert "ODOO_BACKUP_KEEP_DAYS" in result.stderr
    assert bed.names() == before | {"odoo-backup.log"}


# --- the backup script against a real PostgreSQL ------------------------------------------


def _pg_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    assert found, "PostgreSQL server binaries (Debian package postgresql) are not installed"
    return Path(found[-1]).parent


@pytest.fixture
def postgres() -> Iterator[Path]:
    """A throwaway cluster listening on a Unix socket only; yields the socket directory."""
    bindir = _pg_bin()
    base = Path(tempfile.mkdtemp(prefix="aie-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "odoo", "-A", "trust"]
        run([*as_postgres, *initdb], check=True)
        options = f"-k {base} -c listen_addresses=''"
        run([*ctl, "-w", "-l", str(base / "log"), "-o", options, "start"], check=True)
        yield base
    finally:
        run([*ctl, "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def test_backup_against_real_postgres_is_restorable(postgres: Path, tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "PGHOST": str(postgres), "PGUSER": "odoo"}

    def sql(db: str, statement: str) -> str:
        psql = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c"]
        return run([*psql, statement], env, check=True).stdout

    for db in ("acme", "beta"):
        sql("postgres", f"CREATE DATABASE {db}")
    sql("acme", "CREATE TABLE account_move (name text); INSERT INTO account_move VALUES ('INV/1')")
    backups = tmp_path / "backups"
    result = run(
        ["sh", str(BACKUP_SH)],
        {**env, "ODOO_BACKUP_DIR": str(backups), "ODOO_FILESTORE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "ok: 2 database(s): acme beta" in result.stdout
    [dump] = backups.glob("odoo-acme-*.dump")

    sql("postgres", "CREATE DATABASE restored")
    run(["pg_restore", "--no-owner", "-d", "restored", str(dump)], env, check=True)
    assert sql("restored", "SELECT name FROM account_move") == "INV/1\n"


# --- Docker Compose itself, where it exists ------------------------------------------------


def _compose_command() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = run([*command, "version"])
        # Compose v1 (Python, end of life) does not read the Compose Specification.
        if probe.returncode == 0 and re.search(r"v?2\.\d+", probe.stdout):
            return command
    return None


def test_docker_compose_accepts_the_file_and_requires_its_secrets(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("no Docker Compose v2 here (`docker compose` or `docker-compose`)")
    env_file = tmp_path / "odoo.env"
    full = (
        "ODOO_DOMAIN=odoo.example.com\nODOO_ADMIN_EMAIL=admin@example.com\n"
        "POSTGRES_USER=odoo\nPOSTGRES_PASSWORD=pw-from-env\nODOO_MASTER_PASSWORD=master\n"
    )

    def config(env_text: str) -> subprocess.CompletedProcess[str]:
        env_file.write_text(env_text)
        args = [*command, "-f", str(COMPOSE), "--env-file", str(env_file), "config"]
        return run(args, {"PATH": os.environ["PATH"], "HOME": str(tmp_path)})

    ok = config(full)
    assert ok.returncode == 0, ok.stderr
    assert "pw-from-env" in ok.stdout
    missing = config(full.replace("POSTGRES_PASSWORD=pw-from-env\n", ""))
    assert missing.returncode != 0
    assert "POSTGRES_PASSWORD" in missing.stderr
