#!/usr/bin/env bash
# The main job on samples/: builds kaowu and runs the pipeline as far as it exists on the
# default SQLite file, kaowu.db in the folder you run it from. Safe to run again: a session
# that exists is kept, re-imports change nothing, and reviewed applications are skipped.
#
#   bash samples/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
samples="$root/samples"
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
kaowu() { "$root/target/release/kaowu" "$@"; }
export KAOWU_SESSION=2026H2

step() { printf '\n== %s\n' "$*"; }

step "session 2026H2 (云南)"
if kaowu session show >/dev/null 2>&1; then
  kaowu session show
else
  kaowu session create 2026H2 --name 2026年下半年 --province 云南 \
    --registration-opens "2026-08-20 09:00" --registration-closes "2026-08-30 17:00" \
    --payment-opens "2026-08-20 09:00" --payment-closes "2026-09-05 23:59"
fi

step "exam plan (考试计划): samples/plan.xlsx, a title row above the header"
kaowu import plan "$samples/plan.xlsx"
step "sites and rooms (考点考场): samples/sites.csv, GBK as Excel saves it"
kaowu import sites "$samples/sites.csv"
step "fees (收费标准): samples/fees.xlsx"
kaowu import fees "$samples/fees.xlsx"

step "fee quotes"
kaowu fees quote --exam-area 丽江 --qualification 电子商务设计师 --on 2026-08-25
kaowu fees quote --exam-area 昆明 --qualification 系统架构设计师 --on 2026-08-25

step "applications (报名信息): samples/applications.csv (GBK) with samples/photos/"
kaowu import applications "$samples/applications.csv" --photos "$samples/photos"

step "review: check every application, then the flags per code and exam area"
kaowu review check
kaowu review flags

step "review: approve the clean ones, reject the ones with errors (each with its own reasons)"
kaowu review approve --clean --yes
kaowu review reject --errors --yes
kaowu review export --status rejected --out rejected.xlsx
kaowu review log

step "payments (缴费): the gateway's export samples/payments.csv (GBK); importing it twice changes nothing"
kaowu import payments "$samples/payments.csv"
kaowu import payments "$samples/payments.csv"

step "reconcile with the statement samples/statement.xlsx: every finding in reconcile/reconcile.xlsx"
kaowu payments reconcile --gateway "$samples/payments.csv" --statement "$samples/statement.xlsx" --out reconcile

step "mark the 掉单 paid, each naming its statement line; then reconcile again"
kaowu payments mark-paid --statement "$samples/statement.xlsx" --gateway "$samples/payments.csv" --yes
kaowu payments reconcile --gateway "$samples/payments.csv" --statement "$samples/statement.xlsx" --out reconcile

step "the payment window closed on 2026-09-05: expire the approved applications still unpaid"
kaowu payments expire --yes

step "seating (编排): every paid candidate, reproducibly with seed 20261107; verify derives it again"
case "$(kaowu seat verify --json)" in
  *'"seatings": []'*) kaowu seat assign --seed 20261107 --yes ;;
esac
kaowu seat verify

step "admit cards (准考证): a PDF per candidate in cards/, per room in cards-rooms/ (again: nothing to redo)"
kaowu cards --out cards
kaowu cards --out cards-rooms --per room

step "sign-in sheets (考场签到表) and door stickers (门贴) of every room and sitting, in rooms/"
kaowu sheets --out rooms

step "one application: fields, fee due with its fee rows, payments, seat, admit-card number, history"
kaowu applications show 20260000001

step "rosters (名册): a workbook per exam area in rosters/; lists to post (masked) in posted/"
kaowu export roster --by exam-area --out rosters
kaowu export roster --by room --public --one-file --out posted

step "exam staff (考务人员): a list tight for the posts (generated into staff/), the posts filled reproducibly and verified"
kaowu samples staff --out staff --shape tight
kaowu import staff staff/考务人员.csv
kaowu staff need
case "$(kaowu staff need --json)" in
  *'"assigned": null'*) kaowu staff assign --seed 20261101 --yes ;;
esac
kaowu staff verify

step "staff documents in staff/: 监考安排表 per site (PDF, XLSX), 个人安排, 工作证 with photos, 劳务费发放表"
kaowu staff documents --out staff --photos staff/staff-photos

step "after the exam: what the sites send back (generated from the seating into returns/)"
kaowu samples exam-day --out returns

step "attendance (考勤) per subject: the absent lists (GBK CSV) and the keyed sign-in sheets"
kaowu attendance import returns/缺考名单.csv
kaowu attendance import returns/签到表录入.xlsx

step "room logs (考场记录): counts checked against the seating and the attendance"
kaowu roomlog import returns/考场记录.xlsx

step "violations (违纪违规) under 人社部令第31号: recorded once, then case 2026H2-0004 to its decision, served"
case "$(kaowu violations list --json)" in
  '[]') kaowu violations import returns/违纪.xlsx
        kaowu violations step 2026H2-0004 --to 告知 --on 2026-11-12 --yes
        kaowu violations step 2026H2-0004 --to 决定 --on 2026-11-20 --yes
        kaowu violations step 2026H2-0004 --to 送达 --on 2026-11-21 --yes ;;
esac
kaowu violations list
kaowu violations documents --out violations
kaowu violations register --out violations/违纪违规人员登记表.xlsx

step "scores (成绩) from the national centre (generated from the session into centre/), then who passed"
kaowu session set --recheck-opens 2027-01-05 --recheck-closes 2027-01-14
kaowu samples scores --out centre
kaowu import scores centre/成绩.csv
kaowu scores judge --yes

step "rechecks (复核): requests within the window, the batch for the centre, its answers"
case "$(kaowu recheck list --json)" in
  '[]') kaowu recheck import centre/复核申请.csv ;;
esac
kaowu recheck export --out centre/复核申请汇总.xlsx
kaowu samples recheck-answers --out centre
kaowu recheck results centre/复核结果.csv
kaowu recheck list

step "pass lists (合格名单) per exam area in pass-list/, and masked to post in pass-list/posted/"
kaowu export pass-list --out pass-list
kaowu export pass-list --public --out pass-list/posted

step "certificates (证书): matched to the pass list, hand-out sheets per exam area, what is held"
kaowu samples certificates --out centre
kaowu certificates import centre/证书.csv --received 2027-03-01
kaowu certificates sheets --out certificates --from 2027-03-02 --days 3 --place 各州市人事考试机构
kaowu certificates held --on 2027-03-01

step "report (统计): report.xlsx with charts, one page here; the same figures with --json"
kaowu report --out report.xlsx

step "status"
kaowu status
