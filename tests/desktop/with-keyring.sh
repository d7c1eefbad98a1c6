#!/bin/sh
# with-keyring.sh COMMAND…: runs COMMAND in its own D-Bus session with a
# GNOME keyring (Secret Service) unlocked in a throwaway home, so the
# keyring code is tested against the real daemon and never touches the
# user's own keyring. Exits 77 (skipped) when gnome-keyring is missing.
set -eu

command -v gnome-keyring-daemon >/dev/null 2>&1 || { echo "1..0 # SKIP gnome-keyring-daemon not installed"; exit 0; }
command -v dbus-run-session >/dev/null 2>&1 || { echo "1..0 # SKIP dbus-run-session not installed"; exit 0; }

home=$(mktemp -d "${TMPDIR:-/tmp}/everato-keyring-XXXXXX")
trap 'rm -rf "$home"' EXIT INT TERM
mkdir -m 700 "$home/run"
export HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config"

dbus-run-session -- sh -c '
    # A new login keyring, created unlocked with this password.
    printf "everato-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"' with-keyring "$@"
