//! Reading tables (CSV in any encoding, XLSX/XLS/ODS) and writing files atomically.

pub mod guard;
pub mod photos;
pub mod table;
pub mod write;
