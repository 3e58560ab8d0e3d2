"""The live page's countdown, its warning before the end and the interrupted speech, run by
Node on countdown.js and floor.js with a stand-in for the page and a clock of our own."""

from pathlib import Path

from .node import needs_node, run_harness

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "src/plenary/static/plenary/js"

HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const elements = {};
function element(id) {
  if (!elements[id]) {
    const classes = new Set();
    elements[id] = {
      id, text: "", dataset: {}, children: [], listeners: {}, attributes: {},
      get textContent() { return this.text; },
      set textContent(value) { this.text = value; this.children = []; },
      classList: {
        add(c) { classes.add(c); }, remove(c) { classes.delete(c); },
        toggle(c, on) { if (on === undefined ? !classes.has(c) : on) { classes.add(c); } else { classes.delete(c); } },
        contains(c) { return classes.has(c); },
      },
      setAttribute(name, value) { this.attributes[name] = value; },
      removeAttribute(name) { delete this.attributes[name]; },
      appendChild(child) { this.children.push(child); },
      addEventListener(kind, f) { this.listeners[kind] = f; },
    };
  }
  return elements[id];
}
const twice = (value) => JSON.stringify(JSON.stringify(value));
const T0 = Date.parse("2020-11-16T11:00:00Z");
let now = T0;
const at = (seconds) => new Date(T0 + seconds * 1000).toISOString();
element("live").dataset = {ws: "/ws/", delegation: "7"};
element("floor-names").textContent = twice({
  items: {}, participants: {}, delegations: {7: "Suisse", 8: "Belgique"},
  categories: {7: "council", 8: "observer"},
});
element("floor-labels").textContent = twice({
  position: "%(n)s", languages: {}, states: {}, warning: "Moins de %(n)s secondes",
  over: "Temps écoulé", interrupted: "Interrompu : %(name)s, reste %(time)s",
  categories: {council: "États Membres du Conseil", observer: "Observateurs"},
});
// Switzerland speaks since 0 with 180 s; 90 s of Belgium's spoken earlier.
element("floor-initial").textContent = twice({
  v: 1, queue: [], objections: [], warn: 30, interrupted: null,
  speaking: {r: 1, d: 7, p: 1, k: "speak", since: at(0), left: 180},
  totals: {d: {8: 90}, c: {observer: 90}},
});
let ticks = [];
const sockets = [];
const context = {
  document: {getElementById: element, createElement: () => element("el-" + Math.random())},
  location: {protocol: "http:", host: "127.0.0.1"},
  window: {},
  WebSocket: class { constructor() { sockets.push(this); } send() {} },
  Date: Object.assign(function () {}, {now: () => now, parse: Date.parse}),
  setTimeout() {}, setInterval(f) { ticks.push(f); },
  JSON, Number, Boolean, String, Math, Object, Array,
};
context.window = Object.assign(context.window, context);
vm.runInNewContext(fs.readFileSync(process.argv[2] + "/countdown.js", "utf8"), context);
vm.runInNewContext(fs.readFileSync(process.argv[2] + "/floor.js", "utf8"), context);
const tick = () => ticks.forEach((f) => f());
const seen = () => ({
  countdown: element("countdown").textContent,
  state: element("countdown").attributes["data-state"] || "",
  warning: element("time-warning").textContent,
  warningHidden: element("time-warning").classList.contains("d-none"),
  interrupted: element("interrupted").textContent,
  totals: element("totals-delegations").children.map((tr) => tr.children.map((td) => td.textContent)),
});
const result = {};
now = T0 + 100 * 1000; tick(); result.early = seen();
now = T0 + 155 * 1000; tick(); result.warned = seen();
now = T0 + 185 * 1000; tick(); result.over = seen();
// A point of order from Belgium interrupts at 100 s: Switzerland keeps 80 s.
sockets[0].onmessage({data: JSON.stringify({
  type: "snapshot", v: 2, queue: [], objections: [], warn: 30,
  speaking: {r: 2, d: 8, p: 2, k: "point_of_order", since: at(200), left: 120},
  interrupted: {r: 1, d: 7, p: 1, k: "speak", since: null, left: 80},
  totals: {d: {7: 100, 8: 90}, c: {council: 100, observer: 90}},
})});
now = T0 + 210 * 1000; tick(); result.point = seen();
result.categories = element("totals-categories").children.map((tr) => tr.children.map((td) => td.textContent));
console.log(JSON.stringify(result));
"""


@needs_node
def test_the_countdown_warns_before_the_end_with_a_sign_and_the_totals_run(tmp_path):
    result = run_harness(tmp_path, HARNESS, JS)

    early = result["early"]
    assert (early["countdown"], early["state"], early["warningHidden"]) == ("1:20", "", True)
    assert early["totals"] == [["Suisse", "1:40"], ["Belgique", "1:30"]]  # the speech counts

    warned = result["warned"]
    assert warned["countdown"] == "⚠ 0:25"  # a sign, not only a colour
    assert warned["state"] == "warning"
    assert (warned["warning"], warned["warningHidden"]) == ("⚠ Moins de 30 secondes", False)

    over = result["over"]
    assert (over["countdown"], over["state"]) == ("⚠ −0:05", "over")
    assert over["warning"] == "⚠ Temps écoulé"

    point = result["point"]
    assert point["interrupted"] == "Interrompu : Suisse, reste 1:20"
    assert (point["countdown"], point["warningHidden"]) == ("1:50", True)
    assert point["totals"] == [["Suisse", "1:40"], ["Belgique", "1:40"]]
    assert result["categories"] == [["États Membres du Conseil", "1:40"], ["Observateurs", "1:40"]]
