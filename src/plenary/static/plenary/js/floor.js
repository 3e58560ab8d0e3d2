// The live page: draws each snapshot of the floor, keeps the countdown, and reconnects
// (asking only for what changed since the version it holds) when the connection drops.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var names = JSON.parse(JSON.parse(document.getElementById("floor-names").textContent));
  var labels = JSON.parse(JSON.parse(document.getElementById("floor-labels").textContent));
  var state = JSON.parse(JSON.parse(document.getElementById("floor-initial").textContent));
  var myDelegation = root.dataset.delegation ? Number(root.dataset.delegation) : null;
  var socket = null;
  var retry = 500;

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
      li.textContent = (names.delegations[entry.d] || "?") + (entry.k === "point_of_order" ? " (" + labels.point_of_order + ")" : "");
      queue.appendChild(li);
      if (entry.d === myDelegation) { mine = index + 1; }
    });
    if (!(state.queue || []).length) {
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
    }
  }

  function tick() {
    window.plenaryCountdown(document.getElementById("countdown"), state.speaking && state.speaking.since, state.seconds);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () {
      retry = 500;
      document.getElementById("connection").classList.add("d-none");
      socket.send(JSON.stringify({op: "sync", v: state.v || 0}));
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        if ((message.v || 0) >= (state.v || 0)) { state = message; draw(); }
      } else if (message.type === "refused") {
        text("refusal", message.message || message.code);
      }
    };
    socket.onclose = function () {
      var banner = document.getElementById("connection");
      banner.textContent = labels.connection_lost;
      banner.classList.remove("d-none");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 3000);  // back within 5 s of the server (issue #10)
    };
  }

  var form = document.getElementById("ask-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      if (!socket || socket.readyState !== WebSocket.OPEN) { return; }  // the form posts instead
      event.preventDefault();
      text("refusal", "");
      socket.send(JSON.stringify({op: event.submitter ? event.submitter.value : "ask"}));
    });
  }
  var objectForm = document.getElementById("object-form");
  if (objectForm) {
    objectForm.addEventListener("submit", function (event) {
      event.preventDefault();
      text("refusal", "");
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({op: "object", kind: document.getElementById("object-kind").value}));
      }
    });
  }
  draw();
  setInterval(tick, 500);
  connect();
})();
