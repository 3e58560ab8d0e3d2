"""A decision by correspondence is open and the voting focal points reply through the pages
while the application server, Redis and PostgreSQL are killed and started again. Each focal
point signs in with password and second factor, then sends reply forms as a browser does:
some change their reply, some send the same reply again, some send the same form twice.

Every reply a focal point was given a receipt for is stored, and the last one is the
current reply of its state: none lost, none doubled. Every refusal is one in words. The
result announced at closing counts exactly those current replies, and `plenary audit
verify` recounts it from the audit log alone."""

import asyncio
import html
import random
import re
import statistics
import time
from collections import Counter

import aiohttp
import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from .processes import plenary

pytestmark = pytest.mark.faults

VOTERS = 16
CHOICES = ["in_favour", "against", "abstain"]
RECEIPT = re.compile(r"Your reply is recorded\. Receipt: ([0-9a-f]{64})")
REFUSAL = re.compile(r'<div class="alert alert-danger" role="status">(.*?)</div>', re.S)
REFUSED_PAGE = '<p class="alert alert-danger" role="alert">'  # core/refused.html
CURRENT = re.compile(
    r"Your current reply: <strong>([^<]+)</strong> · Receipt: <code>([0-9a-f]{64})</code></p>"
    r'\s*<form method="post" action="[^"]*/proposals/(\d+)/reply/"'
)
CHOICE_LABELS = {"in_favour": "In favour", "against": "Against", "abstain": "Abstain"}
REPLAYED = "This form was already sent or has expired; reload the page."
PAGE_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Submission:
    """One reply form as the focal point means it: a choice on a proposal, tried again after
    a page that did not load until the site answers in words. A form `resent` is the same
    form (the same one-time token) sent once more after its receipt was shown."""

    def __init__(self, proposal: int, choice: str, resent: bool = False):
        self.proposal = proposal
        self.choice = choice
        self.resent = resent
        self.answers: list[str] = []  # "accepted", "refused:<message>", "no_answer:<why>"
        self.sent: list[tuple[float, float, str]] = []  # (from, until, answer) of each form sent
        self.digest: str | None = None  # the receipt shown
        self.accepted_at: float | None = None

    @property
    def outcome(self) -> str | None:
        explicit = [a for a in self.answers if not a.startswith("no_answer")]
        return explicit[0] if explicit else None


class FocalPoint:
    def __init__(self, site, prepared: dict, voter: dict, number: int):
        self.site = site
        self.voter = voter
        self.password = prepared["password"]
        self.proposals: list[int] = prepared["proposals"]
        self.path = f"/en/c/vcc-2/ballots/{prepared['ballot']}/"
        self.address = f"10.8.0.{number + 1}"
        self.submissions: list[Submission] = []
        self.last_page: str | None = None
        self.page_seconds: list[float] = []
        self.random = random.Random(number)

    def url(self, path: str) -> str:
        return f"{self.site.base_url}{path}"

    def headers(self, referer: str | None = None) -> dict:
        headers = {"X-Forwarded-For": self.address}
        if referer:
            headers["Referer"] = self.url(referer)
        return headers

    async def sign_in(self, http: aiohttp.ClientSession) -> None:
        """Password, then the code of the authenticator app, as on the sign-in pages."""
        login = f"/en/accounts/login/?next={self.path}"
        async with http.get(self.url(login), headers=self.headers()) as response:
            page = await response.text()
        async with http.post(
            self.url(login),
            data={
                "csrfmiddlewaretoken": _csrf(page),
                "login": self.voter["email"],
                "password": self.password,
                "next": self.path,
            },
            headers=self.headers(login),
        ) as response:
            page = await response.text()
            assert "/accounts/2fa/authenticate/" in str(response.url), page[-2000:]
            second_factor = response.url.path
        async with http.post(
            self.url(second_factor),
            data={"csrfmiddlewaretoken": _csrf(page), "code": _totp(self.voter["totp_secret"])},
            headers=self.headers(second_factor),
        ) as response:
            page = await response.text()
            assert response.url.path == self.path, page[-2000:]
            assert f'name="{self.proposals[0]}-token"' in page
            self.last_page = page

    async def page(self, http: aiohttp.ClientSession) -> str | None:
        """The ballot page, or None when it did not load."""
        started = time.monotonic()
        try:
            async with http.get(
                self.url(self.path), headers=self.headers(), timeout=PAGE_TIMEOUT
            ) as response:
                text = await response.text()
                if response.status == 200:
                    self.page_seconds.append(time.monotonic() - started)
                    return text
                return None
        except (TimeoutError, aiohttp.ClientError):
            return None

    async def send(self, http, submission: Submission, form: dict) -> str:
        """Send the reply form and read the answer on the page it leads to."""
        try:
            async with http.post(
                self.url(f"{self.path}proposals/{submission.proposal}/reply/"),
                data=form,
                headers=self.headers(self.path),
                allow_redirects=False,
                timeout=PAGE_TIMEOUT,
            ) as response:
                status, location = response.status, response.headers.get("Location", "")
                text = await response.text()
        except (TimeoutError, aiohttp.ClientError) as error:
            return f"no_answer:{type(error).__name__}"
        if status == 400 and REFUSED_PAGE in text:
            return "refused:" + _refusal(text)
        if status != 302 or not location.endswith(self.path):
            return f"no_answer:status {status}"
        # The answer is a message on the ballot page it leads to: a person whose page did
        # not load reloads it.
        for _attempt in range(80):
            page = await self.page(http)
            if page is not None:
                break
            await asyncio.sleep(0.25)
        else:
            return "no_answer:the ballot page did not come back"
        self.last_page = page
        receipt = RECEIPT.search(page)
        if receipt:
            submission.digest = receipt.group(1)
            return "accepted"
        refusal = REFUSAL.search(page)
        if refusal:
            return "refused:" + html.unescape(refusal.group(1).strip())
        # No message (an error page in between showed it and lost it): the page still shows
        # the state's current reply with its receipt, and a new receipt for the choice sent
        # is the answer.
        shown = _current_replies(page).get(submission.proposal)
        seen = {s.digest for s in self.submissions}
        if shown and shown[0] == CHOICE_LABELS[submission.choice] and shown[1] not in seen:
            submission.digest = shown[1]
            return "accepted"
        return "no_answer:a page without a message"

    async def submit(self, http, submission: Submission, token: str | None = None) -> None:
        """Choose on the ballot page and send; after no answer, reload and send a new form —
        or, for a form sent again, that same form."""
        self.submissions.append(submission)
        for _attempt in range(80):
            page, self.last_page = self.last_page, None  # the page the last answer was on
            if page is None:
                page = await self.page(http)
            if page is None:
                submission.answers.append("no_answer:page")
                await asyncio.sleep(0.3)
                continue
            if token is None or not submission.resent:
                token = _token(page, submission.proposal)
            form = {
                "csrfmiddlewaretoken": _csrf(page),
                f"{submission.proposal}-choice": submission.choice,
                f"{submission.proposal}-token": token,
            }
            sent_at = time.time()
            answer = await self.send(http, submission, form)
            submission.answers.append(answer)
            submission.sent.append((sent_at, time.time(), answer))
            if not answer.startswith("no_answer"):
                if answer == "accepted":
                    submission.accepted_at = time.monotonic()
                if (
                    submission.outcome == "accepted"
                    and not submission.resent
                    and self.random.random() < 0.2
                ):
                    # The same form sent once more (the back button, a second click).
                    again = Submission(submission.proposal, submission.choice, resent=True)
                    await self.submit(http, again, token)
                return
            await asyncio.sleep(0.3)

    async def reply_until(self, http, done: asyncio.Event) -> None:
        """A reply on each proposal, then changes of mind and the same reply sent again."""
        for proposal in self.proposals:
            await self.submit(http, Submission(proposal, self.random.choice(CHOICES)))
            await asyncio.sleep(self.random.uniform(0.2, 0.8))
        while not done.is_set():
            proposal = self.random.choice(self.proposals)
            current = self.current(proposal)
            if current is not None and self.random.random() < 0.3:
                choice = current  # the same reply again, on a new form
            else:
                choice = self.random.choice([c for c in CHOICES if c != current])
            await self.submit(http, Submission(proposal, choice))
            await asyncio.sleep(self.random.uniform(0.3, 1.2))

    def current(self, proposal: int) -> str | None:
        """The last reply this focal point was given a receipt for."""
        accepted = [
            s for s in self.submissions if s.proposal == proposal and s.outcome == "accepted"
        ]
        return accepted[-1].choice if accepted else None

    def last_receipt(self, proposal: int) -> str | None:
        accepted = [
            s for s in self.submissions if s.proposal == proposal and s.outcome == "accepted"
        ]
        return accepted[-1].digest if accepted else None


def _csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, page[-2000:]
    return found.group(1)


def _token(page: str, proposal: int) -> str:
    found = re.search(rf'name="{proposal}-token" value="([^"]+)"', page)
    assert found, "the ballot page has no reply form: " + page[-2000:]
    return found.group(1)


def _refusal(page: str) -> str:
    found = re.search(re.escape(REFUSED_PAGE) + r"(.*?)</p>", page, re.S)
    return html.unescape(found.group(1).strip())


def _current_replies(page: str) -> dict[int, tuple[str, str]]:
    """What the page shows as the state's current reply on each proposal: (label, receipt)."""
    return {int(p): (html.unescape(label), digest) for label, digest, p in CURRENT.findall(page)}


def _totp(secret: str) -> str:
    """The code an authenticator app shows now: the current period's (the first counter the
    server accepts is the previous period's, which a slow sign-in can carry past tolerance)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


async def _ballot_with_faults(site, prepared) -> tuple[list[FocalPoint], dict, dict]:
    people = [FocalPoint(site, prepared, v, n) for n, v in enumerate(prepared["voters"])]
    sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in people]
    timings, back = {}, {}
    try:
        started = time.monotonic()
        await asyncio.gather(*(p.sign_in(h) for p, h in zip(people, sessions, strict=True)))
        timings["sign_in"] = round(time.monotonic() - started, 1)
        done = asyncio.Event()

        async def faults():
            for name, server, down in (
                ("app", site.app, 0.0),
                ("redis", site.redis, 1.5),
                ("postgres", site.postgres, 1.5),
            ):
                await asyncio.sleep(2.0)  # the focal points go on replying
                started = time.monotonic()
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(down)
                back[name] = await asyncio.to_thread(server.start, 60)
                timings[name] = round(back[name] - started, 1)
            await asyncio.sleep(2.0)
            done.set()

        await asyncio.gather(
            faults(), *(p.reply_until(h, done) for p, h in zip(people, sessions, strict=True))
        )
    finally:
        await asyncio.gather(*(h.close() for h in sessions))
    return people, timings, back


def test_open_ballot_replies_survive_restarts_of_server_redis_and_postgres(site):
    prepared = site.prepare("ballot", voters=VOTERS)
    site.start_app()
    people, timings, back = asyncio.run(_ballot_with_faults(site, prepared))
    result = site.prepare("close_ballot", ballot=prepared["ballot"])
    audit = plenary(site.env(), "audit", "verify")

    ballot = prepared["ballot"]
    rows = site.query(  # the history of the replies, the current one of each state flagged
        "SELECT r.elector_id, r.proposal_id, r.choice, r.cast_at, r.current, r.digest "
        "FROM ballots_reply r JOIN ballots_proposal p ON p.id = r.proposal_id "
        "WHERE p.ballot_id = %s",
        (ballot,),
    )
    by_digest = {digest: (e, p, c) for e, p, c, _at, _current, digest in rows}
    current: dict[tuple[int, int], list[str]] = {}
    for elector, proposal, _choice, _at, is_current, digest in rows:
        if is_current:
            current.setdefault((elector, proposal), []).append(digest)

    submissions = [(p, s) for p in people for s in p.submissions]
    accepted = [(p, s) for p, s in submissions if s.outcome == "accepted"]
    refused = [(p, s) for p, s in submissions if s.outcome and s.outcome != "accepted"]
    unanswered = [(p, s) for p, s in submissions if s.outcome is None]

    # Lost: a receipt whose reply is not stored as it was sent, or a state whose current
    # reply is not the last one it was given a receipt for.
    lost = sum(
        by_digest.get(s.digest) != (p.voter["elector"], s.proposal, s.choice) for p, s in accepted
    )
    lost += sum(
        current.get((p.voter["elector"], proposal), [None])[-1] != p.last_receipt(proposal)
        for p in people
        for proposal in p.proposals
        if p.last_receipt(proposal) is not None
    )
    # Doubled: more than one current reply for a state, or a stored reply that no receipt
    # accounts for — unless it was stored while a form of that choice was on its way and the
    # answer never arrived (the person then sent it again on a new form). Such a form whose
    # answer was an error page, not a lost connection, is an error after a committed reply.
    receipts = {s.digest for _p, s in accepted}
    never_confirmed = [
        (elector, proposal, choice, cast_at.timestamp())
        for elector, proposal, choice, cast_at, _current, digest in rows
        if digest not in receipts
    ]
    cut_off = {
        (p.voter["elector"], s.proposal, s.choice, start, end, answer)
        for p, s in submissions
        for start, end, answer in s.sent
        if answer.startswith("no_answer")
    }
    unexplained = errors_after_commit = 0
    for elector, proposal, choice, stored_at in never_confirmed:
        sending = [
            form
            for form in cut_off
            if form[:3] == (elector, proposal, choice) and form[3] - 0.05 <= stored_at <= form[4]
        ]
        if not sending:
            unexplained += 1
        else:
            cut_off.remove(sending[0])
            errors_after_commit += sending[0][5].startswith("no_answer:status")
    doubled = sum(len(digests) - 1 for digests in current.values() if len(digests) > 1)
    doubled += unexplained

    # The result announced at closing, and the audit log, against the receipts.
    expected = {}
    for proposal in prepared["proposals"]:
        choices = Counter(p.current(proposal) for p in people if p.current(proposal))
        expected[str(proposal)] = {
            "in_favour": choices["in_favour"],
            "against": choices["against"],
            "abstain": choices["abstain"],
            "not_replied": prepared["electorate"] - sum(choices.values()),
        }
    announced = {
        proposal: {k: v for k, v in figures.items() if k != "adopted"}
        for proposal, figures in result.items()
    }
    recorded_in_audit = site.query(
        "SELECT count(*) FROM core_auditevent WHERE action = 'ballot.reply_recorded' "
        "AND target_id = %s",
        (str(ballot),),
    )[0][0]

    summary = {
        "voters": len(people),
        "attempted": len(submissions),
        "accepted": len(accepted),
        "refused": len(refused),
        "refusal_reasons": dict(Counter(s.outcome for _p, s in refused)),
        "changed": sum(
            s.choice != prev.choice
            for p in people
            for prev, s in zip(
                [s for s in p.submissions if s.outcome == "accepted"],
                [s for s in p.submissions if s.outcome == "accepted"][1:],
                strict=False,
            )
            if prev.proposal == s.proposal
        ),
        "same_form_twice": sum(s.resent for _p, s in submissions),
        "forms_cut_off": sum(
            a.startswith("no_answer") for _p, s in submissions for _f, _u, a in s.sent
        ),
        "pages_that_did_not_load": sum(s.answers.count("no_answer:page") for _p, s in submissions),
        "stored": len(rows),
        "stored_current": sum(len(d) for d in current.values()),
        "stored_but_never_confirmed": len(never_confirmed),
        "error_pages_after_commit": errors_after_commit,
        "audit_events": recorded_in_audit,
        "lost": lost,
        "doubled": doubled,
        "tally_matches": announced == expected,
        "accepted_after_restart": {
            name: sum(s.accepted_at > at for _p, s in accepted) for name, at in back.items()
        },
        "sign_in_seconds": timings.pop("sign_in"),
        "restarts_seconds": timings,
        "page_seconds_median": round(
            statistics.median(t for p in people for t in p.page_seconds), 2
        ),
    }
    print("open ballot:", summary)
    print("open ballot result:", result)
    assert unanswered == [], summary
    # The replies went on through the faults: each state replied, and replies were accepted
    # after the last restart.
    assert len(accepted) >= VOTERS * len(prepared["proposals"]), summary
    assert summary["accepted_after_restart"]["postgres"] > 0, summary
    assert (lost, doubled) == (0, 0), summary
    assert errors_after_commit == 0, summary
    # The only refusal: a form sent again after its receipt, refused in words.
    assert {s.outcome for _p, s in refused} <= {f"refused:{REPLAYED}"}, summary
    # A form is accepted once: sent again after its receipt, it is refused.
    assert all(s.outcome != "accepted" for _p, s in submissions if s.resent), summary
    assert announced == expected, (announced, expected)
    assert recorded_in_audit == len(rows), summary  # one audit event for each stored reply
    assert "result confirmed by the audit log" in audit
    assert all(
        f"Ballot #{ballot}, proposal #{proposal}: result confirmed" in audit
        for proposal in prepared["proposals"]
    ), audit
