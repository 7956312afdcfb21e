//! `baseline generate`: a synthetic landing zone of any size, deterministic for a seed, for
//! tests, samples and benchmarks. Scale 1 is the national estate (about 210 trusts, 42 ICBs,
//! 6,300 GP practices, 1.5 million devices); `scale` multiplies the devices per organisation.
//! Names are invented so no real organisation appears to have a security gap.

use std::fmt::Write as _;
use std::path::Path;

use chrono::Datelike;

use crate::contract::{Dictionary, MeasureType};
use crate::period::Period;

mod plans;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub scale: u32,
    /// Share of returns made faulty, spread over the kinds of fault.
    pub fault_rate: f64,
    /// The last period; `periods` consecutive months end with it.
    pub period: Period,
    pub periods: u32,
    /// Organisations per type, at national shape: (type, count, devices per organisation).
    pub estate: Vec<(String, usize, usize)>,
}

impl Plan {
    pub fn national(seed: u64, scale: u32, fault_rate: f64, period: Period, periods: u32) -> Self {
        let estate = [
            ("acute_trust", 130, 6_000),
            ("mental_health_trust", 50, 2_500),
            ("community_trust", 20, 2_000),
            ("ambulance_trust", 10, 1_500),
            ("icb", 42, 1_500),
            ("gp_practice", 6_300, 70),
        ];
        Plan {
            seed,
            scale,
            fault_rate,
            period,
            periods,
            estate: estate
                .iter()
                .map(|(t, n, d)| (t.to_string(), *n, *d))
                .collect(),
        }
    }

    /// A small estate of `orgs` organisations with the national mix.
    pub fn small(seed: u64, orgs: usize, fault_rate: f64, period: Period, periods: u32) -> Self {
        let mut plan = Plan::national(seed, 1, fault_rate, period, periods);
        let total: usize = plan.estate.iter().map(|(_, n, _)| n).sum();
        for (kind, n, devices) in &mut plan.estate {
            *n =
                ((*n * orgs).div_ceil(total)).max(if kind == "gp_practice" { orgs / 2 } else { 1 });
            *devices = (*devices / 10).max(20);
        }
        plan
    }
}

/// SplitMix64: a few lines of well-known, deterministic pseudo-randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const REGIONS: [(&str, &str); 7] = [
    ("Y56", "London"),
    ("Y58", "South West"),
    ("Y59", "South East"),
    ("Y60", "Midlands"),
    ("Y61", "East of England"),
    ("Y62", "North West"),
    ("Y63", "North East and Yorkshire"),
];
const PLACES: [&str; 24] = [
    "Ashcombe",
    "Brackenfield",
    "Castlemere",
    "Dunholme",
    "Elmbridge",
    "Farleigh",
    "Greystone",
    "Hallowmere",
    "Ivymoor",
    "Kestrel",
    "Larkspur",
    "Marsh End",
    "Northmoor",
    "Oakhurst",
    "Pennywell",
    "Queensfen",
    "Ravensholt",
    "Stonegate",
    "Thornbury",
    "Upton Reach",
    "Wexcombe",
    "Yarrowdale",
    "Alderford",
    "Bramblewick",
];
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const OSES: [(&str, &str, u64); 9] = [
    ("Windows", "11 24H2 Enterprise", 55),
    ("Windows", "11 23H2 Enterprise", 15),
    ("Windows", "10 22H2", 8),
    ("Windows", "7", 1),
    ("Windows Server", "2019", 6),
    ("Windows Server", "2012 R2", 2),
    ("Ubuntu", "22.04", 5),
    ("RHEL", "8", 3),
    ("Windows Server", "2022", 5),
];

struct Org {
    code: String,
    name: String,
    kind: String,
    region: usize,
    icb: String,
    devices: usize,
    /// How close to the standards the organisation runs (most near the thresholds).
    quality: f64,
}

fn estate(plan: &Plan, rng: &mut Rng) -> Vec<Org> {
    let mut orgs = Vec::new();
    let icb_code = |i: usize| {
        format!(
            "Q{}{}",
            ALNUM[10 + (i / 36) % 26] as char,
            ALNUM[i % 36] as char
        )
    };
    let icbs = plan
        .estate
        .iter()
        .find(|(t, _, _)| t == "icb")
        .map_or(0, |(_, n, _)| *n)
        .max(1);
    let (mut trust_index, mut gp_index) = (0usize, 0usize);
    for (kind, count, devices) in &plan.estate {
        for i in 0..*count {
            let region = i % REGIONS.len();
            let icb =
                icb_code((i % icbs.max(REGIONS.len())) / REGIONS.len() * REGIONS.len() + region);
            let place = PLACES[(i * 7 + region) % PLACES.len()];
            let (code, name) = match kind.as_str() {
                "icb" => (
                    icb_code(i),
                    format!("NHS {place} and District Integrated Care Board {}", i + 1),
                ),
                "gp_practice" => {
                    gp_index += 1;
                    let letter = b"ABCDEFGHJKLMNPY"[gp_index % 15] as char;
                    (
                        format!("{letter}{:05}", 10_000 + gp_index),
                        format!("{place} Surgery {gp_index}"),
                    )
                }
                _ => {
                    trust_index += 1;
                    let code = format!(
                        "R{}{}",
                        ALNUM[10 + (trust_index / 36) % 26] as char,
                        ALNUM[trust_index % 36] as char
                    );
                    (
                        code,
                        format!(
                            "{place} {} NHS Trust {trust_index}",
                            kind.replace("_trust", "").replace('_', " ")
                        ),
                    )
                }
            };
            let quality = match rng.below(10) {
                0 => 0.2 + 0.3 * rng.unit(),
                9 => 1.0,
                _ => 0.75 + 0.25 * rng.unit(),
            };
            let icb = if kind == "icb" { code.clone() } else { icb };
            orgs.push(Org {
                code,
                name,
                kind: kind.clone(),
                region,
                icb,
                devices: devices * plan.scale as usize,
                quality,
            });
        }
    }
    orgs.sort_by(|a, b| a.code.cmp(&b.code));
    orgs.dedup_by(|a, b| a.code == b.code);
    orgs
}

/// A device inventory as CSV, and the seven device measures it implies.
fn inventory(org: &Org, period: Period, rng: &mut Rng, out: &mut String) -> [u64; 7] {
    let end = period.end();
    let day = |d: i64| {
        (end - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    out.push_str("device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n");
    let mut m = [0u64; 7];
    let trust = org.kind.ends_with("_trust");
    let medical = if trust { org.devices / 8 } else { 0 };
    let weight_total: u64 = OSES.iter().map(|o| o.2).sum();
    for i in 0..org.devices + medical {
        let is_medical = i >= org.devices;
        let (os, version) = if is_medical {
            [
                ("Windows", "7"),
                ("Windows", "10 22H2"),
                ("Windows", "11 24H2 Enterprise"),
                ("Windows", "XP"),
            ][rng.below(4) as usize]
        } else {
            let mut pick = rng.below(weight_total);
            let mut chosen = (OSES[0].0, OSES[0].1);
            for (n, v, w) in OSES {
                if pick < w {
                    chosen = (n, v);
                    break;
                }
                pick -= w;
            }
            chosen
        };
        let unsupported = matches!(version, "7" | "XP" | "10 22H2" | "2012 R2")
            || (version == "11 23H2 Enterprise"
                && end >= chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap_or(end));
        let patched = rng.unit() < 0.80 + 0.2 * org.quality;
        let patch = if patched {
            String::new()
        } else {
            day(15 + rng.below(60) as i64)
        };
        let current = rng.unit() < 0.88 + 0.12 * org.quality;
        let signatures = if current {
            day(rng.below(7) as i64)
        } else {
            day(8 + rng.below(40) as i64)
        };
        let isolated = is_medical && rng.unit() < 0.5 + 0.5 * org.quality;
        let class = if is_medical {
            "medical"
        } else if i % 10 == 0 {
            "server"
        } else {
            "endpoint"
        };
        let zone = if isolated { "isolated" } else { "clinical" };
        let _ = writeln!(
            out,
            "{}-{i:07},{class},{os},{version},{patch},{signatures},{zone}",
            org.code
        );
        if is_medical {
            m[4] += 1;
            m[5] += u64::from(unsupported);
            m[6] += u64::from(unsupported && isolated);
        } else {
            m[0] += 1;
            m[1] += u64::from(patched);
            m[2] += u64::from(unsupported);
            m[3] += u64::from(current);
        }
    }
    m
}

/// The faults a generated return or inventory can carry, taken in turn (from an offset set by
/// the seed) by the organisations chosen to be faulty, so that every kind appears. Each is recorded in
/// `faults.csv` beside the landing zone with the code validation must raise for it.
const FAULTS: [&str; 21] = [
    "truncated",
    "out_of_range",
    "missing_field",
    "discrepancy",
    "unknown_os",
    "invalid_value",
    "inconsistent",
    "missing_measure",
    "late",
    "unknown_measure",
    "date_after_period_end",
    "duplicate_measure",
    "empty",
    "period_mismatch",
    "inconsistent_header",
    "invalid_submitted_at",
    "duplicate_file",
    "resubmission",
    "conflicting",
    "inventory_invalid",
    "inventory_without_return",
];

/// A fault planted on purpose: the file (relative to the landing zone), the organisation, and
/// the validation code it must raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub file: String,
    pub org_code: String,
    pub code: &'static str,
}

/// Writes the reference table, the landing zone and `faults.csv` (every fault planted, with
/// the code it must raise) under `root`; returns (organisations, files, device rows).
pub fn generate(
    plan: &Plan,
    dict: &Dictionary,
    root: &Path,
) -> std::io::Result<(usize, usize, u64)> {
    let mut rng = Rng(plan.seed);
    let orgs = estate(plan, &mut rng);
    write_reference(root, &orgs)?;

    let mut devices = 0u64;
    let mut landing = Landing {
        root,
        files: 0,
        planted: Vec::new(),
    };
    let mut next_fault = 0usize;
    let mut plan_faults = 0usize;
    let mut buffer = String::new();
    for back in (0..plan.periods).rev() {
        let mut period = plan.period;
        for _ in 0..back {
            period = period.previous();
        }
        fs_err::create_dir_all(root.join("landing").join(period.to_string()))?;
        if plan.fault_rate > 0.0 {
            plant_batch_faults(&mut landing, &orgs, period, dict, &mut rng)?;
        }
        let mut empty_planted = false;
        for (i, org) in orgs.iter().enumerate() {
            let silent = rng.unit() < 0.03;
            let with_inventory = !org.kind.starts_with("gp") || rng.unit() < 0.2;
            let mut fault = (rng.unit() < plan.fault_rate).then(|| {
                next_fault += 1;
                FAULTS[(plan.seed as usize + next_fault) % FAULTS.len()]
            });
            if fault == Some("empty") && std::mem::replace(&mut empty_planted, true) {
                fault = Some("truncated"); // a second empty file would be a byte-equal copy
            }
            if silent && fault != Some("inventory_without_return") {
                continue; // non-response
            }
            let org_code = org.code.as_str();
            buffer.clear();
            let derived = with_inventory.then(|| inventory(org, period, &mut rng, &mut buffer));
            // The inventory's counts, when the return may rely on them.
            let mut usable = derived;
            if let Some(m) = derived {
                let file = format!("{period}/{org_code}_{period}_inventory.csv");
                if !write_inventory(&mut landing, &file, org_code, &mut buffer, fault)? {
                    usable = None;
                }
                devices += m[0] + m[4];
            }
            if fault == Some("inventory_without_return") {
                continue; // the inventory alone, or nothing: the organisation is silent
            }
            let format = ["json", "csv", "xlsx"][i % 3];
            write_return(
                &mut landing,
                org,
                (format, period),
                fault,
                usable,
                dict,
                &mut rng,
            )?;
            if i % 4 == 1 {
                let slot = plans::PlanSlot {
                    org_code,
                    period,
                    index: plan.periods - 1 - back,
                    periods: plan.periods,
                    xlsx: i % 8 == 5,
                };
                // The first plans of the latest period carry one row fault each.
                let fault = (back == 0 && plan.fault_rate > 0.0 && plan_faults < 4).then(|| {
                    plan_faults += 1;
                    plan_faults - 1
                });
                plans::write_plan(&mut landing, &slot, fault)?;
            }
        }
    }
    landing.write_faults()?;
    Ok((orgs.len(), landing.files, devices))
}

/// An organisation's return, consistent with its inventory's counts (`usable`), with its
/// fault planted, and the other files the fault needs.
fn write_return(
    landing: &mut Landing,
    org: &Org,
    (format, period): (&'static str, Period),
    fault: Option<&str>,
    usable: Option<[u64; 7]>,
    dict: &Dictionary,
    rng: &mut Rng,
) -> std::io::Result<()> {
    let org_code = org.code.as_str();
    let (mut values, measure_fault) = measures(org, period, usable, dict, rng, fault);
    if let (Some("discrepancy"), Some(m)) = (fault, usable)
        && let Some(v) = values.iter_mut().find(|(k, _)| k == "endpoints_total")
    {
        v.1 = (m[0] * 2 + 50).to_string();
    }
    let day = if fault == Some("late") {
        12 + rng.below(10) as u32
    } else {
        1 + rng.below(9) as u32
    };
    let submitted = submitted_at(period, day, rng);
    let name = format!("{org_code}_{period}_return.{format}");
    let mut bytes = render_return(format, org_code, period, &submitted, &values);
    let mut codes: Vec<&'static str> = measure_fault.into_iter().collect();
    codes.extend(plant_in_return(
        fault,
        usable.is_some(),
        (format, org_code, period),
        &submitted,
        &values,
        &mut bytes,
    ));
    let file = landing.write(format!("{period}/{name}"), &bytes)?;
    for code in codes {
        landing.plant(&file, org_code, code);
    }
    write_copies(
        landing,
        fault,
        (&file, &bytes),
        (format, org_code, period),
        &submitted,
        &values,
    )
}

/// Plants the return's own fault in its bytes (a missing field, truncation, another period,
/// a header that disagrees...) and gives the codes it must raise.
fn plant_in_return(
    fault: Option<&str>,
    inventory_used: bool,
    (format, org_code, period): (&str, &str, Period),
    submitted: &str,
    values: &[(String, String)],
    bytes: &mut Vec<u8>,
) -> Vec<&'static str> {
    let mut codes = Vec::new();
    match (fault, format) {
        (Some("late"), _) => codes.push("late_submission"),
        (Some("discrepancy"), _) if inventory_used => codes.push("discrepancy"),
        (Some("missing_field"), "json") => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains("\"submitted_at\""))
                .collect();
            *bytes = (kept.join("\n") + "\n").into_bytes();
            codes.push("missing_field");
        }
        (Some("missing_field"), _) => {
            *bytes = render_return(format, org_code, period, "", values);
            codes.push("missing_field");
        }
        (Some("truncated"), "csv") => {
            // Half a CSV may still parse; bytes that are not UTF-8 never do.
            let middle = bytes.len() / 2;
            bytes.splice(middle..middle, [0xFF, 0xFE]);
            codes.push("unreadable_file");
        }
        (Some("truncated"), _) => {
            bytes.truncate(bytes.len() / 2);
            codes.push("unreadable_file");
        }
        (Some("empty"), _) => {
            bytes.clear();
            codes.push("empty_file");
        }
        (Some("period_mismatch"), _) => {
            *bytes = render_return(format, org_code, period.previous(), submitted, values);
            codes.extend(["period_mismatch", "filename_mismatch"]);
        }
        (Some("inconsistent_header"), "csv") => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let last = text.trim_end().rfind(&submitted).unwrap_or(0);
            let changed = format!(
                "{}{}{}",
                &text[..last],
                submitted.replace(":00Z", ":30Z"),
                &text[last + submitted.len()..]
            );
            *bytes = changed.into_bytes();
            codes.push("inconsistent_header");
        }
        (Some("inconsistent_header" | "invalid_submitted_at"), _) => {
            *bytes = render_return(
                format,
                org_code,
                period,
                submitted.trim_end_matches('Z'),
                values,
            );
            codes.push("invalid_submitted_at");
        }
        _ => {}
    }
    codes
}

/// The landing zone being written, and every fault planted in it (`faults.csv`).
struct Landing<'r> {
    root: &'r Path,
    files: usize,
    planted: Vec<Planted>,
}

impl Landing<'_> {
    /// Writes `relative` under `landing/`; returns it.
    fn write(&mut self, relative: String, bytes: &[u8]) -> std::io::Result<String> {
        let path = self.root.join("landing").join(&relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(path, bytes)?;
        self.files += 1;
        Ok(relative)
    }

    /// `faults.csv`: every fault planted, with the code it must raise.
    fn write_faults(&self) -> std::io::Result<()> {
        let mut table = String::from("file,org_code,code\n");
        for p in &self.planted {
            let _ = writeln!(table, "{},{},{}", p.file, p.org_code, p.code);
        }
        fs_err::write(self.root.join("faults.csv"), table)
    }

    fn plant(&mut self, file: &str, org_code: &str, code: &'static str) {
        self.planted.push(Planted {
            file: file.to_string(),
            org_code: org_code.to_string(),
            code,
        });
    }
}

/// Two faults of the whole batch: a file named like nothing Baseline reads, and a return from
/// an organisation the reference table does not know.
fn plant_batch_faults(
    landing: &mut Landing,
    orgs: &[Org],
    period: Period,
    dict: &Dictionary,
    rng: &mut Rng,
) -> std::io::Result<()> {
    // Two faults of the whole batch: a file named like nothing Baseline reads, and a
    // return from an organisation the reference table does not know.
    let letter = landing.write(
        format!("{period}/covering-letter-{period}.txt"),
        b"Please find our return attached.\n",
    )?;
    landing.plant(&letter, "", "unrecognised_file");
    let stranger = (0..36 * 36)
        .map(|i| format!("R{}{}", ALNUM[i / 36] as char, ALNUM[i % 36] as char))
        .find(|c| orgs.binary_search_by(|o| o.code.as_str().cmp(c)).is_err());
    if let (Some(code), Some(model)) = (stranger, orgs.first()) {
        let org = Org {
            code,
            name: String::new(),
            kind: model.kind.clone(),
            region: 0,
            icb: model.icb.clone(),
            devices: model.devices,
            quality: 1.0,
        };
        let values = measures(&org, period, None, dict, rng, None).0;
        let submitted = submitted_at(period, 3, rng);
        let file = landing.write(
            format!("{period}/{}_{period}_return.json", org.code),
            &render_return("json", &org.code, period, &submitted, &values),
        )?;
        landing.plant(&file, &org.code, "unknown_org");
    }
    Ok(())
}

/// Plants a measure-level fault in the values (a bad value, a part over its whole, a missing,
/// unknown, late-dated or repeated measure); gives the code it must raise.
#[allow(clippy::too_many_arguments)]
fn plant_in_measures(
    values: &mut Vec<(String, String)>,
    fault: Option<&str>,
    org: &Org,
    period: Period,
    derived: Option<[u64; 7]>,
    endpoints: u64,
    dict: &Dictionary,
    rng: &mut Rng,
) -> Option<&'static str> {
    let pick = |rng: &mut Rng, n: usize| rng.below(n as u64) as usize;
    match fault {
        Some("invalid_value") => {
            let i = pick(rng, values.len());
            values[i].1 = "twelve".into();
            Some("invalid_value")
        }
        Some("inconsistent") => {
            values[1].1 = (endpoints + 5).to_string();
            Some("inconsistent")
        }
        Some("missing_measure") => {
            // Only a measure whose absence is an error: required of this type and not
            // supplied by an accepted inventory.
            let eligible: Vec<usize> = (0..values.len())
                .filter(|&i| {
                    dict.get(&values[i].0).is_some_and(|m| {
                        m.required
                            && dict.org_types.in_group(&m.applies_to, &org.kind)
                            && !(derived.is_some() && m.derive.is_some())
                    })
                })
                .collect();
            (!eligible.is_empty()).then(|| {
                values.remove(eligible[pick(rng, eligible.len())]);
                "missing_measure"
            })
        }
        Some("unknown_measure") => {
            values.push(("endpoints_on_windows_xp".into(), "3".into()));
            Some("unknown_measure")
        }
        Some("date_after_period_end") => {
            values
                .iter_mut()
                .find(|(k, _)| k.ends_with("_on"))
                .map(|v| {
                    v.1 = (period.end() + chrono::Duration::days(3))
                        .format("%Y-%m-%d")
                        .to_string();
                    "date_after_period_end"
                })
        }
        Some("duplicate_measure") => {
            let copy = values[0].clone();
            values.push(copy);
            Some("duplicate_measure")
        }
        _ => None,
    }
}

/// Writes an organisation's inventory with its fault planted (a bad device class, an unknown
/// operating system); false when the fault makes the inventory unusable.
fn write_inventory(
    landing: &mut Landing,
    file: &str,
    org_code: &str,
    buffer: &mut String,
    fault: Option<&str>,
) -> std::io::Result<bool> {
    let mut usable = true;
    if fault == Some("inventory_invalid") {
        *buffer = buffer.replacen(",endpoint,", ",printer,", 1);
        usable = false;
    }
    if fault == Some("unknown_os") {
        // An operating system missing from the lifecycle table: it counts as unsupported, so
        // the derived figures move by one device.
        if let Some(at) = buffer.find(",endpoint,") {
            let start = at + ",endpoint,".len();
            let end = start + buffer[start..].find(',').unwrap_or(0);
            buffer.replace_range(start..end, "Plan 9");
        }
    }
    let file = landing.write(file.to_string(), buffer.as_bytes())?;
    match fault {
        Some("inventory_invalid") => landing.plant(&file, org_code, "invalid_value"),
        Some("unknown_os") => landing.plant(&file, org_code, "unknown_os"),
        Some("inventory_without_return") => {
            landing.plant(&file, org_code, "inventory_without_return");
        }
        _ => {}
    }
    Ok(usable)
}

/// The other files a fault needs beside the return: a byte-equal copy, an earlier return it
/// supersedes, or a conflicting one.
fn write_copies(
    landing: &mut Landing,
    fault: Option<&str>,
    (file, bytes): (&str, &[u8]),
    (format, org_code, period): (&str, &str, Period),
    submitted: &str,
    values: &[(String, String)],
) -> std::io::Result<()> {
    let name = format!("{org_code}_{period}_return.{format}");
    match fault {
        Some("duplicate_file") => {
            let copy = landing.write(format!("{period}/copies/{name}"), bytes)?;
            landing.plant(&copy, org_code, "duplicate_file");
        }
        Some("resubmission") => {
            // Every generated submission is at 08:00 or later: this one came first.
            let earlier = format!("{}-01T07:00:00Z", period.next());
            let first = landing.write(
                format!("{period}/superseded/{name}"),
                &render_return(format, org_code, period, &earlier, values),
            )?;
            landing.plant(&first, org_code, "superseded");
        }
        Some("conflicting") => {
            let mut other = values.to_vec();
            if let Some(v) = other.iter_mut().find(|(k, _)| k == "staff_total") {
                v.1 = format!("{}", v.1.parse::<u64>().unwrap_or(0) + 1);
            }
            let second = landing.write(
                format!("{period}/conflict/{name}"),
                &render_return(format, org_code, period, submitted, &other),
            )?;
            landing.plant(file, org_code, "conflicting_resubmission");
            landing.plant(&second, org_code, "conflicting_resubmission");
        }
        _ => {}
    }
    Ok(())
}

/// Writes `reference/organisations.csv` for the estate.
fn write_reference(root: &Path, orgs: &[Org]) -> std::io::Result<()> {
    fs_err::create_dir_all(root.join("reference"))?;
    let mut reference =
        String::from("org_code,org_name,org_type,region_code,region_name,icb_code\n");
    for o in orgs {
        let (rc, rn) = REGIONS[o.region];
        let _ = writeln!(
            reference,
            "{},{},{},{rc},{rn},{}",
            o.code, o.name, o.kind, o.icb
        );
    }
    fs_err::write(root.join("reference/organisations.csv"), reference)
}

/// The return's measures as text, consistent with the inventory where there is one.
fn measures(
    org: &Org,
    period: Period,
    derived: Option<[u64; 7]>,
    dict: &Dictionary,
    rng: &mut Rng,
    fault: Option<&str>,
) -> (Vec<(String, String)>, Option<&'static str>) {
    let q = org.quality;
    let trust = org.kind.ends_with("_trust");
    let endpoints = derived.map_or(org.devices as u64, |m| m[0]).max(1);
    let share = |lo: f64, hi: f64, rng: &mut Rng| {
        (lo + (hi - lo) * q + 0.02 * (rng.unit() - 0.5)).clamp(0.0, 1.0)
    };
    let staff = if trust {
        2_000 + rng.below(8_000)
    } else {
        8 + rng.below(60)
    };
    let alerts = rng.below(6);
    let privileged = if trust {
        10 + rng.below(100)
    } else {
        1 + rng.below(5)
    };
    let days_ago = |rng: &mut Rng| (600.0 * (1.0 - q) + 20.0 + rng.below(60) as f64) as i64;
    let date = |d: i64| {
        (period.end() - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut values: Vec<(String, String)> = Vec::new();
    let m = derived.unwrap_or_else(|| {
        let unsupported = (endpoints as f64 * (0.06 - 0.055 * q)) as u64;
        let medical = if trust { 200 + rng.below(2_000) } else { 0 };
        let med_unsupported = (medical as f64 * 0.2) as u64;
        [
            endpoints,
            (endpoints as f64 * share(0.80, 0.99, rng)) as u64,
            unsupported,
            (endpoints as f64 * share(0.88, 1.0, rng)) as u64,
            medical,
            med_unsupported,
            (med_unsupported as f64 * share(0.5, 1.0, rng)) as u64,
        ]
    });
    for measure in dict.measures() {
        if measure.applies_to != "all" && !trust {
            continue;
        }
        let value = match measure.name.as_str() {
            "endpoints_total" => m[0].to_string(),
            "endpoints_critical_patched_14d" => m[1].to_string(),
            "endpoints_unsupported_os" => m[2].to_string(),
            "endpoints_antimalware_current" => m[3].to_string(),
            "medical_devices_total" => m[4].to_string(),
            "medical_devices_unsupported_os" => m[5].to_string(),
            "medical_devices_unsupported_isolated" => m[6].to_string(),
            "hsa_received" => alerts.to_string(),
            "hsa_acknowledged_48h" => (if q > 0.6 {
                alerts
            } else {
                alerts.saturating_sub(1)
            })
            .to_string(),
            "hsa_remediated_14d" => ((alerts as f64 * share(0.6, 1.0, rng)) as u64).to_string(),
            "privileged_accounts_total" => privileged.to_string(),
            "privileged_accounts_mfa" => (if q > 0.8 {
                privileged
            } else {
                (privileged as f64 * share(0.85, 1.0, rng)) as u64
            })
            .to_string(),
            "staff_total" => staff.to_string(),
            "staff_trained_12m" => ((staff as f64 * share(0.78, 0.99, rng)) as u64).to_string(),
            "it_capital_spend_gbp_12m" if rng.unit() < 0.5 => {
                format!("{}.00", (staff * 120).max(5_000))
            }
            "cyber_spend_gbp_12m" if rng.unit() < 0.5 => format!("{}", (staff * 15).max(1_000)),
            _ => match measure.kind {
                MeasureType::Bool => if rng.unit() < 0.3 + 0.7 * q {
                    "yes"
                } else {
                    "no"
                }
                .to_string(),
                MeasureType::Date => date(days_ago(rng)),
                _ => continue,
            },
        };
        values.push((measure.name.clone(), value));
    }
    let planted = plant_in_measures(&mut values, fault, org, period, derived, m[0], dict, rng);
    (values, planted)
}

/// A submission time on `day` of the month after `period`.
fn submitted_at(period: Period, day: u32, rng: &mut Rng) -> String {
    let next = period.next();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        next.start().year(),
        next.start().month(),
        day,
        8 + rng.below(10),
        rng.below(60)
    )
}

/// The columns of a CSV or XLSX return, as the template has them.
const RETURN_COLUMNS: [&str; 6] = [
    "org_code",
    "period",
    "submitted_at",
    "measure",
    "value",
    "comment",
];

/// A return file of `format` (`json`, `csv` or `xlsx`) as a submitter's tool would write it:
/// measures in order, values as text (a JSON value of digits only is a number; an XLSX value
/// of digits only is a numeric cell).
pub fn render_return(
    format: &str,
    org_code: &str,
    period: Period,
    submitted: &str,
    measures: &[(String, String)],
) -> Vec<u8> {
    match format {
        "json" => {
            // Built as text so that duplicated measures survive, as a submitter's tool might write them.
            let mut text = format!(
                "{{\n  \"schema_version\": \"1\",\n  \"org_code\": \"{}\",\n  \"period\": \"{period}\",\n  \"submitted_at\": \"{submitted}\",\n  \"measures\": {{\n",
                org_code
            );
            let body: Vec<String> = measures
                .iter()
                .map(|(k, v)| {
                    let value = if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
                        v.clone()
                    } else {
                        format!("\"{v}\"")
                    };
                    format!("    \"{k}\": {value}")
                })
                .collect();
            text.push_str(&body.join(",\n"));
            text.push_str("\n  }\n}\n");
            text.into_bytes()
        }
        "csv" => {
            // Through a CSV writer: a value such as `5,230` must be quoted.
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let period = period.to_string();
            let _ = writer.write_record(RETURN_COLUMNS);
            for (k, v) in measures {
                let _ = writer.write_record([org_code, &period, submitted, k, v, ""]);
            }
            writer.into_inner().unwrap_or_default()
        }
        _ => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            // A fixed creation time keeps the bytes the same for the same seed.
            if let Ok(created) = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1) {
                workbook.set_properties(
                    &rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created),
                );
            }
            let sheet = workbook.add_worksheet();
            let write =
                |sheet: &mut rust_xlsxwriter::Worksheet| -> Result<(), rust_xlsxwriter::XlsxError> {
                    sheet.set_name("Return")?;
                    for (c, h) in RETURN_COLUMNS.iter().enumerate() {
                        sheet.write_string(0, c as u16, *h)?;
                    }
                    for (r, (k, v)) in measures.iter().enumerate() {
                        let row = r as u32 + 1;
                        sheet.write_string(row, 0, org_code)?;
                        sheet.write_string(row, 1, period.to_string())?;
                        sheet.write_string(row, 2, submitted)?;
                        sheet.write_string(row, 3, k)?;
                        match v.parse::<f64>() {
                            Ok(n) if !v.contains('.') => sheet.write_number(row, 4, n)?,
                            _ => sheet.write_string(row, 4, v)?,
                        };
                    }
                    Ok(())
                };
            // An empty file is itself a fault the batch reports; it cannot happen for these values.
            let bytes: Vec<u8> = write(sheet)
                .and_then(|()| workbook.save_to_buffer())
                .unwrap_or_default();
            bytes
        }
    }
}
