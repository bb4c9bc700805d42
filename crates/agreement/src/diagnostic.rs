//! Located problems found while reading an agreement.
//!
//! An agreement is edited by hand by people who are not programmers, so every problem names the
//! file and the exact place in it (a line and column for TOML, a JSON pointer for GeoJSON), says
//! what is wrong and what is expected instead. Problems are collected, never thrown one at a time:
//! a drafter fixes a file in one pass.

use std::fmt;

/// Where in the agreement's files a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A place in a text file (TOML, or JSON that does not parse): 1-based line and column.
    Text {
        file: String,
        line: usize,
        column: usize,
    },
    /// A place in a GeoJSON file, as an RFC 6901 JSON pointer ("" is the whole document).
    Json { file: String, pointer: String },
    /// A whole file (it could not be read at all).
    File { file: String },
}

impl Location {
    /// The file this location is in.
    pub fn file(&self) -> &str {
        match self {
            Location::Text { file, .. } | Location::Json { file, .. } | Location::File { file } => {
                file
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Text { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Location::Json { file, pointer } => write!(f, "{file}#{pointer}"),
            Location::File { file } => write!(f, "{file}"),
        }
    }
}

/// One problem with an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    /// What is wrong and what is expected, in one sentence.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem found in an agreement, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the agreement has {} problem(s):\n{}", .0.len(), display_lines(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn display_lines(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Diagnostics {
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Maps byte offsets of a text to 1-based line and column (in characters).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_from_one() {
        let idx = LineIndex::new("ab\ncd\n\nxyz");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(1), (1, 2));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(6), (3, 1));
        assert_eq!(idx.line_col(9), (4, 3));
    }

    #[test]
    fn location_display() {
        let l = Location::Json {
            file: "a.geojson".into(),
            pointer: "/features/0".into(),
        };
        assert_eq!(l.to_string(), "a.geojson#/features/0");
    }
}
