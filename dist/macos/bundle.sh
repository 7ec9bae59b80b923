#!/usr/bin/env bash
# Builds "NYC Smart Parking IoT.app" and a .dmg from a macOS binary (runs on macOS only:
# it needs plutil, codesign and hdiutil).
#
#   dist/macos/bundle.sh [BINARY]     # default target/release/parking-iot
#
# Output: target/macos/NYC Smart Parking IoT.app and target/macos/parking-iot-<version>-macos.dmg
# The app is signed ad hoc (no Apple developer identity): a downloaded copy opens with
# right-click > Open the first time, as the README explains.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${1:-target/release/parking-iot}
[ -x "$BIN" ] || { echo "bundle: $BIN is missing: cargo build --release first" >&2; exit 1; }
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
[ -n "$VERSION" ] || { echo "bundle: no version in Cargo.toml" >&2; exit 1; }

OUT=target/macos
APP="$OUT/NYC Smart Parking IoT.app"
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
cp "$BIN" "$APP/Contents/MacOS/parking-iot"
cp assets/icons/parking-iot.icns "$APP/Contents/Resources/parking-iot.icns"
cp dist/macos/Info.plist "$APP/Contents/Info.plist"
# The bundle always carries the version being built, whatever the template says.
plutil -replace CFBundleShortVersionString -string "$VERSION" "$APP/Contents/Info.plist"
plutil -replace CFBundleVersion -string "$VERSION" "$APP/Contents/Info.plist"
plutil -lint "$APP/Contents/Info.plist"
printf 'APPL????' >"$APP/Contents/PkgInfo"
codesign --force --deep --sign - "$APP"

# The disk image: the app beside a link to /Applications, to drag it across.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$OUT/parking-iot-$VERSION-macos.dmg"
rm -f "$DMG"
hdiutil create -volname "NYC Smart Parking IoT" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
echo "$DMG"
