"""The rest of the dossier: tags and interests, consent history, managers' notes.

Consent follows what shops see: nearly everyone accepts service messages, a minority accepts
marketing, some later unsubscribe (a newer row withdraws it), a few refuse from the start.
"""

from __future__ import annotations

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.calendar import US_PER_DAY, US_PER_S
from regulars.demo.customers import KEY, LAPSED, ONE_TIME, PROSPECT, REGULAR, Customers
from regulars.demo.dossier import KEY_ACCOUNTS, KEY_NOTES, LAPSED_KEY_NOTES, NOTES
from regulars.demo.identity import Contacts
from regulars.demo.reach import Reach


def tag_rows(
    c: Customers, gift_orders: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Tags from what we know (expat, online, VIP, gift buyer) and a few interests each."""
    person = ~c.company
    n = c.n
    vip_line = np.quantile(c.value[person], 0.97) if person.any() else np.inf
    rules: list[tuple[np.ndarray, str, str]] = [
        (person & (c.lang != 0) & (c.city >= 0), "tag", "expat"),
        (person & (c.department == C.ONLINE), "tag", "online-first"),
        (person & (gift_orders >= 2), "tag", "gift-buyer"),
        (person & (c.value >= vip_line) & (c.segment == REGULAR), "tag", "vip"),
        (person & (rng.random(n) < 0.04), "tag", "office-orders"),
        (person & (rng.random(n) < 0.01), "tag", "wholesale-curious"),
    ]
    for dept, tag in C.TAGS_COMPANY.items():
        rules.append((c.company & (c.department == dept), "tag", tag))
    rules.append((c.company & (c.segment == LAPSED), "tag", "win-back"))
    customer, kind, value = [], [], []
    for mask, k, v in rules:
        at = np.flatnonzero(mask)
        customer.append(at)
        kind.append(np.full(len(at), k, dtype=object))
        value.append(np.full(len(at), v, dtype=object))
    # Interests: 1–3 distinct ones, a stride walk over a prime-sized list.
    count = np.where(person & (rng.random(n) < 0.6), rng.integers(1, 4, n), 0)
    owner = np.repeat(np.arange(n), count)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    start = rng.integers(0, len(C.INTERESTS), n)[owner]
    stride = rng.integers(1, len(C.INTERESTS), n)[owner]
    customer.append(owner)
    kind.append(np.full(len(owner), "interest", dtype=object))
    value.append(np.array(C.INTERESTS, dtype=object)[(start + step * stride) % len(C.INTERESTS)])
    rows = {
        "customer": np.concatenate(customer),
        "kind": np.concatenate(kind),
        "value": np.concatenate(value),
    }
    order = np.lexsort((rows["value"].astype(str), rows["kind"].astype(str), rows["customer"]))
    return {k: v[order] for k, v in rows.items()}


def consent_rows(
    c: Customers,
    contacts: Contacts,
    reach: Reach,
    created_us: np.ndarray,
    till_first: np.ndarray,
    as_of_us: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    n = c.n
    source = np.where(c.company, "contract", np.where(till_first, "till", "web form")).astype(
        object
    )
    later = created_us + (rng.random(n) * (as_of_us - created_us)).astype(np.int64)
    mail, sms = reach.has_email, reach.has_mobile
    call = sms | c.company
    u = rng.random(n)
    v = rng.random(n)
    parts: list[tuple[np.ndarray, str, str, bool, object, np.ndarray]] = [
        (mail, "email", "service", True, source, created_us),
        (sms & (u < 0.95), "sms", "service", True, source, created_us),
        (sms & (u >= 0.97), "sms", "service", False, source, created_us),
        (mail & (v < 0.4), "email", "marketing", True, source, created_us),
        (mail & (v < 0.4 * 0.12), "email", "marketing", False, "unsubscribe link", later),
        (mail & (v >= 0.92), "email", "marketing", False, source, created_us),
        (sms & (u < 0.25), "sms", "marketing", True, source, created_us),
        (sms & (u < 0.025), "sms", "marketing", False, "replied STOP", later),
        (call & (rng.random(n) < 0.03), "phone", "marketing", False, "do-not-call", later),
        (c.company, "post", "service", True, source, created_us),
    ]
    customer, contact, channel, purpose, granted, src, at = [], [], [], [], [], [], []
    for mask, ch, pu, gr, so, when in parts:
        idx = np.flatnonzero(mask)
        customer.append(idx)
        contact.append(np.full(len(idx), -1))
        channel.append(np.full(len(idx), ch, dtype=object))
        purpose.append(np.full(len(idx), pu, dtype=object))
        granted.append(np.full(len(idx), gr))
        src.append(so[idx] if isinstance(so, np.ndarray) else np.full(len(idx), so, dtype=object))
        at.append(when[idx])
    inside = np.flatnonzero(reach.contact_email)
    customer.append(contacts.company[inside])
    contact.append(inside)
    channel.append(np.full(len(inside), "email", dtype=object))
    purpose.append(np.full(len(inside), "service", dtype=object))
    granted.append(np.ones(len(inside), dtype=bool))
    src.append(np.full(len(inside), "contract", dtype=object))
    at.append(created_us[contacts.company[inside]])
    rows = {
        "customer": np.concatenate(customer),
        "contact": np.concatenate(contact),
        "channel": np.concatenate(channel),
        "purpose": np.concatenate(purpose),
        "granted": np.concatenate(granted),
        "source": np.concatenate(src),
        "at": np.concatenate(at),
    }
    order = np.lexsort((rows["at"], rows["contact"], rows["customer"]))
    return {k: v[order] for k, v in rows.items()}


def note_rows(
    c: Customers,
    contacts: Contacts,
    contact_names: np.ndarray,
    first_us: np.ndarray,
    last_us: np.ndarray,
    manager: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Long dossiers for key accounts, a line or two for some other customers."""
    customer: list[int] = []
    body: list[str] = []
    at: list[int] = []
    for i, account in enumerate(KEY_ACCOUNTS):
        who = int(np.flatnonzero(c.key_account == i)[0])
        people = np.flatnonzero(contacts.company == who)
        fill = {}
        for k, p in enumerate(people.tolist()):
            fill[f"c{k}"] = contact_names[p]
            fill[f"t{k}"] = contacts.title[p]
        texts = [t.format(**fill) for t in KEY_NOTES]
        span = max(int(last_us[who] - first_us[who]), US_PER_DAY)
        when = np.sort(first_us[who] + (rng.random(len(texts)) * span).astype(np.int64))
        if account.lapsed_days:
            texts += [t.format(**fill) for t in LAPSED_KEY_NOTES]
            gone = last_us[who] + np.array([30, 60]) * US_PER_DAY
            when = np.concatenate([when, gone])
        customer += [who] * len(texts)
        body += texts
        at += when.tolist()
    some = np.flatnonzero(
        (c.segment != PROSPECT) & (c.segment != KEY) & (c.segment != ONE_TIME)
        & (rng.random(c.n) < 0.015)
    )  # fmt: skip
    pick = rng.integers(0, len(NOTES), len(some))
    span = np.maximum(last_us[some] - first_us[some], US_PER_DAY)
    when = first_us[some] + (rng.random(len(some)) * span).astype(np.int64)
    customer += some.tolist()
    body += [NOTES[k] for k in pick.tolist()]
    at += when.tolist()
    cust = np.array(customer, dtype=np.int64)
    times = np.array(at, dtype=np.int64) // US_PER_S * US_PER_S
    order = np.lexsort((times, cust))
    return {
        "customer": cust[order],
        "author": manager[cust[order]],
        "body": np.array(body, dtype=object)[order],
        "at": times[order],
    }
