//! `kaowu plan list` and `kaowu sites list`: what was imported, as users look it up.

use crate::common::backends;

#[test]
fn plan_and_sites_read_back_as_imported() {
    for env in backends() {
        env.with_samples();
        let plan = env.json(&["plan", "list"]);
        let plan = plan.as_array().unwrap();
        assert_eq!(plan.len(), 32);
        // Exam order: the first sitting is 高级 on 2026-11-07 at 08:30.
        assert_eq!(plan[0]["date"], "2026-11-07");
        assert_eq!(plan[0]["start"], "08:30");
        assert_eq!(plan[0]["level"], "高级");
        let essay = plan
            .iter()
            .find(|r| r["qualification"] == "系统架构设计师" && r["subject"] == "论文")
            .unwrap();
        assert_eq!(
            (essay["sitting"].as_str(), essay["end"].as_str()),
            (Some("第4场"), Some("16:30"))
        );
        assert_eq!(essay["qualification_code"], "13");
        assert_eq!(
            env.json(&["plan", "list", "--level", "初级"])
                .as_array()
                .unwrap()
                .len(),
            6
        );

        let lijiang = env.json(&["sites", "list", "--exam-area", "丽江市"]);
        let rooms = lijiang.as_array().unwrap();
        assert_eq!(rooms.len(), 3);
        assert_eq!(rooms[1]["room"], 2);
        assert_eq!(rooms[1]["disabled_seats"], serde_json::json!([30]));
        assert_eq!(rooms[1]["usable_seats"], 29);
        let text = env.ok(&["sites", "list", "--exam-area", "丽江"]);
        assert!(
            text.contains("云南大学旅游文化学院考点（丽江校区）")
                && text.contains("丽江师范学院考点")
                && text.contains("3 rooms, 89 usable seats"),
            "{text}"
        );
    }
}

#[test]
fn a_city_may_be_written_with_its_suffix() {
    for env in backends() {
        env.with_samples();
        let q = env.json(&[
            "fees",
            "quote",
            "--exam-area",
            "昆明市",
            "--qualification",
            "软件设计师",
            "--on",
            "2026-09-01",
        ]);
        assert_eq!(
            (q["exam_area"].as_str(), q["total"].as_str()),
            (Some("昆明"), Some("115.00"))
        );
        let f = env.write(
            "fees-city.csv",
            "地区,级别,金额,生效日期\n丽江市,初级,40,2026-01-01\n",
        );
        env.ok(&["import", "fees", f.to_str().unwrap()]);
        let q = env.json(&[
            "fees",
            "quote",
            "--exam-area",
            "丽江",
            "--qualification",
            "程序员",
            "--on",
            "2026-09-01",
        ]);
        assert_eq!(q["subjects"][0]["fee"]["region"], "丽江");
        assert_eq!(q["total"], "80.00");
    }
}
