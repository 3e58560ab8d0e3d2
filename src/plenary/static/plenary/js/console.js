// The chair's console: sends its buttons over the floor's WebSocket (the forms post as before
// when the socket is down or without JavaScript), redraws itself when the floor changes (from
// this console or another), and keeps the speaker's countdown.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var version = Number(root.dataset.version || 0);
  var socket = null;
  // Reconnecting as the live page does (floor.js): a random wait under a ceiling doubling
  // from 0.5 s to 3 s.
  var RETRY_BASE_MS = 500;
  var RETRY_CAP_MS = 3000;
  var attempt = 0;

  function tick() {
    var el = document.getElementById("console-countdown");
    if (el) { window.plenaryCountdown(el, el.dataset.since, el.dataset.seconds, el.dataset.warn); }
  }

  function refresh() {
    fetch(location.href, {credentials: "same-origin"}).then(function (response) { return response.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console");
      if (!fresh) { return; }
      // A panel the chair opened (the totals) stays open across the redraw.
      var opened = Array.prototype.map.call(root.querySelectorAll("details[open][id]"), function (el) { return el.id; });
      root.innerHTML = fresh.innerHTML;
      opened.forEach(function (id) { var el = document.getElementById(id); if (el) { el.open = true; } });
      version = Number(fresh.dataset.version || version);
      tick();
    });
  }

  // A refusal is shown above the console, outside the part that is redrawn.
  function showRefusal(text) {
    var alert = document.getElementById("console-refusal");
    if (!alert) {
      alert = document.createElement("div");
      alert.id = "console-refusal";
      alert.className = "alert alert-danger";
      alert.setAttribute("role", "alert");
      root.parentNode.insertBefore(alert, root);
    }
    alert.textContent = text;
    alert.classList.toggle("d-none", !text);
  }

  function isConsoleAction(form) {
    return /\/console\/action\/$/.test(form.getAttribute("action") || "");
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!isConsoleAction(form) || !socket || socket.readyState !== WebSocket.OPEN) { return; }  // the form posts instead
    event.preventDefault();
    var message = {op: "chair"};
    new FormData(form, event.submitter).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { message[name] = value; }
    });
    if (event.submitter && event.submitter.name && !(event.submitter.name in message)) {
      message[event.submitter.name] = event.submitter.value;  // browsers without FormData's submitter
    }
    showRefusal("");
    socket.send(JSON.stringify(message));
  });

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "snapshot" && (message.v || 0) > version) { version = message.v; refresh(); }
      else if (message.type === "refused") { showRefusal(message.message || message.code); }
    };
    socket.onopen = function () { attempt = 0; };
    socket.onclose = function () {
      socket = null;
      setTimeout(connect, Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempt)));
      attempt += 1;
    };
  }
  setInterval(tick, 500);
  tick();
  connect();
})();
