//! `kaowu session create/list/show/set`: sessions and their settings.

use anyhow::Result;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::{Rejected, connect, current_session, now, print_json, table};
use crate::cli::{GlobalArgs, SessionCommand, SettingsArgs};
use crate::db::sessions::SessionRow;
use crate::model::date::parse_datetime;
use crate::model::score::Score;
use crate::model::session::{SessionCode, Settings, format_bytes, parse_bytes};

#[derive(Serialize)]
struct SessionView {
    code: String,
    name: String,
    province: String,
    created_at: NaiveDateTime,
    #[serde(flatten)]
    settings: Settings,
}

impl From<&SessionRow> for SessionView {
    fn from(s: &SessionRow) -> Self {
        SessionView {
            code: s.code.clone(),
            name: s.name.clone(),
            province: s.province.clone(),
            created_at: s.created_at,
            settings: s.settings(),
        }
    }
}

pub async fn run(g: &GlobalArgs, cmd: &SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::Create {
            code,
            name,
            province,
            settings,
            change,
        } => {
            let new = check_new_session(code, name.as_ref(), province, settings)?;
            create(g, new, change.dry_run).await
        }
        SessionCommand::List => list(g).await,
        SessionCommand::Show { code } => show(g, code.as_ref()).await,
        SessionCommand::Set {
            name,
            province,
            settings,
            change,
        } => {
            let edit = SessionEdit {
                name,
                province,
                settings,
                dry_run: change.dry_run,
            };
            set(g, &edit).await
        }
    }
}

/// A session as `session create` will write it, once its flags are checked.
struct NewSession {
    code: String,
    name: String,
    province: String,
    settings: Settings,
}

/// Checks the flags of `session create`: the code, the province and the settings.
/// Every settings problem is listed; nothing is read from the database.
fn check_new_session(
    code: &str,
    name: Option<&String>,
    province: &str,
    settings: &SettingsArgs,
) -> Result<NewSession> {
    let parsed = SessionCode::parse(code).map_err(|e| Rejected::one("session create", e))?;
    let code = parsed.code();
    let name = name.cloned().unwrap_or_else(|| parsed.default_name());
    let province = province.trim().trim_end_matches('省').to_string();
    if province.is_empty() {
        return Err(Rejected::one(
            "session create",
            "--province must name a province, e.g. 云南",
        )
        .into());
    }
    let s = apply(Settings::default(), settings).map_err(|p| Rejected {
        what: "session create".into(),
        problems: p,
    })?;
    Ok(NewSession {
        code,
        name,
        province,
        settings: s,
    })
}

/// Creates the checked session unless this is a dry run, refusing a code already in
/// use, and prints the session.
async fn create(g: &GlobalArgs, new: NewSession, dry_run: bool) -> Result<()> {
    let NewSession {
        code,
        name,
        province,
        settings: s,
    } = new;
    let db = connect(g).await?;
    let mut tx = db.begin_write().await?;
    if tx.session_by_code(&code).await?.is_some() {
        return Err(Rejected::one(
            "session create",
            format!(
                "session {code} already exists; change it with: kaowu session set --session {code}"
            ),
        )
        .into());
    }
    if !dry_run {
        tx.insert_session(&code, &name, &province, &s, now())
            .await?;
        tx.commit().await?;
    }
    let row = SessionView {
        code,
        name,
        province,
        created_at: now(),
        settings: s,
    };
    if g.json {
        return print_json(&row);
    }
    let verb = if dry_run {
        "would create (dry run, nothing written)"
    } else {
        "created"
    };
    outln!(
        "{verb} session {} {} ({})",
        row.code,
        row.name,
        row.province
    )?;
    print_settings(&row.settings)?;
    Ok(())
}

/// Lists every session, as JSON or as a table.
async fn list(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let all: Vec<SessionView> = tx.sessions().await?.iter().map(SessionView::from).collect();
    if g.json {
        return print_json(&all);
    }
    if all.is_empty() {
        outln!("no sessions yet: kaowu session create 2026H2 --province 云南")?;
        return Ok(());
    }
    let mut t = table(&["session", "name", "province", "created"]);
    for s in &all {
        t.add_row(vec![
            s.code.clone(),
            s.name.clone(),
            s.province.clone(),
            s.created_at.to_string(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

/// Shows one session and its settings: the one named, or else the current session.
async fn show(g: &GlobalArgs, code: Option<&String>) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let mut g2 = g.clone();
    if let Some(code) = code {
        g2.session = Some(code.clone());
    }
    let row = current_session(&mut tx, &g2).await?;
    let mut s = SessionView::from(&row);
    s.settings = tx.session_settings(&row).await?;
    if g.json {
        return print_json(&s);
    }
    outln!(
        "session {} {} ({}), created {}",
        s.code,
        s.name,
        s.province,
        s.created_at
    )?;
    print_settings(&s.settings)?;
    Ok(())
}

/// The flags of `session set`.
struct SessionEdit<'a> {
    name: &'a Option<String>,
    province: &'a Option<String>,
    settings: &'a SettingsArgs,
    dry_run: bool,
}

/// Changes the current session's name, province and settings unless this is a dry run,
/// and prints what changed.
async fn set(g: &GlobalArgs, edit: &SessionEdit<'_>) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin_write().await?;
    let row = current_session(&mut tx, g).await?;
    tx.lock_session(row.id).await?;
    let before = tx.session_settings(&row).await?;
    let after = apply(before.clone(), edit.settings).map_err(|p| Rejected {
        what: "session set".into(),
        problems: p,
    })?;
    let stored_rules = tx.staff_rules(row.id).await?;
    let (rule_changes, rule_pairs) =
        staff_rules(&stored_rules, &edit.settings.staff).map_err(|p| Rejected {
            what: "session set".into(),
            problems: p,
        })?;
    let new_name = edit.name.clone().unwrap_or_else(|| row.name.clone());
    let new_province = edit.province.clone().map_or_else(
        || row.province.clone(),
        |p| p.trim().trim_end_matches('省').to_string(),
    );
    let mut changes = Vec::new();
    if new_name != row.name {
        changes.push(format!("name: {} -> {new_name}", row.name));
    }
    if new_province != row.province {
        changes.push(format!("province: {} -> {new_province}", row.province));
    }
    changes.extend(settings_diff(&before, &after));
    changes.extend(rule_changes);
    if !edit.dry_run && !changes.is_empty() {
        tx.update_session(row.id, &new_name, &new_province, &after)
            .await?;
        for (k, v) in &rule_pairs {
            tx.set_staff_rule(row.id, k, v).await?;
        }
        tx.commit().await?;
    }
    print_set_result(g, &row.code, edit.dry_run, &changes)
}

/// Prints the changes `session set` made, or would make on a dry run.
fn print_set_result(g: &GlobalArgs, code: &str, dry_run: bool, changes: &[String]) -> Result<()> {
    if g.json {
        #[derive(Serialize)]
        struct SetResult<'a> {
            session: &'a str,
            dry_run: bool,
            changes: &'a [String],
        }
        return print_json(&SetResult {
            session: code,
            dry_run,
            changes,
        });
    }
    if changes.is_empty() {
        outln!("session {code}: nothing to change")?;
    } else {
        let verb = if dry_run {
            "would change (dry run, nothing written)"
        } else {
            "changed"
        };
        outln!("session {code}: {verb}:")?;
        for c in changes {
            outln!("  {c}")?;
        }
    }
    Ok(())
}

/// What `--staff` changes: the changes in words and the `(key, value)` pairs to store.
type StaffChanges = (Vec<String>, Vec<(String, String)>);

/// The staff rules `--staff KEY=VALUE` sets: what changes (in words) and the pairs to
/// store, each checked against the rules with those stored.
fn staff_rules(stored: &[(String, String)], pairs: &[String]) -> Result<StaffChanges, Vec<String>> {
    use crate::model::staff::Rules;
    let mut problems = Vec::new();
    let mut rules = Rules::with(stored).map_err(|e| vec![e])?;
    let mut changes = Vec::new();
    let mut out = Vec::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            problems.push(format!(
                "--staff: expected KEY=VALUE such as room.up_to=30, found \"{pair}\""
            ));
            continue;
        };
        let before = rules.clone();
        if let Err(e) = rules.set(k, v) {
            problems.push(format!("--staff: {e}"));
            continue;
        }
        if rules != before {
            let key = Rules::stored_key(k);
            let old = stored
                .iter()
                .find(|(sk, _)| *sk == key)
                .map_or("default", |(_, v)| v.as_str());
            changes.push(format!("staff rule {key}: {old} -> {}", v.trim()));
            out.push((key, v.trim().to_string()));
        }
    }
    if problems.is_empty() {
        Ok((changes, out))
    } else {
        Err(problems)
    }
}

/// Applies the flags given onto `s` and checks the result; every problem is listed.
fn apply(mut s: Settings, a: &SettingsArgs) -> Result<Settings, Vec<String>> {
    let mut problems = Vec::new();
    if let Some(v) = a.photo_min_width {
        s.photo_min_width = v;
    }
    if let Some(v) = a.photo_min_height {
        s.photo_min_height = v;
    }
    for (flag, arg, slot) in [
        (
            "--photo-min-size",
            &a.photo_min_size,
            &mut s.photo_min_bytes,
        ),
        (
            "--photo-max-size",
            &a.photo_max_size,
            &mut s.photo_max_bytes,
        ),
    ] {
        if let Some(text) = arg {
            match parse_bytes(text) {
                Ok(n) => *slot = n,
                Err(e) => problems.push(format!("{flag}: {e}")),
            }
        }
    }
    if let Some(t) = &a.card_number_template {
        s.card_number_template = t.trim().to_string();
    }
    for (flag, arg, slot) in [
        (
            "--registration-opens",
            &a.registration_opens,
            &mut s.registration_opens,
        ),
        (
            "--registration-closes",
            &a.registration_closes,
            &mut s.registration_closes,
        ),
        ("--payment-opens", &a.payment_opens, &mut s.payment_opens),
        ("--payment-closes", &a.payment_closes, &mut s.payment_closes),
    ] {
        match arg.as_deref().map(str::trim) {
            None => {}
            Some("") => *slot = None,
            Some(text) => match parse_datetime(text) {
                Some(dt) => *slot = Some(dt),
                None => problems.push(format!(
                    "{flag}: expected a date and time like \"2026-08-20 09:00\", found \"{text}\""
                )),
            },
        }
    }
    for (flag, arg, slot) in [
        ("--recheck-opens", &a.recheck_opens, &mut s.recheck_opens),
        ("--recheck-closes", &a.recheck_closes, &mut s.recheck_closes),
    ] {
        match arg.as_deref().map(str::trim) {
            None => {}
            Some("") => *slot = None,
            Some(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) => *slot = Some(d),
                Err(_) => problems.push(format!(
                    "{flag}: expected a date like \"2027-01-05\", found \"{text}\""
                )),
            },
        }
    }
    for pair in &a.pass_mark {
        let Some((subject, mark)) = pair.split_once('=') else {
            problems.push(format!(
                "--pass-mark: expected SUBJECT=SCORE such as 论文=45, found \"{pair}\""
            ));
            continue;
        };
        let subject = subject.trim();
        let Some(subject) = crate::model::level::Level::ALL
            .iter()
            .find_map(|l| l.subject(subject))
        else {
            problems.push(format!(
                "--pass-mark: \"{subject}\" is not a subject of 软考 (综合知识, 案例分析, 论文, 基础知识, 应用技术)"
            ));
            continue;
        };
        match Score::parse(mark) {
            Ok(m) if m == Score::PASS => {
                s.pass_marks.remove(subject);
            }
            Ok(m) => {
                s.pass_marks.insert(subject.to_string(), m);
            }
            Err(e) => problems.push(format!("--pass-mark {subject}: {e}")),
        }
    }
    problems.extend(s.check());
    if problems.is_empty() {
        Ok(s)
    } else {
        Err(problems)
    }
}

fn window(o: Option<NaiveDateTime>, c: Option<NaiveDateTime>) -> String {
    let f = |d: Option<NaiveDateTime>| {
        d.map_or_else(
            || "open".to_string(),
            |d| d.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    match (o, c) {
        (None, None) => "not set".to_string(),
        _ => format!("{} to {}", f(o), f(c)),
    }
}

fn settings_lines(s: &Settings) -> Vec<(&'static str, String)> {
    vec![
        (
            "photo size",
            format!("at least {}x{} px", s.photo_min_width, s.photo_min_height),
        ),
        (
            "photo file",
            format!(
                "{} to {}",
                format_bytes(s.photo_min_bytes),
                format_bytes(s.photo_max_bytes)
            ),
        ),
        (
            "admit-card number (准考证号)",
            s.card_number_template.clone(),
        ),
        (
            "registration",
            window(s.registration_opens, s.registration_closes),
        ),
        ("payment", window(s.payment_opens, s.payment_closes)),
        (
            "recheck (复核)",
            match (s.recheck_opens, s.recheck_closes) {
                (None, None) => "not set".to_string(),
                (o, c) => format!(
                    "{} to {}",
                    o.map_or_else(|| "open".to_string(), |d| d.to_string()),
                    c.map_or_else(|| "open".to_string(), |d| d.to_string())
                ),
            },
        ),
        (
            "pass marks (合格标准)",
            if s.pass_marks.is_empty() {
                "45 of 75 in every subject".to_string()
            } else {
                let marks: Vec<String> = s
                    .pass_marks
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                format!("{}; 45 of 75 in the others", marks.join(", "))
            },
        ),
    ]
}

fn print_settings(s: &Settings) -> Result<()> {
    for (k, v) in settings_lines(s) {
        outln!("  {k}: {v}")?;
    }
    Ok(())
}

fn settings_diff(a: &Settings, b: &Settings) -> Vec<String> {
    settings_lines(a)
        .into_iter()
        .zip(settings_lines(b))
        .filter(|((_, x), (_, y))| x != y)
        .map(|((k, x), (_, y))| format!("{k}: {x} -> {y}"))
        .collect()
}
