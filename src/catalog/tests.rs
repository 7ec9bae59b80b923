use super::*;

fn builtin() -> Catalog {
    match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => panic!("built-in catalog is invalid: {e}"),
    }
}

#[test]
fn builtin_catalog_has_the_published_facilities() {
    let c = builtin();
    assert_eq!(c.facilities.len(), 50);
    assert_eq!(c.total_spots(), 11_608);
    let by_district = |name: &str| -> u64 {
        c.facilities
            .iter()
            .filter(|f| c.districts[f.district].name == name)
            .map(|f| f.spots as u64)
            .sum()
    };
    assert_eq!(by_district("Manhattan"), 2_170);
    assert_eq!(by_district("Brooklyn"), 1_620);
    assert_eq!(by_district("Queens"), 2_022);
    assert_eq!(by_district("Bronx"), 1_566);
    assert_eq!(by_district("Staten Island"), 930);
    assert_eq!(by_district("Airport"), 3_300);
    let ts = &c.facilities[0];
    assert_eq!(
        (ts.id, ts.name.as_str(), ts.spots),
        (1, "Times Square 44th St", 200)
    );
    assert_eq!(ts.pricing.rate_cents_per_hour, 3500);
    let mall = c.facilities.iter().find(|f| f.id == 42).map(|f| f.pricing);
    assert_eq!(
        mall.map(|p| (p.rate_cents_per_hour, p.daily_max_cents)),
        Some((0, 0))
    );
    let manhattan = &c.districts[0];
    assert_eq!(manhattan.weekday_multiplier, 1.4);
    assert!(manhattan.peak_entry[7] && manhattan.peak_entry[11] && !manhattan.peak_entry[12]);
    let ny = c.plates.states.iter().position(|s| s.code == "NY");
    let published = &c.plates.presets[c.plates.default_preset];
    assert_eq!(published.name, "published");
    assert!((published.shares[ny.unwrap_or(usize::MAX)] - 0.60).abs() < 1e-9);
}

fn edited(from: &str, to: &str) -> Result<Catalog, CatalogError> {
    assert!(
        BUILTIN_CATALOG.contains(from),
        "test edit '{from}' not found"
    );
    Catalog::parse(&BUILTIN_CATALOG.replacen(from, to, 1), "edited.toml")
}

fn line_of(needle: &str) -> usize {
    let pos = BUILTIN_CATALOG.find(needle).unwrap_or(0);
    BUILTIN_CATALOG[..pos].lines().count() + 1
}

#[test]
fn bad_catalogs_name_file_line_and_field() {
    let spots_line = line_of("spots = 300\nrate_per_hour = 28.00");
    let e = edited(
        "spots = 300\nrate_per_hour = 28.00",
        "spots = 0\nrate_per_hour = 28.00",
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_str()),
        ("edited.toml", spots_line, "facility[2].spots")
    );
    assert!(
        e.to_string()
            .starts_with(&format!("edited.toml:{spots_line}: facility[2].spots:")),
        "{e}"
    );

    let e = edited("district = \"Queens\"", "district = \"Queenz\"").unwrap_err();
    assert_eq!(e.field, "facility[26].district");
    assert!(
        e.message.contains("unknown district 'Queenz'"),
        "{}",
        e.message
    );
    assert_eq!(e.line, line_of("district = \"Queens\""));

    let e = edited("id = 2\n", "id = 1\n").unwrap_err();
    assert_eq!(e.field, "facility[2].id");
    assert!(e.message.contains("duplicate facility id 1"));

    let e = edited("rate_per_hour = 40.00", "rate_per_hour = -40.00").unwrap_err();
    assert_eq!(e.field, "facility[4].rate_per_hour");
    assert!(e.message.contains("negative"));

    let e = edited("NY = 60.0, NJ = 15.0", "NY = 50.0, NJ = 15.0").unwrap_err();
    assert_eq!(e.field, "plates.preset[1].shares");
    assert!(e.message.contains("sum to 90.00 %"), "{}", e.message);

    let e = edited("spots = 200\n", "spots = \"many\"\n").unwrap_err();
    assert_eq!(e.field, "file");
    assert_eq!(e.line, line_of("spots = 200\n"));

    let e = Catalog::parse("this is [not toml", "junk.toml").unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_str()),
        ("junk.toml", 1, "file")
    );

    let e = edited(
        "peak_hours = [7, 8, 9, 17, 18, 19]",
        "peak_hours = [7, 8, 24]",
    )
    .unwrap_err();
    assert_eq!(e.field, "facility[2].peak_hours");
    assert!(e.message.contains("hour 24"));
}

#[test]
fn a_missing_catalog_file_is_reported() {
    let e = Catalog::load(Path::new("/nonexistent/catalog.toml")).unwrap_err();
    assert_eq!(e.file, "/nonexistent/catalog.toml");
    assert!(e.message.contains("cannot read"));
}

#[test]
fn catalog_files_that_are_not_small_text_files_are_refused() {
    let e = Catalog::load(Path::new("/tmp")).unwrap_err();
    assert!(e.message.contains("not a regular file"), "{}", e.message);
    let dir = std::env::temp_dir().join(format!("parking-iot-catalog-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let big = dir.join("big.toml");
    let written = std::fs::write(&big, vec![b'#'; MAX_CATALOG_BYTES as usize + 1]);
    assert!(written.is_ok());
    let e = Catalog::load(&big).unwrap_err();
    assert!(e.message.contains("small text file"), "{}", e.message);
    let _ = std::fs::remove_dir_all(&dir);
}
