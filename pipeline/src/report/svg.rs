//! Charts as inline SVG, drawn from prepared figures: no script, no web font, readable in print
//! (the bars carry their figures as text, and every chart has its data table beside it).

use std::fmt::Write;

const WIDTH: f64 = 680.0;
const LABEL_WIDTH: f64 = 230.0;
const VALUE_WIDTH: f64 = 90.0;
const ROW: f64 = 26.0;
const BAR: f64 = 16.0;
const TOP: f64 = 8.0;

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The opening of a chart: its size, and its title for screen readers.
fn open(id: &str, title: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    )
}

/// One segment of a bar: its share of the whole (0 to 100), its CSS class and its label.
#[derive(Debug, Clone)]
pub struct Segment {
    pub share: f64,
    pub class: &'static str,
    pub label: &'static str,
}

/// One bar: its label, its segments left to right, and the figure written after it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub segments: Vec<Segment>,
    pub text: String,
}

impl Bar {
    /// A bar of one segment.
    pub fn single(label: impl Into<String>, share: f64, text: impl Into<String>) -> Self {
        Bar {
            label: label.into(),
            segments: vec![Segment {
                share,
                class: "bar",
                label: "",
            }],
            text: text.into(),
        }
    }
}

/// Horizontal bars on a 0-100 scale, with an optional dashed marker (a threshold) and a
/// legend of the segment classes when bars have more than one segment.
pub fn bars(id: &str, title: &str, bars: &[Bar], marker: Option<(f64, &str)>) -> String {
    let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let legend: Vec<&Segment> = {
        let mut seen: Vec<&Segment> = Vec::new();
        for s in bars.iter().flat_map(|b| &b.segments) {
            if !s.label.is_empty() && !seen.iter().any(|x| x.class == s.class) {
                seen.push(s);
            }
        }
        seen
    };
    let legend_height = if legend.is_empty() { 0.0 } else { ROW };
    let axis = TOP + ROW * bars.len() as f64;
    let height = axis + 20.0 + legend_height;
    let mut svg = open(id, title, height);
    for tick in [0, 25, 50, 75, 100] {
        let x = LABEL_WIDTH + plot * f64::from(tick) / 100.0;
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{axis}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{tick}%</text>"#,
            axis + 14.0
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL_WIDTH - 8.0,
            y + ROW / 2.0 + 4.0,
            escape(&bar.label)
        );
        let mut x = LABEL_WIDTH;
        for s in &bar.segments {
            let w = plot * s.share.clamp(0.0, 100.0) / 100.0;
            if w > 0.0 {
                let _ = write!(
                    svg,
                    r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{BAR}"/>"#,
                    s.class,
                    y + (ROW - BAR) / 2.0
                );
            }
            x += w;
        }
        let _ = write!(
            svg,
            r#"<text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
            x + 6.0,
            y + ROW / 2.0 + 4.0,
            escape(&bar.text)
        );
    }
    if let Some((at, label)) = marker {
        let x = LABEL_WIDTH + plot * at / 100.0;
        let _ = write!(
            svg,
            r#"<line class="marker" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{axis}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            TOP - 1.0,
            escape(label)
        );
    }
    let mut x = 10.0;
    for s in legend {
        let y = axis + 24.0;
        let _ = write!(
            svg,
            r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="12" height="12"/><text class="tick" x="{:.1}" y="{:.1}">{}</text>"#,
            s.class,
            y,
            x + 16.0,
            y + 10.0,
            escape(s.label)
        );
        x += 24.0 + 7.0 * s.label.len() as f64;
    }
    svg.push_str("</svg>");
    svg
}

/// Lines over periods on a 0-100 scale, one per series, with a legend below (labels at the
/// line ends would overlap where series run close together).
pub fn lines(id: &str, title: &str, periods: &[String], series: &[(String, Vec<f64>)]) -> String {
    let left = 60.0;
    let plot = WIDTH - left - 40.0;
    let per_row = 2;
    let legend_rows = series.len().div_ceil(per_row) as f64;
    let bottom = 200.0;
    let height = bottom + 30.0 + 20.0 * legend_rows;
    let span = bottom - TOP;
    let step = if periods.len() > 1 {
        plot / (periods.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| left + step * i as f64;
    let y_of = |v: f64| bottom - span * v.clamp(0.0, 100.0) / 100.0;
    let mut svg = open(id, title, height);
    for tick in [0, 25, 50, 75, 100] {
        let y = y_of(f64::from(tick));
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{tick}%</text>"#,
            left + plot,
            left - 6.0,
            y + 4.0
        );
    }
    for (i, p) in periods.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x_of(i),
            bottom + 18.0,
            escape(p)
        );
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let class = format!("series s{}", k % 6);
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="{class}" points="{}"/>"#,
            points.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3"/>"#,
                x_of(i),
                y_of(*v)
            );
        }
        let (row, column) = (k / per_row, k % per_row);
        let (x, y) = (
            20.0 + column as f64 * (WIDTH - 40.0) / per_row as f64,
            bottom + 36.0 + 20.0 * row as f64,
        );
        let _ = write!(
            svg,
            r#"<line class="{class}" x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke-width="3"/><text class="label" x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 4.0,
            x + 18.0,
            y - 4.0,
            x + 24.0,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = bars(
            "c",
            "<script>",
            &[Bar::single("a & <b>", 50.0, "50%")],
            None,
        );
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a &amp; &lt;b&gt;"));
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
    }

    #[test]
    fn a_bar_is_as_long_as_its_share() {
        let svg = bars("c", "t", &[Bar::single("x", 50.0, "50%")], None);
        let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert!(
            svg.contains(&format!(r#"width="{:.1}""#, plot / 2.0)),
            "{svg}"
        );
    }
}
