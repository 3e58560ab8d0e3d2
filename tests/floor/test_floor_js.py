"""The live page's script itself, run by Node with a stand-in for the page and its WebSocket:
how long it waits before each reconnection, and what it does with a request for the floor
whose answer never came. The bench's clients draw the same waits (checked here too)."""

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOOR_JS = ROOT / "src/plenary/static/plenary/js/floor.js"
NODE = shutil.which("node") or shutil.which("nodejs")

HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const elements = {};
function element(id) {
  if (!elements[id]) {
    elements[id] = {
      id, textContent: "", dataset: {}, children: [], listeners: {},
      classList: {add() {}, remove() {}, toggle() {}},
      appendChild(child) { this.children.push(child); },
      addEventListener(kind, f) { this.listeners[kind] = f; },
      value: "object",
    };
  }
  return elements[id];
}
const twice = (value) => JSON.stringify(JSON.stringify(value));
element("live").dataset = {ws: "/ws/consultations/vcc-2/floor/", delegation: "7"};
element("floor-names").textContent = twice({items: {}, delegations: {}, participants: {}});
element("floor-labels").textContent = twice({position: "%(n)s", languages: {}, states: {}});
element("floor-initial").textContent = twice({v: 1, queue: [], objections: []});
element("ask-form"); element("object-form");
const timers = [], sockets = [];
let draws = JSON.parse(process.argv[3]);
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(JSON.parse(text)); }
}
FakeSocket.OPEN = 1;
const context = {
  document: {getElementById: element, createElement: () => element("li-" + Math.random())},
  location: {protocol: "http:", host: "127.0.0.1"},
  window: {plenaryCountdown() {}},
  WebSocket: FakeSocket,
  setTimeout(f, ms) { timers.push({f, ms}); },
  setInterval() {},
  JSON, Number, Boolean,
  Math: Object.assign(Object.create(Math), {random: () => draws.shift()}),
};
context.window = Object.assign(context.window, context);
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8"), context);

const open = (s) => { s.readyState = 1; s.onopen(); };
const drop = (s) => { s.readyState = 3; s.onclose(); };
const receive = (s, message) => s.onmessage({data: JSON.stringify(message)});
const submit = (form, value) => element(form).listeners.submit({preventDefault() {}, submitter: {value}});
const result = {};

open(sockets[0]);
receive(sockets[0], {type: "snapshot", v: 2, queue: [], objections: []});
submit("ask-form", "ask");
result.firstSent = [...sockets[0].sent];
drop(sockets[0]);                       // the ask is unanswered
for (let n = 0; n < 5; n++) { timers[n].f(); drop(sockets[n + 1]); }  // five failed attempts
result.waits = timers.map((t) => t.ms);
timers[5].f();
const back = sockets[6];
open(back);
receive(back, {type: "snapshot", v: 3, queue: [], objections: []});  // not in the list: send again
receive(back, {type: "refused", code: "already_waiting", message: "Already in the list."});
result.resent = [...back.sent];
result.refusalShown = element("refusal").textContent;
// An objection cut off whose snapshot shows it done is not sent again.
element("object-kind").value = "object";
submit("object-form", "");
drop(back);
timers[6].f();
const third = sockets[7];
open(third);
receive(third, {type: "snapshot", v: 4, queue: [], objections: [{d: 7, k: "object"}]});
result.afterObjection = third.sent;
result.waitAfterSuccess = timers[6].ms;
console.log(JSON.stringify(result));
"""


def _run(draws: list[float], tmp_path) -> dict:
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [NODE, str(harness), str(FLOOR_JS), json.dumps(draws)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_floor_js_waits_a_jittered_doubling_time_and_sends_a_cut_off_request_again(tmp_path):
    top = _run([0.999] * 10, tmp_path)
    # The n-th wait is below min(3 s, 0.5 s * 2^n): quick at first, never above 3 s.
    assert [round(w) for w in top["waits"]] == [500, 999, 1998, 2997, 2997, 2997]
    assert round(top["waitAfterSuccess"]) == 500  # a connection that opened starts again
    low = _run([0.0] * 10, tmp_path)
    assert low["waits"] == [0] * 6  # full jitter: anywhere from no wait at all

    assert top["firstSent"] == [{"op": "sync", "v": 1}, {"op": "ask"}]
    # Back on a new connection: sync, then the unanswered ask again, since the snapshot
    # does not show the delegation in the list; "already in the list" is then no news.
    assert top["resent"] == [{"op": "sync", "v": 2}, {"op": "ask"}]
    assert top["refusalShown"] == ""
    assert top["afterObjection"] == [{"op": "sync", "v": 3}]


def test_the_bench_draws_the_same_waits_as_floor_js():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import reconnect_storm
    finally:
        sys.path.remove(str(ROOT / "bench"))
    base, cap = reconnect_storm.floor_js_backoff()
    assert (base, cap) == (0.5, 3.0)
    draws = random.Random(1)
    for attempt in range(8):
        draw = draws.random()
        wait = reconnect_storm.retry_delay(attempt, lambda d=draw: d)
        assert wait == pytest.approx(draw * min(3.0, 0.5 * 2**attempt))


def test_the_console_reconnects_on_the_same_schedule():
    console = (FLOOR_JS.parent / "console.js").read_text()
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import reconnect_storm
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert reconnect_storm.floor_js_backoff(console) == reconnect_storm.floor_js_backoff()
