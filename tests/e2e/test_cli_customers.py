"""`regulars customers …` in a subprocess, as a shop's script or a person at the till runs it."""

from __future__ import annotations

from pathlib import Path

from regulars.services.context import BusinessContext
from tests.e2e.cli import run_cli, run_json


def test_add_show_list_and_search(db_url: str, ctx: BusinessContext) -> None:
    added = run_json(
        "customers", "add", "Nguyễn Văn An", "--language", "vi",
        "--phone", "0912 345 678", "--email", "An@Gmail.com", "--tag", "VIP",
        "--birthday", "1990-05-01", "--external-id", "C-1", "--address", "12 Lê Lợi, Hà Nội, VN",
        db_url=db_url,
    )  # fmt: skip
    cid = added["id"]
    assert (added["family_name"], added["given_name"]) == ("Nguyễn", "An")
    assert added["phones"] == [{"e164": "+84912345678", "label": None, "primary": True}]
    assert added["emails"][0]["address"] == "an@gmail.com"
    assert added["tags"] == ["vip"] and added["age_band"] == "middle_aged"
    assert added["addresses"][0]["city"] == "Hà Nội"

    run_json("customers", "add", "--company", "Minh Phát Trading", db_url=db_url)
    by_ext = run_json("customers", "show", "C-1", db_url=db_url)
    assert by_ext["id"] == cid and by_ext["birthday"] == "1990-05-01"
    assert run_json("customers", "show", str(cid), db_url=db_url)["external_id"] == "C-1"

    listed = run_json("customers", "list", db_url=db_url)
    assert [(c["display_name"], c["kind"]) for c in listed] == [
        ("Nguyễn Văn An", "person"),
        ("Minh Phát Trading", "company"),
    ]
    assert listed[0]["phone"] == "+84912345678"
    assert [
        c["kind"] for c in run_json("customers", "list", "--kind", "company", db_url=db_url)
    ] == ["company"]

    hits = run_json("customers", "search", "+84 91-234-5678", db_url=db_url)
    assert [(h["id"], h["matched"]) for h in hits] == [(cid, "phone")]
    assert [h["id"] for h in run_json("customers", "search", "nguyen an", db_url=db_url)] == [cid]

    shown = run_cli("customers", "show", "C-1", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert "Nguyễn Văn An" in shown.stdout and "+84912345678" in shown.stdout


def test_bad_input_is_one_line_with_the_reason(db_url: str, ctx: BusinessContext) -> None:
    bad = run_cli("customers", "add", "Lê Hoa", "--phone", "12345", db_url=db_url)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: invalid phone '12345': it is too short"
    assert run_json("customers", "list", db_url=db_url) == []
    date = run_cli("customers", "add", "Lê Hoa", "--birthday", "1990-13-01", db_url=db_url)
    assert date.returncode == 1 and "YYYY-MM-DD" in date.stderr
    missing = run_cli("customers", "show", "404", db_url=db_url)
    assert missing.returncode == 4
    assert missing.stderr.startswith("error: no customer")


def test_duplicates_and_merge(db_url: str, ctx: BusinessContext) -> None:
    a = run_json("customers", "add", "Nguyễn Văn An", "--phone", "0912345678", db_url=db_url)
    b = run_json(
        "customers", "add", "An Nguyen", "--phone", "+84912345678", "--email", "an@work.vn",
        "--external-id", "WEB-9", db_url=db_url,
    )  # fmt: skip
    pairs = run_json("customers", "duplicates", db_url=db_url)
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair["a"]["id"], pair["b"]["id"]) == (a["id"], b["id"])
    assert {r["kind"] for r in pair["reasons"]} == {"same_phone", "similar_name"}
    assert 0.8 < pair["score"] <= 1

    report = run_json(
        "customers", "merge", str(a["id"]), "WEB-9", "--yes", "--reason", "same phone",
        db_url=db_url,
    )  # fmt: skip
    assert (report["survivor_id"], report["merged_id"]) == (a["id"], b["id"])
    assert report["moved"]["emails"] == 1
    assert report["dropped_duplicates"]["phones"] == ["+84912345678"]

    survivor = run_json("customers", "show", str(a["id"]), db_url=db_url)
    assert [e["address"] for e in survivor["emails"]] == ["an@work.vn"]
    assert survivor["merges"][0]["reason"] == "same phone"
    gone = run_json("customers", "show", "WEB-9", db_url=db_url)
    assert (gone["status"], gone["merged_into_id"]) == ("merged", a["id"])
    told = run_cli("customers", "show", str(b["id"]), db_url=db_url)
    assert f"merged into customer {a['id']}" in told.stdout
    assert run_json("customers", "duplicates", db_url=db_url) == []
    assert [c["id"] for c in run_json("customers", "list", db_url=db_url)] == [a["id"]]
    again = run_cli("customers", "merge", str(a["id"]), str(b["id"]), "--yes", db_url=db_url)
    assert again.returncode == 1 and "already merged" in again.stderr


def test_merge_asks_before_it_acts(db_url: str, ctx: BusinessContext) -> None:
    a = run_json("customers", "add", "Trần Thị Bình", db_url=db_url)
    b = run_json("customers", "add", "Tran Thi Binh", db_url=db_url)
    ids = (str(a["id"]), str(b["id"]))
    declined = run_cli("customers", "merge", *ids, input="n\n", db_url=db_url)
    assert declined.returncode == 1
    assert "Would merge" in declined.stdout
    assert run_json("customers", "show", ids[1], db_url=db_url)["status"] == "active"
    accepted = run_cli("customers", "merge", *ids, input="y\n", db_url=db_url)
    assert accepted.returncode == 0, accepted.stderr
    assert run_json("customers", "show", ids[1], db_url=db_url)["status"] == "merged"


def test_staff_contacts_consent_and_notes(db_url: str, ctx: BusinessContext) -> None:
    staff = run_json(
        "customers", "staff", "add", "Lan@Shop.vn", "--name", "Trần Lan", db_url=db_url
    )
    assert staff["email"] == "lan@shop.vn"
    co = run_json(
        "customers", "add", "--company", "Minh Phát", "--external-id", "B-1",
        "--manager", "lan@shop.vn", "--founded-on", "2010-03-15", db_url=db_url,
    )  # fmt: skip
    assert co["manager"] == "lan@shop.vn" and co["founded_on"] == "2010-03-15"
    contact = run_json(
        "customers", "contact", "add", "B-1", "Lê Văn Hùng", "--language", "vi",
        "--level", "accountant", "--buying-role", "finance", "--stance", "neutral",
        "--phone", "0987654321", db_url=db_url,
    )  # fmt: skip
    assert (contact["level"], contact["phones"]) == ("accountant", ["+84987654321"])
    for flag, source in (("--grant", "web form"), ("--withdraw", "phone call")):
        run_json(
            "customers", "consent", "record", "B-1", "--channel", "email",
            "--purpose", "marketing", "--source", source, flag, db_url=db_url,
        )  # fmt: skip
    history = run_json("customers", "consent", "history", "B-1", db_url=db_url)
    assert [(c["granted"], c["source"]) for c in history] == [
        (True, "web form"),
        (False, "phone call"),
    ]
    note = run_json("customers", "note", "B-1", "Visit before Tết", "--author", "lan@shop.vn",
                    db_url=db_url)  # fmt: skip
    assert note["author"] == "lan@shop.vn"
    shown = run_json("customers", "show", "B-1", db_url=db_url)
    assert [c["display_name"] for c in shown["contacts"]] == ["Lê Văn Hùng"]
    assert [(c["channel"], c["granted"]) for c in shown["consents"]] == [("email", False)]
    assert [n["body"] for n in shown["notes"]] == ["Visit before Tết"]
    updated = run_json("customers", "update", "B-1", "--region", "Đà Nẵng", "--clear", "manager",
                       db_url=db_url)  # fmt: skip
    assert (updated["region"], updated["manager"]) == ("Đà Nẵng", None)


def test_export_all_writes_csv_and_is_audited(db_url: str, tmp_path: Path) -> None:
    import csv

    run_json("customers", "add", "Nguyễn Thị Lan", "--phone", "+84903123456", db_url=db_url)
    out = tmp_path / "all.csv"
    res = run_cli(
        "customers", "export-all", "--reason", "yearly backup", "--out", str(out), db_url=db_url
    )
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["display_name"] for r in rows] == ["Nguyễn Thị Lan"]
    log = run_json(
        "admin", "audit", "--tenant", "default", "--action", "customers.bulk_export", db_url=db_url
    )
    assert log["events"][0]["detail"]["reason"] == "yearly backup"
    assert run_cli("customers", "export-all", db_url=db_url).returncode == 2  # --reason is required
