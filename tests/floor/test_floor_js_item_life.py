"""The live page's script, run by Node with a stand-in for the page: its buttons are off
with no item on the floor and once the item is concluded, it says what was concluded, and
it lists the objections by delegation with who entered each."""

from pathlib import Path

from .node import needs_node, run_harness

ROOT = Path(__file__).resolve().parents[2]
FLOOR_JS = ROOT / "src/plenary/static/plenary/js/floor.js"

HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const elements = {};
function element(id) {
  if (!elements[id]) {
    const classes = new Set(["d-none"]);
    elements[id] = {
      id, textContent: "", dataset: {}, children: [], listeners: {}, disabled: false, className: "",
      classList: {add(c) { classes.add(c); }, remove(c) { classes.delete(c); },
                  toggle(c, on) { if (on) { classes.add(c); } else { classes.delete(c); } },
                  contains(c) { return classes.has(c); }},
      appendChild(child) { this.children.push(child); },
      addEventListener(kind, f) { this.listeners[kind] = f; },
      value: "object",
    };
  }
  return elements[id];
}
const twice = (value) => JSON.stringify(JSON.stringify(value));
element("live").dataset = {ws: "/ws/consultations/vcc-2/floor/", delegation: "7"};
element("floor-names").textContent = twice({
  items: {3: {label: "1.2", subject: "Day", documents: []}},
  delegations: {7: "Egypt", 8: "Belgium", 9: "Switzerland"}, participants: {},
});
element("floor-labels").textContent = twice({
  position: "%(n)s", languages: {en: "English"}, language: "en", original: "original: %(language)s",
  states: {agreed: "Agreed as proposed conclusion", under_discussion: "Under discussion"},
  concluded: "Concluded: %(outcome)s",
  kinds: {object: "Objects", suspend: "Suspends"},
  entered_by: {chair: "entered by the chair", speaker: "entered by the delegation's speaker"},
});
element("floor-initial").textContent = twice({v: 1, item: null, queue: [], objections: []});
["ask-form", "object-form", "ask", "withdraw", "point-of-order", "object-button", "conclusion-card",
 "concluded", "objections", "objections-block"].forEach(element);
const sockets = [];
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(JSON.parse(text)); }
}
FakeSocket.OPEN = 1;
let made = 0;
const context = {
  document: {getElementById: element, createElement: () => element("li-" + (made++))},
  location: {protocol: "http:", host: "127.0.0.1"},
  window: {plenaryCountdown() {}},
  WebSocket: FakeSocket,
  setTimeout() {}, setInterval() {},
  JSON, Number, Boolean, Math,
};
context.window = Object.assign(context.window, context);
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8"), context);
const buttons = () => ["ask", "withdraw", "point-of-order", "object-button"].map((id) => element(id).disabled);
const result = {noItem: buttons()};
const socket = sockets[0];
socket.readyState = 1; socket.onopen();
const receive = (message) => socket.onmessage({data: JSON.stringify({type: "snapshot", queue: [], ...message})});
receive({v: 2, item: 3, state: "under_discussion", concluded: false, objections: [
  {d: 9, k: "object", by: "chair"}, {d: 8, k: "suspend", by: "speaker"}]});
result.discussed = buttons();
result.objections = element("objections").children.map((li) => li.textContent);
result.concludedHidden = element("concluded").classList.contains("d-none");
receive({v: 3, item: 3, state: "agreed", concluded: true, conclusion: {en: "Noted.", original: "en"}, objections: []});
result.concluded = buttons();
result.concludedText = element("concluded").textContent;
result.concludedShown = !element("concluded").classList.contains("d-none");
result.conclusion = element("conclusion").textContent;
console.log(JSON.stringify(result));
"""


@needs_node
def test_the_live_page_turns_its_buttons_off_and_says_what_was_concluded(tmp_path):
    result = run_harness(tmp_path, HARNESS, FLOOR_JS)
    assert result["noItem"] == [True, True, True, True]
    assert result["discussed"] == [False, False, False, False]
    # By delegation (Belgium before Switzerland), each with who entered it.
    assert result["objections"] == [
        "Belgium: Suspends — entered by the delegation's speaker",
        "Switzerland: Objects — entered by the chair",
    ]
    assert result["concludedHidden"] is True
    assert result["concluded"] == [True, True, True, True]
    assert result["concludedText"] == "Concluded: Agreed as proposed conclusion"
    assert result["concludedShown"] is True
    assert result["conclusion"] == "Noted."
