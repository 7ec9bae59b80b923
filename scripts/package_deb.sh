#!/usr/bin/env bash
# Builds the Debian package target/<profile>/parking-iot_<version>-1_<arch>.deb with dpkg-deb
# alone, from the [package.metadata.deb] section of Cargo.toml (the same section cargo-deb
# reads), so no packaging tool has to be compiled first.
#
#   scripts/package_deb.sh              # cargo build --release, then the .deb
#   NO_BUILD=1 scripts/package_deb.sh   # package the binary already in target/release/
#
# Prints the .deb's path on the last line of standard output.
# Needs: cargo (unless NO_BUILD=1), python3 (3.11+, for tomllib), dpkg-deb.
# PROFILE chooses another cargo profile whose output folder is target/<PROFILE>.
# Exit codes: 0 built, 1 something is missing or failed.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
for tool in python3 dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || { echo "package_deb: $tool is missing" >&2; exit 1; }
done

if [ "${NO_BUILD:-0}" != 1 ]; then
    cargo build --profile "$PROFILE" --bin parking-iot >&2
fi
BIN="target/$PROFILE/parking-iot"
[ -x "$BIN" ] || { echo "package_deb: $BIN is missing: build it first (cargo build --profile $PROFILE)" >&2; exit 1; }

# Cargo.toml's package data as shell assignments; assets as "source<TAB>destination<TAB>mode".
META=$(mktemp)
STAGE=$(mktemp -d)
cleanup() { rm -rf "$STAGE" "$META"; }
trap cleanup EXIT
python3 - "$PROFILE" >"$META" <<'PY'
import shlex, sys, tomllib
profile = sys.argv[1]
with open("Cargo.toml", "rb") as f:
    cargo = tomllib.load(f)
pkg = cargo["package"]
deb = pkg["metadata"]["deb"]
def out(name, value):
    print(f"{name}={shlex.quote(str(value))}")
out("NAME", deb.get("name", pkg["name"]))
out("VERSION", pkg["version"])
out("MAINTAINER", deb["maintainer"])
out("SECTION", deb.get("section", "misc"))
out("PRIORITY", deb.get("priority", "optional"))
out("SUMMARY", pkg["description"])
out("EXTENDED", deb.get("extended-description", ""))
out("DEPENDS", deb.get("depends", "$auto"))
out("RECOMMENDS", deb.get("recommends", ""))
out("LICENSE_FILE", deb.get("license-file", [""])[0])
assets = []
for src, dest, mode in deb["assets"]:
    # As cargo-deb does: target/release/ means the profile's own output folder.
    if src.startswith("target/release/"):
        src = f"target/{profile}/" + src[len("target/release/"):]
    assets.append(f"{src}\t{dest}\t{mode}")
out("ASSETS", "\n".join(assets))
PY
# shellcheck disable=SC1090
. "$META"

ARCH=$(dpkg --print-architecture)

# $auto: the shared libraries the binary links (not the dlopened ones, listed in Cargo.toml).
auto_depends() {
    local tmp glibc
    if command -v dpkg-shlibdeps >/dev/null 2>&1; then
        tmp=$(mktemp -d)
        mkdir -p "$tmp/debian"
        printf 'Source: x\n\nPackage: x\nArchitecture: any\n' >"$tmp/debian/control"
        if (cd "$tmp" && dpkg-shlibdeps -O "$OLDPWD/$BIN" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p' >"$tmp/out" && [ -s "$tmp/out" ]; then
            cat "$tmp/out"; rm -rf "$tmp"; return
        fi
        rm -rf "$tmp"
    fi
    # Without dpkg-dev: the newest glibc symbol version the binary needs.
    glibc=$(objdump -T "$BIN" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true)
    if [ -n "$glibc" ]; then echo "libc6 (>= $glibc), libgcc-s1"; else echo "libc6, libgcc-s1"; fi
}
DEPENDS=${DEPENDS//\$auto/$(auto_depends)}

# The tree the package installs (mktemp made it private; the package root must be 755).
chmod 755 "$STAGE"
while IFS=$'\t' read -r src dest mode; do
    [ -n "$src" ] || continue
    [ -e "$src" ] || { echo "package_deb: asset $src is missing" >&2; exit 1; }
    case "$dest" in
        */) target="$STAGE/$dest$(basename "$src")" ;;
        *) target="$STAGE/$dest" ;;
    esac
    install -D -m "$mode" "$src" "$target"
done <<<"$ASSETS"
if [ -n "$LICENSE_FILE" ]; then
    install -D -m 644 "$LICENSE_FILE" "$STAGE/usr/share/doc/$NAME/copyright"
fi

INSTALLED_KIB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
mkdir -p "$STAGE/DEBIAN"
{
    echo "Package: $NAME"
    echo "Version: $VERSION-1"
    echo "Architecture: $ARCH"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $INSTALLED_KIB"
    echo "Depends: $DEPENDS"
    [ -n "$RECOMMENDS" ] && echo "Recommends: $RECOMMENDS"
    echo "Section: $SECTION"
    echo "Priority: $PRIORITY"
    echo "Description: $SUMMARY"
    # Extended description: each line indented by one space, as deb-control(5) requires.
    printf '%s\n' "$EXTENDED" | fold -s -w 78 | sed 's/^/ /; s/ *$//'
} >"$STAGE/DEBIAN/control"

# Menus and icon caches refresh themselves through dpkg triggers (desktop-file-utils,
# hicolor-icon-theme), so no maintainer scripts are needed.
OUT="target/$PROFILE/${NAME}_${VERSION}-1_${ARCH}.deb"
dpkg-deb --root-owner-group --build "$STAGE" "$OUT" >&2
echo "$OUT"
