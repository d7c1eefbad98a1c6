#!/usr/bin/env bash
# Manage a private PostgreSQL cluster that listens only on a unix socket.
#
#   pg-cluster.sh start    DIR [PORT]   initdb if needed, start, wait until ready
#   pg-cluster.sh stop     DIR          fast shutdown (no-op when not running)
#   pg-cluster.sh status   DIR          exit 0 running, 3 not running, 4 no cluster
#   pg-cluster.sh conninfo DIR [PORT]   print a libpq conninfo for the cluster
#   pg-cluster.sh createdb DIR PORT NAME  create database NAME if missing
#   pg-cluster.sh bindir                print the PostgreSQL bin directory used
#
# Layout: DIR/pgdata (data directory), DIR/run (socket directory),
# DIR/postgresql.log (server log), DIR/port (port of the last start).
# The database superuser is "everato"; authentication is "trust", which is
# safe because nothing but the socket in DIR/run is reachable.
#
# PostgreSQL refuses to run as root. When this script runs as root, every
# PostgreSQL command runs as the unprivileged system user "everato" (created
# if missing), or as the owner of an existing DIR/pgdata if that is another
# unprivileged user. As a normal user, PostgreSQL runs as that user.
#
# Environment: PG_BINDIR overrides the PostgreSQL bin directory.
set -euo pipefail

PG_OS_USER_DEFAULT=everato
PG_DB_SUPERUSER=everato
DEFAULT_PORT=5432

prog=${0##*/}

die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$prog" "$*" >&2
}

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

# ---------------------------------------------------------------- binaries --

find_bindir() {
    local d candidates=() newest
    if [[ -n ${PG_BINDIR:-} ]]; then
        [[ -x $PG_BINDIR/initdb && -x $PG_BINDIR/postgres ]] ||
            die "PG_BINDIR=$PG_BINDIR does not contain initdb and postgres"
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $d && -x $d/initdb && -x $d/postgres && -x $d/pg_ctl ]]; then
            printf '%s\n' "$d"
            return
        fi
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/postgres && -x $d/pg_ctl ]] && candidates+=("$d")
    done
    if ((${#candidates[@]} > 0)); then
        newest=$(printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1)
        printf '%s\n' "$newest"
        return
    fi
    die "PostgreSQL server binaries not found (install the 'postgresql' package, e.g. with ./scripts/everato deps)"
}

# ------------------------------------------------------------------ helpers --

abspath() {
    # Absolute path of $1 without requiring it to exist.
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
    esac
}

# Quote a conninfo value when needed (libpq: single quotes, \\ and \' escaped).
cq() {
    local v=$1
    if [[ $v =~ ^[A-Za-z0-9_./@:+-]+$ ]]; then
        printf '%s' "$v"
    else
        v=${v//\\/\\\\}
        v=${v//\'/\\\'}
        printf "'%s'" "$v"
    fi
}

# Quote a postgresql.conf string value.
confq() {
    local v=${1//\'/\'\'}
    printf "'%s'" "$v"
}

valid_port() {
    if ! [[ $1 =~ ^[0-9]{1,5}$ ]] || ((10#$1 < 1 || 10#$1 > 65535)); then
        die "invalid port: $1"
    fi
}

owner_of() {
    stat -c %U "$1"
}

# Decide which OS user runs PostgreSQL for this cluster; set PG_RUN (a command
# prefix) and PG_OS_USER.
choose_user() {
    local owner
    PG_RUN=()
    if ((EUID == 0)); then
        PG_OS_USER=$PG_OS_USER_DEFAULT
        if [[ -d $PGDATA_DIR ]]; then
            owner=$(owner_of "$PGDATA_DIR")
            [[ $owner != root ]] ||
                die "$PGDATA_DIR is owned by root; PostgreSQL cannot run as root (remove $DIR and start again)"
            PG_OS_USER=$owner
        fi
        if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
            [[ $PG_OS_USER == "$PG_OS_USER_DEFAULT" ]] || die "user $PG_OS_USER does not exist"
            note "creating system user $PG_OS_USER to run PostgreSQL"
            useradd --system --create-home --shell /usr/sbin/nologin "$PG_OS_USER" 2>/dev/null ||
                id -u "$PG_OS_USER" >/dev/null 2>&1 ||
                die "could not create system user $PG_OS_USER"
        fi
        PG_RUN=(runuser -u "$PG_OS_USER" --)
    else
        PG_OS_USER=$(id -un)
        if [[ -e $DIR && ( ! -w $DIR || ! -x $DIR ) ]]; then
            die "$DIR is not accessible for user $PG_OS_USER (owner: $(owner_of "$DIR"); probably created by a run as root); run this as root, or remove $DIR"
        fi
        if [[ -d $PGDATA_DIR ]]; then
            owner=$(owner_of "$PGDATA_DIR")
            [[ $owner == "$PG_OS_USER" ]] ||
                die "$PGDATA_DIR belongs to user $owner (probably created by a run as root); run this as root, or remove $DIR"
        fi
    fi
}

# Run a PostgreSQL command as the cluster's OS user, from a neutral cwd.
# The lock fd (9) is closed so the postmaster never inherits the lock.
pg_as() {
    (cd / && "${PG_RUN[@]}" "$@" 9>&-)
}

# As root: every existing ancestor of DIR (DIR itself is chowned to the
# PostgreSQL user) must be traversable for the
# PostgreSQL user, or the server cannot reach its files and socket.
check_traversable() {
    local d=${1%/*} part path=""
    local -a parts=()
    ((EUID == 0)) || return 0
    # From the top down, so the message names the folder that blocks.
    IFS=/ read -r -a parts <<<"${d#/}"
    for part in "${parts[@]}"; do
        path+="/$part"
        [[ -e $path ]] || break
        if ! (cd / && runuser -u "$PG_OS_USER" -- test -x "$path"); then
            die "user $PG_OS_USER cannot traverse $path, so PostgreSQL cannot use $DIR. Make it traversable (e.g. chmod o+x '$path') or put the cluster somewhere else."
        fi
    done
}

check_socket_path() {
    local sock="$RUN_DIR/.s.PGSQL.$1"
    ((${#sock} <= 107)) ||
        die "unix socket path $sock is ${#sock} bytes long, PostgreSQL allows at most 107; use a shorter directory"
}

pid_port() {
    # Line 4 of postmaster.pid is the port of the running server.
    if [[ -r $PGDATA_DIR/postmaster.pid ]]; then
        sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
    fi
}

resolve_port() {
    # Explicit argument > running server > last start > 5432.
    local p=${1:-}
    [[ -n $p ]] || p=$(pid_port)
    [[ -n $p || ! -r $DIR/port ]] || p=$(tr -dc '0-9' <"$DIR/port")
    [[ -n $p ]] || p=$DEFAULT_PORT
    valid_port "$p"
    printf '%s\n' "$((10#$p))"
}

is_running() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 1
    pg_as "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

# As root, give files this script creates in DIR to the cluster's user, so
# that runs as that user can still write them.
own() {
    local f
    ((EUID == 0)) || return 0
    for f in "$@"; do
        [[ ! -e $f ]] || chown "$PG_OS_USER:" "$f"
    done
}

lock_dir() {
    # Serialise start/stop/createdb on one cluster.
    exec 9>>"$DIR/.pg-cluster.lock"
    own "$DIR/.pg-cluster.lock"
    flock 9
}

write_conf() {
    local port=$1 conf="$PGDATA_DIR/everato.conf"
    {
        echo "# Written by scripts/pg-cluster.sh on every start; edits are lost."
        echo "listen_addresses = ''"
        echo "unix_socket_directories = $(confq "\"$RUN_DIR\"")"
        echo "unix_socket_permissions = 0777"
        echo "port = $port"
        echo "max_connections = 200"
        echo "shared_buffers = 256MB"
        echo "fsync = on"
        echo "synchronous_commit = on"
        echo "full_page_writes = on"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        echo "log_timezone = 'UTC'"
        echo "timezone = 'UTC'"
    } >"$conf.tmp"
    mv -f "$conf.tmp" "$conf"
    own "$conf"
    chmod 0600 "$conf"
}

# ---------------------------------------------------------------- commands --

cmd_start() {
    local port log="$DIR/postgresql.log" i running_port
    port=$(resolve_port "${1:-}")
    check_traversable "$DIR"
    mkdir -p "$DIR"
    own "$DIR"
    mkdir -p "$RUN_DIR"
    chmod 0755 "$RUN_DIR"
    own "$RUN_DIR" "$log"
    check_socket_path "$port"
    lock_dir

    if is_running; then
        note "PostgreSQL in $DIR is already running"
        running_port=$(pid_port)
        if [[ -n $running_port && $running_port != "$port" ]]; then
            note "already running on port $running_port (asked for $port); leaving it as it is"
            port=$running_port
        fi
    else
        if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
            note "initialising a new cluster in $PGDATA_DIR"
            pg_as "$BINDIR/initdb" -D "$PGDATA_DIR" --username="$PG_DB_SUPERUSER" \
                --auth=trust --encoding=UTF8 --locale=C.UTF-8 >>"$DIR/initdb.log" 2>&1 ||
                { own "$DIR/initdb.log"; die "initdb failed; see $DIR/initdb.log"; }
            own "$DIR/initdb.log"
            # Include the settings file write_conf rewrites on every start.
            printf "\ninclude_if_exists = 'everato.conf'\n" |
                pg_as tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
        fi
        write_conf "$port"
        printf '%s\n' "$port" >"$DIR/port"
        own "$DIR/port"
        note "starting PostgreSQL ($BINDIR) in $DIR, socket $RUN_DIR port $port"
        if ! pg_as "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$log" -w -t 120 -s; then
            tail -n 20 "$log" >&2 || true
            die "PostgreSQL did not start; see $log"
        fi
    fi

    for ((i = 0; i < 600; i++)); do
        if "$BINDIR/pg_isready" -q -h "$RUN_DIR" -p "$port" -U "$PG_DB_SUPERUSER" -d postgres; then
            note "PostgreSQL is ready: $(conninfo "$port")"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "PostgreSQL is not accepting connections on $RUN_DIR (port $port); see $log"
}

cmd_stop() {
    [[ -d $DIR ]] || { note "$DIR does not exist; nothing to stop"; return 0; }
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        note "no cluster in $DIR; nothing to stop"
        return 0
    fi
    lock_dir
    if ! is_running; then
        note "PostgreSQL in $DIR is not running"
        return 0
    fi
    pg_as "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 120 -s ||
        die "PostgreSQL in $DIR did not stop; see $DIR/postgresql.log"
    note "PostgreSQL in $DIR stopped"
}

cmd_status() {
    local rc=0 port
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        echo "no cluster in $DIR"
        return 4
    fi
    pg_as "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1 || rc=$?
    case $rc in
        0)
            port=$(resolve_port "")
            echo "running: $(conninfo "$port") (pid $(sed -n 1p "$PGDATA_DIR/postmaster.pid" 2>/dev/null))" ;;
        3) echo "stopped: $DIR" ;;
        *) echo "unknown state (pg_ctl status exit $rc): $DIR" ;;
    esac
    return "$rc"
}

conninfo() {
    printf 'host=%s port=%s user=%s dbname=%s\n' "$(cq "$RUN_DIR")" "$1" "$PG_DB_SUPERUSER" "$(cq "${2:-postgres}")"
}

cmd_createdb() {
    local port=$1 name=$2 exists
    [[ -n $name ]] || die "database name is empty"
    port=$(resolve_port "$port")
    lock_dir
    local -a conn=(-h "$RUN_DIR" -p "$port" -U "$PG_DB_SUPERUSER")
    exists=$(printf "SELECT 1 FROM pg_database WHERE datname = :'n';\n" |
        "$BINDIR/psql" -X -q -tA -v ON_ERROR_STOP=1 -v n="$name" "${conn[@]}" -d postgres) ||
        die "cannot query PostgreSQL in $DIR (is it running? try: $prog start $DIR $port)"
    if [[ $exists == 1 ]]; then
        note "database $name already exists"
        return 0
    fi
    "$BINDIR/createdb" "${conn[@]}" -E UTF8 -T template0 "$name" || die "createdb $name failed"
    note "created database $name"
}

# -------------------------------------------------------------------- main --

(($# >= 1)) || usage
cmd=$1
shift

if [[ $cmd == bindir ]]; then
    find_bindir
    exit 0
fi
[[ $cmd == -h || $cmd == --help || $cmd == help ]] && usage

(($# >= 1)) || usage
DIR=$(abspath "$1")
DIR=${DIR%/}
shift
PGDATA_DIR="$DIR/pgdata"
RUN_DIR="$DIR/run"

case $cmd in
    conninfo)
        (($# <= 1)) || usage
        # No binaries or privileges needed to print the conninfo.
        port=$(resolve_port "${1:-}")
        conninfo "$port"
        exit 0
        ;;
esac

BINDIR=$(find_bindir)
choose_user

case $cmd in
    start)
        (($# <= 1)) || usage
        cmd_start "${1:-}"
        ;;
    stop)
        (($# == 0)) || usage
        cmd_stop
        ;;
    status)
        (($# == 0)) || usage
        rc=0
        cmd_status || rc=$?
        exit "$rc"
        ;;
    createdb)
        (($# == 2)) || usage
        cmd_createdb "$1" "$2"
        ;;
    *) usage ;;
esac
