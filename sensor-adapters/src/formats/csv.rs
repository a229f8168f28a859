//! CSV files of past measurements: a header with `device`, `time`, optionally `latitude` and
//! `longitude`, and one column per field; one row per device and time.

use super::DecodeError;
use crate::reading::{RawValue, Reading, parse_time_text};

/// Reads a CSV file row by row, so files of any size stream through.
pub struct CsvReader<R: std::io::Read> {
    reader: csv::Reader<R>,
    headers: csv::StringRecord,
}

/// One row: its line, the row as a one-row CSV document (for dead letters), and its readings.
#[derive(Debug)]
pub struct CsvRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Header plus this row, so the row can be replayed on its own.
    pub text: String,
    /// The row's readings, or why it cannot be read.
    pub readings: Result<Vec<Reading>, DecodeError>,
}

impl<R: std::io::Read> CsvReader<R> {
    /// Reads the header; fails if `device` or `time` is missing.
    pub fn new(input: R) -> Result<Self, DecodeError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| DecodeError::Csv(e.to_string()))?
            .clone();
        for required in ["device", "time"] {
            if !headers.iter().any(|h| h == required) {
                return Err(DecodeError::Csv(format!(
                    "the header has no `{required}` column (found: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(Self { reader, headers })
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<CsvRow> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                Some(CsvRow {
                    line,
                    text: one_row_document(&self.headers, &record),
                    readings: decode_csv_record(&self.headers, &record),
                })
            }
            Err(e) => Some(CsvRow {
                line: e.position().map_or(0, |p| p.line()),
                text: String::new(),
                readings: Err(DecodeError::Csv(e.to_string())),
            }),
        }
    }
}

fn one_row_document(headers: &csv::StringRecord, record: &csv::StringRecord) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(headers);
    let _ = writer.write_record(record);
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The readings of one CSV record under `headers`; empty cells are absent values.
pub fn decode_csv_record(
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Result<Vec<Reading>, DecodeError> {
    if record.len() != headers.len() {
        return Err(DecodeError::Csv(format!(
            "{} cells where the header has {}",
            record.len(),
            headers.len()
        )));
    }
    let cell = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .filter(|v| !v.is_empty())
    };
    let device = cell("device").ok_or_else(|| DecodeError::Missing("device".into()))?;
    let time_text = cell("time").ok_or_else(|| DecodeError::Missing("time".into()))?;
    let time = parse_time_text(time_text).ok_or_else(|| DecodeError::Time(time_text.into()))?;
    let location = match (cell("latitude"), cell("longitude")) {
        (Some(lat), Some(lon)) => lat.parse().ok().zip(lon.parse().ok()),
        _ => None,
    };
    Ok(headers
        .iter()
        .zip(record.iter())
        .filter(|(h, v)| {
            !v.is_empty() && !matches!(*h, "device" | "time" | "latitude" | "longitude")
        })
        .map(|(field, value)| Reading {
            device: device.to_owned(),
            field: field.to_owned(),
            value: RawValue::Text(value.to_owned()),
            unit: None,
            time: Some(time),
            location,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stream_with_their_line_and_text() {
        let file = "device,time,no2,pm10\naq-1,2026-11-21T10:00:00Z,21.5,\naq-2,yesterday,3,4\n";
        let mut reader = CsvReader::new(file.as_bytes()).unwrap();
        let first = reader.next_row().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.readings.unwrap().len(), 1);
        let second = reader.next_row().unwrap();
        assert!(
            second
                .readings
                .unwrap_err()
                .to_string()
                .contains("yesterday")
        );
        assert_eq!(second.text, "device,time,no2,pm10\naq-2,yesterday,3,4\n");
        assert!(reader.next_row().is_none());
        let e = CsvReader::new("id,no2\n".as_bytes()).err().unwrap();
        assert!(e.to_string().contains("no `device` column"), "{e}");
    }
}
