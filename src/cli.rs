//! Every clap type of the command line, and the flag groups that commands share.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::io::table::{Encoding, ReadOptions};

/// kaowu (考务): the back office of a provincial 软考 exam office, in batches.
///
/// Import the session's exam plan, fees and exam sites from the CSV/XLSX/XLS files that
/// offices exchange; check them; quote fees. Works on an SQLite file (kaowu.db in the
/// working folder) by default, or on PostgreSQL when several operators share one database.
///
/// Start with samples/:
///
///   kaowu session create 2026H2 --province 云南
///   kaowu import plan samples/plan.xlsx
///   kaowu import sites samples/sites.csv
///   kaowu import fees samples/fees.xlsx
///   kaowu fees quote --exam-area 丽江 --qualification 电子商务设计师
///   kaowu status
#[derive(Debug, Parser)]
#[command(name = "kaowu", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The database: an SQLite file (`sqlite://kaowu.db`, or a path) or PostgreSQL
    /// (`postgres://user:password@host/db`). Created and migrated when needed.
    #[arg(long, env = "KAOWU_DATABASE_URL", default_value = crate::db::DEFAULT_URL, global = true,
          hide_env_values = true, value_name = "URL")]
    pub database_url: String,

    /// The session (考试批次) to work on, e.g. 2026H2. Needed only when the database holds
    /// more than one.
    #[arg(long, env = "KAOWU_SESSION", global = true, value_name = "CODE")]
    pub session: Option<String>,

    /// Who is working, recorded with every change [default: the OS user].
    #[arg(long, env = "KAOWU_OPERATOR", global = true, value_name = "NAME")]
    pub operator: Option<String>,

    /// Print the result as JSON on stdout (fields in README), for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

impl GlobalArgs {
    pub fn operator(&self) -> String {
        self.operator
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the database, its schema version, and what each session holds.
    ///
    /// Example: kaowu status --json
    Status,

    /// Create, list, show and change sessions (考试批次) and their settings.
    #[command(subcommand)]
    Session(SessionCommand),

    /// Import the reference data of a session: exam plan, fees, sites and rooms.
    #[command(subcommand)]
    Import(ImportCommand),

    /// Work with the fee table (收费标准).
    #[command(subcommand)]
    Fees(FeesCommand),

    /// Show the exam plan (考试计划): qualifications, subjects and sittings.
    #[command(subcommand)]
    Plan(PlanCommand),

    /// Show exam sites (考点) and rooms (考场).
    #[command(subcommand)]
    Sites(SitesCommand),
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// List the plan in exam order: date, time, qualification, subject.
    ///
    /// Example: kaowu plan list --level 高级
    List {
        /// Only qualifications of this level (初级, 中级, 高级).
        #[arg(long)]
        level: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// List rooms by exam area, site and room, with seats.
    ///
    /// Example: kaowu sites list --exam-area 丽江
    List {
        /// Only this exam area (考区).
        #[arg(long, value_name = "AREA")]
        exam_area: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Create a session.
    ///
    /// The code is the year and half-year: 2026H2 is 2026年下半年. A session belongs to one
    /// province; fee rows for the province (or 全省) apply to all its exam areas.
    ///
    /// Example: kaowu session create 2026H2 --name 2026年下半年 --province 云南
    Create {
        /// Session code, e.g. 2026H2.
        code: String,
        /// Display name [default: from the code, e.g. 2026年下半年].
        #[arg(long)]
        name: Option<String>,
        /// The province (省) the office serves, e.g. 云南.
        #[arg(long)]
        province: String,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        change: DryRun,
    },
    /// List the sessions in the database.
    List,
    /// Show a session and its settings [default: the current session].
    Show {
        /// Session code [default: --session, KAOWU_SESSION, or the only session].
        code: Option<String>,
    },
    /// Change the settings of the current session.
    ///
    /// Example: kaowu session set --photo-min-size 30K --payment-closes "2026-09-05 23:59"
    Set {
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New province.
        #[arg(long)]
        province: Option<String>,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        change: DryRun,
    },
}

/// The settings of a session; on `create` unset ones take their defaults, on `set` they
/// stay as they are.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Minimum photo width in pixels [create default: 295].
    #[arg(long, value_name = "PX", help_heading = "Settings")]
    pub photo_min_width: Option<u32>,
    /// Minimum photo height in pixels [create default: 413].
    #[arg(long, value_name = "PX", help_heading = "Settings")]
    pub photo_min_height: Option<u32>,
    /// Smallest photo file, e.g. 14K (K = 1024 bytes) [create default: 14K].
    #[arg(long, value_name = "SIZE", help_heading = "Settings")]
    pub photo_min_size: Option<String>,
    /// Largest photo file, e.g. 50K [create default: 50K].
    #[arg(long, value_name = "SIZE", help_heading = "Settings")]
    pub photo_max_size: Option<String>,
    /// Admit-card number (准考证号) template [create default: {yy}{half}{area2}{site3}{room3}{seat2}].
    /// Fields: {yyyy} {yy} {half} {level} and, with a width, {areaN} {siteN} {roomN} {seatN}
    /// {sittingN} {seqN}; letters and digits may stand between them.
    #[arg(long, value_name = "TEMPLATE", help_heading = "Settings")]
    pub card_number_template: Option<String>,
    /// When registration opens, e.g. "2026-08-20 09:00" (an empty string clears it).
    #[arg(long, value_name = "TIME", help_heading = "Settings")]
    pub registration_opens: Option<String>,
    /// When registration closes.
    #[arg(long, value_name = "TIME", help_heading = "Settings")]
    pub registration_closes: Option<String>,
    /// When payment opens.
    #[arg(long, value_name = "TIME", help_heading = "Settings")]
    pub payment_opens: Option<String>,
    /// When payment closes; approved applications unpaid by then expire.
    #[arg(long, value_name = "TIME", help_heading = "Settings")]
    pub payment_closes: Option<String>,
}

/// `--dry-run`, on every command that changes data.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct DryRun {
    /// Check everything and print what would change, but change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How to read an input table.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadArgs {
    /// The sheet of a workbook to read [default: the first visible one].
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The encoding of a CSV file [default: detected: UTF-8, UTF-16 or GBK].
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub encoding: Option<Encoding>,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            sheet: self.sheet.clone(),
            encoding: self.encoding,
        }
    }
}

/// The file of an import and how to read it.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file: .csv (UTF-8, UTF-16 or GBK), .xlsx, .xls or .ods.
    pub file: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub change: DryRun,
    /// With --dry-run or after an import, list every row added or changed.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import the exam plan (考试计划): qualifications, subjects and sittings.
    ///
    /// Columns: 级别 level, 资格名称 qualification, 资格代码 qualification_code (optional),
    /// 科目 subject, 场次 sitting, 考试日期 date, 开始时间 start, 结束时间 end. Rows are
    /// matched by qualification + subject, so importing a file again changes only what
    /// changed.
    ///
    /// Example: kaowu import plan samples/plan.xlsx --dry-run
    Plan(ImportArgs),
    /// Import fees (收费标准), yuan per subject.
    ///
    /// Columns: 地区 region (the province or 全省 for every exam area, or one exam area),
    /// 级别 level, 资格名称 qualification (blank: every qualification of the level), 科目
    /// subject (blank: every subject), 金额 amount, 生效日期 effective_from, 失效日期
    /// effective_to (optional). Import the plan and sites first: rows are checked against
    /// them.
    ///
    /// Example: kaowu import fees samples/fees.xlsx
    Fees(ImportArgs),
    /// Import exam sites (考点) and rooms (考场).
    ///
    /// Columns: 考区 exam_area, 考点代码 site_code, 考点名称 site_name, 考点地址 address, 考场号
    /// room, 座位数 seats, 停用座位 disabled_seats (optional, e.g. 5,17 or 3-6).
    ///
    /// Example: kaowu import sites samples/sites.csv
    Sites(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum FeesCommand {
    /// Quote the fee of each subject of a qualification in an exam area, and the total.
    ///
    /// Shows which fee row each amount comes from. An exam area's own rows win over the
    /// province's; a row for one qualification or one subject wins over the level-wide row.
    ///
    /// Example: kaowu fees quote --exam-area 丽江 --qualification 电子商务设计师 --on 2026-09-01
    Quote {
        /// The exam area (考区) the candidate chose.
        #[arg(long, value_name = "AREA")]
        exam_area: String,
        /// The qualification (报考资格).
        #[arg(long, value_name = "NAME")]
        qualification: String,
        /// The date the fee is due on [default: today], e.g. 2026-09-01.
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// List the fee rows of the session.
    List,
}
