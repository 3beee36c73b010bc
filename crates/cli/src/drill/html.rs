//! The drill's timeline as a self-contained HTML page (`timeline.html`): one lane per
//! signal drawn as an inline SVG over the scenario's phases, the transitions marked,
//! then the expectations, what is simulated and real, and every event.

use std::fmt::Write as _;

use super::dataplane::DNS_LANE;
use super::render::Report;
use super::scenario::TRUTH_SUFFIX;
use super::timeline::Lane;

impl Report<'_> {
    /// The lanes grouped by region (what was injected, then what each part of the
    /// system saw), then the DNS answer and the watcher's routing.
    fn lanes_in_order(&self) -> Vec<&Lane> {
        const ORDER: [&str; 7] = [
            TRUTH_SUFFIX,
            " alarm ",
            " endpoint check",
            " gate",
            " record health",
            DNS_LANE,
            super::passes::WATCHER_LANE,
        ];
        let mut lanes: Vec<_> = self.timeline.lanes.iter().collect();
        lanes.sort_by_key(|lane| {
            let region = self
                .regions
                .iter()
                .position(|r| lane.name.starts_with(&format!("{r} ")))
                .unwrap_or(self.regions.len());
            let kind = ORDER
                .iter()
                .position(|part| lane.name.contains(part))
                .unwrap_or(ORDER.len());
            (region, kind)
        });
        lanes
    }

    /// The timeline as a self-contained HTML page with an inline SVG.
    pub(crate) fn html(&self) -> String {
        let record = self.timeline;
        let duration = self.duration_secs.max(1.0);
        let (left, width, lane_h, gap) = (230.0, 880.0, 20.0, 6.0);
        let x = |t: f64| left + t.clamp(0.0, duration) / duration * width;
        let mut svg = String::new();
        let lanes_top = 40.0;
        let height = lanes_top + (record.lanes.len() as f64) * (lane_h + gap) + 61.0;
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="11">"#,
            left + width + 20.0
        );
        for (i, phase) in record.phases.iter().enumerate() {
            let (from, to) = (x(phase.start), x(phase.end.unwrap_or(duration)));
            let fill = if i % 2 == 0 { "#f3f3f3" } else { "#e6e6e6" };
            let _ = write!(
                svg,
                r#"<rect x="{from:.1}" y="0" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect><text x="{:.1}" y="14">{}</text>"#,
                (to - from).max(0.5),
                height - 30.0,
                escape(&phase.title),
                from + 3.0,
                escape(phase.name)
            );
        }
        for (i, lane) in self.lanes_in_order().into_iter().enumerate() {
            let y = lanes_top + i as f64 * (lane_h + gap);
            let _ = write!(
                svg,
                r#"<text x="4" y="{:.1}">{}</text>"#,
                y + 14.0,
                escape(&lane.name)
            );
            for (j, point) in lane.points.iter().enumerate() {
                let to = lane.points.get(j + 1).map_or(duration, |next| next.t);
                let colour = colour(&point.value, &self.regions);
                let _ = write!(
                    svg,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{lane_h}" fill="{colour}"><title>{}: {} from {:.1} s</title></rect>"#,
                    x(point.t),
                    (x(to) - x(point.t)).max(0.5),
                    escape(&lane.name),
                    escape(&point.value),
                    point.t
                );
            }
        }
        let bottom = lanes_top + record.lanes.len() as f64 * (lane_h + gap);
        for (i, transition) in record.transitions.iter().enumerate() {
            let tx = x(transition.t);
            // Alternate rows, so that close transitions do not print over each other.
            let _ = write!(
                svg,
                r##"<line x1="{tx:.1}" y1="20" x2="{tx:.1}" y2="{bottom:.1}" stroke="#222" stroke-dasharray="3,2"/><text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"##,
                tx + 2.0,
                bottom + 12.0 + (i % 2) as f64 * 11.0,
                transition.kind
            );
        }
        let bottom = bottom + 11.0;
        let step = if duration > 60.0 { 10.0 } else { 5.0 };
        let mut tick = 0.0;
        while tick <= duration {
            let _ = write!(
                svg,
                r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#888"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">{tick:.0} s</text>"##,
                x(tick),
                bottom + 18.0,
                bottom + 24.0,
                bottom + 36.0
            );
            tick += step;
        }
        svg.push_str("</svg>");

        let mut page = String::new();
        let _ = write!(
            page,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>regionflip drill</title>\
             <style>body{{font-family:sans-serif;margin:20px}}td,th{{padding:2px 8px;text-align:left;vertical-align:top}}\
             .ok{{color:#2e7d32}}.fail{{color:#c62828;font-weight:bold}}</style></head><body>\
             <h1>regionflip drill: {}</h1><p>{} mode, {:.1} s, started {}, emulator {}. Colours: green healthy/OK/open, \
             red failing/ALARM/closed, {}.</p>{svg}<h2>Expectations</h2><table>",
            if self.passed { "passed" } else { "FAILED" },
            self.mode,
            self.duration_secs,
            escape(&self.started_at),
            escape(&self.emulator),
            self.regions
                .iter()
                .zip(["blue", "orange", "purple"])
                .map(|(r, c)| format!("{c} {}", escape(r)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for e in &self.expectations {
            let _ = write!(
                page,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                if e.passed { "ok" } else { "fail" },
                if e.passed { "ok" } else { "FAIL" },
                escape(&e.name),
                escape(&e.detail)
            );
        }
        page.push_str("</table><h2>Simulated</h2><ul>");
        for line in self.simulated {
            let _ = write!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul><h2>Real</h2><ul>");
        for line in self.real {
            let _ = write!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul><h2>Events</h2><table><tr><th>t</th><th>what</th><th></th></tr>");
        for event in &record.events {
            let _ = write!(
                page,
                "<tr><td>{:.1} s</td><td>{}</td><td>{}</td></tr>",
                event.t,
                event.kind,
                escape(&event.text)
            );
        }
        page.push_str("</table></body></html>\n");
        page
    }
}

/// A lane value's colour: healthy green, failing red, regions blue (home) and orange.
fn colour(value: &str, regions: &[&str]) -> &'static str {
    const REGION_COLOURS: [&str; 3] = ["#1e88e5", "#fb8c00", "#8e24aa"];
    match value {
        "healthy" | "OK" | "open" => "#43a047",
        "unhealthy" | "ALARM" | "closed" | "endpoint down" | "API failing" => "#e53935",
        v => regions
            .iter()
            .position(|r| *r == v)
            .and_then(|i| REGION_COLOURS.get(i))
            .copied()
            .unwrap_or("#9e9e9e"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
