//! Go's `text/tabwriter` column layout (space padding, left alignment, no flags), which
//! Consul's inspect output goes through.

/// Lays out lines of tab-separated cells as Go's tabwriter does.
pub struct TabWriter {
    minwidth: usize,
    padding: usize,
    lines: Vec<Vec<Vec<u8>>>,
}

fn width(cell: &[u8]) -> usize {
    // utf8.RuneCount: each invalid byte counts as one rune.
    cell.utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

impl TabWriter {
    /// A writer with Go's `minwidth` and `padding` (tabwidth is irrelevant with space padding).
    pub fn new(minwidth: usize, padding: usize) -> Self {
        TabWriter {
            minwidth,
            padding,
            lines: Vec::new(),
        }
    }

    /// Adds a line: every cell but the last is tab-terminated.
    pub fn line(&mut self, cells: &[&[u8]]) {
        self.lines.push(cells.iter().map(|c| c.to_vec()).collect());
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
                w = w.max(width(&line[column]) + self.padding);
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
                    let pad = widths[j].saturating_sub(width(cell));
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
    let mut tw = TabWriter::new(0, 2);
    tw.line(&header.iter().map(|h| h.as_bytes()).collect::<Vec<_>>());
    for r in rows {
        tw.line(&r.iter().map(|c| c.as_ref()).collect::<Vec<_>>());
    }
    let mut s = tw.finish_text();
    s.push('\n');
    s
}
