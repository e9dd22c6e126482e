//! Go's `text/tabwriter` column layout (space padding, left alignment, no flags), which
//! Consul's inspect output goes through.

/// Lays out lines of tab-separated cells as Go's tabwriter does.
pub struct TabWriter {
    minwidth: usize,
    padding: usize,
    /// A table for people: cells escaped, columns by display width (not Consul's layout).
    people: bool,
    lines: Vec<Vec<Vec<u8>>>,
}

fn rune_width(cell: &[u8]) -> usize {
    // utf8.RuneCount: each invalid byte counts as one rune.
    cell.utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

/// Text from a snapshot made safe for a terminal: control characters, tabs, newlines and
/// bidirectional overrides shown escaped (`\n`, `\u{202e}`), invalid UTF-8 replaced.
pub fn escape(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in String::from_utf8_lossy(text).chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

impl TabWriter {
    /// A writer with Go's `minwidth` and `padding` (tabwidth is irrelevant with space padding).
    pub fn new(minwidth: usize, padding: usize) -> Self {
        TabWriter {
            minwidth,
            padding,
            people: false,
            lines: Vec::new(),
        }
    }

    /// The layout of snapinspect's own tables: columns two spaces apart, cells escaped
    /// ([`escape`]) and aligned by their display width.
    pub fn for_people() -> Self {
        TabWriter {
            people: true,
            ..TabWriter::new(0, 2)
        }
    }

    /// Adds a line: every cell but the last is tab-terminated.
    pub fn line(&mut self, cells: &[&[u8]]) {
        let people = self.people;
        self.lines.push(
            cells
                .iter()
                .map(|c| {
                    if people {
                        escape(c).into_bytes()
                    } else {
                        c.to_vec()
                    }
                })
                .collect(),
        );
    }

    fn width(&self, cell: &[u8]) -> usize {
        if self.people {
            unicode_width::UnicodeWidthStr::width(String::from_utf8_lossy(cell).as_ref())
        } else {
            rune_width(cell)
        }
    }

    /// The laid-out text; lines are joined by `\n`, with no newline after the last.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut widths = Vec::new();
        self.format(&mut out, &mut widths, 0, self.lines.len());
        out
    }

    /// The laid-out text as a string, invalid UTF-8 replaced (for reports people read).
    pub fn finish_text(self) -> String {
        String::from_utf8_lossy(&self.finish()).into_owned()
    }

    fn format(&self, out: &mut Vec<u8>, widths: &mut Vec<usize>, line0: usize, line1: usize) {
        let column = widths.len();
        let mut start = line0;
        let mut this = line0;
        while this < line1 {
            if column >= self.lines[this].len() - 1 {
                this += 1;
                continue;
            }
            self.write_lines(out, widths, start, this);
            start = this;
            let mut w = self.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column >= line.len() - 1 {
                    break;
                }
                w = w.max(self.width(&line[column]) + self.padding);
                this += 1;
            }
            widths.push(w);
            self.format(out, widths, start, this);
            widths.pop();
            start = this;
        }
        self.write_lines(out, widths, start, line1);
    }

    fn write_lines(&self, out: &mut Vec<u8>, widths: &[usize], line0: usize, line1: usize) {
        for i in line0..line1 {
            let line = &self.lines[i];
            for (j, cell) in line.iter().enumerate() {
                out.extend_from_slice(cell);
                if j < widths.len() && j + 1 < line.len() {
                    let pad = widths[j].saturating_sub(self.width(cell));
                    out.extend(std::iter::repeat_n(b' ', pad));
                }
            }
            if i + 1 < self.lines.len() {
                out.push(b'\n');
            }
        }
    }
}

/// The one table layout of snapinspect's own reports: a header and rows, columns two spaces
/// apart (Go's tabwriter with minwidth 0, padding 2), a newline after every line.
pub fn table<R: AsRef<[u8]>>(header: &[&str], rows: &[Vec<R>]) -> String {
    let mut tw = TabWriter::for_people();
    tw.line(&header.iter().map(|h| h.as_bytes()).collect::<Vec<_>>());
    for r in rows {
        tw.line(&r.iter().map(|c| c.as_ref()).collect::<Vec<_>>());
    }
    let mut s = tw.finish_text();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_tables_escape_and_align_by_display_width() {
        let mut tw = TabWriter::for_people();
        tw.line(&[b"key", b"size"]);
        tw.line(&["日本".as_bytes(), b"1"]);
        tw.line(&[b"a\nb\x1b", b"2"]);
        tw.line(&["x\u{202e}y".as_bytes(), b"3"]);
        let out = String::from_utf8(tw.finish()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        // The size column starts at the same display column on every line.
        let col = |l: &str| unicode_width::UnicodeWidthStr::width(&l[..l.rfind(' ').unwrap() + 1]);
        assert!(lines.iter().all(|l| col(l) == col(lines[0])), "{out}");
        assert!(lines[2].starts_with("a\\nb\\u{1b}"), "{out}");
        assert!(lines[3].starts_with("x\\u{202e}y"), "{out}");
        assert!(!out.contains('\u{202e}') && !out.contains('\u{1b}'));
    }

    #[test]
    fn consul_tables_stay_raw() {
        let mut tw = TabWriter::new(8, 6);
        tw.line(&[b"a\nb", b"1"]);
        assert_eq!(tw.finish(), b"a\nb      1".to_vec());
    }
}
