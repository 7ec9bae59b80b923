#!/usr/bin/env bash
# Starts the real parking-iot binary under Xvfb (software OpenGL, Mesa llvmpipe), shows each
# tab, saves a screenshot of each into docs/screenshots/ and checks that none is blank.
#
#   scripts/screenshots.sh            # debug build
#   PROFILE=release scripts/screenshots.sh
#
# Environment: PROFILE (debug|release), OUT (folder, default docs/screenshots), MIN_COLOURS
# (default 40), NO_INSTALL=1 (do not apt-get missing packages; skip instead).
# The app runs with a temporary HOME, so the user's store and settings are never touched.
# Exit codes: 0 screenshots taken and checked (or skipped: no way to run X here), 1 a check failed.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
OUT=${OUT:-docs/screenshots}
MIN_COLOURS=${MIN_COLOURS:-40}
PACKAGES="xvfb x11-apps xdotool imagemagick libx11-6 libx11-xcb1 libxcursor1 libxi6 libxkbcommon-x11-0 libgl1 libegl1 libgl1-mesa-dri"

missing() {
    for tool in Xvfb xdotool import identify; do
        command -v "$tool" >/dev/null 2>&1 || { echo "$tool"; return; }
    done
    # The window needs Mesa's drivers even when the tools are there.
    [ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || [ -e /usr/lib/aarch64-linux-gnu/dri/swrast_dri.so ] || ls /usr/lib/*/dri/*swrast* >/dev/null 2>&1 || echo "libgl1-mesa-dri"
}

if [ -n "$(missing)" ]; then
    if [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "screenshots: installing $PACKAGES"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
    else
        echo "screenshots: skipped: $(missing) is missing (install: apt-get install $PACKAGES)"
        exit 0
    fi
fi

if [ "$PROFILE" = release ]; then
    cargo build --release --bin parking-iot
else
    cargo build --bin parking-iot
fi
BIN="$PWD/target/$PROFILE/parking-iot"
mkdir -p "$OUT"

WORK=$(mktemp -d)
XVFB_PID=""
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A free display number.
N=99
while [ -e "/tmp/.X11-unix/X$N" ] || [ -e "/tmp/.X$N-lock" ]; do N=$((N + 1)); done
export DISPLAY=":$N"
Xvfb "$DISPLAY" -screen 0 1400x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

export HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/data" XDG_CONFIG_HOME="$WORK/home/config"
mkdir -p "$HOME"
# PARKING_IOT_TAB chooses the first tab; the others are reached by clicking, as a user would.
PARKING_IOT_TAB=Live "$BIN" >"$WORK/app.log" 2>&1 &
APP_PID=$!

WIN=""
for _ in $(seq 1 100); do
    WIN=$(xdotool search --name "NYC Smart Parking IoT" 2>/dev/null | head -1 || true)
    [ -n "$WIN" ] && break
    if ! kill -0 "$APP_PID" 2>/dev/null; then
        echo "screenshots: the app exited before showing a window:"; cat "$WORK/app.log"; exit 1
    fi
    sleep 0.2
done
[ -n "$WIN" ] || { echo "screenshots: no window appeared"; cat "$WORK/app.log"; exit 1; }
sleep 4 # the live runner warms the garages up before the first frame with tiles

click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-0.5}"; }
shot() {
    import -window root "$OUT/$1.png"
    local colours
    colours=$(identify -format %k "$OUT/$1.png")
    echo "screenshots: $OUT/$1.png: $colours colours"
    if [ "$colours" -lt "$MIN_COLOURS" ]; then
        echo "screenshots: $1.png looks blank ($colours colours < $MIN_COLOURS)"; exit 1
    fi
}

# Positions in the 1400x900 window (egui lays out the same way on every machine).
click 438 77        # speed 3600x
click 30 77 8       # Start, then let eight simulated hours pass
click 656 77 2      # Burst
shot live
xdotool mousemove 700 600
for _ in $(seq 1 9); do xdotool click 5; done # scroll to the charts and sessions
sleep 2
shot live-charts
click 301 17 1      # Historical tab
click 30 386 6      # Start a run with the default dates (the live simulator keeps running)
shot historical
click 395 17 1      # Snowflake tab
shot snowflake

kill "$APP_PID" 2>/dev/null || true
wait "$APP_PID" 2>/dev/null || true
APP_PID=""
if grep -qi "panicked" "$WORK/app.log"; then
    echo "screenshots: the app panicked:"; cat "$WORK/app.log"; exit 1
fi
echo "screenshots: ok"
