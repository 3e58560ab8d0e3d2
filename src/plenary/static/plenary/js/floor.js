// The live page: draws each snapshot of the floor, keeps the countdown, and reconnects
// (asking only for what changed since the version it holds) when the connection drops.
// A request for the floor or an objection sent on a connection that dropped before the
// server answered is sent again on the next connection, unless the snapshot shows it done.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var names = JSON.parse(JSON.parse(document.getElementById("floor-names").textContent));
  var labels = JSON.parse(JSON.parse(document.getElementById("floor-labels").textContent));
  var state = JSON.parse(JSON.parse(document.getElementById("floor-initial").textContent));
  var myDelegation = root.dataset.delegation ? Number(root.dataset.delegation) : null;
  var socket = null;
  // Reconnecting with "full jitter": the n-th wait after a drop (n = 0, 1, 2 ...) is drawn
  // at random between 0 and min(RETRY_CAP_MS, RETRY_BASE_MS * 2^n), so that the thousands of
  // pages a crashed server drops come back spread over the first half second instead of
  // all in the same instant, and every page is back within 5 s of the server (issue #10).
  // bench/reconnect_storm.py and tests/faults/floor_client.py read these two numbers here.
  var RETRY_BASE_MS = 500;
  var RETRY_CAP_MS = 3000;
  var attempt = 0;
  var pending = null;  // the op sent or to be sent that the server has not answered yet
  var resync = false;  // the next snapshot is the first of a new connection
  var quiet = false;   // pending was sent again: "already done" is no news to the person

  function retryDelay() {
    return Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempt));
  }

  function open() { return socket && socket.readyState === WebSocket.OPEN; }

  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }

  function draw() {
    var item = state.item ? names.items[state.item] : null;
    text("item-label", item ? item.label : "");
    text("item-subject", item ? item.subject : labels.no_item);
    text("item-documents", item ? item.documents.join(", ") : "");
    if (state.speaking) {
      text("speaker", (names.delegations[state.speaking.d] || "") + " — " + (names.participants[state.speaking.p] || ""));
    } else {
      text("speaker", labels.nobody);
    }
    var queue = document.getElementById("queue");
    queue.textContent = "";
    var mine = null;
    (state.queue || []).forEach(function (entry, index) {
      var li = document.createElement("li");
      li.className = "list-group-item" + (entry.d === myDelegation ? " list-group-item-primary" : "");
      li.textContent = (names.delegations[entry.d] || "?") + (entry.k === "point_of_order" ? " (" + labels.point_of_order + ")" : entry.k === "reply" ? " (" + labels.reply + ")" : "");
      queue.appendChild(li);
      if (entry.d === myDelegation && mine === null) { mine = index + 1; }
    });
    (state.replies || []).forEach(function (d) {
      var li = document.createElement("li");
      li.className = "list-group-item text-body-secondary" + (d === myDelegation ? " list-group-item-primary" : "");
      li.textContent = (names.delegations[d] || "?") + " (" + labels.reply_asked + ")";
      queue.appendChild(li);
    });
    if (!(state.queue || []).length && !(state.replies || []).length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item list-group-empty";
      empty.textContent = labels.queue_empty;
      queue.appendChild(empty);
    }
    text("list-state", state.open === false ? labels.list_closed : "");
    text("my-position", mine ? labels.position.replace("%(n)s", mine) : "");
    var next = document.getElementById("next");
    next.textContent = "";
    (state.next || []).forEach(function (id) {
      var li = document.createElement("li");
      var n = names.items[id];
      li.textContent = n ? n.label + " " + n.subject : "";
      next.appendChild(li);
    });
    text("live-status", item ? item.label : "");
    var card = document.getElementById("conclusion-card");
    if (card) {
      var texts = state.conclusion;
      card.classList.toggle("d-none", !texts && !(state.state && state.state !== "not_discussed" && state.state !== "under_discussion"));
      var shown = "";
      if (texts) {
        shown = texts[labels.language] || "";
        if (!shown && texts.original) {
          shown = texts[texts.original] + " (" + labels.original.replace("%(language)s", labels.languages[texts.original] || texts.original) + ")";
        }
      }
      text("conclusion", shown);
      text("item-state", state.state ? (labels.states[state.state] || "") : "");
      var concluded = document.getElementById("concluded");
      if (concluded) {
        concluded.textContent = state.concluded ? labels.concluded.replace("%(outcome)s", labels.states[state.state] || "") : "";
        concluded.classList.toggle("d-none", !state.concluded);
      }
    }
    drawObjections();
    // Nothing to ask for with no item on the floor, or once its outcome is recorded.
    var closed = !state.item || Boolean(state.concluded);
    ["ask", "withdraw", "point-of-order", "reply", "object-button"].forEach(function (id) {
      var button = document.getElementById(id);
      if (button) { button.disabled = closed; }
    });
  }

  // The objections and requests for deferral on the item, by delegation, each saying who
  // entered it (the delegation's speaker, or on its behalf the chair or the secretariat).
  function drawObjections() {
    var list = document.getElementById("objections");
    if (!list) { return; }
    list.textContent = "";
    var objections = state.objections || [];
    objections.slice().sort(function (a, b) {
      return (names.delegations[a.d] || "").localeCompare(names.delegations[b.d] || "");
    }).forEach(function (o) {
      var li = document.createElement("li");
      li.textContent = (names.delegations[o.d] || "?") + ": " + ((labels.kinds || {})[o.k] || o.k) +
        (o.by ? " — " + ((labels.entered_by || {})[o.by] || o.by) : "");
      if (o.d === myDelegation) { li.className = "fw-semibold"; }
      list.appendChild(li);
    });
    document.getElementById("objections-block").classList.toggle("d-none", !objections.length);
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function rows(id, entries) {
    var body = document.getElementById(id);
    if (!body) { return; }
    body.textContent = "";
    entries.sort(function (a, b) { return b[1] - a[1]; }).forEach(function (entry) {
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      name.textContent = entry[0];
      var time = document.createElement("td");
      time.className = "font-monospace";
      time.textContent = duration(entry[1]);
      tr.appendChild(name);
      tr.appendChild(time);
      body.appendChild(tr);
    });
  }

  // The totals of the item: the snapshot's finished parts, plus the speech under way.
  function drawTotals() {
    var totals = state.totals || {d: {}, c: {}};
    var byDelegation = {};
    var byCategory = {};
    Object.keys(totals.d || {}).forEach(function (d) { byDelegation[d] = totals.d[d]; });
    Object.keys(totals.c || {}).forEach(function (c) { byCategory[c] = totals.c[c]; });
    var running = state.speaking;
    if (running && running.since) {
      var part = Math.max(0, (Date.now() - Date.parse(running.since)) / 1000);
      var category = names.categories ? names.categories[running.d] : null;
      byDelegation[running.d] = (byDelegation[running.d] || 0) + part;
      if (category) { byCategory[category] = (byCategory[category] || 0) + part; }
    }
    rows("totals-delegations", Object.keys(byDelegation).map(function (d) { return [names.delegations[d] || "?", byDelegation[d]]; }));
    rows("totals-categories", Object.keys(byCategory).map(function (c) { return [labels.categories[c] || c, byCategory[c]]; }));
  }

  var warned = null;  // the warning last announced, so that it is said once
  function tick() {
    var running = state.speaking;
    var left = window.plenaryCountdown(document.getElementById("countdown"), running && running.since, running && running.left, state.warn);
    var warning = "";
    if (left !== null && left < 0) {
      warning = labels.over;
    } else if (left !== null && left <= (state.warn || 0)) {
      warning = labels.warning.replace("%(n)s", state.warn);
    }
    var el = document.getElementById("time-warning");
    if (el && warned !== warning) {
      warned = warning;
      el.textContent = warning ? "⚠ " + warning : "";
      el.classList.toggle("d-none", !warning);
      el.classList.toggle("text-danger", warning === labels.over);
    }
    var stopped = document.getElementById("interrupted");
    if (stopped) {
      var held = state.interrupted;
      stopped.textContent = held ? labels.interrupted.replace("%(name)s", names.delegations[held.d] || "").replace("%(time)s", duration(held.left)) : "";
      stopped.classList.toggle("d-none", !held);
    }
    drawTotals();
  }

  // Whether the snapshot shows the op done: my delegation in the list (or speaking) for a
  // request, out of it for a withdrawal, my objection of that kind recorded.
  function shownDone(op) {
    var queued = (state.queue || []).some(function (e) { return e.d === myDelegation; }) ||
      (state.replies || []).indexOf(myDelegation) >= 0 ||
      Boolean(state.speaking && state.speaking.d === myDelegation);
    var kind = {ask: "speak", point_of_order: "point_of_order", reply: "reply"}[op.op];
    if (kind) {
      return (state.queue || []).some(function (e) { return e.d === myDelegation && e.k === kind; }) ||
        (kind === "reply" && (state.replies || []).indexOf(myDelegation) >= 0) ||
        Boolean(state.speaking && state.speaking.d === myDelegation && state.speaking.k === kind);
    }
    if (op.op === "withdraw") { return !queued || mineWaiting() < op.before; }
    return (state.objections || []).some(function (o) { return o.d === myDelegation && o.k === op.kind; });
  }

  function mineWaiting() {
    return (state.queue || []).filter(function (e) { return e.d === myDelegation; }).length +
      (state.replies || []).filter(function (d) { return d === myDelegation; }).length;
  }

  function send(op) {
    if (op.op === "withdraw") { op.before = mineWaiting(); }  // one of several: done once fewer wait
    pending = op;
    quiet = false;
    if (open() && !resync) { socket.send(JSON.stringify(op)); }  // else at the next snapshot
  }

  function answered(message) {
    var again = quiet;
    pending = null;
    quiet = false;
    // Sent again after a drop: the first attempt may have been the one that counted.
    if (again && ["already_waiting", "duplicate", "not_waiting", "once_per_item"].indexOf(message.code) >= 0) { return; }
    if (message.type === "refused") { text("refusal", message.message || message.code); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () {
      attempt = 0;
      resync = true;
      document.getElementById("connection").classList.add("d-none");
      socket.send(JSON.stringify({op: "sync", v: state.v || 0}));
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        if ((message.v || 0) >= (state.v || 0)) { state = message; draw(); }
        if (resync && pending) {
          if (shownDone(pending)) { pending = null; } else { quiet = true; socket.send(JSON.stringify(pending)); }
        }
        resync = false;
      } else if (message.type === "refused" && message.code !== "rate_limited" && pending) {
        answered(message);
      } else if (message.type === "refused") {
        text("refusal", message.message || message.code);
      } else if (message.type === "done" && message.op && pending) {
        answered(message);
      }
    };
    socket.onclose = function () {
      var banner = document.getElementById("connection");
      banner.textContent = labels.connection_lost;
      banner.classList.remove("d-none");
      setTimeout(connect, retryDelay());
      attempt += 1;
    };
  }

  var form = document.getElementById("ask-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      if (!open()) { return; }  // the form posts instead
      event.preventDefault();
      text("refusal", "");
      send({op: event.submitter ? event.submitter.value : "ask"});
    });
  }
  var objectForm = document.getElementById("object-form");
  if (objectForm) {
    objectForm.addEventListener("submit", function (event) {
      event.preventDefault();
      text("refusal", "");
      send({op: "object", kind: document.getElementById("object-kind").value});  // sent on reconnecting if the socket is down
    });
  }
  draw();
  setInterval(tick, 500);
  connect();
})();
