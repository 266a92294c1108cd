//! `kaowu fees quote` and `fees list`: the amounts a candidate pays and where they come from.

use crate::common::{Env, backends, sample};

fn quote(env: &Env, area: &str, qual: &str, on: &str) -> serde_json::Value {
    env.json(&[
        "fees",
        "quote",
        "--exam-area",
        area,
        "--qualification",
        qual,
        "--on",
        on,
    ])
}

#[test]
fn the_seed_example_costs_100_yuan() {
    for env in backends() {
        env.with_samples();
        let q = quote(&env, "丽江", "电子商务设计师", "2026-09-01");
        assert_eq!(q["level"], "中级");
        assert_eq!(q["total"], "100.00");
        assert_eq!(q["total_fen"], 10000);
        let subjects: Vec<&str> = q["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["subject"].as_str().unwrap())
            .collect();
        assert_eq!(subjects, ["基础知识", "应用技术"]);
        assert_eq!(q["subjects"][0]["fee"]["region"], "云南");
        // The file as it was given to the import, with its folder.
        assert_eq!(
            q["subjects"][0]["fee"]["source"],
            format!("{}[收费标准]!5", sample("fees.xlsx").display())
        );
        let text = env.ok(&[
            "fees",
            "quote",
            "--exam-area",
            "丽江",
            "--qualification",
            "电子商务设计师",
            "--on",
            "2026-09-01",
        ]);
        assert!(text.contains("合计") && text.contains("100.00"), "{text}");
    }
}

#[test]
fn overrides_by_area_qualification_subject_and_date() {
    for env in backends() {
        env.with_samples();
        // 昆明 has its own 中级 rate.
        assert_eq!(
            quote(&env, "昆明", "电子商务设计师", "2026-09-01")["total"],
            "115.00"
        );
        // One qualification's own rate.
        assert_eq!(
            quote(&env, "大理", "信息安全工程师", "2026-09-01")["total"],
            "110.00"
        );
        // 高级: 论文 has its own rate.
        let q = quote(&env, "大理", "系统架构设计师", "2026-09-01");
        assert_eq!(q["total"], "190.00");
        assert_eq!(q["subjects"][2]["fee"]["subject"], "论文");
        // The 2025 period.
        assert_eq!(
            quote(&env, "丽江", "软件设计师", "2025-06-30")["total"],
            "90.00"
        );
        // 初级 from a 全省 row.
        assert_eq!(
            quote(&env, "曲靖", "程序员", "2026-09-01")["subjects"][0]["fee"]["region"],
            "云南"
        );
    }
}

/// Runs a quote that must be refused (exit 1) and returns its message.
fn quote_fails(env: &Env, area: &str, qual: &str, on: &str) -> String {
    env.fails(
        1,
        &[
            "fees",
            "quote",
            "--exam-area",
            area,
            "--qualification",
            qual,
            "--on",
            on,
        ],
    )
}

#[test]
fn quotes_that_cannot_be_made_say_why() {
    let env = Env::sqlite();
    env.with_samples();
    for (area, qual, on, expected) in [
        (
            "北京",
            "程序员",
            "2026-09-01",
            "北京 is not an exam area (考区) of session 2026H2; it has: 丽江, 大理, 昆明, 曲靖, 玉溪, 红河",
        ),
        (
            "丽江",
            "架构师",
            "2026-09-01",
            "架构师 is not in the plan of session 2026H2; it has:",
        ),
        (
            "丽江",
            "程序员",
            "2024-09-01",
            "no fee row applies to 基础知识 of 程序员 (初级) in 丽江 on 2024-09-01",
        ),
        ("丽江", "程序员", "soon", "--on: expected a date"),
    ] {
        let err = quote_fails(&env, area, qual, on);
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
}

#[test]
fn fee_list_shows_every_row() {
    let env = Env::sqlite();
    env.with_samples();
    let rows = env.json(&["fees", "list"]);
    assert_eq!(rows.as_array().unwrap().len(), 7);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["region"] == "昆明" && r["amount"] == "57.50" && r["amount_fen"] == 5750)
    );
}
