//! Every clap type of the command line, and the flag groups that commands share.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::io::table::{Encoding, ReadOptions};

/// kaowu (考务): the back office of a provincial 软考 exam office, in batches.
///
/// A session (考试批次) from start to end: the exam plan, fees, exam sites and rooms; the
/// applications with their photos, checked and reviewed (审核) in bulk; payments matched
/// with the gateway's export and the bank's statement (缴费); seating (编排); admit cards
/// (准考证), sign-in sheets and door stickers as PDF; rosters (名册) and the report (统计)
/// as XLSX. kaowu reads the CSV (GBK too), XLSX, XLS and ODS files that offices exchange,
/// shows every change before it makes it, journals it, and undoes it by batch. It works on an SQLite file (kaowu.db in the working folder) by
/// default, or on PostgreSQL when several operators share one database.
///
/// Start with `kaowu demo`: the whole session on samples built into kaowu, in a new folder,
/// printing each command it runs and where every file went. Then the same on your files.
#[derive(Debug, Parser)]
#[command(after_help = "\
Start here:
  kaowu demo              # the whole session on samples, in kaowu-demo/
  kaowu session create 2026H2 --name 2026年下半年 --province 云南
  kaowu import plan 考试计划.xlsx
  kaowu import sites 考点考场.csv
  kaowu import fees 收费标准.xlsx
  kaowu import applications 报名信息.csv --photos 照片
  kaowu review check
  kaowu review approve --clean --yes
  kaowu import payments 缴费记录.csv
  kaowu seat assign --yes
  kaowu cards --out 准考证
  kaowu report --out 统计.xlsx

Every command has --help, with examples.")]
#[command(name = "kaowu", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The `Examples:` section below a command's help, one command a line (clap would join the
/// lines of a doc comment into one paragraph). A command too long for an 80-column terminal
/// is given in parts (`\n`), which print as shell continuation lines, so that it still
/// pastes.
fn examples(commands: &[&str]) -> String {
    let mut out = String::from("Examples:");
    for c in commands {
        out.push_str("\n  ");
        out.push_str(&c.replace('\n', " \\\n      "));
    }
    out
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
            .or_else(|| whoami::username().ok())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the database, its schema version, and what each session holds.
    #[command(after_help = examples(&[
        "kaowu status --json",
    ]))]
    Status,

    /// Statistics of the session: applications, review, payments, seats, in one workbook.
    ///
    /// Applications by exam area (考区), level (级别) and qualification (报考资格) with
    /// totals; the review funnel (提交, 待审核, 审核通过, 审核未通过, 已缴费, 逾期未缴费,
    /// 已放弃), the rejection reasons ranked and the time to review (median, mean, 90th
    /// percentile, in hours, from the journal); paid candidates and fee revenue by exam area
    /// and qualification, reconciled with the fee due of the paid applications and with the
    /// successful orders that paid nothing (refunds, wrong amounts, not approved); seats used
    /// per sitting and site. Once attendance is recorded (`kaowu attendance import`), the
    /// exam-day figures in candidate-subjects (人科次) by exam area, site, level,
    /// qualification, and sitting with subject: 应考, 实考, 缺考, 违纪 (void by a violation),
    /// 未录入, and the rates with their denominators (参考率 = 实考 / 应考, 缺考率 = 缺考 / 应考,
    /// 违纪率 = 违纪 / 实考); until then the report says attendance is not recorded. --out
    /// writes an XLSX with sheets 汇总, 报名统计, 审核, 不通过原因, 缴费, 资格缴费, 对账, 考场,
    /// 考点, 考勤 (and 考勤考点, 考勤级别, 考勤资格, 考勤科目 once recorded; 合格率 and 复核预估 once
    /// scores are imported) and Excel charts; the terminal gets one page, --json every figure.
    /// Once `kaowu scores judge` has run: 合格率 by exam area, level and qualification, over
    /// those who sat every subject (合格 / 全科参考) and over those who applied (合格 / 报考),
    /// and per subject how many scored 43 to 44.5 (the recheck load to expect). Reads only.
    #[command(after_help = examples(&[
        "kaowu report --out report.xlsx",
        "kaowu report --json > report.json",
    ]))]
    Report(ReportArgs),

    /// Create, list, show and change sessions (考试批次) and their settings.
    #[command(subcommand)]
    Session(SessionCommand),

    /// Import the reference data of a session: exam plan, fees, sites and rooms.
    ///
    /// Identifier columns (证件号码, 报名序号, 支付单号, 考点代码, phone numbers, codes) must
    /// stay text in a spreadsheet: a number cell of more than 15 digits has lost digits and
    /// is refused, and so is a code that differs from a stored one only by leading zeros.
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

    /// Review applications (审核): rule checks, bulk approve and reject, decision sheets,
    /// the journal, undo.
    #[command(subcommand)]
    Review(ReviewCommand),

    /// Payments (缴费): reconcile with the gateway and the statement, expire the unpaid,
    /// record counter payments and 掉单. The gateway's export is imported with
    /// `kaowu import payments`.
    #[command(subcommand)]
    Payments(PaymentsCommand),

    /// Seat the paid candidates (编排) and number their admit cards (准考证号).
    #[command(subcommand)]
    Seat(SeatCommand),

    /// Write the admit cards (准考证) of the seated candidates as PDF, in parallel.
    ///
    /// A4 cards laid out by templates/admit_card.json (or --template FILE): title, name, sex,
    /// ID number, admit-card number, level, qualification, site and address, each subject
    /// with its date, time, room and seat, the photo (its original JPEG bytes, checked
    /// against the fingerprint from import), a QR code of the admit-card number, and 考生须知.
    /// The CJK font ships with kaowu (WenQuanYi Zen Hei, with CJK extension A), subset per
    /// PDF. A character the font lacks fails that card, naming the character and candidate.
    /// Incremental: DIR/manifest.json records each file's content and file hash; a second run
    /// renders only what changed and removes the cards of candidates who lost their seat.
    #[command(after_help = examples(&[
        "kaowu cards --out cards",
        "kaowu cards --out print --per room -j 2",
    ]))]
    Cards(CardsArgs),

    /// Write each room's sign-in sheet (考场签到表) and door sticker (门贴) per sitting, as PDF.
    ///
    /// The sign-in sheet: site, room, sitting and subjects; a row per seat in seat order with
    /// seat, admit-card number, name, photo, ID number, a signature box and a remarks box;
    /// 应到 / 实到 / 缺考 boxes and two invigilator signature lines on the last page; page
    /// numbers. The door sticker: the room in large type, site, sitting, qualifications,
    /// subjects, the admit-card number range and the count, and the candidates with their ID
    /// numbers masked (530102********1234). Laid out by templates/room_documents.json (or
    /// --template FILE). Written per exam area and site as <date>_<场次>_第NNN考场_签到表.pdf
    /// and ..._门贴.pdf, incrementally like the admit cards (DIR/manifest.json).
    #[command(after_help = examples(&[
        "kaowu sheets --out rooms",
    ]))]
    Sheets(SheetsArgs),

    /// Exam staff (考务人员): the posts each site needs, who holds them, their documents.
    ///
    /// Import the staff list (`kaowu import staff`), see the posts the seating needs
    /// (`staff need`), fill them (`staff assign`), check them (`staff verify`), move one
    /// person who declines (`staff replace`) and write the 监考安排表, badges and pay sheet
    /// (`staff documents`).
    #[command(subcommand)]
    Staff(StaffCommand),

    /// Attendance (考勤) per candidate and subject, from what the sites send back.
    #[command(subcommand)]
    Attendance(AttendanceCommand),

    /// Room logs (考场记录单): each room's counts, incidents and signatures per sitting.
    #[command(subcommand)]
    Roomlog(RoomlogCommand),

    /// Violations (违纪违规) under 人社部令第31号: cases, steps, documents, register.
    ///
    /// Record cases, take them through their legal steps, write their documents and the
    /// register sent upward.
    #[command(subcommand)]
    Violations(ViolationsCommand),

    /// Pass decisions (合格判定) from the scores imported.
    #[command(subcommand)]
    Scores(ScoresCommand),

    /// Score rechecks (复核): requests, the batch for the centre, its answers.
    #[command(subcommand)]
    Recheck(RecheckCommand),

    /// Certificates (证书): matched to the pass list, handed out per exam area, posted.
    #[command(subcommand)]
    Certificates(CertificatesCommand),

    /// Find and show applications (报名信息).
    #[command(subcommand)]
    Applications(ApplicationsCommand),

    /// Write lists for the office and for posting: rosters (名册).
    #[command(subcommand)]
    Export(ExportCommand),

    /// Generate synthetic sessions for demos, tests and benchmarks.
    #[command(subcommand)]
    Samples(SamplesCommand),

    /// Measure import, check, approve and export on a generated session; or documents.
    ///
    /// Generates N applications with photos (once; kept in --dir), then runs each step as
    /// its own kaowu process on a fresh SQLite file (and PostgreSQL database with
    /// --postgres) and prints seconds, rows per second and peak memory per step. With
    /// --documents, renders admit cards, sign-in sheets and door stickers of a seated session.
    #[command(after_help = examples(&[
        "kaowu bench --applications 200000 --dir /tmp/kaowu-bench",
        "kaowu bench --documents 10000,100000 --database-url demo/kaowu.db",
    ]))]
    Bench(BenchArgs),

    /// Run the whole job of a session on the samples, or on N generated applications.
    ///
    /// On a fresh SQLite file in the output folder (an existing one is never touched):
    /// session, plan, sites, fees, applications with photos, checks, review, payments and
    /// reconciliation, expiry, seating, admit cards, sign-in sheets and door stickers,
    /// rosters and the report. The samples are built into kaowu, so it runs from any folder. Prints where everything
    /// went and how long each step took (each step is one kaowu process).
    #[command(after_help = examples(&[
        "kaowu demo",
        "kaowu demo --applications 200000 --out /tmp/big",
    ]))]
    Demo(DemoArgs),

    /// Print shell completions for kaowu.
    #[command(after_help = examples(&[
        "kaowu completions bash > /etc/bash_completion.d/kaowu",
        "kaowu completions zsh > ~/.zfunc/_kaowu",
    ]))]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Generate this many applications (with photos, payments and a bank statement)
    /// instead of using the samples.
    #[arg(long, value_name = "N")]
    pub applications: Option<usize>,
    /// The folder for the database, the inputs and every output (created if needed).
    #[arg(long, value_name = "DIR", default_value = "kaowu-demo")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The workbook to write (.xlsx), written beside it first and then moved into place.
    /// Without it, only the summary (or --json) is printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// How many applications.
    #[arg(long, default_value_t = 20_000)]
    pub applications: usize,
    /// Where the generated session is kept between runs.
    #[arg(long, value_name = "DIR", default_value = "kaowu-bench")]
    pub dir: PathBuf,
    /// Also measure PostgreSQL: a URL of a role that may create databases; a fresh one is
    /// made and dropped.
    #[arg(
        long,
        value_name = "URL",
        env = "KAOWU_BENCH_POSTGRES_URL",
        hide_env_values = true
    )]
    pub postgres: Option<String>,
    /// How many times to time the approval, the tightest figure: each on a fresh copy of
    /// the checked database, the last on the database itself. The table shows the median
    /// and the range; --json lists every run.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub approvals: usize,
    /// Measure the documents instead, on the database given (its candidates seated, e.g.
    /// by `kaowu demo --applications N`): admit cards of the first N candidates (comma-
    /// separated for several N) per candidate and per room with 1 and 2 threads, then every
    /// room's sign-in sheet and door sticker. The seated candidates' photos are read into
    /// the page cache first. Prints cards/s, CPU ms and bytes per card, and peak memory.
    #[arg(long, value_name = "N", value_delimiter = ',')]
    pub documents: Vec<usize>,
    /// With --documents: the thread counts to render cards with.
    #[arg(long, value_name = "N", value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
}

/// `--yes` and `--dry-run`, on every command that changes many applications.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct Confirm {
    /// Change without asking (for scripts; without a terminal it is required).
    #[arg(long, short)]
    pub yes: bool,
    /// Show what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Which applications a review command acts on. Filters combine (all must hold).
#[derive(Debug, Clone, Default, Args)]
pub struct Selection {
    /// A CSV/XLSX file with a column of 报名序号 (registration_no).
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    pub ids: Option<PathBuf>,
    /// Applications with this flag (repeat for any of several), e.g. photo_background.
    #[arg(long, value_name = "CODE", help_heading = "Selection")]
    pub flag: Vec<String>,
    /// Submitted applications that the last check found no error in.
    #[arg(long, help_heading = "Selection", conflicts_with = "errors")]
    pub clean: bool,
    /// Applications that the last check found an error in.
    #[arg(long, help_heading = "Selection")]
    pub errors: bool,
    /// Applications of this exam area (考区).
    #[arg(long, value_name = "AREA", help_heading = "Selection")]
    pub exam_area: Option<String>,
    /// Applications for this qualification (报考资格).
    #[arg(long, value_name = "NAME", help_heading = "Selection")]
    pub qualification: Option<String>,
    /// Applications of this level (初级, 中级, 高级).
    #[arg(long, value_name = "LEVEL", help_heading = "Selection")]
    pub level: Option<String>,
    /// Every application of the session (with the other filters, if any).
    #[arg(long, help_heading = "Selection")]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Check every application of the session and store its flags.
    ///
    /// ID numbers (length, characters, region, birth date, check digit), form against ID
    /// number (birth date, sex), the same ID number twice, photos (missing, unreadable, not
    /// JPEG, too small, outside the byte range, background far from white), mobile, email
    /// and required contact fields. Each flag is an error (blocks approval) or a warning.
    /// The photo background needs a decode: it is measured once per photo and kept.
    #[command(after_help = examples(&[
        "kaowu review check",
    ]))]
    Check,
    /// Count the flags per code and per exam area.
    #[command(after_help = examples(&[
        "kaowu review flags --json",
    ]))]
    Flags,
    /// Approve (审核通过) the selected submitted applications.
    ///
    /// Shows what will change and asks; `--yes` for scripts, `--dry-run` to only look.
    /// Applications with error flags are skipped unless --force, which is recorded.
    #[command(after_help = examples(&[
        "kaowu review approve --clean --yes",
    ]))]
    Approve {
        #[command(flatten)]
        selection: Selection,
        /// Approve applications with error flags too.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Reject (审核未通过) the selected submitted applications, with a reason.
    ///
    /// Without --reason, each application's reason is the messages of its error flags, so
    /// that every candidate reads what to fix.
    #[command(after_help = examples(&[
        "kaowu review reject --errors --yes",
        "kaowu review reject --flag photo_background --reason \"照片背景不是白色\" --yes",
    ]))]
    Reject {
        #[command(flatten)]
        selection: Selection,
        /// Why, as the candidate will read it (原因) [default: the error flags' messages].
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Write a decision sheet (XLSX) for reviewers working offline.
    ///
    /// The applications' fields, their flags and photo file names, and empty 审核结果 (a
    /// 通过 / 不通过 dropdown) and 原因 columns. `kaowu review apply` reads it back.
    #[command(after_help = examples(&[
        "kaowu review export --status submitted --out sheet.xlsx",
    ]))]
    Export {
        #[command(flatten)]
        selection: Selection,
        /// Only applications in this state (submitted, approved, rejected, ...).
        #[arg(long, default_value = "submitted")]
        status: String,
        /// The workbook to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Apply a filled-in decision sheet: 报名序号, 审核结果 (通过/不通过), 原因.
    ///
    /// Rows with an empty 审核结果 are left undecided; a 不通过 without 原因 is an error.
    #[command(after_help = examples(&[
        "kaowu review apply sheet.xlsx --yes",
    ]))]
    Apply {
        /// The sheet (XLSX, XLS, ODS or CSV).
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Approve applications with error flags too.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Show the journal: every batch, one batch's changes, or one application's history.
    #[command(after_help = examples(&[
        "kaowu review log --application 20260000007",
    ]))]
    Log {
        /// One batch's changes.
        #[arg(long, value_name = "ID", conflicts_with = "application")]
        batch: Option<i64>,
        /// One application's history, by 报名序号.
        #[arg(long, value_name = "NO")]
        application: Option<String>,
    },
    /// Revert a whole batch, when none of its applications changed since.
    #[command(after_help = examples(&[
        "kaowu review undo 3 --yes",
    ]))]
    Undo {
        /// The batch id (see `kaowu review log`).
        batch: i64,
        #[command(flatten)]
        confirm: Confirm,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Reconcile applications, the gateway's orders and the bank's (or 非税) statement.
    ///
    /// Writes reconcile.xlsx into --out, one sheet per finding: 掉单 (paid in the statement
    /// but not marked paid), 已缴费未到账 (marked paid but absent from the statement),
    /// 重复缴费退费 (duplicate payments: the refund list for the finance office), 金额不符
    /// (amount different from the fee due) and 非审核通过缴费 (payments for applications that
    /// are not approved, or unknown). Prints a summary (or --json). Changes nothing.
    ///
    /// Statement columns: 支付单号 order_no, 金额 amount, 交易时间 paid_at; others are ignored.
    #[command(after_help = examples(&[
        "kaowu payments reconcile --gateway payments.csv --statement statement.xlsx\n--out reconcile",
    ]))]
    Reconcile {
        /// The gateway's order export (the same columns as `kaowu import payments`).
        #[arg(long, value_name = "FILE")]
        gateway: PathBuf,
        /// The statement (对账单) of the bank or the 非税 platform.
        #[arg(long, value_name = "FILE")]
        statement: Option<PathBuf>,
        /// The folder to write reconcile.xlsx into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Expire (逾期未缴费) the approved applications that are unpaid once the payment window
    /// has closed.
    ///
    /// Shows what will change and asks; `--yes` for scripts, `--dry-run` to only look;
    /// `kaowu review undo BATCH` reverts it.
    #[command(after_help = examples(&[
        "kaowu payments expire --dry-run",
    ]))]
    Expire {
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Mark applications paid by hand: a counter payment, or the 掉单 a statement shows.
    ///
    /// With NO: a counter payment (or one the office saw elsewhere) of exactly the fee due,
    /// recorded with --order, --amount, --reason and the operator. With --statement: every
    /// 掉单 that `kaowu payments reconcile` finds in that statement, each naming its
    /// statement line as evidence.
    #[command(after_help = examples(&[
        "kaowu payments mark-paid 20260000007 --order GT0001 --amount 50\n--reason \"柜台缴费 收据 0012\" --yes",
        "kaowu payments mark-paid --statement statement.xlsx\n--gateway payments.csv --yes",
    ]))]
    MarkPaid {
        /// The application (报名序号) of a counter payment.
        #[arg(required_unless_present = "statement", conflicts_with = "statement")]
        registration_no: Option<String>,
        /// The order or receipt number (支付单号).
        #[arg(long, value_name = "ORDER", requires = "registration_no")]
        order: Option<String>,
        /// The amount paid, in yuan; it must be the fee due.
        #[arg(long, value_name = "YUAN", requires = "registration_no")]
        amount: Option<String>,
        /// When it was paid [default: now], e.g. "2026-08-25 10:30".
        #[arg(long, value_name = "TIME", requires = "registration_no")]
        paid_at: Option<String>,
        /// The channel (支付网关).
        #[arg(long, default_value = "柜台", requires = "registration_no")]
        channel: String,
        /// Why, for the journal (with a counter payment: required).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// The statement whose 掉单 to mark paid.
        #[arg(long, value_name = "FILE")]
        statement: Option<PathBuf>,
        /// A gateway export that links statement orders to applications, beside what was
        /// imported.
        #[arg(long, value_name = "FILE", requires = "statement")]
        gateway: Option<PathBuf>,
        #[command(flatten)]
        confirm: Confirm,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CardsPer {
    /// One file per candidate, named by admit-card number, in a folder per exam area and site.
    Candidate,
    /// One file per room and sitting, the cards in seat order, for printing.
    Room,
}

#[derive(Debug, Clone, Args)]
pub struct CardsArgs {
    /// The folder to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// One PDF per candidate or per room.
    #[arg(long, value_enum, default_value = "candidate")]
    pub per: CardsPer,
    /// Rendering threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Only these candidates (报名序号); repeat or separate with commas.
    #[arg(long, value_name = "NO", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Only the first N candidates by admit-card number (a test print, a benchmark).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// The layout to use instead of the one built in (a JSON file like
    /// templates/admit_card.json; its font path is relative to it).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SheetsArgs {
    /// The folder to write into (created if needed; not the admit cards' folder).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rendering threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// The layout to use instead of the one built in (a JSON file like
    /// templates/room_documents.json; its font path is relative to it).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AttendanceCommand {
    /// Record attendance from a file: the absent of each room, or a keyed sign-in sheet.
    ///
    /// Attendance is per subject: a 高级 candidate may leave after 综合知识 and miss 案例分析.
    /// Two forms, Chinese or English headers. The long form, a row per mark: 准考证号
    /// (card_no), and optionally 考点代码 + 考场号 (site_code, room), 场次 (sitting), 科目
    /// (subject; empty: every subject of the sitting), 考勤 (mark: 实到, 缺考 or 提前离场;
    /// empty: 缺考), and the sheet's footer 应到 / 实到 / 缺考 (expected, present, absent). A
    /// room whose rows list only the absent is an absent list: everyone else seated there
    /// is present; a room whose rows mark the present too is a keyed sign-in sheet and must
    /// mark every seat. A row with a room and sitting but no 准考证号 declares a room with
    /// nobody absent (and may carry its counts). The wide form, a keyed sign-in sheet: 准考证号
    /// and a column per subject (综合知识, 案例分析, 论文, 基础知识, 应用技术) holding the mark.
    /// Every number must be seated in the room and sitting named; an unknown number, a mark
    /// given twice, counts that do not add up (应到 = 实到 + 缺考) or differ from the rows:
    /// the whole file is refused, every problem named. A corrected file may be imported
    /// again (added / changed / unchanged); each import is a batch: `kaowu review undo N`
    /// restores the states it changed. A void result follows from a violation, not from
    /// this file.
    #[command(after_help = examples(&[
        "kaowu attendance import 考勤.xlsx --dry-run",
        "kaowu attendance import absent.csv",
    ]))]
    Import(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum ScoresCommand {
    /// Decide who passed (合格): every subject of the level at or above its pass mark in
    /// this session.
    ///
    /// The mark is 45 of 75 unless `kaowu session set --pass-mark SUBJECT=SCORE` says
    /// otherwise. There is no carry-over, exemption or make-up in 软考: an absent subject, a
    /// subject without a score, and one a violation case voids (违纪, or a case recorded with
    /// `kaowu violations`) fail. Each decision that changes is journalled; run it again
    /// after a corrected score file or a recheck.
    #[command(after_help = examples(&[
        "kaowu scores judge --dry-run",
        "kaowu scores judge --yes",
    ]))]
    Judge {
        #[command(flatten)]
        confirm: Confirm,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecheckCommand {
    /// Record one score-recheck request (复核申请).
    ///
    /// Only within the session's recheck window (`kaowu session set --recheck-opens DATE
    /// --recheck-closes DATE`) and only for a subjective paper with a score: 案例分析, 应用技术 or
    /// 论文, never 综合知识 or 基础知识 (machine-marked). A paper is rechecked once. The request
    /// gets a reference, <session>-FH0001.
    #[command(after_help = examples(&[
        "kaowu recheck add --card-no 26201100100202 --subject 案例分析\n--on 2027-01-06 --yes",
    ]))]
    Add {
        /// The candidate's admit-card number (准考证号).
        #[arg(long)]
        card_no: String,
        /// The paper to recheck: 案例分析, 应用技术 or 论文.
        #[arg(long)]
        subject: String,
        /// The date of the request (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        on: String,
        /// The candidate's ID number, checked against the admit card's holder.
        #[arg(long)]
        id_number: Option<String>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Record recheck requests from a file, a row per paper.
    ///
    /// Columns: 准考证号, 证件号码 (optional, checked), 姓名 (optional), 科目, 申请日期. Every row
    /// is checked as `recheck add` checks one; one bad row refuses the file, every problem
    /// named.
    #[command(after_help = examples(&[
        "kaowu recheck import 复核申请.xlsx --dry-run",
    ]))]
    Import(ImportArgs),
    /// List the session's requests, their scores and the answers.
    #[command(after_help = examples(&[
        "kaowu recheck list --json",
    ]))]
    List,
    /// Write the pending requests for the national centre (XLSX, or CSV by the name).
    #[command(after_help = examples(&[
        "kaowu recheck export --out 复核申请汇总.xlsx",
    ]))]
    Export {
        /// The file to write: .xlsx, or .csv (UTF-8 with a BOM).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Every request, answered ones too.
        #[arg(long)]
        all: bool,
    },
    /// Record the centre's answers: the score after the recheck of each request.
    ///
    /// Columns: 复核编号 reference, 原成绩 (optional, checked), 复核后成绩, 复核结论 (optional
    /// note), 答复日期 (optional, today). A score that changes is journalled with its old value
    /// and the request's reference, and the candidate's pass decision is redone.
    #[command(after_help = examples(&[
        "kaowu recheck results 复核结果.xlsx",
    ]))]
    Results(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// The posts the seated session needs, per sitting and site, from the session's rules.
    ///
    /// Per site and sitting: one chief (主考), a patrol (巡视) per patrol.rooms rooms in use,
    /// a technician (技术) per tech.rooms computer rooms, the spares (备用), and each room's
    /// invigilators (监考): room.base up to room.up_to candidates, one more per room.step
    /// more (computer rooms by the computer.* rules). Set the rules with `kaowu session set
    /// --staff KEY=VALUE`. Also: how many on the staff list may take each role, and, once
    /// assigned, the duties per person (fewest, most, the spread).
    #[command(after_help = examples(&[
        "kaowu staff need",
        "kaowu staff need --json",
    ]))]
    Need,
    /// Fill every post from the staff list, reproducibly (the same seed, the same posts).
    ///
    /// Hard rules: one post per person at a time; only at the half-days they are available,
    /// in their exam area (考区) and at sites they may work at, within their caps (per day,
    /// in total); only roles they may take (a spare post also
    /// takes an invigilator); never in a room holding a candidate from their own employer
    /// (names compared without spaces, brackets or legal form) or a declared relative, nor
    /// as chief, patrol, technician or spare at a site holding a relative. Soft: duties
    /// spread evenly, whole days rather than half-days, the same room all day and the same
    /// site all session, an experienced person (监考经历) in every room. A post that cannot be filled stops the
    /// run, naming it; nothing is written. Posts held already are kept (a later run fills
    /// only new posts and releases those no longer needed). Undo with `kaowu review undo`.
    #[command(after_help = examples(&[
        "kaowu staff assign --seed 2026 --dry-run",
        "kaowu staff assign --seed 2026 --yes",
    ]))]
    Assign {
        /// The random seed [default: a random one, printed and stored].
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Check the posts held against every rule, and derive the assignment again.
    ///
    /// Exit 1 when a post is open or a rule is broken (each named); a post held that the
    /// seed no longer derives (the seating or the staff list changed since, or someone
    /// was replaced) is reported, not an error.
    #[command(after_help = examples(&[
        "kaowu staff verify",
    ]))]
    Verify,
    /// Move one person out of their posts after a decline, without moving anyone else.
    ///
    /// PERSON is the staff number (编号) or the ID number. Every post they hold (or those at
    /// --sitting) goes to the best free person who may take it; they are not given a post
    /// at those sittings again.
    #[command(after_help = examples(&[
        "kaowu staff replace 0007 --yes",
        "kaowu staff replace 0007 --sitting 2026-11-08上午 --yes",
    ]))]
    Replace {
        /// The staff number or ID number.
        person: String,
        /// Only the posts of this sitting (its label, or a half-day like 2026-11-08上午);
        /// may be given several times [default: every post they hold].
        #[arg(long, value_name = "SITTING")]
        sitting: Vec<String>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Write the staff documents: 监考安排表 per site, each person's list, badges, pay sheet.
    ///
    /// DIR/监考安排表_<考区>_<考点代码>.xlsx and .pdf (a row per post: date, sitting, room,
    /// role, name, employer, phone, a box to sign in); DIR/个人安排.xlsx (each person's own
    /// duties, to send them); DIR/工作证.pdf (a badge per person, laid out by
    /// templates/staff_badge.json, with the photo <证件号码>.jpg from --photos when there);
    /// DIR/劳务费发放表.xlsx (姓名, 证件号码, 单位, 角色, duties, rate, 应发, tax withheld, 实发,
    /// bank card, signature; a subtotal per site and the total). The bank card appears on the
    /// pay sheet only.
    #[command(after_help = examples(&[
        "kaowu staff documents --out 考务",
        "kaowu staff documents --out 考务 --photos 考务照片",
    ]))]
    Documents {
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A folder of badge photos named by ID number (<证件号码>.jpg).
        #[arg(long, value_name = "DIR")]
        photos: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertificatesCommand {
    /// Import the certificate list (证书), matched to the pass list.
    ///
    /// Columns: 证书编号 cert_no, 准考证号, 证件号码 (both must name one candidate who passed:
    /// a certificate matching nobody on the pass list refuses the file), 姓名 and 资格名称
    /// (optional), 领取方式 (现场领取 or 邮寄), 邮寄地址 and 联系电话 (for post). --received is
    /// the day the certificates came in: the five years an unclaimed one is kept start then.
    #[command(after_help = examples(&[
        "kaowu certificates import 证书.xlsx --received 2027-03-01",
    ]))]
    Import {
        #[command(flatten)]
        import: ImportArgs,
        /// The day the certificates were received (YYYY-MM-DD) [default: today].
        #[arg(long, value_name = "DATE")]
        received: Option<String>,
    },
    /// Write the hand-out sheets (发放签收表) per exam area, PDF and XLSX, and the mail list.
    ///
    /// DIR/发放签收表_<考区>.pdf and .xlsx: 序号, 姓名, masked ID, 资格名称, 证书编号, the pickup day,
    /// 方式, 领取人 and a box to sign in; the certificates collected in person are spread over
    /// --days days from --from by number range. DIR/邮寄名单.xlsx lists those going by post,
    /// with their waybills once sent.
    #[command(after_help = examples(&[
        "kaowu certificates sheets --out 证书发放 --from 2027-03-02 --days 3\n--place 昆明市人力资源和社会保障局一楼大厅",
    ]))]
    Sheets {
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The first pickup day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// How many days the pickup runs.
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Where certificates are collected, printed on the sheet.
        #[arg(long, default_value = "")]
        place: String,
    },
    /// Record one certificate handed out, to the candidate or a proxy (代领).
    ///
    /// NUMBER is the 证书编号 or the holder's 准考证号. A proxy needs --proxy-name, --proxy-id
    /// (checked by GB 11643) and --letter: the 委托书 (letter of authority) was seen.
    #[command(after_help = examples(&[
        "kaowu certificates issue 2026H20100001 --to self --on 2027-03-02 --yes",
        "kaowu certificates issue 2026H20100002 --to proxy --proxy-name 李华\n--proxy-id 11010519491231002X --letter --yes",
    ]))]
    Issue {
        /// The certificate number, or the holder's admit-card number.
        number: String,
        /// self (本人) or proxy (代领).
        #[arg(long)]
        to: String,
        /// The proxy's name.
        #[arg(long)]
        proxy_name: Option<String>,
        /// The proxy's ID number.
        #[arg(long)]
        proxy_id: Option<String>,
        /// The candidate's 委托书 (letter of authority) was seen.
        #[arg(long)]
        letter: bool,
        /// The day it was handed out (YYYY-MM-DD) [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Record certificates sent by post, from the courier's waybills.
    ///
    /// Columns: 证书编号, 运单号 waybill, 寄出日期 (optional, today).
    #[command(after_help = examples(&[
        "kaowu certificates waybills 邮寄单号.xlsx",
    ]))]
    Waybills(ImportArgs),
    /// Count certificates per exam area: handed out, posted, still held, and when the
    /// five years of keeping end for those held.
    #[command(after_help = examples(&[
        "kaowu certificates held --json",
    ]))]
    Held {
        /// The day to count on [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoomlogCommand {
    /// Record room logs (考场记录单) from a file, a row per room and sitting.
    ///
    /// Columns: 考点代码, 考场号, 场次 (site_code, room, sitting), 应到, 实到, 缺考 (expected,
    /// present, absent), 换机, 断电 (machine_swaps, power_cuts: counts), 延时 (delay_minutes),
    /// 情况记录 (notes), 监考人员 (invigilators: two names), 主考 (chief). 应到 must be the
    /// room's seated count and equal 实到 + 缺考; where attendance of the room is recorded, the
    /// counts must agree with it (实到: came to at least one subject of the sitting). A room
    /// logged before is replaced by the file's row.
    #[command(after_help = examples(&[
        "kaowu roomlog import 考场记录.xlsx",
    ]))]
    Import(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum ViolationsCommand {
    /// Record one violation case, found on site, on video or by identical answers.
    ///
    /// The clause decides what follows: §6.1-6.10, §9 and §11 void that subject's result;
    /// §7.1-7.6 void the session and record five years in the integrity record (诚信档案);
    /// §8.1-8.3 void the session with a long-term record; §10 voids a certificate or score
    /// proof. Evidence files are fingerprinted (SHA-256), not copied. A candidate who
    /// refuses to sign needs two witnesses (--witness twice).
    #[command(after_help = examples(&[
        "kaowu violations add --card-no 26201100100101 --subject 综合知识 --clause 6.1\n--found-by 现场 --at \"2026-11-07 09:40\" --facts \"携带手机进入座位\"\n--evidence IMG_0012.jpg --yes",
    ]))]
    Add(ViolationAddArgs),
    /// Record violation cases from a file, a row per case.
    ///
    /// Columns: 准考证号, 科目, 发生时间, 发现方式 (现场/视频/雷同), 违纪违规事实, 适用条款
    /// (6.3 or 第六条第三项), 本人签字 (是/否), 见证人 (two names, when not signed), 证据
    /// (file names separated by ; relative to the file), and optionally 案件编号. A case number
    /// already recorded is refused: a case is recorded once and then moves by `violations
    /// step`.
    #[command(after_help = examples(&[
        "kaowu violations import 违纪.xlsx --dry-run",
    ]))]
    Import(ImportArgs),
    /// List the session's cases with their clause, consequence and step.
    #[command(after_help = examples(&[
        "kaowu violations list --json",
    ]))]
    List,
    /// Take a case to its next legal step: 告知, 申辩, 决定 or 送达.
    ///
    /// The steps, in order: 告知 (the notice of the proposed decision served), 申辩 (the
    /// candidate's statement received), 决定 (the decision made), 送达 (the decision served).
    /// 申辩 may be passed over when no statement came within the notice's time. A step's
    /// date is never before the last one's, and a step is never taken back.
    #[command(after_help = examples(&[
        "kaowu violations step 2026H2-0001 --to 告知 --on 2026-11-10 --yes",
        "kaowu violations step 2026H2-0001 --to 决定 --on 2026-11-20 --yes",
    ]))]
    Step {
        /// The case number (案件编号).
        case: String,
        /// The step: 告知, 申辩, 决定 or 送达 (notified, statement, decided, served).
        #[arg(long)]
        to: String,
        /// The step's date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        on: String,
        /// With 申辩: what the candidate stated, in short.
        #[arg(long)]
        statement: Option<String>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Write each case's documents as PDF.
    ///
    /// DIR/<案件编号>_记录单.pdf for every case (违纪违规行为记录单), and once the case is
    /// that far its _告知书.pdf and _决定书.pdf; laid out by
    /// templates/violation_documents.json (or --template FILE), where the office rewords
    /// the texts, the days given to state a case and the appeal paragraph.
    #[command(after_help = examples(&[
        "kaowu violations documents --out violations",
    ]))]
    Documents {
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The layout to use instead of the one built in (a JSON file like
        /// templates/violation_documents.json; its font path is relative to it).
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
    },
    /// Write the register of cases sent upward (违纪违规人员登记表), XLSX.
    #[command(after_help = examples(&[
        "kaowu violations register --out 违纪登记表.xlsx",
    ]))]
    Register {
        /// The workbook to write (.xlsx).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ViolationAddArgs {
    /// The candidate's admit-card number (准考证号).
    #[arg(long)]
    pub card_no: String,
    /// The subject being written (科目).
    #[arg(long)]
    pub subject: String,
    /// The clause of 人社部令第31号: 6.3, 7.1, 8.2, 9, 10, 11 or 第六条第三项.
    #[arg(long)]
    pub clause: String,
    /// How it was found: 现场, 视频 or 雷同 (on site, video, identical answers).
    #[arg(long)]
    pub found_by: String,
    /// When it happened (YYYY-MM-DD HH:MM).
    #[arg(long)]
    pub at: String,
    /// The facts, as recorded in the room.
    #[arg(long)]
    pub facts: String,
    /// An evidence file (photo, video, answer sheet scan); repeat for several.
    #[arg(long, value_name = "FILE")]
    pub evidence: Vec<PathBuf>,
    /// The candidate refused to sign the record (then two --witness are needed).
    #[arg(long)]
    pub refused: bool,
    /// A staff member who witnessed the refusal; twice.
    #[arg(long, value_name = "NAME")]
    pub witness: Vec<String>,
    /// The case number [default: <session>-NNNN, the next free].
    #[arg(long)]
    pub case_no: Option<String>,
    /// The date of the record [default: the date of --at].
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    #[command(flatten)]
    pub confirm: Confirm,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write rosters (名册): a file per exam area, site, or room and sitting, in XLSX or CSV.
    ///
    /// Once an application is seated it has one row per seat (a 高级 candidate sits twice:
    /// two rows, each with its sitting, date, room and seat), in site, room, sitting and seat
    /// order; applications without a seat follow in 报名序号 order. Per site or room, only
    /// seated applications can be placed: the others are left out and counted. Columns:
    /// 报名序号 姓名 性别 证件类型 证件号码 出生日期 手机号码 电子邮箱 通信地址 工作单位 考区 级别
    /// 报考资格 报考科目 状态 缴费金额 缴费时间 准考证号 考点代码 考点名称 考场号 座位号 场次 考试日期
    /// 考试时间.
    ///
    /// XLSX has the header frozen with filters, dates as dates and money as money (¥); CSV
    /// is UTF-8 with a BOM (or GBK) with CRLF line ends, as Excel reads it. Excel turns the
    /// long numbers of a CSV file opened by double-click into numbers and drops their last
    /// digits: give Excel the XLSX. DIR/manifest.json lists the files this export wrote, with
    /// rows and SHA-256; files of an earlier export that it does not list are not current.
    /// Only reads the database.
    #[command(after_help = examples(&[
        "kaowu export roster --by exam-area --out roster",
        "kaowu export roster --by room --public --out doors",
        "kaowu export roster --by site --status seated --format csv\n--encoding gbk --out csv",
        "kaowu export roster --by exam-area --status approved --status paid\n--one-file --out lists",
    ]))]
    Roster(RosterArgs),
    /// Write the pass list (合格名单), a file per exam area, from `kaowu scores judge`.
    ///
    /// DIR/合格名单_<考区>.xlsx for staff: 准考证号, 姓名, 性别, 证件号码, 级别, 资格名称, 考区,
    /// the morning, afternoon and essay scores, 工作单位, 手机号码. With --public the list to
    /// post, DIR/合格名单_<考区>_公示.xlsx: 准考证号, 姓名, the ID number masked
    /// (530102********1234), 级别, 资格名称. Sorted by level (高级 first), qualification and
    /// admit-card number. Only reads the database.
    #[command(after_help = examples(&[
        "kaowu export pass-list --out 合格名单",
        "kaowu export pass-list --public --format csv --out 公示",
    ]))]
    PassList(PassListArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PassListArgs {
    /// The list to post: ID numbers masked, no phone, employer or scores.
    #[arg(long)]
    pub public: bool,
    /// The file format (CSV is UTF-8 with a BOM).
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: RosterFormat,
    /// The folder to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RosterBy {
    /// A file per exam area (考区), with every selected application.
    ExamArea,
    /// A file per site (考点), with the seated applications.
    Site,
    /// A file per room (考场) and sitting, with the seated applications in seat order.
    Room,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RosterFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RosterEncoding {
    /// UTF-8 with a BOM, so that Excel shows Chinese right.
    #[value(name = "utf8", alias = "utf-8")]
    Utf8,
    /// GBK, as Excel on Chinese Windows saves and reads CSV; refused, with the candidate
    /// and the character, when a text holds a character GBK lacks (such as 㛃).
    #[value(name = "gbk", alias = "cp936")]
    Gbk,
    /// GB18030, GBK's superset: characters outside GBK as its four-byte sequences, which
    /// readers of GBK alone cannot show.
    #[value(name = "gb18030")]
    Gb18030,
}

#[derive(Debug, Clone, Args)]
pub struct RosterArgs {
    /// One file per exam area, site, or room and sitting.
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: RosterBy,
    /// Only applications in this state; repeat for several: submitted, approved, rejected,
    /// paid, seated, expired, withdrawn (or 待审核, 审核通过, ...) [default: every state].
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,
    /// The file format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: RosterFormat,
    /// The encoding of CSV files [default: utf8].
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub encoding: Option<RosterEncoding>,
    /// One workbook, DIR/名册.xlsx, with a sheet per exam area, site or room (XLSX only).
    #[arg(long)]
    pub one_file: bool,
    /// A list to post: ID numbers masked (530102********1234), phone numbers masked
    /// (138****5678), and no 通信地址, 电子邮箱, 工作单位 or 出生日期 (which the masked ID number
    /// hides). Without it the list is the full one, for staff.
    #[arg(long)]
    pub public: bool,
    /// The folder to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum SeatCommand {
    /// Seat every paid candidate, at random but reproducibly, and number their admit cards.
    ///
    /// A candidate sits all their sittings at one site of the exam area they chose, and where
    /// the rooms allow in the same room and seat all day (a 高级 candidate's morning and
    /// afternoon); the rooms of a site are planned for all its sittings at once, and
    /// candidates of one qualification sit together where the rooms allow. The seed (given,
    /// or drawn and printed) and a fingerprint of the inputs are stored: the same inputs and
    /// seed give the same seating on any machine and either database (`kaowu seat verify`).
    /// All or nothing: when an exam area has fewer seats than candidates in a sitting, or no
    /// site with a seat in each sitting of some candidates, nothing is stored and what is
    /// missing is named. Admit-card numbers come from the session's template ({area} is the
    /// exam area's number in name order, {siteno} the site's number in its area).
    #[command(after_help = examples(&[
        "kaowu seat assign --seed 20261107 --dry-run",
        "kaowu seat assign --reseat 丽江 --yes",
        "kaowu seat assign --seed 20261107 --allow-split --yes",
    ]))]
    Assign {
        /// The random seed [default: drawn, and printed].
        #[arg(long)]
        seed: Option<u64>,
        /// Seat this exam area again (its candidates move; nobody else does).
        #[arg(long, value_name = "AREA")]
        reseat: Option<String>,
        /// Let a candidate whom no site of the area can hold in every sitting sit at two
        /// sites (journalled; their card names each site with its address).
        #[arg(long)]
        allow_split: bool,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Derive each stored seating again from its seed and inputs, and check every rule.
    ///
    /// Exit 1 when a seating does not match its derivation or a rule is broken.
    #[command(after_help = examples(&[
        "kaowu seat verify",
    ]))]
    Verify,
    /// Seat the paid candidates who have no seat yet (late payers) without moving anyone.
    ///
    /// Each in a seat free in all their sittings (a room already running their qualification
    /// first), else at one site; a candidate no site can hold stops the run unless
    /// --allow-split.
    #[command(after_help = examples(&[
        "kaowu seat add --yes",
    ]))]
    Add {
        /// Let a candidate whom no site can hold in every sitting sit at two sites
        /// (journalled).
        #[arg(long)]
        allow_split: bool,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Release a candidate's seats (the candidate returns to paid; nobody else moves).
    #[command(after_help = examples(&[
        "kaowu seat release 20260000007 --reason \"考点调整\" --yes",
    ]))]
    Release {
        /// The 报名序号.
        registration_no: String,
        /// Why, for the journal.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        confirm: Confirm,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApplicationsCommand {
    /// List applications, filtered: a table, or --json / --csv for scripts.
    ///
    /// Filters combine. --name and --id-number take part of the value, or a pattern with *
    /// (5301*, *1234, 张*).
    #[command(after_help = examples(&[
        "kaowu applications list --id-number 5301* --status approved",
        "kaowu applications list --exam-area 昆明 --flag photo_background\n--csv > list.csv",
    ]))]
    List {
        #[command(flatten)]
        filter: ListFilter,
        /// Print CSV (UTF-8) instead of a table.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Show one application: its fields, state, flags, fee due (with the fee rows it comes
    /// from), payments and history.
    #[command(after_help = examples(&[
        "kaowu applications show 20260000007",
    ]))]
    Show {
        /// The 报名序号.
        registration_no: String,
    },
    /// Correct applications from a file: 报名序号, only the columns to change, and 原因.
    ///
    /// The columns are those of the applications import (Chinese or English names); an
    /// empty cell leaves that field as it is. Each value is checked as the import checks it,
    /// the flags are checked again afterwards, and every changed field is journalled with its
    /// old and new value. A rejected application that is corrected returns to review.
    /// Preview, --yes, --dry-run; `kaowu review undo BATCH` restores the applications.
    #[command(after_help = examples(&[
        "kaowu applications fix moves.xlsx --yes",
    ]))]
    Fix {
        /// The corrections (CSV/XLSX/XLS).
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// The folder new 照片 names are in.
        #[arg(long, value_name = "DIR")]
        photos: Option<PathBuf>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Correct fields of one application: 字段=值 pairs (Chinese or English field names).
    #[command(after_help = examples(&[
        "kaowu applications set 20260000007 姓名=孙瑞 --reason \"考生来电更正\" --yes",
    ]))]
    Set {
        /// The 报名序号.
        registration_no: String,
        /// Field changes, e.g. 姓名=孙瑞 or exam_area=曲靖; `字段=` clears an optional field.
        #[arg(required = true, value_name = "FIELD=VALUE")]
        changes: Vec<String>,
        /// Why (原因), for the journal.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The folder a new 照片 name is in.
        #[arg(long, value_name = "DIR")]
        photos: Option<PathBuf>,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Withdraw an application (the candidate gives up).
    ///
    /// From any state but withdrawn. A paid application's payment is refunded only with
    /// --refund, which puts it on the refund list of `kaowu payments reconcile`.
    #[command(after_help = examples(&[
        "kaowu applications withdraw 20260000007 --reason \"考生申请放弃\" --yes",
    ]))]
    Withdraw {
        /// The 报名序号.
        registration_no: String,
        /// Why (原因), for the journal.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Refund what it paid (the office's decision).
        #[arg(long)]
        refund: bool,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Replace an application's photo, after a check against the session's photo rules.
    ///
    /// The old fingerprint stays in the journal; undo restores it.
    #[command(after_help = examples(&[
        "kaowu applications photo 20260000007 new/20260000007.jpg\n--reason \"考生重新上传\" --yes",
    ]))]
    Photo {
        /// The 报名序号.
        registration_no: String,
        /// The new photo (JPEG); it stays where it is.
        file: PathBuf,
        /// Why (原因), for the journal.
        #[arg(long, value_name = "TEXT", default_value = "photo replaced")]
        reason: String,
        #[command(flatten)]
        confirm: Confirm,
    },
}

/// Filters of `applications list`.
#[derive(Debug, Clone, Default, Args)]
pub struct ListFilter {
    /// In this state (submitted, approved, rejected, paid, seated, expired, withdrawn, or
    /// the Chinese term).
    #[arg(long)]
    pub status: Option<String>,
    /// Of this exam area (考区).
    #[arg(long, value_name = "AREA")]
    pub exam_area: Option<String>,
    /// Of this level (初级, 中级, 高级).
    #[arg(long)]
    pub level: Option<String>,
    /// For this qualification (报考资格).
    #[arg(long, value_name = "NAME")]
    pub qualification: Option<String>,
    /// With this flag from the last check.
    #[arg(long, value_name = "CODE")]
    pub flag: Option<String>,
    /// Name (姓名), part of it or a pattern with *.
    #[arg(long)]
    pub name: Option<String>,
    /// ID number (证件号码), part of it or a pattern with *, e.g. 5301*.
    #[arg(long, value_name = "PATTERN")]
    pub id_number: Option<String>,
    /// Submitted (提交时间) on or after this date.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SamplesCommand {
    /// Write a synthetic session: plan, fees, sites for 云南 and N applications with JPEG photos.
    ///
    /// Names, ID numbers (valid for the chosen exam area's region), contacts and photos are
    /// realistic; some applications carry a planted problem (every kind at least once, then
    /// at --invalid's rate) that `kaowu review check` must flag. The same seed gives the same
    /// files.
    #[command(after_help = examples(&[
        "kaowu samples generate --applications 10000 --out /tmp/big",
    ]))]
    Generate(GenerateArgs),
    /// Write a gateway export and a statement for the session's approved applications, with
    /// planted discrepancies.
    ///
    /// Reads the database: most approved applications pay once (some after a failed try),
    /// some do not pay, and a few of each discrepancy are planted: two 掉单 (the gateway says
    /// 处理中 or 失败, the statement has the money), two duplicate payments, one wrong amount,
    /// one payment for a rejected application and one for an unknown 报名序号. Writes
    /// payments.csv (GBK, as the gateway exports it) and statement.xlsx (a bank statement
    /// with a title row and columns kaowu ignores), and prints what was planted.
    #[command(after_help = examples(&[
        "kaowu samples payments --out /tmp/pay",
    ]))]
    Payments {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write what the sites send back after the exam, for the session seated in the database.
    ///
    /// Reads the seating: about a quarter of the candidates stay away, a few miss the first
    /// subject or leave after it, a few leave early. Writes 缺考名单.csv (GBK: each room's
    /// counts and its absent, per subject where a candidate missed only one), 签到表录入.xlsx
    /// (every sixth room and sitting as a keyed sign-in sheet, a mark per subject),
    /// 考场记录.xlsx (every room's log, with machine swaps and the odd power cut) and 违纪.xlsx
    /// (cases under §6, §7, §8, §9 and §11 of 人社部令第31号, one refused signature, an evidence
    /// photo each in evidence/). The same seed gives the same files.
    #[command(after_help = examples(&[
        "kaowu samples exam-day --out returns",
        "kaowu attendance import returns/缺考名单.csv",
    ]))]
    ExamDay {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write the national centre's score file for the seated session, and recheck requests.
    ///
    /// DIR/成绩.csv in the centre's columns (KSSJ ZGMC ZKZH ZJH XM SWCJ XWCJ LWCJ): 缺考 where
    /// attendance recorded the candidate absent, 违纪 where a case voids the subject, and
    /// otherwise scores spread as 软考's are (10 to 30 per cent pass). With the session's
    /// recheck window set, DIR/复核申请.csv: some of those a little under the mark on a
    /// subjective paper ask for a recheck.
    #[command(after_help = examples(&[
        "kaowu samples scores --out centre",
        "kaowu import scores centre/成绩.csv",
    ]))]
    Scores {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write a staff list (考务人员.csv) for the seated session: tight, ample or infeasible.
    ///
    /// Reads the posts the seating needs (`kaowu staff need`) and writes people for them,
    /// each exam area's (考区) for its own posts: employers drawn from the candidates' (so that 交叉监考 matters), some with declared
    /// relatives among the candidates, some available only some half-days, some bound to
    /// or kept from a site, a few with bank cards missing; badge photos in staff-photos/
    /// (<证件号码>.jpg) for most. tight: just enough people for every post within the caps;
    /// ample: a third more; infeasible: the chiefs (主考) of one area one short of its posts.
    #[command(after_help = examples(&[
        "kaowu samples staff --out staff",
        "kaowu import staff staff/考务人员.csv",
    ]))]
    Staff {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// tight, ample or infeasible.
        #[arg(long, default_value = "ample", value_parser = ["tight", "ample", "infeasible"])]
        shape: String,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write the certificate list (证书.csv) of those who passed, some asking for post.
    #[command(after_help = examples(&[
        "kaowu samples certificates --out centre",
        "kaowu certificates import centre/证书.csv --received 2027-03-01",
    ]))]
    Certificates {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write the centre's answers (复核结果.csv) to the pending rechecks.
    #[command(after_help = examples(&[
        "kaowu samples recheck-answers --out centre",
        "kaowu recheck results centre/复核结果.csv",
    ]))]
    RecheckAnswers {
        /// The folder to write to (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// How many applications.
    #[arg(long, default_value_t = 1000)]
    pub applications: usize,
    /// The folder to write to (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The random seed.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Share of applications with a planted problem, beyond one of each kind.
    #[arg(long, default_value_t = 0.05)]
    pub invalid: f64,
    /// The applications file: CSV (as the portal exports) or XLSX with a title row.
    #[arg(long, value_enum, default_value_t = SampleFormat::Csv)]
    pub format: SampleFormat,
    /// The CSV encoding.
    #[arg(long, value_enum, default_value_t = Encoding::Gbk)]
    pub encoding: Encoding,
    /// Write only applications.* and photos/, not plan, fees and sites.
    #[arg(long)]
    pub applications_only: bool,
    /// Do not write photos/ (for a second format of the same applications).
    #[arg(long)]
    pub no_photos: bool,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// List the plan in exam order: date, time, qualification, subject.
    #[command(after_help = examples(&[
        "kaowu plan list --level 高级",
    ]))]
    List {
        /// Only qualifications of this level (初级, 中级, 高级).
        #[arg(long)]
        level: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// List rooms by exam area, site and room, with seats.
    #[command(after_help = examples(&[
        "kaowu sites list --exam-area 丽江",
    ]))]
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
    #[command(after_help = examples(&[
        "kaowu session create 2026H2 --name 2026年下半年 --province 云南",
    ]))]
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
    #[command(after_help = examples(&["kaowu session list", "kaowu session list --json"]))]
    List,
    /// Show a session and its settings [default: the current session].
    #[command(after_help = examples(&["kaowu session show", "kaowu session show 2026H1"]))]
    Show {
        /// Session code [default: --session, KAOWU_SESSION, or the only session].
        code: Option<String>,
    },
    /// Change the settings of the current session.
    #[command(after_help = examples(&[
        "kaowu session set --photo-min-size 30K --payment-closes \"2026-09-05 23:59\"",
    ]))]
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
    /// Admit-card number (准考证号) template [create default: {yy}{half}{area2}{sitting1}{site3}{room3}{seat2}].
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
    /// The first day score rechecks (复核) are accepted, e.g. 2027-01-05.
    #[arg(long, value_name = "DATE", help_heading = "Settings")]
    pub recheck_opens: Option<String>,
    /// The last day score rechecks are accepted (7 to 15 days after the scores, in most
    /// provinces).
    #[arg(long, value_name = "DATE", help_heading = "Settings")]
    pub recheck_closes: Option<String>,
    /// A subject's pass mark in this session, e.g. 论文=45 or 应用技术=42.5 [default: 45 of 75
    /// in every subject]; may be given for several subjects.
    #[arg(long, value_name = "SUBJECT=SCORE", help_heading = "Settings")]
    pub pass_mark: Vec<String>,
    /// A staffing rule or pay rate, e.g. room.up_to=30, patrol.rooms=8, spares=2,
    /// cap.day=2, rate.监考=200, tax=labour; may be given several times (`kaowu staff need`
    /// lists the rules and their values).
    #[arg(long, value_name = "KEY=VALUE", help_heading = "Settings")]
    pub staff: Vec<String>,
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
            name: None,
        }
    }
}

/// The file of an import and how to read it.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file: .csv (UTF-8, UTF-16 or GBK), .xlsx, .xls or .ods; - reads standard input
    /// (the format from its first bytes).
    pub file: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub change: DryRun,
    /// With --dry-run or after an import, list every row added or changed.
    #[arg(long, short)]
    pub verbose: bool,
    /// Standard input's copy, when the file is `-` (see [`ImportArgs::with_stdin`]).
    #[arg(skip)]
    pub stdin: Option<std::sync::Arc<crate::io::input::Spooled>>,
}

impl ImportArgs {
    /// These arguments with standard input read, when the file is `-`.
    pub fn with_stdin(&self) -> std::io::Result<ImportArgs> {
        let mut out = self.clone();
        if crate::io::input::is_stdin(&self.file) && self.stdin.is_none() {
            out.stdin = Some(std::sync::Arc::new(crate::io::input::spool_stdin()?));
        }
        Ok(out)
    }

    /// The file to read: the one named, or standard input's copy.
    pub fn source(&self) -> &std::path::Path {
        self.stdin.as_ref().map_or(&self.file, |s| &s.path)
    }

    /// The file as messages and the import record name it: as given, or `<stdin>`.
    pub fn shown(&self) -> String {
        match self.stdin {
            Some(_) => crate::io::input::STDIN_NAME.to_string(),
            None => self.file.display().to_string(),
        }
    }

    /// How to read it, naming it as [`ImportArgs::shown`] does.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            name: Some(self.shown()),
            ..self.read.options()
        }
    }
}

/// The applications import: a file and its photo folder.
#[derive(Debug, Clone, Args)]
pub struct ApplicationsImportArgs {
    #[command(flatten)]
    pub import: ImportArgs,
    /// The folder the 照片 names are in [default: photos/ beside the file, else the file's folder].
    #[arg(long, value_name = "DIR")]
    pub photos: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import the exam plan (考试计划): qualifications, subjects and sittings.
    ///
    /// Columns: 级别 level, 资格名称 qualification, 资格代码 qualification_code (optional),
    /// 科目 subject, 场次 sitting, 考试日期 date, 开始时间 start, 结束时间 end. Rows are
    /// matched by qualification + subject, so importing a file again changes only what
    /// changed.
    #[command(after_help = examples(&[
        "kaowu import plan samples/plan.xlsx --dry-run",
    ]))]
    Plan(ImportArgs),
    /// Import fees (收费标准), yuan per subject.
    ///
    /// Columns: 地区 region (the province or 全省 for every exam area, or one exam area),
    /// 级别 level, 资格名称 qualification (blank: every qualification of the level), 科目
    /// subject (blank: every subject), 金额 amount, 生效日期 effective_from, 失效日期
    /// effective_to (optional). Import the plan and sites first: rows are checked against
    /// them.
    #[command(after_help = examples(&[
        "kaowu import fees samples/fees.xlsx",
    ]))]
    Fees(ImportArgs),
    /// Import applications (报名信息) from the portal's export, with their photos.
    ///
    /// Columns as the registration form: 报名序号 registration_no, 姓名 name, 证件类型 id_type,
    /// 证件号码 id_number, 性别 gender, 出生日期 birth_date, 报考级别 level, 报考资格
    /// qualification, 报考科目 subjects (e.g. 基础知识,应用技术), 考区 exam_area, 现有职称 title,
    /// 工作单位 employer, 所在学校 school, 所学专业 major, 学历 education, 学位 degree, 毕业时间
    /// graduation_date, 通信地址 address, 手机号码 mobile, Email email, 邮政编码 postcode, 固定电话
    /// phone, 照片 photo (a file name in the photo folder), 提交时间 submitted_at.
    ///
    /// The file is refused (nothing written) when a row cannot be understood; everything else
    /// becomes a flag of `kaowu review check`. Rows are matched by 报名序号: unchanged ones stay,
    /// changed ones are updated, and a rejected one that comes back changed is submitted again.
    #[command(after_help = examples(&[
        "kaowu import applications samples/applications.csv --photos samples/photos",
    ]))]
    Applications(ApplicationsImportArgs),
    /// Import the payment gateway's order export (缴费记录).
    ///
    /// Columns: 支付单号 order_no, 报名序号 registration_no, 金额 amount, 支付时间 paid_at,
    /// 支付网关 channel, 支付结果 result (成功 / 失败 / 处理中, or success / failed /
    /// pending). Orders are matched by 支付单号, so importing the same file again changes
    /// nothing. A successful payment of the fee due for an approved application makes it paid
    /// (已缴费), in the journal; every other payment is listed with why and left for
    /// `kaowu payments reconcile`.
    #[command(after_help = examples(&[
        "kaowu import payments samples/payments.csv",
    ]))]
    Payments(ImportArgs),
    /// Import exam sites (考点) and rooms (考场).
    ///
    /// Columns: 考区 exam_area, 考点代码 site_code, 考点名称 site_name, 考点地址 address, 考场号
    /// room, 座位数 seats, 停用座位 disabled_seats (optional, e.g. 5,17 or 3-6).
    #[command(after_help = examples(&[
        "kaowu import sites samples/sites.csv",
    ]))]
    Sites(ImportArgs),
    /// Import the staff list (考务人员): who may work at the exam, and when.
    ///
    /// Columns: 姓名 name, 证件号码 id_number (GB 11643), 工作单位 employer, 手机 phone, 性别
    /// gender (optional), 岗位 roles (监考, 主考, 巡视, 技术, 备用; several with 、), 可用时间
    /// available (half-days like 2026-11-08上午, 2026-11-08全天; blank: any), 每日上限 cap_day
    /// and 总上限 cap_total (blank: the session's cap.day and cap.total), 指定考点 and 回避考点
    /// (site codes, or 考区/代码), 亲属证件号码 relatives (ID numbers of relatives who sit the
    /// exam), 监考经历 experience (duties served before), 银行卡号 bank_card (printed on the pay
    /// sheet only), 编号 staff_no (optional; numbered 0001… in file order). Rows are matched
    /// by ID number.
    #[command(after_help = examples(&[
        "kaowu import staff 考务人员.xlsx --dry-run",
    ]))]
    Staff(ImportArgs),
    /// Import the national centre's score file (成绩): a row per candidate.
    ///
    /// Columns, with the centre's pinyin initials: KSSJ 考试时间 (optional: 2026年下半年,
    /// 202611), ZGMC 资格名称 (optional), ZKZH 准考证号, ZJH 证件号码, XM 姓名 (optional),
    /// SWCJ 上午成绩, XWCJ 下午成绩, LWCJ 论文成绩 (高级 only; - where a level writes no essay).
    /// A score runs 0 to 75 with at most one decimal; 缺考 and 违纪 are kept as such. Each row
    /// must name a candidate of this session by admit-card number and ID number both; a
    /// 姓名 that differs is flagged and the scores kept. An unknown number, an ID number of
    /// someone else, a score out of range, a row of another session: the whole file is
    /// refused, every problem named. A corrected file may be imported again; the pass
    /// decisions follow with `kaowu scores judge`.
    #[command(after_help = examples(&[
        "kaowu import scores 成绩.csv --dry-run",
    ]))]
    Scores(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum FeesCommand {
    /// Quote the fee of each subject of a qualification in an exam area, and the total.
    ///
    /// Shows which fee row each amount comes from. An exam area's own rows win over the
    /// province's; a row for one qualification or one subject wins over the level-wide row.
    #[command(after_help = examples(&[
        "kaowu fees quote --exam-area 丽江 --qualification 电子商务设计师\n--on 2026-09-01",
    ]))]
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
    #[command(after_help = examples(&["kaowu fees list", "kaowu fees list --json"]))]
    List,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Each command's path and long help, printed 80 columns wide.
    fn helps(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        let help = cmd.clone().term_width(80).render_long_help().to_string();
        out.push((path.to_string(), help));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            helps(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn help_examples_keep_their_lines_on_an_80_column_terminal() {
        let mut cli = Cli::command();
        cli.build();
        let mut all = Vec::new();
        helps(&cli, "kaowu", &mut all);
        let mut without = Vec::new();
        for (path, help) in &all {
            let Some(at) = help.find("\nExamples:\n") else {
                without.push(path.as_str());
                continue;
            };
            let mut continued = false;
            for line in help[at + 11..].lines().take_while(|l| !l.is_empty()) {
                if continued {
                    assert!(line.starts_with("      --"), "{path}: {line:?}");
                } else {
                    assert!(line.starts_with("  kaowu "), "{path}: {line:?}");
                }
                assert!(line.matches("kaowu ").count() <= 1, "{path}: {line:?}");
                continued = line.ends_with(" \\");
            }
            assert!(!continued, "{path}: the last example goes on");
        }
        // Groups list their commands; every command that does something has examples.
        assert_eq!(
            without,
            [
                "kaowu",
                "kaowu session",
                "kaowu import",
                "kaowu fees",
                "kaowu plan",
                "kaowu sites",
                "kaowu review",
                "kaowu payments",
                "kaowu seat",
                "kaowu staff",
                "kaowu attendance",
                "kaowu roomlog",
                "kaowu violations",
                "kaowu scores",
                "kaowu recheck",
                "kaowu certificates",
                "kaowu applications",
                "kaowu export",
                "kaowu samples",
            ]
        );
        let top = &all[0].1;
        assert!(top.contains("\nStart here:\n  kaowu demo "), "{top}");
        for line in top[top.find("Start here:").unwrap()..].lines().skip(1) {
            assert!(
                line.is_empty() || line.starts_with("  kaowu ") || line.starts_with("Every"),
                "{line:?}"
            );
        }
    }
}
