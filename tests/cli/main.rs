//! One CLI test binary: each module runs the built `kaowu` on files in a temporary folder,
//! on SQLite and, when KAOWU_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database too.

// Tests read as scenarios, step after step: long, with helpers where they are used, paths
// printed as Debug, and figures compared exactly as they were computed.
#![allow(
    clippy::too_many_lines,
    clippy::items_after_statements,
    clippy::unnecessary_debug_formatting,
    clippy::case_sensitive_file_extension_comparisons,
    clippy::float_cmp
)]

mod after_exam;
mod applications;
mod cards;
mod changes;
mod common;
mod demo;
mod exam_day;
mod fees;
mod fuzz;
mod hostile;
mod id_documents;
mod id_reference;
mod imports;
mod layout;
mod lists;
mod office_files;
mod output;
mod payments;
mod printing;
mod report;
mod review;
mod roster;
mod scores;
mod seat;
mod session;
mod sheets;
mod staff;
mod status;
