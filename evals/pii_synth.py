"""Business-text PII evaluation set built with Faker (a different generator from presidio_synth).

    python -m evals.pii_synth --out evals/data/pii_business.jsonl

Texts imitate partner/ERP documents: playbook paragraphs, SOW excerpts, escalation e-mails,
contract notices, ticket comments and release notes (dev); meeting minutes, HR onboarding records,
billing disputes, team chat, audit logs and CRM notes (test); in eight Faker locales. Personal values are
planted with their gold spans; hard negatives (ISO dates, versions, ticket and order ids, clause
numbers, amounts, product/organisation names, document titles) are planted with their kinds so a
benchmark can count false positives on them. Identifiers with checksums are generated valid
(python-stdnum validates them). Everything is seeded: the same seed gives the same file.

Each row: ``{"id","locale","genre","split","text","spans":[{entity_type,start,end,value}],
"negatives":[{kind,start,end,value}],"titles":[...]}``. ``split`` is the template family: dev rows
come from ``TEMPLATES`` (six genres), test rows from ``TEST_TEMPLATES`` (six other genres, other
sentences, product suffixes and title kinds), so the test half is unseen wording, not the dev
templates with other values. The families were written before any tuning.
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "en_IN", "pl_PL")
GENRES = ("playbook", "sow", "escalation", "notice", "ticket", "release")
DEFAULT_SEED = 20261201
DEFAULT_OUT = Path(__file__).with_name("data") / "pii_business.jsonl"


# ---------------------------------------------------------------------------------------------
# Value generators: (faker, rng) -> text of the value


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _valid(rng: random.Random, make: Callable[[], str], check: Callable[[str], bool]) -> str:
    for _ in range(1000):
        value = make()
        if check(value):
            return value
    raise RuntimeError("no valid value generated")


def _steuer_id(rng: random.Random) -> str:
    """Ten digits where one digit occurs twice, plus the ISO 7064 mod 11,10 check digit."""
    from stdnum.iso7064 import mod_11_10

    d = rng.sample("0123456789", 9)
    d.insert(rng.randint(1, 9), rng.choice(d))
    if d[0] == "0":
        d[0], d[1] = d[1], d[0]
    body = "".join(d)
    return body + mod_11_10.calc_check_digit(body)


def _national_id(fk: Faker, rng: random.Random, locale: str) -> tuple[str, str]:
    """(type, value) of a national identifier valid for the locale's scheme."""
    from stdnum import verhoeff
    from stdnum.de import idnr
    from stdnum.es import dni, nie
    from stdnum.fr import nir
    from stdnum.in_ import pan
    from stdnum.nl import bsn
    from stdnum.pl import pesel

    if locale == "en_US":
        return "US_SSN", fk.ssn()
    if locale == "en_GB":
        prefix = rng.choice(["AB", "CE", "JG", "KL", "PR", "SW", "TN", "WX", "HZ", "NE"])
        d = _digits(rng, 6)
        suffix = rng.choice("ABCD")
        return "NATIONAL_ID", rng.choice([f"{prefix}{d}{suffix}", f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}"])
    if locale == "de_DE":
        v = _valid(rng, lambda: _steuer_id(rng), idnr.is_valid)
        return "NATIONAL_ID", rng.choice([v, f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}"])
    if locale == "fr_FR":
        body = f"{rng.choice('12')}{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" + _digits(
            rng, 6
        )
        v = body + nir.calc_check_digits(body)
        return "NATIONAL_ID", rng.choice([v, f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"])
    if locale == "nl_NL":
        return "NATIONAL_ID", _valid(rng, lambda: str(rng.randint(1, 9)) + _digits(rng, 8), bsn.is_valid)
    if locale == "es_ES":
        if rng.random() < 0.5:
            n = _digits(rng, 8)
            return "NATIONAL_ID", n + dni.calc_check_digit(n)
        body = rng.choice("XYZ") + _digits(rng, 7)
        return "NATIONAL_ID", body + nie.calc_check_digit(body)
    if locale == "en_IN":
        if rng.random() < 0.5:
            body = str(rng.randint(2, 9)) + _digits(rng, 10)
            v = body + verhoeff.calc_check_digit(body)
            return "NATIONAL_ID", rng.choice([v, f"{v[:4]} {v[4:8]} {v[8:]}"])
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
        v = letters + rng.choice("PCHFATBLJG") + rng.choice(string.ascii_uppercase) + _digits(rng, 4)
        v += rng.choice(string.ascii_uppercase)
        assert pan.is_valid(v)
        return "NATIONAL_ID", v
    return "NATIONAL_ID", _valid(rng, lambda: fk.pesel(), pesel.is_valid)


def _dob(fk: Faker, rng: random.Random, locale: str) -> str:
    d = fk.date_of_birth(minimum_age=20, maximum_age=70)
    if locale == "en_US":
        return rng.choice([d.strftime("%m/%d/%Y"), d.strftime("%B %d, %Y").replace(" 0", " ")])
    if locale in ("de_DE", "pl_PL"):
        return d.strftime("%d.%m.%Y")
    return rng.choice([d.strftime("%d/%m/%Y"), f"{d.day} {d.strftime('%B %Y')}", d.isoformat()])


def _phone(fk: Faker, rng: random.Random) -> str:
    for _ in range(50):
        p = fk.phone_number()
        if "x" not in p.lower() and sum(c.isdigit() for c in p) >= 8:
            return p
    return "+44 20 7946 0958"


def _iban(fk: Faker, rng: random.Random) -> str:
    value = fk.iban()
    return value if rng.random() < 0.5 else " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def _address(fk: Faker, locale: str) -> str:
    lines = [x.strip() for x in fk.address().split("\n") if x.strip()]
    return ", ".join(lines)


def _driver_licence(fk: Faker, rng: random.Random, locale: str) -> str:
    if locale == "en_GB":
        last = fk.last_name().upper().replace(" ", "")[:5].ljust(5, "9")
        initials = fk.first_name()[0].upper() + rng.choice("ABCDEFGHJK")
        return f"{last}{_digits(rng, 6)}{initials}9{rng.choice('ABCDEFGH')}{_digits(rng, 2)}"
    if locale == "en_US":
        return rng.choice(string.ascii_uppercase) + _digits(rng, rng.choice([7, 8, 12]))
    return fk.bothify(rng.choice(["??#######", "#########", "?#######?", "B####?##?##"])).upper()


def _first_name(fk: Faker) -> str:
    return fk.first_name()


# Hard negatives ------------------------------------------------------------------------------


def _neg_date(fk: Faker, rng: random.Random) -> str:
    d = fk.date_between(start_date="-3y", end_date="+2y")
    return rng.choice([d.isoformat(), d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%d.%m.%Y")])


def _neg_version(fk: Faker, rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(1, 24)}.{rng.randint(0, 12)}.{rng.randint(0, 40)}",
            f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}",
            f"{rng.randint(2019, 2027)}.{rng.randint(1, 4)}.{rng.randint(100, 9999)}",
            f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(1000, 99999)}",
        ]
    )


def _neg_ticket(fk: Faker, rng: random.Random) -> str:
    p = rng.choice(["INC", "CHG", "PRB", "RITM", "REQ", "TASK"])
    return rng.choice([f"{p}{_digits(rng, 7)}", f"{fk.lexify('???').upper()}-{rng.randint(10, 99999)}"])


def _neg_order(fk: Faker, rng: random.Random) -> str:
    return rng.choice(
        [
            f"45{_digits(rng, 8)}",
            f"PO-{_digits(rng, 8)}",
            f"SO {_digits(rng, 9)}",
            f"{_digits(rng, 11)}",
            f"INV-{rng.randint(2019, 2027)}-{_digits(rng, 5)}",
            f"{_digits(rng, 3)}-{_digits(rng, 4)}-{_digits(rng, 4)}",
        ]
    )


def _neg_clause(fk: Faker, rng: random.Random) -> str:
    a, b, c = rng.randint(1, 30), rng.randint(1, 12), rng.randint(1, 9)
    return rng.choice([f"{a}.{b}", f"{a}.{b}.{c}", f"{a}.{b}({string.ascii_lowercase[c]})", f"§ {a}.{b}"])


def _neg_amount(fk: Faker, rng: random.Random) -> str:
    n = rng.randint(1000, 9_999_999)
    cur = rng.choice(["EUR", "USD", "GBP", "€", "$", "INR", "PLN"])
    amount = rng.choice([f"{n:,}", f"{n:,}.00", f"{n:,}".replace(",", "."), f"{n}"])
    return f"{cur} {amount}" if cur.isalpha() else f"{cur}{amount}"


_PRODUCT_SUFFIX = ("Cloud", "Ledger", "Insight", "Connect", "Hub", "Suite", "Works", "Flow", "Analytics", "Portal")


def _neg_product(fk: Faker, rng: random.Random, suffixes: tuple[str, ...] = _PRODUCT_SUFFIX) -> str:
    kind = rng.random()
    if kind < 0.4:  # a product named after a person-like word
        return f"{fk.last_name()} {rng.choice(suffixes)}"
    if kind < 0.7:
        return f"{fk.word().capitalize()}{rng.choice(['ERP', 'Pay', 'Sync', 'Desk'])}"
    return f"{fk.first_name()} {fk.last_name()}"  # a bare two-word brand: only the titles tell


def _neg_org(fk: Faker, rng: random.Random) -> str:
    return fk.company()


# ---------------------------------------------------------------------------------------------
# Templates: slot names in braces. Upper-case slots are personal data, ``n_`` slots hard negatives.

PII_SLOTS = {
    "PERSON": "PERSON",
    "PERSON2": "PERSON",
    "FIRST": "PERSON",
    "TSURNAME": "PERSON",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "ADDRESS": "LOCATION",
    "IBAN": "IBAN_CODE",
    "BIC": "SWIFT_CODE",
    "CARD": "CREDIT_CARD",
    "IP": "IP_ADDRESS",
    "DOB": "DATE_OF_BIRTH",
    "NATID": "NATIONAL_ID",
    "PASSPORT": "PASSPORT",
    "DL": "DRIVER_LICENSE",
}

TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    # genre: (sentences with personal data, sentences without)
    "playbook": (
        [
            "During hypercare, escalate blocking defects to {PERSON} ({EMAIL}, {PHONE}).",
            "The cutover coordinator is {PERSON}; reach them on {PHONE} outside office hours.",
            "For the data migration of employee master records, test with the record of {PERSON}, born on {DOB}.",
            "Key users sign off in the workshop; {PERSON} and {PERSON2} represent the customer.",
            "Ship the loaner laptops to {ADDRESS} before the kick-off on {n_date}.",
            "If {FIRST} is unavailable, {PERSON2} approves the transport requests.",
        ],
        [
            "Run the {n_product} reconciliation report after each mock load and compare it with release {n_version}.",
            "Follow section {n_clause} of the {n_title} before the go-live on {n_date}.",
            "Open a change in the service desk (for example {n_ticket}) for every configuration transport.",
            "{n_org} provides the integration middleware; the licence fee is {n_amount} per year.",
            "The {n_product} connector must be upgraded to {n_version} before the mock cutover.",
            "Post the opening balances with document {n_order} and attach the trial balance.",
        ],
    ),
    "sow": (
        [
            "Customer contact: {PERSON}, {ADDRESS}, e-mail {EMAIL}.",
            "Invoices are paid to IBAN {IBAN} (BIC {BIC}) within 30 days.",
            "The supplier's project manager is {PERSON}, telephone {PHONE}.",
            "Consultant on site: {PERSON}, passport no. {PASSPORT}, date of birth {DOB}.",
            "Travel expenses are charged to the corporate card {CARD} held by {PERSON}.",
            "Background check completed for {PERSON} (national identifier {NATID}).",
        ],
        [
            "The fixed fee of {n_amount} covers the deliverables listed in clause {n_clause}.",
            "This Statement of Work is governed by the {n_title} signed on {n_date}.",
            "{n_org} will deliver the {n_product} configuration in three waves.",
            "Change requests are raised as {n_ticket} and priced at {n_amount} per day.",
            "Purchase order {n_order} covers phase two; acceptance follows clause {n_clause}.",
            "The solution runs on {n_product} release {n_version}.",
        ],
    ),
    "escalation": (
        [
            "Hi {FIRST},\n\nthe interface failed again last night. Please call me on {PHONE}.\n\nRegards,\n{PERSON}",
            "Dear {TSURNAME},\n\nyour colleague {PERSON} reported that the login from {IP} was blocked.",
            "{PERSON} ({EMAIL}) asked us to correct the delivery address to {ADDRESS}.",
            "The customer sent the refund details: account holder {PERSON}, IBAN {IBAN}.",
            "Please reach {PERSON} at {EMAIL} or {PHONE} about the payroll run.",
            "Employee {PERSON} (DOB {DOB}, tax id {NATID}) is missing from the payroll export.",
        ],
        [
            "The incident {n_ticket} is open since {n_date}; {n_org} has not responded.",
            "Version {n_version} of {n_product} still fails on order {n_order}.",
            "Credit note {n_order} of {n_amount} was not posted.",
            "Please check clause {n_clause} of the {n_title} before replying to {n_org}.",
            "The {n_product} job stopped at {n_date} 03:00 with error {n_ticket}.",
        ],
    ),
    "notice": (
        [
            "Notices to the Customer shall be sent to {PERSON}, {ADDRESS}.",
            "Notice of termination was received from {PERSON} on behalf of the customer.",
            "The guarantor, {PERSON}, born {DOB}, residing at {ADDRESS}, accepts clause {n_clause}.",
            "Signed for the Supplier by {PERSON}, driving licence {DL}, identity checked against passport {PASSPORT}.",
            "Copies to {PERSON} ({EMAIL}).",
        ],
        [
            "Pursuant to clause {n_clause}, either party may terminate with 90 days' notice.",
            "The {n_title} dated {n_date} replaces all earlier versions.",
            "{n_org} shall pay liquidated damages capped at {n_amount}.",
            "Service credits are set out in section {n_clause} of the {n_title}.",
            "This notice refers to order {n_order} and the {n_product} subscription.",
        ],
    ),
    "ticket": (
        [
            "User {PERSON} cannot log in from {IP}; password reset sent to {EMAIL}.",
            "Caller {PERSON} ({PHONE}) reports that the vendor payment to {IBAN} was rejected.",
            "Updated the employee record of {PERSON}: new address {ADDRESS}.",
            "Verified identity of {PERSON} with date of birth {DOB} and ID {NATID}.",
            "Assigned to {FIRST}; customer contact {PERSON2}.",
        ],
        [
            "Reproduced on {n_product} {n_version}; linked to {n_ticket}.",
            "Order {n_order} blocked since {n_date}; workaround documented in {n_ticket}.",
            "Customer {n_org} reports a price difference of {n_amount} on {n_order}.",
            "Closing as duplicate of {n_ticket}. Fixed in {n_version}.",
            "Batch job ran {n_date}; see clause {n_clause} of the {n_title} for retention.",
        ],
    ),
    "release": (
        [
            "Thanks to {PERSON} for reporting the rounding issue ({EMAIL}).",
            "Known issue: the test card {CARD} is rejected by the sandbox; contact {PERSON}.",
        ],
        [
            "{n_product} {n_version} fixes {n_ticket} and {n_ticket}.",
            "Released on {n_date}: {n_product} now supports order numbers such as {n_order}.",
            "Rounding for amounts over {n_amount} follows section {n_clause} of the {n_title}.",
            "{n_org} certified {n_product} {n_version} on {n_date}.",
            "Upgrade notes for {n_version}: run the migration before {n_date}.",
        ],
    ),
}

# The test half is written from a second family of genres and sentences that the dev half never
# uses (other genres, phrasings, cue positions, product suffixes and title kinds), so a detector
# tuned on dev meets unseen wording on test rather than the same templates with other values.
TEST_TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "minutes": (
        [
            "Attendees: {PERSON}, {PERSON2} and {FIRST}.",
            "Action: {PERSON} to send the revised cutover plan to {EMAIL} by Friday.",
            "{FIRST} will dial in from the plant; the bridge line is {PHONE}.",
            "Decision: the loaner devices go to {PERSON2} at {ADDRESS}.",
            "Minutes taken by {PERSON}.",
            "{TSURNAME} raised the open payroll question for the pilot group.",
        ],
        [
            "Agreed to freeze the {n_product} configuration after {n_date}.",
            "Item 3: the {n_org} integration slipped; new estimate {n_amount}.",
            "Open risk {n_ticket} stays with the project board until release {n_version}.",
            "The {n_title} was accepted with the changes in {n_clause}.",
            "Next steering meeting on {n_date}; budget line {n_order} is unchanged.",
        ],
    ),
    "onboarding": (
        [
            "New starter {PERSON}, date of birth {DOB}, joins the finance team on Monday.",
            "Personnel file: {PERSON}, social security / tax number {NATID}, home address {ADDRESS}.",
            "Salary account of {PERSON}: {IBAN}, bank code {BIC}.",
            "Travel profile for {PERSON}: passport {PASSPORT}, mobile {PHONE}.",
            "Company car released to {PERSON} after checking driver's licence {DL}.",
            "Please set up a laptop and a badge for {FIRST} ({EMAIL}).",
        ],
        [
            "Access roles follow the {n_title}; request them in {n_ticket}.",
            "Equipment is ordered under {n_order} and billed at {n_amount}.",
            "Training on {n_product} {n_version} is scheduled for {n_date}.",
            "{n_org} runs the induction session described in {n_clause}.",
        ],
    ),
    "dispute": (
        [
            "The card {CARD} was charged twice; cardholder {PERSON}.",
            "Refund to {PERSON}, account {IBAN}, reference as agreed.",
            "We spoke with {PERSON} on {PHONE}; she confirmed the disputed amount.",
            "Statement sent by post to {PERSON}, {ADDRESS}.",
            "Claimant: {PERSON} <{EMAIL}>.",
        ],
        [
            "Invoice {n_order} over {n_amount} is disputed under {n_clause}.",
            "{n_org} issued credit memo {n_order} on {n_date}.",
            "The pricing error came from {n_product} {n_version}; see {n_ticket}.",
            "Late fees are waived per the {n_title}.",
        ],
    ),
    "chat": (
        [
            "@{FIRST} can you ping {PERSON2} about the failed IDoc?",
            "{FIRST}: I'm off tomorrow, {PERSON} covers, her number is {PHONE}",
            "fyi the VPN blocked {IP} again, {PERSON} is looking at it",
            "ok, I mailed {EMAIL} and copied {PERSON}",
            "{PERSON} joined the channel",
        ],
        [
            "build {n_version} is on QA, smoke tests green",
            "{n_ticket} is back, same dump as {n_date}",
            "anyone seen order {n_order} stuck in {n_product}?",
            "{n_org} says the fix lands after {n_date}",
            "reminder: {n_clause} of the {n_title} applies to hotfixes",
        ],
    ),
    "audit": (
        [
            "Login by {PERSON} from {IP} at 07:42.",
            "Master data change: employee {PERSON}, national identifier {NATID}, changed by {FIRST}.",
            "Vendor bank details changed to {IBAN} ({BIC}) by {PERSON}.",
            "Export of personal file for {PERSON} (born {DOB}) approved.",
            "Identity document {PASSPORT} verified for {PERSON}.",
        ],
        [
            "Job {n_ticket} completed on {n_date} with {n_product} {n_version}.",
            "Posting {n_order} of {n_amount} reversed.",
            "Retention follows {n_clause} of the {n_title}; {n_org} was notified.",
            "Authorization profile updated after release {n_version}.",
        ],
    ),
    "crm": (
        [
            "Account owner {PERSON}; billing contact {PERSON2}, {EMAIL}.",
            "Met {TSURNAME} at the user group; follow up via {PHONE}.",
            "Shipping address for the demo kit: {PERSON}, {ADDRESS}.",
            "{PERSON} prefers calls after 4 pm on {PHONE}.",
            "Decision maker: {FIRST} (CFO); champion: {PERSON2}.",
        ],
        [
            "Renewal of {n_product} worth {n_amount} due on {n_date}.",
            "Opportunity {n_order} lost to {n_org}.",
            "Customer runs {n_product} {n_version}; upgrade ticket {n_ticket}.",
            "Pricing exceptions need approval under {n_clause} of the {n_title}.",
        ],
    ),
}
TEST_GENRES = tuple(TEST_TEMPLATES)
_TEST_PRODUCT_SUFFIX = ("Vault", "Planner", "Stream", "Central", "Bridge", "Studio", "Point", "Base", "Pro", "One")
_TEST_TITLE_KINDS = ("Operations Manual", "Statement of Work", "Integration Handbook", "Support Policy",
                     "Onboarding Checklist", "Security Whitepaper", "Upgrade Guide")  # fmt: skip

_TITLE_KINDS = ("Implementation Playbook", "Master Services Agreement", "Administration Guide", "Release Notes",
                "Data Processing Addendum", "Service Level Agreement", "Cutover Runbook")  # fmt: skip


class _Builder:
    """Fills templates left to right, recording every planted span."""

    def __init__(self, fk: Faker, rng: random.Random, locale: str, titles: list[str], products: list[str]) -> None:
        self.fk, self.rng, self.locale = fk, rng, locale
        self.titles, self.products = titles, products
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[dict[str, Any]] = []
        self.negatives: list[dict[str, Any]] = []
        self.people: dict[str, str] = {}

    def _value(self, slot: str) -> tuple[str, str | None]:
        fk, rng, loc = self.fk, self.rng, self.locale
        if slot in ("PERSON", "PERSON2"):
            if slot not in self.people:
                self.people[slot] = fk.name() if rng.random() < 0.7 else f"{fk.first_name()} {fk.last_name()}"
            return self.people[slot], "PERSON"
        if slot == "FIRST":
            return _first_name(fk), "PERSON"
        if slot == "TSURNAME":
            return rng.choice(["Mr", "Ms", "Mrs", "Dr"]) + rng.choice([". ", " "]) + fk.last_name(), "PERSON"
        # India has no IBAN (Faker's en_IN ones fail the checksum): its rows use a British account.
        iban_fk = self.fk if loc != "en_IN" else Faker("en_GB")
        iban_fk.seed_instance(rng.randint(0, 2**31)) if loc == "en_IN" else None
        makers: dict[str, Callable[[], str]] = {
            "EMAIL": fk.email,
            "PHONE": lambda: _phone(fk, rng),
            "ADDRESS": lambda: _address(fk, loc),
            "IBAN": lambda: _iban(iban_fk, rng),
            "BIC": fk.swift,
            "CARD": fk.credit_card_number,
            "IP": lambda: fk.ipv4() if rng.random() < 0.8 else fk.ipv6(),
            "DOB": lambda: _dob(fk, rng, loc),
            "PASSPORT": fk.passport_number,
            "DL": lambda: _driver_licence(fk, rng, loc),
        }
        if slot == "NATID":
            etype, value = _national_id(fk, rng, loc)
            return value, etype
        return makers[slot]().strip(), PII_SLOTS[slot]

    def _negative(self, kind: str) -> str:
        fk, rng = self.fk, self.rng
        if kind == "title":
            return rng.choice(self.titles)
        if kind == "product":
            return rng.choice(self.products)
        makers = {"date": _neg_date, "version": _neg_version, "ticket": _neg_ticket, "order": _neg_order,
                  "clause": _neg_clause, "amount": _neg_amount, "org": _neg_org}  # fmt: skip
        return makers[kind](fk, rng)

    def add_template(self, template: str) -> None:
        import re

        pos = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            self._literal(template[pos : m.start()])
            slot = m.group(1)
            if slot.startswith("n_"):
                value = self._negative(slot[2:])
                end = self.pos + len(value)
                self.negatives.append({"kind": slot[2:], "start": self.pos, "end": end, "value": value})
            else:
                value, etype = self._value(slot)
                end = self.pos + len(value)
                self.spans.append({"entity_type": etype, "start": self.pos, "end": end, "value": value})
            self._literal(value)
            pos = m.end()
        self._literal(template[pos:])

    def _literal(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)


def _make_titles(fk: Faker, rng: random.Random, held_out: bool = False) -> tuple[list[str], list[str]]:
    """A corpus's own products and document titles (passed to the detector as context)."""
    suffixes, kinds = (_TEST_PRODUCT_SUFFIX, _TEST_TITLE_KINDS) if held_out else (_PRODUCT_SUFFIX, _TITLE_KINDS)
    products = sorted({_neg_product(fk, rng, suffixes) for _ in range(6)})
    titles = [f"{p} {rng.choice(kinds)}" for p in products]
    return products, titles


def generate(n_texts: int = 480, seed: int = DEFAULT_SEED, clean_share: float = 0.3) -> list[dict[str, Any]]:
    """``n_texts`` rows spread over locales and genres, half of them (split ``dev``) from ``TEMPLATES``
    and half (split ``test``) from ``TEST_TEMPLATES``; ``clean_share`` of them hold no personal data."""
    rng = random.Random(seed)
    fakers = {}
    for loc in LOCALES:
        fk = Faker(loc)
        fk.seed_instance(rng.randint(0, 2**31))
        fakers[loc] = fk
    rows = []
    n_dev = n_texts // 2
    for i in range(n_texts):
        held_out = i >= n_dev
        k = i - n_dev if held_out else i
        templates, genres = (TEST_TEMPLATES, TEST_GENRES) if held_out else (TEMPLATES, GENRES)
        loc = LOCALES[k % len(LOCALES)]
        genre = genres[(k // len(LOCALES)) % len(genres)]
        fk = fakers[loc]
        products, titles = _make_titles(fk, rng, held_out)
        b = _Builder(fk, rng, loc, titles, products)
        with_pii, without = templates[genre]
        clean = rng.random() < clean_share
        n_sent = rng.randint(2, 4)
        chosen = rng.sample(without, min(n_sent, len(without))) if clean else (
            rng.sample(with_pii, min(rng.randint(1, 3), len(with_pii))) + rng.sample(without, rng.randint(1, 2))
        )
        rng.shuffle(chosen)
        b.add_template("{n_title}\n\n")
        for j, t in enumerate(chosen):
            if j:
                b._literal("\n\n" if "\n" in t or rng.random() < 0.3 else " ")
            b.add_template(t)
        text = "".join(b.parts)
        text_id = f"{genre}-{loc}-{i:04d}"
        for s in b.spans + b.negatives:
            assert text[s["start"] : s["end"]] == s["value"], (text_id, s)
        rows.append({"id": text_id, "locale": loc, "genre": genre, "split": "test" if held_out else "dev",
                     "text": text, "spans": b.spans, "negatives": b.negatives, "titles": titles})  # fmt: skip
    return rows


def load_or_generate(path: Path | None = None, n_texts: int = 480, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Rows from ``path`` if it exists, else generated in memory (same seed, same rows)."""
    if path is not None and path.exists():
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return generate(n_texts, seed)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--n", type=int, default=480)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    rows = generate(args.n, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_neg = sum(len(r["negatives"]) for r in rows)
    n_clean = sum(not r["spans"] for r in rows)
    print(f"{len(rows)} texts, {sum(len(r['spans']) for r in rows)} spans, {n_neg} hard negatives, "
          f"{n_clean} without personal data -> {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()
