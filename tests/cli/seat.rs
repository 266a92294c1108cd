//! `kaowu seat assign|verify|add|release`: the same seed gives the same seating on SQLite
//! and PostgreSQL, every rule holds, a shortage stops everything and is named, late payers
//! are placed without moving anyone, and undo gives the seats back.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Env, backends, s, sample};

/// The sample session up to payments: reviewed, the gateway imported, the 掉单 recovered.
pub(crate) fn paid(env: &Env) {
    env.reviewed();
    env.ok(&["import", "payments", s(&sample("payments.csv"))]);
    env.ok(&[
        "payments",
        "mark-paid",
        "--statement",
        s(&sample("statement.xlsx")),
        "--gateway",
        s(&sample("payments.csv")),
        "--yes",
    ]);
}

/// 报名序号 -> (admit-card number, [(sitting, site code, room, seat)]) of every seated
/// candidate, as `applications show` gives it.
type Seating = BTreeMap<String, (String, Vec<(String, String, i64, i64)>)>;

fn seating(env: &Env) -> Seating {
    let list = env.json(&["applications", "list", "--status", "seated"]);
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let no = a["registration_no"].as_str().unwrap();
            let shown = env.json(&["applications", "show", no]);
            let seats = shown["seats"]
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
                .collect();
            (
                no.to_string(),
                (shown["admit_card"].as_str().unwrap().to_string(), seats),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_seating_on_every_backend() {
    let mut first: Option<Seating> = None;
    for env in backends() {
        paid(&env);
        let dry = env.json(&["seat", "assign", "--seed", "20261107", "--dry-run"]);
        assert_eq!(dry["candidates"], 31, "{dry}");
        assert!(
            env.json(&["applications", "list", "--status", "seated"])
                .as_array()
                .unwrap()
                .is_empty()
        );
        let done = env.json(&["seat", "assign", "--seed", "20261107", "--yes"]);
        assert_eq!(
            (done["candidates"].as_u64(), done["seed"].as_str()),
            (Some(31), Some("20261107"))
        );
        assert_eq!(done["fingerprint"], dry["fingerprint"]);
        let v = env.json(&["seat", "verify"]);
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["seatings"][0]["matches"], true);

        let got = seating(&env);
        assert_eq!(got.len(), 31);
        // Every seat once per sitting, every card number once and of the template's width.
        let mut seats = BTreeSet::new();
        let mut cards = BTreeSet::new();
        for (no, (card, list)) in &got {
            assert_eq!(card.len(), 14, "{no}: {card}");
            assert!(cards.insert(card.clone()), "{card} twice");
            assert!(!list.is_empty());
            for seat in list {
                assert!(seats.insert(seat.clone()), "{seat:?} twice");
            }
        }
        // 高级 candidates sit twice: 综合知识+案例分析, then 论文.
        let senior = env.json(&[
            "applications",
            "list",
            "--status",
            "seated",
            "--level",
            "高级",
        ]);
        for a in senior.as_array().unwrap() {
            assert_eq!(got[a["registration_no"].as_str().unwrap()].1.len(), 2);
        }
        // Seating again is refused; nothing moves.
        let err = env.fails(1, &["seat", "assign", "--seed", "1", "--yes"]);
        assert!(err.contains("seated already"), "{err}");
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "[{}] differs from the first backend", env.backend),
        }
    }
}

#[test]
fn a_shortage_stores_nothing_and_names_what_is_missing() {
    for env in backends() {
        paid(&env);
        // 红河's three rooms shrink to one seat each; four of its candidates share a sitting.
        let text = std::fs::read(sample("sites.csv")).unwrap();
        let (text, _, _) = encoding_rs::GBK.decode(&text);
        let shrunk: String = text
            .lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                if f[0] == "红河" {
                    f[5] = "1";
                    f.truncate(6);
                    f.push("");
                }
                f.join(",")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let sites = env.write_gbk("sites.csv", &shrunk);
        env.ok(&["import", "sites", s(&sites)]);
        let err = env.fails(1, &["seat", "assign", "--seed", "5", "--yes"]);
        assert!(
            err.contains("exam area 红河 sitting")
                && err.contains("4 candidates, 3 usable seats: 1 seats missing"),
            "{err}"
        );
        assert!(
            env.json(&["applications", "list", "--status", "seated"])
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            env.json(&["seat", "verify"])["seatings"],
            Value::Array(vec![])
        );
    }
}

#[test]
fn late_payers_are_placed_without_moving_anyone_and_undo_frees_the_seats() {
    for env in backends() {
        paid(&env);
        env.ok(&["seat", "assign", "--seed", "3", "--yes"]);
        let before = seating(&env);
        // A counter payment after the seating.
        env.ok(&[
            "payments",
            "mark-paid",
            "20260000007",
            "--order",
            "GT0001",
            "--amount",
            "115",
            "--reason",
            "柜台缴费",
            "--yes",
        ]);
        env.ok(&["seat", "add", "--yes"]);
        let after = seating(&env);
        assert_eq!(after.len(), before.len() + 1);
        for (no, seat) in &before {
            assert_eq!(&after[no], seat, "{no} moved");
        }
        let v = env.json(&["seat", "verify"]);
        assert_eq!(v["ok"], true, "{v}");

        // A correction of a seated candidate's name makes the card out of date.
        env.ok(&[
            "applications",
            "set",
            "20260000007",
            "姓名=孙瑞",
            "--reason",
            "更正",
            "--yes",
        ]);
        assert_eq!(
            env.json(&["applications", "show", "20260000007"])["stale"],
            "admit card"
        );

        // Released: back to paid, the seat free again.
        env.ok(&[
            "seat",
            "release",
            "20260000007",
            "--reason",
            "考点调整",
            "--yes",
        ]);
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(shown["status"], "paid");
        assert!(shown["seats"].as_array().unwrap().is_empty() && shown["admit_card"].is_null());
        assert_eq!(seating(&env), before);

        // Undo of the whole seating: everyone paid again, no seat in use.
        let log = env.json(&["review", "log"]);
        let assign = log
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == "seat-assign")
            .unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let undone = env.json(&["review", "undo", &assign, "--yes"]);
        assert_eq!(undone["reverted"], 31, "{undone}");
        assert!(
            env.json(&["applications", "list", "--status", "seated"])
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(env.json(&["seat", "verify"])["seats_in_use"], 0);
    }
}
