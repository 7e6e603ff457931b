"""`regulars admin …` as an administrator's script uses it: JSON out, exit codes, audit."""

from __future__ import annotations

from tests.e2e.cli import run_cli, run_json


def test_tenant_user_grant_and_audit(db_url: str) -> None:
    t = run_json("admin", "tenant", "create", "Bar Tapas Sol", "--currency", "EUR", db_url=db_url)
    assert t["tenant"]["slug"] == "bar-tapas-sol" and t["tenant"]["default_currency"] == "EUR"
    again = run_cli("admin", "tenant", "create", "Bar Tapas Sol", db_url=db_url)
    assert again.returncode == 1 and "already exists" in again.stderr
    add = ("admin", "user", "add", "--tenant", "bar-tapas-sol", "--email", "Ana@Sol.es")
    u = run_json(
        *add, "--role", "owner", "--password-stdin", db_url=db_url, input="s3cret-pass-word\n"
    )
    assert u["user"]["email"] == "ana@sol.es" and u["user"]["role"] == "owner"
    bad = run_cli(*add[:-1], "pepe@sol.es", "--role", "boss", db_url=db_url)
    assert bad.returncode == 1 and "unknown role 'boss'" in bad.stderr
    short = run_cli(
        *add[:-1],
        "pepe@sol.es",
        "--role",
        "cashier",
        "--password-stdin",
        db_url=db_url,
        input="short\n",
    )
    assert short.returncode == 1 and "too short" in short.stderr
    g = run_json(
        "admin",
        "user",
        "grant",
        "--tenant",
        "bar-tapas-sol",
        "--email",
        "ana@sol.es",
        "customers.list",
        db_url=db_url,
    )
    assert g == {"grants": ["customers.list"]}
    log = run_json("admin", "audit", "--tenant", "bar-tapas-sol", db_url=db_url)["events"]
    assert [e["action"] for e in log] == ["user.grant", "user.add", "tenant.create"]
    assert all(e["source"] == "cli" for e in log)
    missing = run_cli("admin", "audit", "--tenant", "nope", db_url=db_url)
    assert missing.returncode == 4


def test_apikey_create_list_revoke(db_url: str) -> None:
    run_json(
        "admin",
        "tenant",
        "create",
        "Somtam Shop",
        "--region",
        "TH",
        "--currency",
        "THB",
        db_url=db_url,
    )
    new = run_json(
        "admin",
        "apikey",
        "create",
        "--tenant",
        "somtam-shop",
        "--role",
        "cashier",
        "--store",
        "Siam",
        db_url=db_url,
    )
    assert new["key"].startswith("rk_") and (new["role"], new["store"]) == ("cashier", "Siam")
    listed = run_json("admin", "apikey", "list", "--tenant", "somtam-shop", db_url=db_url)["keys"]
    assert [(k["id"], k["role"], k["revoked_at"]) for k in listed] == [(new["id"], "cashier", None)]
    assert new["key"] not in str(listed)  # never shown again
    gone = run_json("admin", "apikey", "revoke", str(new["id"]), db_url=db_url)["key"]
    assert gone["revoked_at"] is not None
    bad = run_cli(
        "admin", "apikey", "create", "--tenant", "somtam-shop", "--role", "manager", db_url=db_url
    )
    assert bad.returncode == 1 and "manager" in bad.stderr
    assert run_cli("admin", "apikey", "revoke", "999999", db_url=db_url).returncode == 4
