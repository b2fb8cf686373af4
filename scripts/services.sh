#!/usr/bin/env bash
# Make sure every service the test suite talks to is up; start or install what
# is missing; fail loudly (non-zero) when one cannot be reached.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port seconds
    local i
    for ((i = 0; i < $3 * 10; i++)); do up "$2" && return 0; sleep 0.1; done
    echo "services: $1 is not reachable on 127.0.0.1:$2" >&2
    return 1
}

apt_install() {
    if [ ! -f /var/lib/apt/lists/.prisma-infra-updated ]; then
        apt-get update -qq && touch /var/lib/apt/lists/.prisma-infra-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

failed=0

if ! up 5432; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for PostgreSQL 5432 30 || failed=1

if ! up 3306; then
    echo "services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB 3306 30 || failed=1

if ! up 6379; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for Redis 6379 15 || failed=1

if ! up 4222; then
    echo "services: starting NATS"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
wait_for NATS 4222 15 || failed=1

if ! command -v memcached >/dev/null; then
    echo "services: installing memcached"
    apt_install memcached || failed=1
fi
if ! up 11211 && command -v memcached >/dev/null; then
    echo "services: starting memcached"
    memcached -d -u memcache -l 127.0.0.1 -p 11211 -m 64 || memcached -d -u root -l 127.0.0.1 -p 11211 -m 64 || true
fi
wait_for memcached 11211 15 || failed=1

# --- chromium (monitoring: the dashboard's browser test, tests/browser) -------------
# Debian's chromium and chromedriver, driven by Playwright with executable_path; installed
# only when missing (never `playwright install`: browser downloads are blocked here).
if ! command -v chromium >/dev/null; then
    echo "services: installing chromium"
    apt_install chromium chromium-driver || failed=1
fi
command -v chromium >/dev/null || { echo "services: chromium is not installed" >&2; failed=1; }
# --- end chromium ------------------------------------------------------------------

if [ "$failed" -ne 0 ]; then
    echo "services: a required service is unavailable; the integration tests cannot run" >&2
    exit 1
fi
echo "services: PostgreSQL, MariaDB, Redis, NATS and memcached are up"
