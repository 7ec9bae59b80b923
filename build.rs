//! Build script: on Windows only, compiles `dist/windows/parking-iot.rc` (the icon, the version
//! resource and the application manifest) into the executable. Elsewhere it does nothing, so
//! Linux and macOS builds pay only for compiling this file.
//!
//! The check uses the host OS: the release workflow builds each OS on its own runner, and a
//! cross-compiled Windows binary from Linux simply lacks the icon and manifest.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(windows)]
    windows_resources();
}

#[cfg(windows)]
fn windows_resources() {
    for input in [
        "dist/windows/parking-iot.rc",
        "dist/windows/parking-iot.exe.manifest",
        "assets/icons/parking-iot.ico",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    let version = |name: &str| std::env::var(name).unwrap_or_else(|_| "0".to_string());
    // The .rc takes the version numbers from Cargo.toml through these macros.
    let macros = [
        format!("PIOT_MAJOR={}", version("CARGO_PKG_VERSION_MAJOR")),
        format!("PIOT_MINOR={}", version("CARGO_PKG_VERSION_MINOR")),
        format!("PIOT_PATCH={}", version("CARGO_PKG_VERSION_PATCH")),
        format!(
            "PIOT_VERSION_STR=\"{}\"",
            std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
        ),
    ];
    // The manifest makes the window DPI-aware: without it Windows scales the app as a bitmap
    // and it looks blurred, so a failure here must fail the build.
    if let Err(e) =
        embed_resource::compile_for("dist/windows/parking-iot.rc", ["parking-iot"], &macros)
            .manifest_required()
    {
        panic!("cannot embed the Windows resources: {e}");
    }
}
