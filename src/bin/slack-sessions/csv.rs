//! A small RFC 4180 reader, for `reset-many users.csv --column email`: the user lists
//! admins keep in spreadsheets.
//!
//! Fields are separated by commas, records by CRLF or LF; a field in double quotes may hold
//! commas, line breaks and doubled quotes (`""`). A UTF-8 BOM is dropped. Row numbers are
//! records, counted from 1 as a spreadsheet shows them (a quoted line break does not
//! start a new row).

/// One record: its row number and its fields.
pub(crate) type Row = (usize, Vec<String>);

/// Every record of `text`, or what is malformed and on which row.
pub(crate) fn records(text: &str) -> Result<Vec<Row>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = 1;
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    // Whether the field under way was quoted (and its quotes are closed).
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
                let started = row;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => field.push(c),
                        None => {
                            return Err(format!(
                                "row {started}: a quoted field is never closed (a \" is missing)"
                            ))
                        }
                    }
                }
            }
            '"' => {
                return Err(format!(
                    "row {row}: a \" inside a field that does not start with one (quote the whole field, and double the quote)"
                ))
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                rows.push((row, std::mem::take(&mut fields)));
                row += 1;
                quoted = false;
                at_field_start = true;
            }
            c if quoted => {
                return Err(format!(
                    "row {row}: {c:?} after the closing quote of a field (expected a comma or the end of the row)"
                ))
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if !at_field_start || !fields.is_empty() || quoted {
        fields.push(field);
        rows.push((row, fields));
    }
    // Blank rows (a trailing newline, an empty line) hold nothing.
    rows.retain(|(_, f)| !(f.len() == 1 && f[0].trim().is_empty()));
    Ok(rows)
}

/// Which column: a header name (matched ignoring case and surrounding spaces) or a
/// 1-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    Name(String),
    Index(usize),
}

impl Column {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("--column is empty: give a header name or a 1-based index".into());
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return match t.parse::<usize>() {
                Ok(0) | Err(_) => Err(format!(
                    "--column {t}: columns are counted from 1 (or give the header name)"
                )),
                Ok(n) => Ok(Column::Index(n)),
            };
        }
        Ok(Column::Name(t.to_owned()))
    }
}

/// What [`column`] picked: the header cell (if row 1 is a header), each later row's
/// number and cell (`None` when the row is too short), and the column's name for errors.
pub(crate) type Picked = (Option<String>, Vec<(usize, Option<String>)>, String);

/// The cells of `column` (1-based index, the header's name) with their row numbers,
/// rows after the header. With an index, row 1 is taken as a header only when `is_value`
/// says its cell is not a value; `Ok((header, cells))`.
pub(crate) fn column(
    rows: &[Row],
    column: &Column,
    is_value: impl Fn(&str) -> bool,
) -> Result<Picked, String> {
    let Some((_, header)) = rows.first() else {
        // An empty file: the column is named as it was asked for.
        let name = match column {
            Column::Name(want) => format!("column {want:?}"),
            Column::Index(n) => format!("column {n}"),
        };
        return Ok((None, Vec::new(), name));
    };
    let (index, name, skip_header) = match column {
        Column::Name(want) => {
            let found = header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(want));
            match found {
                Some(i) => (i, header[i].trim().to_owned(), true),
                None => {
                    return Err(format!(
                        "no column named {want:?} in the header (row 1 has: {})",
                        header
                            .iter()
                            .map(|h| format!("{:?}", h.trim()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
        }
        Column::Index(n) => {
            let first = header.get(n - 1).map(|c| c.trim());
            let is_header = first.is_some_and(|c| !c.is_empty() && !is_value(c));
            (n - 1, format!("column {n}"), is_header)
        }
    };
    let header_cell = skip_header.then(|| header.get(index).map(|h| h.trim().to_owned()));
    let cells = rows
        .iter()
        .skip(usize::from(skip_header))
        .map(|(n, fields)| (*n, fields.get(index).map(|c| c.trim().to_owned())))
        .collect();
    Ok((header_cell.flatten(), cells, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Row> {
        records(text).unwrap()
    }

    #[test]
    fn quoting_per_rfc_4180() {
        let r = rows("\u{feff}name,email\r\n\"Doe, Jane\",jane@example.com\r\n\"say \"\"hi\"\"\",\"a\nb\"\n,\n\nlast,x");
        assert_eq!(r[0], (1, vec!["name".to_owned(), "email".to_owned()]));
        assert_eq!(r[1].1, ["Doe, Jane", "jane@example.com"]);
        assert_eq!(r[2].1, ["say \"hi\"", "a\nb"]);
        assert_eq!(r[3], (4, vec![String::new(), String::new()]));
        assert_eq!(
            r[4],
            (6, vec!["last".to_owned(), "x".to_owned()]),
            "row 5 was blank"
        );
        assert_eq!(rows("a\n").len(), 1);
        assert!(rows("\"\"\n").is_empty(), "one empty field is a blank row");
        assert_eq!(rows("\"\",x").len(), 1);
    }

    #[test]
    fn malformed_rows_are_named() {
        for (text, says) in [
            ("a,b\nc,\"d\n", "row 2: a quoted field is never closed"),
            ("a,b\nc,d\"e\n", "row 2: a \" inside a field"),
            ("a\n\"b\"c\n", "row 2: 'c' after the closing quote"),
        ] {
            let e = records(text).unwrap_err();
            assert!(e.starts_with(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn columns_by_name_or_index() {
        let r = rows("Name, Email \nJane,jane@example.com\nBob\n");
        let (h, cells, name) = column(&r, &Column::parse("email").unwrap(), |_| false).unwrap();
        assert_eq!((h.as_deref(), name.as_str()), (Some("Email"), "Email"));
        assert_eq!(cells, [(2, Some("jane@example.com".to_owned())), (3, None)]);
        let e = column(&r, &Column::Name("mail".into()), |_| false).unwrap_err();
        assert!(e.contains("\"Name\", \"Email\""), "{e}");
        // By index, a first row that is a value is not a header.
        let plain = rows("W1,x\nW2,y\n");
        let (h, cells, _) = column(&plain, &Column::Index(1), |c| c.starts_with('W')).unwrap();
        assert_eq!(h, None);
        assert_eq!(cells.len(), 2);
        let (h, cells, _) = column(&r, &Column::Index(2), |c| c.contains('@')).unwrap();
        assert_eq!((h.as_deref(), cells.len()), (Some("Email"), 2));
        assert!(Column::parse("0").is_err() && Column::parse(" ").is_err());
    }
}
