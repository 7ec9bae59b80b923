#!/usr/bin/env python3
"""Validates the packaging files that cannot be exercised on this machine, and the ones that can
without building anything: macOS Info.plist, Windows resource script, manifest and installer,
the Linux desktop entry, the icons and the Debian metadata in Cargo.toml.

    python3 scripts/check_packaging.py      # exit 0: all good; 1: the failures are listed

Standard library only (plistlib, xml.etree, tomllib: Python 3.11+). Uses desktop-file-validate
and makensis when they are installed (Debian packages desktop-file-utils, nsis) and says so when
they are not.
"""

import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FAILURES = []
NOTES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
    return condition


def path(*parts):
    return os.path.join(ROOT, *parts)


def read(*parts):
    with open(path(*parts), "rb") as f:
        return f.read()


def cargo():
    with open(path("Cargo.toml"), "rb") as f:
        return tomllib.load(f)


def png_size(data):
    """(width, height) of a PNG, or None if it is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def check_icons():
    for n in [16, 24, 32, 48, 64, 128, 256, 512, 1024]:
        name = f"parking-iot-{n}.png"
        size = png_size(read("assets", "icons", name))
        check(size == (n, n), f"assets/icons/{name}: a {n}x{n} PNG expected, found {size}")

    ico = read("assets", "icons", "parking-iot.ico")
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    check((reserved, kind) == (0, 1), "parking-iot.ico: not an icon file")
    sides = []
    for i in range(count):
        w, h, _, _, planes, bpp, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i])
        side = w or 256
        sides.append(side)
        inner = png_size(ico[offset : offset + length])
        check(inner == (side, side), f"parking-iot.ico entry {i}: header says {side} px, image is {inner}")
        check(offset + length <= len(ico), f"parking-iot.ico entry {i} runs past the end of the file")
    for needed in (16, 32, 48, 256):
        check(needed in sides, f"parking-iot.ico lacks the {needed} px image Windows asks for")

    icns = read("assets", "icons", "parking-iot.icns")
    check(icns[:4] == b"icns", "parking-iot.icns: wrong magic")
    check(struct.unpack(">I", icns[4:8])[0] == len(icns), "parking-iot.icns: length field differs from the file size")
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
    seen, pos = {}, 8
    while pos + 8 <= len(icns):
        kind, length = icns[pos : pos + 4], struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
        if not check(length >= 8, f"parking-iot.icns: entry {kind!r} has a bad length"):
            break
        seen[kind] = png_size(icns[pos + 8 : pos + length])
        pos += length
    check(pos == len(icns), "parking-iot.icns: entries do not add up to the file size")
    for kind, n in expected.items():
        check(seen.get(kind) == (n, n), f"parking-iot.icns: {kind.decode()} should be a {n} px PNG, is {seen.get(kind)}")


def check_plist(version):
    with open(path("dist", "macos", "Info.plist"), "rb") as f:
        plist = plistlib.load(f)
    for key in [
        "CFBundleIdentifier",
        "CFBundleExecutable",
        "CFBundleName",
        "CFBundlePackageType",
        "CFBundleShortVersionString",
        "CFBundleVersion",
        "CFBundleIconFile",
        "LSMinimumSystemVersion",
    ]:
        check(key in plist, f"Info.plist lacks {key}")
    check(plist.get("CFBundleShortVersionString") == version,
          f"Info.plist CFBundleShortVersionString is {plist.get('CFBundleShortVersionString')!r}, Cargo.toml says {version!r}")
    check(plist.get("CFBundleVersion") == version,
          f"Info.plist CFBundleVersion is {plist.get('CFBundleVersion')!r}, Cargo.toml says {version!r}")
    # The data folder on macOS is named after this identifier (directories' ProjectDirs).
    check(plist.get("CFBundleIdentifier") == "org.parking-iot.parking-iot",
          f"Info.plist CFBundleIdentifier is {plist.get('CFBundleIdentifier')!r}")
    check(re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", plist.get("CFBundleIdentifier", "")) is not None,
          "Info.plist CFBundleIdentifier is not reverse-DNS")
    check(plist.get("CFBundleExecutable") == "parking-iot", "Info.plist CFBundleExecutable is not parking-iot")
    check(plist.get("CFBundlePackageType") == "APPL", "Info.plist CFBundlePackageType is not APPL")
    check(len(plist.get("CFBundleName", "")) <= 15, "Info.plist CFBundleName is longer than 15 characters")
    icon = plist.get("CFBundleIconFile", "")
    check(os.path.exists(path("assets", "icons", icon)), f"Info.plist names icon {icon!r}, which is not in assets/icons")
    check(plist.get("NSHighResolutionCapable") is True, "Info.plist: NSHighResolutionCapable should be true (sharp text on Retina)")
    bundle = read("dist", "macos", "bundle.sh").decode()
    for needed in ("Info.plist", "parking-iot.icns", "CFBundleShortVersionString", "hdiutil create", "codesign"):
        check(needed in bundle, f"dist/macos/bundle.sh does not mention {needed}")


def check_windows(version):
    rc = read("dist", "windows", "parking-iot.rc").decode()
    major, minor, patch = version.split("-")[0].split(".")[:3]
    defaults = dict(re.findall(r"#define (PIOT_\w+) (.+)", rc))
    check(defaults.get("PIOT_MAJOR") == major and defaults.get("PIOT_MINOR") == minor and defaults.get("PIOT_PATCH") == patch,
          f"parking-iot.rc default version {defaults.get('PIOT_MAJOR')}.{defaults.get('PIOT_MINOR')}.{defaults.get('PIOT_PATCH')} differs from Cargo.toml's {version}")
    check(defaults.get("PIOT_VERSION_STR") == f'"{version}"',
          f"parking-iot.rc PIOT_VERSION_STR is {defaults.get('PIOT_VERSION_STR')}, Cargo.toml says {version}")
    for quoted in re.findall(r'^\s*1\s+(?:ICON|24)\s+"([^"]+)"', rc, re.M):
        check(os.path.exists(path(quoted)), f"parking-iot.rc refers to {quoted}, which does not exist")
    check(re.search(r'^\s*1\s+ICON\s+"', rc, re.M) is not None, "parking-iot.rc has no ICON")
    check(re.search(r'^\s*1\s+24\s+"', rc, re.M) is not None, "parking-iot.rc embeds no manifest (RT_MANIFEST 24)")
    for key in ("FileVersion", "ProductVersion", "ProductName", "FileDescription", "OriginalFilename"):
        check(f'VALUE "{key}"' in rc, f"parking-iot.rc has no {key}")
    check('BLOCK "040904b0"' in rc and "0x409, 1200" in rc, "parking-iot.rc: the Translation does not match the string block")
    check(rc.count("BEGIN") == rc.count("END"), "parking-iot.rc: BEGIN and END do not pair up")
    check("embed_resource::compile_for" in read("build.rs").decode() and "dist/windows/parking-iot.rc" in read("build.rs").decode(),
          "build.rs does not compile dist/windows/parking-iot.rc")

    try:
        root = ET.fromstring(read("dist", "windows", "parking-iot.exe.manifest"))
    except ET.ParseError as e:
        check(False, f"parking-iot.exe.manifest is not well-formed XML: {e}")
        return
    check(root.tag == "{urn:schemas-microsoft-com:asm.v1}assembly", "manifest root is not asm.v1 <assembly>")
    texts = {el.tag.split("}")[-1]: (el.text or "").strip() for el in root.iter()}
    check("PerMonitorV2" in texts.get("dpiAwareness", ""), "manifest: dpiAwareness is not PerMonitorV2")
    check(texts.get("dpiAware") in ("true/pm", "true"), "manifest: no dpiAware fallback for older Windows")
    controls = [el for el in root.iter() if el.tag.endswith("assemblyIdentity") and el.get("name") == "Microsoft.Windows.Common-Controls"]
    check(len(controls) == 1 and controls[0].get("version") == "6.0.0.0", "manifest: no Common-Controls 6.0.0.0 dependency")
    levels = [el.get("level") for el in root.iter() if el.tag.endswith("requestedExecutionLevel")]
    check(levels == ["asInvoker"], f"manifest: requestedExecutionLevel should be asInvoker, is {levels}")

    nsi = read("dist", "windows", "parking-iot.nsi").decode()
    check("RequestExecutionLevel user" in nsi, "parking-iot.nsi: not a per-user install")
    check("parking-iot.ico" in nsi, "parking-iot.nsi: no icon")
    makensis = shutil.which("makensis")
    if makensis:
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, "parking-iot.exe")
            with open(exe, "wb") as f:
                f.write(b"MZ placeholder")
            out = os.path.join(tmp, f"parking-iot-{version}-windows-x64-setup.exe")
            run = subprocess.run([makensis, "-V2", "-WX", f"-DVERSION={version}", f"-DEXE={exe}", f"-DOUTFILE={out}",
                                  path("dist", "windows", "parking-iot.nsi")], capture_output=True, text=True)
            check(run.returncode == 0 and os.path.exists(out),
                  f"makensis could not build the installer: {run.stdout[-800:]}{run.stderr[-800:]}")
    else:
        NOTES.append("makensis not installed (apt-get install nsis): the installer script was only read, not compiled")


def check_linux(cargo_data):
    desktop = read("dist", "linux", "parking-iot.desktop").decode()
    entries = dict(line.split("=", 1) for line in desktop.splitlines() if "=" in line and not line.startswith("#"))
    check(entries.get("Exec") == "parking-iot", "desktop entry: Exec is not parking-iot")
    check(entries.get("Icon") == "parking-iot", "desktop entry: Icon is not parking-iot")
    check(entries.get("Type") == "Application", "desktop entry: Type is not Application")
    check(entries.get("Terminal") == "false", "desktop entry: Terminal should be false")
    about = read("src", "ui", "about.rs").decode()
    check(f'pub const APP_ID: &str = "{entries.get("StartupWMClass")}";' in about,
          "desktop entry: StartupWMClass differs from the window's app id (src/ui/about.rs APP_ID)")
    validator = shutil.which("desktop-file-validate")
    if validator:
        run = subprocess.run([validator, path("dist", "linux", "parking-iot.desktop")], capture_output=True, text=True)
        check(run.returncode == 0 and not run.stdout.strip(), f"desktop-file-validate: {run.stdout}{run.stderr}")
    else:
        NOTES.append("desktop-file-validate not installed (apt-get install desktop-file-utils): the desktop entry was only parsed")

    deb = cargo_data["package"]["metadata"]["deb"]
    dests = {}
    for src, dest, mode in deb["assets"]:
        if not src.startswith("target/"):
            check(os.path.exists(path(src)), f"[package.metadata.deb] asset {src} does not exist")
        dests[src] = dest
    check(dests.get("target/release/parking-iot") == "usr/bin/", "the .deb does not install the binary in usr/bin/")
    check(dests.get("dist/linux/parking-iot.desktop") == "usr/share/applications/", "the .deb does not install the desktop entry")
    for n in [16, 24, 32, 48, 64, 128, 256, 512]:
        check(dests.get(f"assets/icons/parking-iot-{n}.png") == f"usr/share/icons/hicolor/{n}x{n}/apps/parking-iot.png",
              f"the .deb does not install the {n} px hicolor icon")
    # The window's libraries are dlopened, invisible to $auto: they must be listed by hand.
    depends = [d.strip().split(" ")[0] for d in deb["depends"].split(",")]
    for lib in ["libgl1", "libegl1", "libgl1-mesa-dri", "libx11-6", "libx11-xcb1", "libxcursor1", "libxi6", "libxkbcommon-x11-0"]:
        check(lib in depends, f"[package.metadata.deb] depends lacks {lib} (loaded with dlopen)")


def check_workflow():
    # Windows steps write paths with backslashes.
    wf = read(".github", "workflows", "release.yml").decode().replace("\\", "/")
    for needed in ["ubuntu-", "macos-", "windows-", "scripts/package_deb.sh", "dist/macos/bundle.sh",
                   "dist/windows/parking-iot.nsi", "upload-artifact", "tags:"]:
        check(needed in wf, f"release.yml does not mention {needed}")
    check("\t" not in wf, "release.yml contains a tab (YAML forbids tabs for indentation)")


def main():
    data = cargo()
    version = data["package"]["version"]
    for step in (check_icons, lambda: check_plist(version), lambda: check_windows(version),
                 lambda: check_linux(data), check_workflow):
        try:
            step()
        except (OSError, KeyError, ValueError, plistlib.InvalidFileException, struct.error) as e:
            check(False, f"{getattr(step, '__name__', 'check')}: {type(e).__name__}: {e}")
    for note in NOTES:
        print(f"check_packaging: note: {note}")
    if FAILURES:
        for failure in FAILURES:
            print(f"check_packaging: FAIL: {failure}")
        return 1
    print(f"check_packaging: ok (version {version}: Info.plist, Windows .rc/manifest/installer, desktop entry, icons, .deb metadata, release workflow)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
