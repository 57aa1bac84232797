#!/bin/sh
# Makes sure the programs the tests start are here, so the README's test command works on a fresh
# Debian/Ubuntu machine with only a JDK. Run by the build (pom.xml, maven-antrun-plugin), once per phase
# for what that phase needs:  sh src/build/test-tools.sh <install: true|false> <tool>...
# Lives in src/build, not .mvn: it is part of this project's build, and .mvn holds Maven's own files.
# Missing tools are installed with apt-get (as root, or with passwordless sudo); where that is not
# possible or not wanted (-Dherald.tools.install=false), it stops with one line saying what to run.
set -eu
install=$1
shift

# Each tool is looked up the way the tests look for it (RedisServer: REDIS_SERVER, else the PATH; BrowserIT:
# CHROMIUM and CHROMEDRIVER, else /usr/bin), so a tool given that way is not missing, and one elsewhere is.
missing=
check() {
    missing=
    for tool in "$@"; do
        case $tool in
            node)         var=;             given=;                    default=node;                  package=nodejs ;;
            redis-server) var=REDIS_SERVER; given=${REDIS_SERVER:-};   default=redis-server;          package=redis-server ;;
            chromium)     var=CHROMIUM;     given=${CHROMIUM:-};       default=/usr/bin/chromium;     package=chromium ;;
            chromedriver) var=CHROMEDRIVER; given=${CHROMEDRIVER:-};   default=/usr/bin/chromedriver; package=chromium-driver ;;
            *) echo "test-tools.sh: unknown tool '$tool'" >&2; exit 2 ;;
        esac
        path=${given:-$default}
        case $path in
            */*) [ -f "$path" ] && [ -x "$path" ] && continue ;;  # sh's command -v takes any existing path
            *) command -v "$path" >/dev/null 2>&1 && continue ;;
        esac
        # installing the package would not help a test that was told to use another file
        if [ -n "$given" ]; then
            echo "$var=$given is not an executable file: correct it, or unset $var to use the $package package" >&2
            exit 1
        fi
        missing="$missing $package"
    done
}

check "$@"
[ -z "$missing" ] && exit 0

if [ "$install" = true ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root="sudo -n"
    else
        as_root=none
    fi
    if [ "$as_root" != none ]; then
        echo "Installing what the tests need:$missing"
        # env, not an exported variable: sudo resets the environment
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
        check "$@"
        [ -z "$missing" ] && exit 0
        echo "Still missing after apt-get install:$missing" >&2
        exit 1
    fi
fi

if command -v apt-get >/dev/null 2>&1; then
    echo "The tests need$missing; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
else
    echo "The tests need$missing; install them (or set REDIS_SERVER, CHROMIUM, CHROMEDRIVER to the binaries)" >&2
fi
exit 1
