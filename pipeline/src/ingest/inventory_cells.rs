//! The cells of an inventory, checked and counted in one pass over its rows: the device class
//! folded and checked against the dictionary's classes, the two dates parsed (as in returns),
//! and, when counting, each device's flags added to the file's [`Tally`]. No row allocates:
//! an operating system is looked up once per spelling in the file.

use polars::prelude::PlHashMap;

use super::counts::{Counting, Flags, Tally, UnknownOs, families};
use super::inventory::{BadCell, LISTED_BAD_CELLS};
use crate::contract::{InventorySpec, normalise_os};
use crate::period::{day_number, parse_date};

/// The cells of one row, by role, as read (`None` for a missing value).
#[derive(Debug, Clone, Copy, Default)]
pub struct Row<'a> {
    pub device_class: Option<&'a str>,
    pub os_name: Option<&'a str>,
    pub os_version: Option<&'a str>,
    pub patch_date: Option<&'a str>,
    pub antimalware_date: Option<&'a str>,
    pub network_zone: Option<&'a str>,
}

impl<'a> Row<'a> {
    /// The cells in the order of the roles (as `role_positions` finds their columns).
    pub fn from_roles(cells: [Option<&'a str>; 6]) -> Self {
        let [
            device_class,
            os_name,
            os_version,
            patch_date,
            antimalware_date,
            network_zone,
        ] = cells;
        Row {
            device_class,
            os_name,
            os_version,
            patch_date,
            antimalware_date,
            network_zone,
        }
    }
}

/// An operating system as the file spells it: its end of support and, when the lifecycle
/// reference does not list it, where its devices are counted, how it was first written and
/// how many of the file's devices run it.
#[derive(Debug)]
struct Os {
    end_of_support: Option<i32>,
    unknown: Option<UnknownSpelling>,
}

#[derive(Debug)]
struct UnknownSpelling {
    /// The normalised (name, version) it is counted under.
    key: (Option<String>, Option<String>),
    name: Option<String>,
    version: Option<String>,
    devices: u64,
}

/// What a device class, as the file spells it, stands for.
#[derive(Debug, Clone, Copy)]
enum Class {
    /// Not one of the dictionary's classes: a bad cell.
    Unknown,
    /// A class; when counting, the index of its family among those counted (`None` for the
    /// family `none`).
    Known(Option<u8>),
}

/// The checks and counts of one inventory.
pub struct Cells<'s> {
    spec: &'s InventorySpec,
    counting: Option<(&'s Counting<'s>, Vec<&'s str>)>,
    line: u64,
    /// Per checked column (device class, then the dates): the first bad cells, and how many.
    bad: [(Vec<BadCell>, usize); 3],
    tally: Tally,
    /// Each spelling met of an operating system (by name, then version, an index into
    /// `oses`), of a device class and of a network zone (whether it is the isolated one),
    /// worked out once per file.
    os_names: Spellings<usize>,
    os_versions: Vec<Spellings<usize>>,
    oses: Vec<Os>,
    /// Devices by group of flags ([`group_of`]), added to the tally at the end of the file.
    groups: Vec<u64>,
    classes: Spellings<Class>,
    zones: Spellings<bool>,
    folded: String,
    dates: Dates,
}

impl<'s> Cells<'s> {
    /// Checks only, or checks and counts when `counting` is given.
    pub fn new(spec: &'s InventorySpec, counting: Option<&'s Counting<'s>>) -> Self {
        Cells {
            spec,
            counting: counting.map(|c| (c, families(c.contract))),
            line: 1,
            bad: Default::default(),
            tally: Tally::default(),
            os_names: Spellings::default(),
            os_versions: Vec::new(),
            oses: Vec::new(),
            groups: Vec::new(),
            classes: Spellings::default(),
            zones: Spellings::default(),
            folded: String::new(),
            dates: Dates::new(),
        }
    }

    /// Checks one row and counts it; its line is the row's number counting the header as 1.
    pub fn push(&mut self, row: Row) {
        self.line += 1;
        let class = row.device_class.map(|raw| {
            let class = self.class(raw);
            if matches!(class, Class::Unknown) {
                let column = self.spec.roles.device_class.clone();
                self.flag(0, &column, raw);
            }
            class
        });
        let patch = self.date(1, row.patch_date);
        let antimalware = self.date(2, row.antimalware_date);
        let Some((counting, _)) = &self.counting else {
            return;
        };
        let Some(Class::Known(Some(family))) = class else {
            return;
        };
        let end = counting.end;
        let inventory = &counting.contract.dictionary.inventory;
        let (patch_window, antimalware_window) = (
            inventory.patch_window_days as i32,
            inventory.antimalware_window_days as i32,
        );
        let isolated = row.network_zone.is_some_and(|raw| self.isolated(raw));
        let end_of_support = self.end_of_support(row.os_name, row.os_version);
        let flags = Flags {
            family,
            unsupported: end_of_support.is_none_or(|eos| eos <= end),
            patched: patch.is_none_or(|d| d > end - patch_window),
            antimalware_current: antimalware.is_some_and(|d| d >= end - antimalware_window),
            isolated,
        };
        let group = group_of(flags);
        if group >= self.groups.len() {
            self.groups.resize(group + 1, 0);
        }
        self.groups[group] += 1;
    }

    /// A device class as spelt: folded and looked up in the dictionary once per spelling.
    fn class(&mut self, raw: &str) -> Class {
        if let Some(known) = self.classes.get(raw) {
            return known;
        }
        fold(raw, &mut self.folded);
        let class = match self.spec.device_classes.get(&self.folded) {
            None => Class::Unknown,
            Some(family) => Class::Known(self.counting.as_ref().and_then(|(_, families)| {
                families.iter().position(|k| k == family).map(|i| i as u8)
            })),
        };
        self.classes.insert(raw, class);
        class
    }

    /// Whether a network zone as spelt is the isolated one, folded once per spelling.
    fn isolated(&mut self, raw: &str) -> bool {
        if let Some(known) = self.zones.get(raw) {
            return known;
        }
        fold(raw, &mut self.folded);
        let isolated = self.folded == self.spec.isolated_zone;
        self.zones.insert(raw, isolated);
        isolated
    }

    /// The end of support of the row's operating system, looked up once per spelling; a
    /// system the reference does not list is counted among the unknown.
    fn end_of_support(&mut self, name: Option<&str>, version: Option<&str>) -> Option<i32> {
        let os = self.os_index(name, version);
        let os = &mut self.oses[os];
        if let Some(unknown) = &mut os.unknown {
            unknown.devices += 1;
        }
        os.end_of_support
    }

    /// Where the system spelt (name, version) is in `oses`, worked out the first time it is
    /// met. An absent part is looked up as `\0`, so a cell of `\0` alone is taken for an
    /// absent one (as the single key of name and version did before).
    fn os_index(&mut self, name: Option<&str>, version: Option<&str>) -> usize {
        let (name_key, version_key) = (name.unwrap_or("\0"), version.unwrap_or("\0"));
        let versions = match self.os_names.get(name_key) {
            Some(versions) => versions,
            None => {
                self.os_versions.push(Spellings::default());
                let versions = self.os_versions.len() - 1;
                self.os_names.insert(name_key, versions);
                versions
            }
        };
        if let Some(os) = self.os_versions[versions].get(version_key) {
            return os;
        }
        let counting = self.counting.as_ref().map(|(c, _)| *c);
        let end_of_support = counting.and_then(|c| c.end_of_support(name, version));
        let unknown = end_of_support.is_none().then(|| UnknownSpelling {
            key: (name.map(normalise_os), version.map(normalise_os)),
            name: name.map(str::to_string),
            version: version.map(str::to_string),
            devices: 0,
        });
        self.oses.push(Os {
            end_of_support,
            unknown,
        });
        let os = self.oses.len() - 1;
        self.os_versions[versions].insert(version_key, os);
        os
    }

    /// A date as a day number; a cell that is not blank and not a date is a bad cell.
    fn date(&mut self, check: usize, raw: Option<&str>) -> Option<i32> {
        let text = crate::text::trim(raw?);
        if text.is_empty() {
            return None;
        }
        let parsed = self.dates.day(text);
        if parsed.is_none() {
            let column = self.spec.date_columns()[check - 1].to_string();
            self.flag(check, &column, raw.unwrap_or_default());
        }
        parsed
    }

    fn flag(&mut self, check: usize, column: &str, raw: &str) {
        let (listed, count) = &mut self.bad[check];
        *count += 1;
        if listed.len() < LISTED_BAD_CELLS {
            listed.push(BadCell {
                line: self.line,
                column: column.to_string(),
                value: crate::text::echo(raw, 60),
            });
        }
    }

    /// The tally, the first bad cells by line (those of the device class first, then of each
    /// date, up to [`LISTED_BAD_CELLS`]) and how many there are in all.
    pub fn finish(self) -> (Tally, Vec<BadCell>, usize) {
        let count = self.bad.iter().map(|(_, n)| n).sum();
        let mut listed: Vec<BadCell> = self
            .bad
            .into_iter()
            .flat_map(|(cells, _)| cells)
            .take(LISTED_BAD_CELLS)
            .collect();
        listed.sort_by(|a, b| (a.line, &a.column).cmp(&(b.line, &b.column)));
        let mut tally = self.tally;
        for (group, &devices) in self.groups.iter().enumerate().filter(|(_, n)| **n > 0) {
            *tally.devices.entry(flags_of(group)).or_default() += devices;
        }
        // In the order the spellings were first met, so each unknown system keeps the
        // spelling of the first row that ran it.
        for unknown in self.oses.into_iter().filter_map(|os| os.unknown) {
            let entry = tally
                .unknown
                .entry(unknown.key)
                .or_insert_with(|| UnknownOs {
                    name: unknown.name,
                    version: unknown.version,
                    devices: 0,
                });
            entry.devices += unknown.devices;
        }
        (tally, listed, count)
    }
}

/// A device's group of flags as a number: the family, then one bit a flag. Counting into a
/// list by this number takes one addition a row where a hash map took a lookup.
fn group_of(flags: Flags) -> usize {
    usize::from(flags.family) << 4
        | usize::from(flags.unsupported) << 3
        | usize::from(flags.patched) << 2
        | usize::from(flags.antimalware_current) << 1
        | usize::from(flags.isolated)
}

/// The flags of a group numbered by [`group_of`].
fn flags_of(group: usize) -> Flags {
    Flags {
        family: u8::try_from(group >> 4).unwrap_or(u8::MAX),
        unsupported: group & 8 != 0,
        patched: group & 4 != 0,
        antimalware_current: group & 2 != 0,
        isolated: group & 1 != 0,
    }
}

/// What each spelling met in a file stands for. A file spells its device classes and network
/// zones a handful of ways, so the first few are kept in a list searched in order by [`Key`],
/// and any more in a hash map.
struct Spellings<T> {
    first: Vec<(Key, Box<str>, T)>,
    more: PlHashMap<Box<str>, T>,
}

impl<T> Default for Spellings<T> {
    fn default() -> Self {
        Spellings {
            first: Vec::new(),
            more: PlHashMap::default(),
        }
    }
}

impl<T: Copy> Spellings<T> {
    const LISTED: usize = 8;

    fn get(&self, raw: &str) -> Option<T> {
        let key = Key::of(raw.as_bytes());
        let listed = self
            .first
            .iter()
            .find(|(k, spelling, _)| *k == key && (key.len <= Key::WHOLE || **spelling == *raw));
        match listed {
            Some((_, _, known)) => Some(*known),
            None => self.more.get(raw).copied(),
        }
    }

    fn insert(&mut self, raw: &str, value: T) {
        if self.first.len() < Self::LISTED {
            self.first
                .push((Key::of(raw.as_bytes()), raw.into(), value));
        } else {
            self.more.insert(raw.into(), value);
        }
    }
}

/// A spelling's length and bytes in three words, compared without a call to `memcmp` (which
/// took a twentieth of a national run, most spellings a file uses having the same length as
/// another). Up to [`Key::WHOLE`] bytes the words hold every byte, so equal keys are equal
/// spellings; a longer spelling is compared in full once its key matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    len: usize,
    head: u128,
    tail: u64,
}

impl Key {
    /// Operating system versions run to 18 bytes (`11 24H2 Enterprise`).
    const WHOLE: usize = 24;

    fn of(bytes: &[u8]) -> Key {
        let len = bytes.len();
        let word = |b: &[u8; 8]| u64::from_le_bytes(*b);
        let half = |b: &[u8; 4]| u64::from(u32::from_le_bytes(*b));
        let (head, tail) = if let (Some(h), Some(t)) = (bytes.first_chunk(), bytes.last_chunk()) {
            // 16 bytes or more: the first sixteen and the last eight, overlapping below 24.
            (u128::from_le_bytes(*h), word(t))
        } else if let (Some(h), Some(t)) = (bytes.first_chunk(), bytes.last_chunk()) {
            // 8 to 15: the first eight and the last eight, overlapping below 16.
            (u128::from(word(h)) | u128::from(word(t)) << 64, 0)
        } else if let (Some(h), Some(t)) = (bytes.first_chunk(), bytes.last_chunk()) {
            // 4 to 7: the first four and the last four, overlapping below 8.
            (u128::from(half(h) | half(t) << 32), 0)
        } else {
            // Up to three bytes: the first, the middle and the last.
            let at = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
            (
                u128::from(at(0) | at(len / 2) << 8 | at(len.wrapping_sub(1)) << 16),
                0,
            )
        };
        Key { len, head, tail }
    }
}

/// The day numbers of the dates met in a file, by their text: an inventory spells a few dozen
/// dates over and over, two a row. Direct-mapped (a date has one slot, shared with others), so
/// a file of many different dates only misses and never grows it.
struct Dates {
    slots: Box<[([u8; 10], Option<i32>)]>,
}

impl Dates {
    const SLOTS: usize = 256;

    fn new() -> Self {
        // Ten NUL bytes are not a date, as an empty slot says.
        Dates {
            slots: vec![([0; 10], None); Self::SLOTS].into_boxed_slice(),
        }
    }

    /// `parse_date(text)` as a day number.
    fn day(&mut self, text: &str) -> Option<i32> {
        let Ok(key) = <[u8; 10]>::try_from(text.as_bytes()) else {
            return parse_date(text).map(day_number);
        };
        let [_, _, tail @ ..] = key;
        let mix = u64::from_le_bytes(tail).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let slot = &mut self.slots[(mix >> 56) as usize];
        if slot.0 != key {
            *slot = (key, parse_date(text).map(day_number));
        }
        slot.1
    }
}

/// Trimmed and lower-cased, into `out`.
fn fold(raw: &str, out: &mut String) {
    out.clear();
    let trimmed = raw.trim();
    if trimmed.is_ascii() {
        out.push_str(trimmed);
        out.make_ascii_lowercase();
    } else {
        out.extend(trimmed.chars().flat_map(char::to_lowercase));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_number_gives_back_its_flags() {
        for family in [0, 1, 7, 255] {
            for bits in 0..16u8 {
                let flags = Flags {
                    family,
                    unsupported: bits & 8 != 0,
                    patched: bits & 4 != 0,
                    antimalware_current: bits & 2 != 0,
                    isolated: bits & 1 != 0,
                };
                assert_eq!(flags_of(group_of(flags)), flags);
            }
        }
    }

    #[test]
    fn spellings_past_the_listed_few_are_still_found() {
        let mut spellings = Spellings::default();
        let words: Vec<String> = (0..20).map(|i| format!("zone {i}")).collect();
        for (i, word) in words.iter().enumerate() {
            assert_eq!(spellings.get(word), None);
            spellings.insert(word, i);
        }
        for (i, word) in words.iter().enumerate() {
            assert_eq!(spellings.get(word), Some(i), "{word}");
        }
        assert_eq!(spellings.get("zone"), None);
        assert_eq!(spellings.first.len(), Spellings::<usize>::LISTED);
    }

    /// Every text of up to 12 bytes over two letters, and some of 13 to 30 over more, with
    /// each byte of each changed: no two short enough to be compared by key alone share one.
    #[test]
    fn keys_of_different_spellings_differ() {
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=12 {
            for n in 0..1u32 << len {
                texts.push((0..len).map(|i| b'a' + (n >> i & 1) as u8).collect());
            }
        }
        for len in 13..=30 {
            let text: Vec<u8> = (0..len).map(|i| b'0' + (i * 7 % 10) as u8).collect();
            for at in 0..len {
                let mut changed = text.clone();
                changed[at] ^= 0x20;
                texts.push(changed);
            }
            texts.push(text);
        }
        let mut seen = std::collections::HashMap::new();
        for text in &texts {
            let key = Key::of(text);
            assert_eq!(key.len, text.len());
            if text.len() <= Key::WHOLE
                && let Some(other) = seen.insert(key, text)
            {
                panic!("{other:?} and {text:?} share a key");
            }
        }
        assert_eq!(Key::of(b"clinical"), Key::of(b"clinical"));
        assert_ne!(Key::of(b"ab"), Key::of(b"ab\0"));
    }

    #[test]
    fn remembered_dates_are_the_dates_parsed() {
        // 3,000 texts of ten bytes, dates and not, so that many share a slot, each met three
        // times in a shuffled order: every answer is the parser's.
        let mut texts: Vec<String> = Vec::new();
        for i in 0..1000u32 {
            let (y, m, d) = (1990 + i % 50, 1 + i % 14, 1 + i % 32);
            texts.push(format!("{y:04}-{m:02}-{d:02}"));
            texts.push(format!("{d:02}/{m:02}/{y:04}"));
            texts.push(format!("{y:04}-{m:02}x{d:02}"));
        }
        texts.extend([
            "\0".repeat(10),
            String::new(),
            "2026-1-1".into(),
            " 2026-01-01".into(),
        ]);
        let mut dates = Dates::new();
        let visits = texts.len() * 3;
        let mut order: Vec<(usize, usize)> = (0..visits)
            .map(|v| ((v * 7919) % visits, v % texts.len()))
            .collect();
        order.sort_unstable();
        for (_, i) in order {
            let text = &texts[i];
            assert_eq!(
                dates.day(text),
                parse_date(text).map(day_number),
                "{text:?}"
            );
        }
    }
}
