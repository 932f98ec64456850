#!/bin/sh
# One Odoo backup run: for each database, a pg_dump custom-format dump and a tar.gz of
# its filestore, named odoo-<db>-<UTC stamp>.dump and odoo-<db>-<UTC stamp>-filestore.tar.gz.
# After a successful run that saved at least one database, backups older than
# ODOO_BACKUP_KEEP_DAYS days are deleted; never after a failed or empty run, so failures
# cannot eat the last good copies. Each run appends one line to the log and prints it; a
# failed run exits non-zero and leaves no partial file.
#
# Connection settings are libpq's own (PGHOST, PGUSER, PGPASSWORD). Everything else:
#   ODOO_BACKUP_DIR        where backups go              (/backups)
#   ODOO_FILESTORE_DIR     Odoo's data_dir/filestore     (/var/lib/odoo/filestore)
#   ODOO_BACKUP_KEEP_DAYS  retention in days, 1 or more  (14)
#   ODOO_BACKUP_DATABASES  space-separated names         (every non-template database)
#   ODOO_BACKUP_LOG        the log file                  ($ODOO_BACKUP_DIR/odoo-backup.log)
#   PG_DUMP, PSQL          the commands to run           (pg_dump, psql)
set -eu
# Backups hold every record and attachment of the business: owner-only.
umask 077

backup_dir=${ODOO_BACKUP_DIR:-/backups}
filestore_dir=${ODOO_FILESTORE_DIR:-/var/lib/odoo/filestore}
keep_days=${ODOO_BACKUP_KEEP_DAYS:-14}
databases=${ODOO_BACKUP_DATABASES:-}
log_file=${ODOO_BACKUP_LOG:-$backup_dir/odoo-backup.log}
pg_dump=${PG_DUMP:-pg_dump}
psql=${PSQL:-psql}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
part=""
done_dbs=""

log() {
    line="$(date -u +%Y-%m-%dT%H:%M:%SZ) odoo-backup $*"
    echo "$line"
    # The log may be unwritable (that can be the very failure being reported).
    echo "$line" >>"$log_file" 2>/dev/null || true
}

on_exit() {
    status=$?
    if [ "$status" -ne 0 ]; then
        [ -z "$part" ] || rm -f "$part"
        log "FAILED (exit $status) at ${current:-setup}; done before it:${done_dbs:- none}"
    fi
    exit "$status"
}
trap on_exit EXIT

case $keep_days in
    '' | *[!0-9]* | 0)
        echo "ODOO_BACKUP_KEEP_DAYS must be a whole number of days, 1 or more (got '$keep_days')" >&2
        exit 2
        ;;
esac

current="creating $backup_dir"
mkdir -p "$backup_dir"

if [ -z "$databases" ]; then
    current="listing databases"
    databases=$("$psql" -X -A -t -d postgres -c \
        "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1")
fi

# Write under a hidden .part name and rename only when complete: a half-written file
# must never look like a backup to a restore or to the retention sweep.
finish() {
    mv "$part" "$1"
    part=""
}

count=0
for db in $databases; do
    current="dumping $db"
    dump="$backup_dir/odoo-$db-$stamp.dump"
    part="$backup_dir/.odoo-$db-$stamp.dump.part"
    "$pg_dump" -Fc -f "$part" "$db"
    finish "$dump"

    if [ -d "$filestore_dir/$db" ]; then
        current="archiving the filestore of $db"
        part="$backup_dir/.odoo-$db-$stamp-filestore.tar.gz.part"
        tar -czf "$part" -C "$filestore_dir" "$db"
        finish "$backup_dir/odoo-$db-$stamp-filestore.tar.gz"
    fi
    done_dbs="$done_dbs $db"
    count=$((count + 1))
done

# A run that saved nothing (no database yet, or all dropped) deletes nothing either.
removed=0
if [ "$count" -gt 0 ]; then
    current="deleting backups older than $keep_days days"
    old=$(find "$backup_dir" -maxdepth 1 -type f \
        \( -name 'odoo-*.dump' -o -name 'odoo-*-filestore.tar.gz' \) \
        -mmin +$((keep_days * 1440)))
    for file in $old; do
        rm -f "$file"
        removed=$((removed + 1))
    done
fi

touch "$backup_dir/.last-success"
current=""
log "ok: $count database(s):${done_dbs:- none}; stamp $stamp; removed $removed older than $keep_days days"
