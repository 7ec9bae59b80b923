//! Licence-plate formats: a pattern of letters (`L`, never I, O or Q), digits (`D`) and literal
//! characters, and the mapping between a plate's number and its text.

use crate::model::PlateCode;

/// Letters allowed on plates: the alphabet without I, O and Q.
pub const PLATE_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// One position of a plate format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Letter,
    Digit,
    Literal(u8),
}

/// A parsed plate format such as `LLL-DDDD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlateFormat {
    pattern: String,
    slots: Vec<Slot>,
    combinations: u64,
}

impl PlateFormat {
    /// Parses a pattern; `None` when it has no letter or digit, is longer than 10, or has a
    /// character other than `L`, `D`, space, hyphen or dot as a literal.
    pub fn parse(pattern: &str) -> Option<Self> {
        if pattern.is_empty() || pattern.len() > 10 || !pattern.is_ascii() {
            return None;
        }
        let mut slots = Vec::with_capacity(pattern.len());
        let mut combinations: u64 = 1;
        for b in pattern.bytes() {
            let slot = match b {
                b'L' => {
                    combinations *= PLATE_LETTERS.len() as u64;
                    Slot::Letter
                }
                b'D' => {
                    combinations *= 10;
                    Slot::Digit
                }
                b' ' | b'-' | b'.' => Slot::Literal(b),
                _ => return None,
            };
            slots.push(slot);
        }
        if combinations < 1000 {
            return None;
        }
        Some(PlateFormat {
            pattern: pattern.to_owned(),
            slots,
            combinations,
        })
    }

    /// The pattern as written in the catalog.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// How many different plates the format can write.
    pub fn combinations(&self) -> u64 {
        self.combinations
    }

    /// Writes plate number `n` (taken modulo the combinations) into `out`.
    pub fn write(&self, mut n: u64, out: &mut String) {
        out.clear();
        n %= self.combinations;
        // Fill from the right so that consecutive numbers differ in the last character.
        let mut buf = [0u8; 10];
        for (i, slot) in self.slots.iter().enumerate().rev() {
            buf[i] = match slot {
                Slot::Letter => {
                    let c = PLATE_LETTERS[(n % 23) as usize];
                    n /= 23;
                    c
                }
                Slot::Digit => {
                    let c = b'0' + (n % 10) as u8;
                    n /= 10;
                    c
                }
                Slot::Literal(c) => *c,
            };
        }
        for b in &buf[..self.slots.len()] {
            out.push(*b as char);
        }
    }

    /// The number [`PlateFormat::write`] wrote as `text` (`None`: not this format's plate).
    pub fn read(&self, text: &str) -> Option<u64> {
        if !self.matches(text) {
            return None;
        }
        let mut n: u64 = 0;
        for (b, slot) in text.bytes().zip(&self.slots) {
            match slot {
                Slot::Letter => {
                    let i = PLATE_LETTERS.iter().position(|c| *c == b)?;
                    n = n * 23 + i as u64;
                }
                Slot::Digit => n = n * 10 + u64::from(b - b'0'),
                Slot::Literal(_) => {}
            }
        }
        Some(n)
    }

    /// Whether `text` could have been written by this format.
    pub fn matches(&self, text: &str) -> bool {
        text.len() == self.slots.len()
            && text.bytes().zip(&self.slots).all(|(b, slot)| match slot {
                Slot::Letter => PLATE_LETTERS.contains(&b),
                Slot::Digit => b.is_ascii_digit(),
                Slot::Literal(c) => b == *c,
            })
    }
}

/// A state whose plates the simulator writes.
#[derive(Clone, Debug, PartialEq)]
pub struct PlateState {
    /// Two-letter code (`NY`).
    pub code: String,
    /// Its plate format.
    pub format: PlateFormat,
}

/// A named set of state shares (fractions summing to 1, in the order of the state table).
#[derive(Clone, Debug, PartialEq)]
pub struct PlatePreset {
    /// The preset's name (`published`, `observed-nyc`).
    pub name: String,
    /// Share of each state, same order as [`PlateTable::states`].
    pub shares: Vec<f64>,
}

/// States, their formats and the share presets.
#[derive(Clone, Debug, PartialEq)]
pub struct PlateTable {
    /// Every state with a format.
    pub states: Vec<PlateState>,
    /// The share presets.
    pub presets: Vec<PlatePreset>,
    /// Index of the preset used when none is chosen.
    pub default_preset: usize,
}

impl PlateTable {
    /// Formats a plate code as (state, text).
    pub fn render(&self, plate: PlateCode, out: &mut String) -> &str {
        match self.states.get(plate.state() as usize) {
            Some(state) => {
                state.format.write(plate.number(), out);
                &state.code
            }
            None => {
                out.clear();
                "??"
            }
        }
    }

    /// The code of a plate written by [`PlateTable::render`] (`None`: unknown state or a plate
    /// its format cannot write).
    pub fn parse(&self, state: &str, text: &str) -> Option<PlateCode> {
        let index = self.states.iter().position(|s| s.code == state)?;
        let number = self.states[index].format.read(text)?;
        Some(PlateCode::new(index as u16, number))
    }

    /// Finds a preset by name.
    pub fn preset(&self, name: &str) -> Option<usize> {
        self.presets.iter().position(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_write_plates_that_match_them() {
        let ny = PlateFormat::parse("LLL-DDDD").expect("valid pattern");
        assert_eq!(ny.combinations(), 23 * 23 * 23 * 10_000);
        let mut s = String::new();
        ny.write(0, &mut s);
        assert_eq!(s, "AAA-0000");
        ny.write(1, &mut s);
        assert_eq!(s, "AAA-0001");
        ny.write(10_000, &mut s);
        assert_eq!(s, "AAB-0000");
        ny.write(ny.combinations() - 1, &mut s);
        assert_eq!(s, "ZZZ-9999");
        assert!(ny.matches("ABC-1234"));
        assert!(!ny.matches("ABI-1234"), "I is never used");
        assert!(!ny.matches("AB-12345"));
        let nj = PlateFormat::parse("LDD-LLL").expect("valid pattern");
        nj.write(123_456, &mut s);
        assert!(nj.matches(&s), "{s}");
        assert_eq!(nj.read(&s), Some(123_456));
        assert_eq!(ny.read("AAB-0000"), Some(10_000));
        assert_eq!(ny.read("ZZZ-9999"), Some(ny.combinations() - 1));
        assert_eq!(ny.read("ABI-1234"), None);
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(PlateFormat::parse("").is_none());
        assert!(PlateFormat::parse("LLX-DDDD").is_none());
        assert!(PlateFormat::parse("DD").is_none(), "too few plates");
        assert!(PlateFormat::parse("LLLLLLLLLLL").is_none(), "too long");
    }
}
