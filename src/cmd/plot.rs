//! `trend --plot`: bytes per record type over the snapshots as an SVG line chart.

use plotters::prelude::*;
use snapinspect::report::trend::{Growth, Point, TrendReport};

/// An SVG line chart of bytes per record type (Vault: per key prefix) over the snapshots (the
/// `top` largest).
pub fn svg(report: &TrendReport, top: usize) -> Result<String, String> {
    let (caption, series, prefixes) = report.chart_series();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let t0 = report.snapshots[0].created_unix_ms.unwrap_or(0) as f64;
        let x_of = |i: usize, p: &Point| match p.created_unix_ms {
            Some(ms) if report.snapshots.iter().all(|s| s.created_unix_ms.is_some()) => {
                (ms as f64 - t0) / 3_600_000.0
            }
            _ => i as f64,
        };
        let xs: Vec<f64> = report
            .snapshots
            .iter()
            .enumerate()
            .map(|(i, p)| x_of(i, p))
            .collect();
        let max_x = xs.iter().cloned().fold(0.0, f64::max).max(1e-6);
        let names: Vec<&String> = {
            let mut by_last: Vec<&Growth> = series.iter().collect();
            by_last.sort_by_key(|g| std::cmp::Reverse(g.last_bytes));
            by_last.into_iter().take(top).map(|g| &g.name).collect()
        };
        let max_y = report
            .snapshots
            .iter()
            .flat_map(|p| names.iter().map(|n| p.bytes_of(n, prefixes)))
            .max()
            .unwrap_or(1) as f64
            / 1024.0;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..max_x * 1.02, 0f64..max_y.max(1.0) * 1.1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(if xs.len() > 1 && max_x > 1e-3 {
                "hours since the first snapshot"
            } else {
                "snapshot"
            })
            .y_desc("KiB")
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, name) in names.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let pts: Vec<(f64, f64)> = report
                .snapshots
                .iter()
                .zip(&xs)
                .map(|(p, x)| (*x, p.bytes_of(name, prefixes) as f64 / 1024.0))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
