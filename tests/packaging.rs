//! The packaging files agree with Cargo.toml and the code: versions in the macOS and Windows
//! files, the desktop entry's names, the .deb's assets; and the binary prints its version.
//! (scripts/check_packaging.py validates the formats more deeply; this runs with `cargo test`.)

use std::path::PathBuf;
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo_file(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `<string>` that follows `<key>name</key>` in a plist.
fn plist_string(plist: &str, name: &str) -> Option<String> {
    let after = plist.split(&format!("<key>{name}</key>")).nth(1)?;
    let start = after.find("<string>")? + "<string>".len();
    let end = after.find("</string>")?;
    Some(after[start..end].to_string())
}

#[test]
fn the_binary_prints_its_name_and_cargo_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_parking-iot"))
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("run parking-iot --version: {e}"));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("parking-iot {VERSION}")
    );
}

#[test]
fn the_macos_info_plist_carries_cargo_tomls_version_and_the_data_folder_identifier() {
    let plist = repo_file("dist/macos/Info.plist");
    assert_eq!(
        plist_string(&plist, "CFBundleShortVersionString").as_deref(),
        Some(VERSION)
    );
    assert_eq!(
        plist_string(&plist, "CFBundleVersion").as_deref(),
        Some(VERSION)
    );
    assert_eq!(
        plist_string(&plist, "CFBundleExecutable").as_deref(),
        Some("parking-iot")
    );
    // directories' ProjectDirs::from("org", "parking-iot", "parking-iot") names the macOS data
    // folder after this identifier.
    assert_eq!(
        plist_string(&plist, "CFBundleIdentifier").as_deref(),
        Some("org.parking-iot.parking-iot")
    );
}

#[test]
fn the_windows_resource_defaults_match_cargo_tomls_version() {
    let rc = repo_file("dist/windows/parking-iot.rc");
    let mut parts = VERSION.split('.');
    for (name, value) in [
        ("PIOT_MAJOR", parts.next()),
        ("PIOT_MINOR", parts.next()),
        ("PIOT_PATCH", parts.next()),
    ] {
        let value = value.unwrap_or_else(|| panic!("version {VERSION} has no {name}"));
        assert!(
            rc.contains(&format!("#define {name} {value}\n")),
            "{name} should default to {value}"
        );
    }
    assert!(rc.contains(&format!("#define PIOT_VERSION_STR \"{VERSION}\"")));
}

#[test]
fn the_desktop_entry_starts_the_binary_with_the_installed_icon_and_window_class() {
    let desktop = repo_file("dist/linux/parking-iot.desktop");
    let value = |key: &str| {
        desktop
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
    };
    assert_eq!(value("Exec").as_deref(), Some("parking-iot"));
    assert_eq!(value("Icon").as_deref(), Some("parking-iot"));
    assert_eq!(
        value("StartupWMClass").as_deref(),
        Some(parking_iot::ui::about::APP_ID)
    );
    assert_eq!(value("Name").as_deref(), Some(parking_iot::ui::TITLE));
}

#[test]
fn the_deb_installs_the_binary_the_entry_and_every_hicolor_icon_that_exists() {
    let cargo: toml::Table = repo_file("Cargo.toml")
        .parse()
        .unwrap_or_else(|e| panic!("Cargo.toml: {e}"));
    let assets = cargo["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .unwrap_or_else(|| panic!("no [package.metadata.deb] assets"));
    let pairs: Vec<(String, String)> = assets
        .iter()
        .map(|a| {
            (
                a[0].as_str().unwrap_or_default().to_string(),
                a[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let has = |src: &str, dest: &str| pairs.iter().any(|(s, d)| s == src && d == dest);
    assert!(has("target/release/parking-iot", "usr/bin/"));
    assert!(has(
        "dist/linux/parking-iot.desktop",
        "usr/share/applications/"
    ));
    for n in [16, 24, 32, 48, 64, 128, 256, 512] {
        let src = format!("assets/icons/parking-iot-{n}.png");
        assert!(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(&src)
                .is_file(),
            "{src} is missing"
        );
        assert!(
            has(
                &src,
                &format!("usr/share/icons/hicolor/{n}x{n}/apps/parking-iot.png")
            ),
            "the .deb does not install {src}"
        );
    }
}
