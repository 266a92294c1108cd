//! Reading tables (CSV in any encoding, XLSX/XLS/ODS) and writing files: XLSX sheets,
//! CSV, and the one atomic write that every file goes through.

pub mod atomic;
pub mod guard;
pub mod input;
pub mod photos;
pub mod table;
pub mod write;
pub mod xlsx;
