//! Exam day (issue 20): every candidate sits all their sittings at one site and, where the
//! rooms allow, in one room and seat; `seat verify` checks it and fails on a seating that
//! breaks it; a run that cannot keep someone at one site stops, or with --allow-split seats
//! them at two and their card names both; cards list subjects in exam order and are the
//! same bytes on both databases; a template that cannot hold the site codes says once what
//! to set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::cards::{pages, pdfs, seated};
use crate::common::{Env, backends, block_on, execute_sql, s, sample};

/// (sitting, site code, room, seat) of each seat of a seated candidate, in exam order.
fn seats_of(env: &Env, no: &str) -> Vec<(String, String, i64, i64)> {
    env.json(&["applications", "show", no])["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["sitting"].as_str().unwrap().to_string(),
                t["site_code"].as_str().unwrap().to_string(),
                t["room"].as_i64().unwrap(),
                t["seat_no"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn seated_nos(env: &Env, level: Option<&str>) -> Vec<String> {
    let mut args = vec!["applications", "list", "--status", "seated"];
    if let Some(l) = level {
        args.extend(["--level", l]);
    }
    env.json(&args)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["registration_no"].as_str().unwrap().to_string())
        .collect()
}

/// Where each word of `text` starts, or None.
fn at(text: &str, word: &str) -> Option<usize> {
    text.find(word)
}

#[test]
fn senior_candidates_keep_one_site_and_seat_and_their_cards_follow_exam_order() {
    for env in backends() {
        seated(&env);
        let v = env.json(&["seat", "verify"]);
        assert_eq!(v["ok"], true, "{v}");
        let seniors = seated_nos(&env, Some("高级"));
        // The samples seat a 高级 candidate in every exam area.
        let areas: BTreeSet<String> = env
            .json(&[
                "applications",
                "list",
                "--status",
                "seated",
                "--level",
                "高级",
            ])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["exam_area"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(areas.len(), 6, "{areas:?}");
        assert_eq!(
            (
                v["kept"]["candidates"].as_u64(),
                v["kept"]["one_site"].as_u64(),
                v["kept"]["same_seat"].as_u64()
            ),
            (
                Some(seniors.len() as u64),
                Some(seniors.len() as u64),
                Some(seniors.len() as u64)
            ),
            "{v}"
        );
        let out = env.path("cards");
        env.ok(&["cards", "--out", s(&out)]);
        let files = pdfs(&out);
        for no in &seniors {
            let seats = seats_of(&env, no);
            assert_eq!(seats.len(), 2, "{no}: {seats:?}");
            assert_eq!(
                (&seats[0].1, seats[0].2, seats[0].3),
                (&seats[1].1, seats[1].2, seats[1].3),
                "{no} moves between its sittings"
            );
            let card_no = env.json(&["applications", "show", no])["admit_card"]
                .as_str()
                .unwrap()
                .to_string();
            let file = files
                .iter()
                .find(|f| f.file_stem().unwrap().to_str() == Some(card_no.as_str()))
                .unwrap();
            let text = pages(file).concat();
            let (a, b, c) = (
                at(&text, "综合知识").unwrap(),
                at(&text, "案例分析").unwrap(),
                at(&text, "论文").unwrap(),
            );
            assert!(a < b && b < c, "{no}: subjects out of exam order: {text}");
            // The site and its address, whole, however long (丽江 LJ01's run to 39
            // characters).
            let shown = env.json(&["applications", "show", no]);
            let site = shown["seats"][0]["site_name"].as_str().unwrap();
            let address = shown["seats"][0]["address"].as_str().unwrap();
            let flat: String = text.chars().filter(|c| *c != '|').collect();
            assert!(flat.contains(site), "{no}: {site} not on {text}");
            assert!(flat.contains(address), "{no}: {address} not on {text}");
        }
        // The longest name of the samples prints whole on the card and the sheets.
        let rooms = env.path("rooms");
        env.ok(&["sheets", "--out", s(&rooms)]);
        let long = "阿卜杜热合曼·买买提艾力";
        let on = |dir: &Path| {
            pdfs(dir)
                .iter()
                .filter(|f| {
                    pages(f)
                        .concat()
                        .chars()
                        .filter(|c| *c != '|')
                        .collect::<String>()
                        .contains(long)
                })
                .count()
        };
        assert_eq!(on(&out), 1, "{long}'s card");
        // Two sittings: a sheet and a sticker each.
        assert_eq!(on(&rooms), 4, "{long} on the room documents");
    }
}

/// The file hashes of a folder's manifest.
fn hashes(dir: &Path) -> BTreeMap<String, String> {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["file_hash"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn cards_and_room_documents_are_the_same_bytes_on_both_databases() {
    let mut first: Option<(String, Vec<BTreeMap<String, String>>)> = None;
    // Two backends when PostgreSQL is set; else SQLite twice, which still shows that the
    // bytes do not depend on the database file or the time of the run.
    let mut envs = backends();
    if envs.len() == 1 {
        envs.push(Env::sqlite());
    }
    for env in envs {
        seated(&env);
        let mut got = Vec::new();
        for (dir, extra) in [
            ("cards", &[][..]),
            ("print", &["--per", "room"][..]),
            ("rooms", &[][..]),
        ] {
            let out = env.path(dir);
            let kind = if dir == "rooms" { "sheets" } else { "cards" };
            let mut args = vec![kind, "--out", s(&out)];
            args.extend(extra);
            let r = env
                .kaowu()
                .env("SOURCE_DATE_EPOCH", "1794038400")
                .args(&args)
                .output()
                .unwrap();
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let h = hashes(&out);
            assert!(h.len() > 10, "{dir}: {h:?}");
            got.push(h);
        }
        match &first {
            None => first = Some((env.backend.to_string(), got)),
            Some((backend, f)) => {
                for (a, b) in f.iter().zip(&got) {
                    assert_eq!(a, b, "[{}] differs from [{backend}]", env.backend);
                }
            }
        }
    }
}

#[test]
fn seat_verify_fails_on_a_planted_split_and_on_a_needless_change_of_seat() {
    for env in backends() {
        seated(&env);
        // A 高级 candidate of 昆明 (three sites), and their seats.
        let no = env.json(&[
            "applications",
            "list",
            "--status",
            "seated",
            "--level",
            "高级",
            "--exam-area",
            "昆明",
        ])[0]["registration_no"]
            .as_str()
            .unwrap()
            .to_string();
        let seats = seats_of(&env, &no);
        let problems = |env: &Env| -> Vec<String> {
            let out = env
                .kaowu()
                .args(["seat", "verify", "--json"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{}", env.backend);
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["ok"], false);
            v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect()
        };
        let other_site = if seats[1].1 == "530102003" {
            "530102001"
        } else {
            "530102003"
        };
        // The afternoon seat moved to another site, as drawing each sitting apart did.
        let move_to = |site: &str, room: i64, seat: i64| {
            let sql = format!(
                "UPDATE seats SET room_id = (SELECT r.id FROM rooms r JOIN sites t ON t.id = r.site_id \
                 WHERE t.exam_area = '昆明' AND t.code = '{site}' AND r.number = {room}), seat_no = {seat} \
                 WHERE released_batch IS NULL AND application_id = (SELECT id FROM applications \
                 WHERE registration_no = '{no}') AND sitting_id = (SELECT id FROM sittings WHERE label = '{}')",
                seats[1].0
            );
            block_on(async {
                let db = kaowu::db::Db::connect(&env.url).await.unwrap();
                let mut tx = db.begin_write().await.unwrap();
                execute_sql(&mut tx, sql).await.unwrap();
                tx.commit().await.unwrap();
            });
        };
        move_to(other_site, 6, 1);
        let p = problems(&env);
        assert!(
            p.iter()
                .any(|x| x.starts_with(&no) && x.contains("seated at 2 sites")),
            "[{}] {p:?}",
            env.backend
        );
        // Back at its site, but in another seat of its room while its own is free.
        let free_seat = if seats[0].3 == 1 { 2 } else { 1 };
        move_to(&seats[0].1, seats[0].2, free_seat);
        let p = problems(&env);
        assert!(
            p.iter().any(|x| x.starts_with(&no)
                && x.contains(&format!(
                    "第{:03}考场 {:02}号 is free",
                    seats[0].2, seats[0].3
                ))),
            "[{}] {p:?}",
            env.backend
        );
        // Put right, it verifies again.
        move_to(&seats[0].1, seats[0].2, seats[0].3);
        assert_eq!(env.json(&["seat", "verify"])["ok"], true);
    }
}

#[test]
fn a_template_that_cannot_hold_the_site_codes_says_once_what_to_set() {
    for env in backends() {
        env.reviewed();
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        // The template offices used before: the site code in three characters, which the
        // samples' 530102001 and LJ01 do not fit.
        env.ok(&[
            "session",
            "set",
            "--card-number-template",
            "{yy}{half}{area2}{sitting1}{site3}{room3}{seat2}",
        ]);
        let err = env.fails(1, &["seat", "assign", "--seed", "1", "--yes"]);
        let line = "kaowu session set --card-number-template '{yy}{half}{area2}{sitting1}{siteno3}{room3}{seat2}'";
        assert!(err.contains(line), "{err}");
        assert!(
            err.contains("{site3}: ") && err.contains("need 9 characters"),
            "{err}"
        );
        assert!(
            err.lines().count() <= 4,
            "one message, not one per candidate:\n{err}"
        );
        assert!(seated_nos(&env, None).is_empty());
        // The line it gives works.
        let set: Vec<&str> = vec![
            "session",
            "set",
            "--card-number-template",
            "{yy}{half}{area2}{sitting1}{siteno3}{room3}{seat2}",
        ];
        env.ok(&set);
        env.ok(&["seat", "assign", "--seed", "1", "--yes"]);
        assert_eq!(env.json(&["seat", "verify"])["ok"], true);
    }
}

/// A plan whose 高级 qualifications pair their sittings so that no seat can serve two of
/// them (第1+2场, 第2+3场, 第1+3场), and an exam area of two sites of two seats: each
/// sitting has seats for its four candidates, but two of them find no site with a seat in
/// both of their sittings.
fn crossed_session(env: &Env) {
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    let plan = "级别,资格名称,科目,场次,考试日期,开始时间,结束时间\n\
        高级,系统架构设计师,综合知识,第1场,2026-11-07,08:30,12:30\n\
        高级,系统架构设计师,案例分析,第1场,2026-11-07,08:30,12:30\n\
        高级,系统架构设计师,论文,第2场,2026-11-07,14:30,16:30\n\
        高级,信息系统项目管理师,综合知识,第2场,2026-11-07,14:30,16:30\n\
        高级,信息系统项目管理师,案例分析,第2场,2026-11-07,14:30,16:30\n\
        高级,信息系统项目管理师,论文,第3场,2026-11-08,08:30,10:30\n\
        高级,系统规划与管理师,综合知识,第1场,2026-11-07,08:30,12:30\n\
        高级,系统规划与管理师,案例分析,第1场,2026-11-07,08:30,12:30\n\
        高级,系统规划与管理师,论文,第3场,2026-11-08,08:30,10:30\n";
    env.ok(&["import", "plan", s(&env.write("plan.csv", plan))]);
    let sites = "考区,考点代码,考点名称,考点地址,考场号,座位数\n\
        丽江,LJ01,云南大学旅游文化学院考点（丽江校区）,丽江市古城区文化路1号,01,2\n\
        丽江,LJ02,丽江师范学院考点,丽江市古城区祥和路2号,01,2\n";
    env.ok(&["import", "sites", s(&env.write("sites.csv", sites))]);
    let fees = "地区,级别,资格名称,科目,金额,生效日期\n云南,高级,,,60,2026-01-01\n";
    env.ok(&["import", "fees", s(&env.write("fees.csv", fees))]);
    let mut apps = String::from(
        "报名序号,姓名,证件类型,证件号码,性别,出生日期,报考级别,报考资格,报考科目,考区,手机号码,通信地址,照片\n",
    );
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let quals = ["系统架构设计师", "信息系统项目管理师", "系统规划与管理师"];
    let mut pay = String::from("支付单号,报名序号,金额,支付时间,支付网关,支付结果\n");
    for i in 1..=6u32 {
        let no = format!("2026900000{i}");
        let first17 = format!("53070219900101{:03}", 100 + 2 * i + 1);
        let id = format!(
            "{first17}{}",
            kaowu::model::id_number::check_char(first17.as_bytes())
        );
        apps.push_str(&format!(
            "{no},考生{i},居民身份证,{id},男,1990-01-01,高级,{},\"综合知识, 案例分析, 论文\",丽江,1398741000{i},丽江市古城区福慧路{i}号,{no}.jpg\n",
            quals[(i as usize - 1) / 2]
        ));
        std::fs::copy(
            sample("photos/20260000001.jpg"),
            photos.join(format!("{no}.jpg")),
        )
        .unwrap();
        pay.push_str(&format!(
            "ZF2026082500000{i},{no},180.00,2026-08-25 10:0{i}:00,支付宝,成功\n"
        ));
    }
    env.ok(&[
        "import",
        "applications",
        s(&env.write("applications.csv", &apps)),
        "--photos",
        s(&photos),
    ]);
    env.ok(&["review", "check"]);
    env.ok(&["review", "approve", "--clean", "--yes"]);
    let paid = env.json(&["import", "payments", s(&env.write("payments.csv", &pay))]);
    assert_eq!(paid["paid"], 6, "{paid}");
}

#[test]
fn no_site_for_all_sittings_stops_the_run_and_an_allowed_split_names_each_site() {
    for env in backends() {
        crossed_session(&env);
        let err = env.fails(1, &["seat", "assign", "--seed", "7", "--yes"]);
        assert!(
            err.contains("cannot sit all their sittings at one site")
                && err.contains("exam area 丽江 sittings 第2场+第3场: 2 candidates")
                && err.contains("kaowu seat assign --seed 7 --allow-split"),
            "{err}"
        );
        assert!(seated_nos(&env, None).is_empty());

        let done = env.json(&["seat", "assign", "--seed", "7", "--allow-split", "--yes"]);
        assert_eq!(
            (done["split"].as_u64(), done["candidates"].as_u64()),
            (Some(2), Some(6))
        );
        let v = env.json(&["seat", "verify"]);
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["seatings"][0]["allow_split"], true);
        // Journalled: the batch's command line and each split seat say so.
        let log = env.json(&["review", "log"]);
        let batch = log
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == "seat-assign")
            .unwrap();
        assert!(
            batch["command"].as_str().unwrap().contains("--allow-split"),
            "{batch}"
        );
        // The cards of the two split candidates name both sites and both addresses.
        let out = env.path("cards");
        env.ok(&["cards", "--out", s(&out)]);
        let mut split = 0;
        for no in seated_nos(&env, None) {
            let seats = seats_of(&env, &no);
            let sites: BTreeSet<&String> = seats.iter().map(|t| &t.1).collect();
            if sites.len() < 2 {
                continue;
            }
            split += 1;
            let journal = env.json(&["review", "log", "--application", &no]);
            assert!(
                journal.as_array().unwrap().iter().any(|j| j["new_value"]
                    .as_str()
                    .unwrap_or("")
                    .contains("--allow-split")),
                "{journal}"
            );
            let card = env.json(&["applications", "show", &no])["admit_card"]
                .as_str()
                .unwrap()
                .to_string();
            let file = pdfs(&out)
                .into_iter()
                .find(|f| f.file_stem().unwrap().to_str() == Some(card.as_str()))
                .unwrap();
            let text: String = pages(&file)
                .concat()
                .chars()
                .filter(|c| *c != '|')
                .collect();
            for want in [
                "云南大学旅游文化学院考点（丽江校区）",
                "丽江市古城区文化路1号",
                "丽江师范学院考点",
                "丽江市古城区祥和路2号",
                "①第001考场",
                "②第001考场",
            ] {
                assert!(text.contains(want), "{no}: {want} not on {text}");
            }
        }
        assert_eq!(split, 2);
    }
}
