//! Documents and forms as candidates fill them in: a 外国人永久居留身份证 (the card of 2023
//! and the older one) checked by its own rules, 性别 written 男性/女性 checked against the
//! number, one that cannot be read flagged, an unknown county warned about, through
//! `import applications`, `review check` and `review approve --clean`.

use std::collections::BTreeMap;

use kaowu::model::id_number::check_char;

use crate::common::{backends, s, sample};

fn id(first17: &str) -> String {
    format!("{first17}{}", check_char(first17.as_bytes()))
}

#[test]
fn permanent_resident_cards_and_written_out_sexes() {
    // 9, taken in 云南 (53), a citizen of Myanmar (104), born 1990-03-07, sequence 002.
    let card = id("95310419900307002");
    let rows = [
        ("20261000001", "外国人永久居留身份证", card.as_str(), "女"),
        ("20261000002", "外国人永久居留证", "MMR530090030701", "男"),
        (
            "20261000003",
            "居民身份证",
            &id("53010219900307001"),
            "女性",
        ),
        (
            "20261000004",
            "居民身份证",
            &id("53010219900307002"),
            "女性",
        ),
        (
            "20261000005",
            "居民身份证",
            &id("53010219900307003"),
            "未知",
        ),
        (
            "20261000006",
            "居民身份证",
            &id("53079919900307005"),
            "男性",
        ),
    ];
    let mut csv = String::from(
        "报名序号,姓名,证件类型,证件号码,性别,出生日期,报考级别,报考资格,报考科目,考区,手机号码,通信地址,照片\n",
    );
    for (no, kind, number, sex) in rows {
        csv.push_str(&format!(
            "{no},考生{no},{kind},{number},{sex},1990-03-07,初级,信息处理技术员,\"基础知识, 应用技术\",丽江,13987654321,丽江市古城区,20260000001.jpg\n"
        ));
    }
    for env in backends() {
        env.with_samples();
        let file = env.write("applications.csv", &csv);
        env.ok(&[
            "import",
            "applications",
            s(&file),
            "--photos",
            s(&sample("photos")),
        ]);
        env.ok(&["review", "check"]);
        let list = env.json(&["applications", "list"]);
        let flags: BTreeMap<String, Vec<String>> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let codes = a["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect();
                (a["registration_no"].as_str().unwrap().to_string(), codes)
            })
            .collect();
        let expected: BTreeMap<String, Vec<String>> = [
            ("20261000001", vec![]),
            ("20261000002", vec![]),
            ("20261000003", vec!["gender_mismatch"]),
            ("20261000004", vec![]),
            ("20261000005", vec!["gender_unreadable"]),
            ("20261000006", vec!["id_county"]),
        ]
        .into_iter()
        .map(|(n, c)| (n.to_string(), c.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(flags, expected, "[{}]", env.backend);

        let shown = env.json(&["applications", "show", "20261000005"]);
        assert!(
            shown["flags"].to_string().contains(
                r#"性别 \"未知\" cannot be read: expected 男 or 女 (also 男性/女性, M/F, male/female, 1/2)"#
            ),
            "{shown}"
        );
        // The warning does not hold an approval; the errors do.
        env.ok(&["review", "approve", "--clean", "--yes"]);
        let list = env.json(&["applications", "list", "--status", "approved"]);
        let approved: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["registration_no"].as_str().unwrap())
            .collect();
        assert_eq!(
            approved,
            ["20261000001", "20261000002", "20261000004", "20261000006"],
            "[{}]",
            env.backend
        );
    }
}
