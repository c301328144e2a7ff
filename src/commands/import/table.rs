//! Tables of web pages and Word files as lines for the recogniser: a 公文要素 table (most
//! rows hold a known field name) as `key：value` lines, any other as Markdown rows.

use super::recognise::{self, Hint, SourceLine};

/// Whether a table's rows (cell texts) make a 公文要素 table: at least two rows, and most of
/// them, hold a known field name, as a cell of its own or as `key：` in a cell.
pub fn is_field_table(rows: &[Vec<String>]) -> bool {
    let keyed = rows
        .iter()
        .filter(|r| r.iter().any(|c| recognise::is_header_field(c)) || recognise::has_header_field(&r.join(" ")))
        .count();
    keyed >= 2 && keyed * 2 >= rows.len()
}

/// A table as lines: fields or Markdown rows, whichever it is.
pub fn lines(rows: Vec<Vec<String>>, no: &mut usize, out: &mut Vec<SourceLine>) {
    if is_field_table(&rows) {
        field_lines(&rows, no, out);
    } else {
        markdown_lines(rows, no, out);
    }
}

/// A 公文要素 table as `key：value` lines: cells in pairs (`th td th td`), or one cell that
/// already says `key：value`.
pub fn field_lines(rows: &[Vec<String>], no: &mut usize, out: &mut Vec<SourceLine>) {
    for cells in rows {
        let mut line = String::new();
        let mut k = 0;
        while k < cells.len() {
            let c = cells[k].trim().trim_end_matches(['：', ':']);
            if recognise::is_header_field(c) && k + 1 < cells.len() {
                line.push_str(&format!("{c}：{}　", cells[k + 1].trim()));
                k += 2;
            } else {
                if !cells[k].trim().is_empty() {
                    line.push_str(cells[k].trim());
                    line.push('　');
                }
                k += 1;
            }
        }
        *no += 1;
        out.push(SourceLine {
            no: *no,
            text: line.trim().to_string(),
            hint: Hint { paragraph: true, ..Hint::default() },
        });
    }
}

/// A body table as Markdown rows (the first row its header), kept verbatim by the
/// recogniser; rows without text are left out.
pub fn markdown_lines(rows: Vec<Vec<String>>, no: &mut usize, out: &mut Vec<SourceLine>) {
    let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let verbatim = Hint { verbatim: true, paragraph: true, ..Hint::default() };
    for (i, r) in rows.iter().enumerate() {
        let mut cells: Vec<String> = r.iter().map(|c| c.trim().replace('|', "\\|")).collect();
        cells.resize(width, String::new());
        *no += 1;
        out.push(SourceLine { no: *no, text: format!("| {} |", cells.join(" | ")), hint: verbatim });
        if i == 0 {
            out.push(SourceLine { no: *no, text: format!("|{}", "---|".repeat(width)), hint: verbatim });
        }
    }
}
