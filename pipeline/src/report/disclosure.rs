//! Disclosure control for public outputs (SPEC: "Disclosure control in public outputs").
//!
//! A published table is a grid of groups whose parts add up to totals that are also shown.
//! Primary suppression hides every group of fewer than `min_group` organisations (the
//! dictionary's `[disclosure]`, 5 as SPEC says). Secondary
//! suppression then makes sure no hidden figure can be recovered by subtraction: in every line
//! of the grid (its parts and its total), the number of hidden cells is never exactly one.
//! Where it is, the next smallest group of the line is hidden too, and lines are checked
//! again until none has a single hidden cell.

use std::collections::BTreeSet;

/// How a hidden figure is shown (GSS: confidential).
pub const SUPPRESSED: &str = "[c]";

use crate::aggregate::{GapRow, GroupKind, PeriodFigures};

pub use crate::aggregate::NATIONAL;
use crate::period::Period;

/// A grid of group sizes whose last column holds each row's total when `row_totals`, and whose
/// last row holds each column's total when `column_totals`. A size of 0 is an empty group: its
/// figures are known to be zero, so it is shown (as `[z]` or 0) and never hides anything.
#[derive(Debug, Clone)]
pub struct Grid {
    pub sizes: Vec<Vec<u64>>,
    /// Groups of fewer organisations are hidden.
    pub min_group: u64,
    pub row_totals: bool,
    pub column_totals: bool,
}

/// Which cells of a [`Grid`] to show as `[c]`.
pub fn suppress(grid: &Grid) -> Vec<Vec<bool>> {
    let sizes = &grid.sizes;
    let mut hidden: Vec<Vec<bool>> = sizes
        .iter()
        .map(|row| row.iter().map(|&n| n > 0 && n < grid.min_group).collect())
        .collect();
    let rows = sizes.len();
    let columns = sizes.first().map_or(0, Vec::len);
    // Every additive line: the cells of a row (its total last) and of a column.
    let mut lines: Vec<Vec<(usize, usize)>> = Vec::new();
    if grid.row_totals {
        lines.extend((0..rows).map(|r| (0..columns).map(|c| (r, c)).collect()));
    }
    if grid.column_totals {
        lines.extend((0..columns).map(|c| (0..rows).map(|r| (r, c)).collect()));
    }
    loop {
        let mut changed = false;
        for line in &lines {
            let count = line.iter().filter(|&&(r, c)| hidden[r][c]).count();
            if count != 1 {
                continue;
            }
            // The smallest shown, non-empty group of the line; parts before the total.
            let partner = line
                .iter()
                .copied()
                .filter(|&(r, c)| !hidden[r][c] && sizes[r][c] > 0)
                .min_by_key(|&(r, c)| sizes[r][c]);
            if let Some((r, c)) = partner {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

/// What the public report hides, decided once for every place a figure appears (tables,
/// charts and their data tables, trends, downloads): the gaps of this period by standard and
/// group, and the national figure of each standard in every period of the trends.
#[derive(Debug, Clone, Default)]
pub struct Disclosure {
    /// (standard id, group kind, group code) hidden this period; the national group is
    /// (id, National, "national").
    hidden: BTreeSet<(String, GroupKind, String)>,
    /// (period, standard id) hidden in the trends.
    hidden_trends: BTreeSet<(Period, String)>,
}

impl Disclosure {
    /// Nothing hidden: the national report, for national bodies.
    pub fn none() -> Self {
        Disclosure::default()
    }

    /// The public report's rule over `gaps` (this period) and `series` (every period): for each
    /// standard, the line of regions and the line of types both end with the national total,
    /// which is one cell: hidden in one line, it is hidden in both, and both are suppressed
    /// again until neither has a single hidden cell.
    pub fn public(
        gaps: &[GapRow],
        series: &[(Period, PeriodFigures)],
        groups: [(GroupKind, &[String]); 2],
        min_group: u64,
    ) -> Self {
        let mut disclosure = Disclosure::default();
        let standards: BTreeSet<&str> = gaps.iter().map(|g| g.standard_id.as_str()).collect();
        for id in standards {
            disclosure.hide_standard(gaps, id, groups, min_group);
        }
        let current = series.last().map(|(p, _)| *p);
        for (period, figures) in series {
            for (id, (orgs, _)) in &figures.standards {
                let hidden = if Some(*period) == current {
                    disclosure.hides(id, GroupKind::National, NATIONAL)
                } else {
                    *orgs > 0 && *orgs < min_group
                };
                if hidden {
                    disclosure.hidden_trends.insert((*period, id.clone()));
                }
            }
        }
        disclosure
    }

    fn hide_standard(
        &mut self,
        gaps: &[GapRow],
        id: &str,
        groups: [(GroupKind, &[String]); 2],
        min_group: u64,
    ) {
        let size = |kind: GroupKind, code: &str| {
            gaps.iter()
                .find(|g| g.standard_id == id && g.group_kind == kind && g.group_code == code)
                .map_or(0, |g| g.orgs)
        };
        let national = size(GroupKind::National, NATIONAL);
        let mut forced = false;
        loop {
            let mut national_hidden = false;
            let mut hidden_now = Vec::new();
            for (kind, codes) in groups {
                let mut sizes: Vec<u64> = codes.iter().map(|c| size(kind, c)).collect();
                // A national figure hidden in the other line is hidden here too.
                sizes.push(if forced { 1 } else { national });
                let line = suppress(&Grid {
                    sizes: vec![sizes],
                    min_group,
                    row_totals: true,
                    column_totals: false,
                })
                .remove(0);
                national_hidden |= line[codes.len()];
                hidden_now.extend(
                    codes
                        .iter()
                        .zip(&line)
                        .filter(|(_, h)| **h)
                        .map(|(c, _)| (kind, c.clone())),
                );
            }
            if national_hidden && !forced && national > 0 {
                forced = true;
                continue;
            }
            for (kind, code) in hidden_now {
                self.hidden.insert((id.to_string(), kind, code));
            }
            if national_hidden {
                self.hidden
                    .insert((id.to_string(), GroupKind::National, NATIONAL.into()));
            }
            return;
        }
    }

    /// Whether the figures of `standard` for a group of this period are hidden.
    pub fn hides(&self, standard: &str, kind: GroupKind, code: &str) -> bool {
        self.hidden
            .contains(&(standard.to_string(), kind, code.to_string()))
    }

    /// Whether the national figure of `standard` in `period` is hidden in the trends.
    pub fn hides_trend(&self, period: Period, standard: &str) -> bool {
        self.hidden_trends.contains(&(period, standard.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(sizes: &[&[u64]], row_totals: bool, column_totals: bool) -> Grid {
        Grid {
            sizes: sizes.iter().map(|r| r.to_vec()).collect(),
            min_group: 5,
            row_totals,
            column_totals,
        }
    }

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it() {
        // Regions 3, 9, 7, 20 with the national total 39 shown.
        let hidden = suppress(&grid(&[&[3, 9, 7, 20, 39]], true, false));
        assert_eq!(hidden, vec![vec![true, false, true, false, false]]);
    }

    #[test]
    fn two_small_groups_protect_each_other() {
        let hidden = suppress(&grid(&[&[3, 4, 7, 20, 34]], true, false));
        assert_eq!(hidden, vec![vec![true, true, false, false, false]]);
    }

    #[test]
    fn empty_groups_are_known_zeros_and_hide_nothing() {
        let hidden = suppress(&grid(&[&[0, 2, 30, 32]], true, false));
        assert_eq!(hidden, vec![vec![false, true, true, false]]);
    }

    #[test]
    fn in_a_cross_table_no_row_or_column_has_exactly_one_hidden_cell() {
        // Two regions by three types, with margins: the bottom row and last column are totals.
        let sizes: &[&[u64]] = &[&[2, 30, 40, 72], &[10, 3, 50, 63], &[12, 33, 90, 135]];
        let hidden = suppress(&grid(sizes, true, true));
        for r in 0..3 {
            assert_ne!(
                hidden[r].iter().filter(|h| **h).count(),
                1,
                "row {r}: {hidden:?}"
            );
        }
        for c in 0..4 {
            assert_ne!(
                (0..3).filter(|&r| hidden[r][c]).count(),
                1,
                "column {c}: {hidden:?}"
            );
        }
        assert!(hidden[0][0] && hidden[1][1]);
    }

    #[test]
    fn a_line_whose_only_group_is_small_hides_its_total() {
        // One region with 3 organisations: the part equals the total, both hidden.
        let hidden = suppress(&grid(&[&[3, 0, 3]], true, false));
        assert_eq!(hidden, vec![vec![true, false, true]]);
    }
}
