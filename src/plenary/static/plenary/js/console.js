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

  // What the chair was doing is kept when the console is redrawn: where the agenda list
  // was scrolled to, the panels opened or closed, the fields being filled in, the focus.
  var SCROLL_KEY = "plenary-console-agenda:" + location.pathname;

  function agendaList() { return document.getElementById("agenda-list"); }

  function keep() {
    var kept = {scroll: null, open: {}, values: {}, focus: null};
    var list = agendaList();
    if (list) { kept.scroll = list.scrollTop; }
    Array.prototype.forEach.call(root.querySelectorAll("details[id]"), function (el) { kept.open[el.id] = el.open; });
    Array.prototype.forEach.call(root.querySelectorAll("textarea[id], select[id], input[id]"), function (el) {
      if (el.type === "checkbox") {
        if (el.checked !== el.defaultChecked) { kept.values[el.id] = el.checked; }
      } else if (el.tagName === "SELECT") {
        var chosen = el.options[el.selectedIndex];
        if (chosen && !chosen.defaultSelected) { kept.values[el.id] = el.value; }
      } else if (el.value !== el.defaultValue) {
        kept.values[el.id] = el.value;
      }
    });
    if (document.activeElement && document.activeElement.id && root.contains(document.activeElement)) {
      kept.focus = document.activeElement.id;
    }
    return kept;
  }

  function restore(kept) {
    var list = agendaList();
    if (list && kept.scroll !== null) { list.scrollTop = kept.scroll; }
    Object.keys(kept.open).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.open = kept.open[id]; }
    });
    Object.keys(kept.values).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) { return; }
      if (el.type === "checkbox") { el.checked = kept.values[id]; } else { el.value = kept.values[id]; }
    });
    var focused = kept.focus && document.getElementById(kept.focus);
    if (focused) { focused.focus({preventScroll: true}); }
  }

  // On opening the page: where the list was before a form posted (no socket), else the
  // item on the floor brought into view.
  function placeAgenda() {
    var list = agendaList();
    if (!list) { return; }
    var saved = null;
    try { saved = sessionStorage.getItem(SCROLL_KEY); sessionStorage.removeItem(SCROLL_KEY); } catch (e) { saved = null; }
    if (saved !== null) { list.scrollTop = Number(saved); return; }
    var active = list.querySelector(".active");
    if (active && (active.offsetTop < list.scrollTop || active.offsetTop + active.offsetHeight > list.scrollTop + list.clientHeight)) {
      list.scrollTop = Math.max(0, active.offsetTop - list.clientHeight / 3);
    }
  }

  function refresh() {
    fetch(location.href, {credentials: "same-origin"}).then(function (response) { return response.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console");
      if (fresh) {
        var kept = keep();
        root.innerHTML = fresh.innerHTML;
        version = Number(fresh.dataset.version || version);
        restore(kept);
        tick();
      }
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
    if (!isConsoleAction(form) || !socket || socket.readyState !== WebSocket.OPEN) {
      // The form posts instead, and the page comes back with the list where it was.
      var list = agendaList();
      try { if (list) { sessionStorage.setItem(SCROLL_KEY, String(list.scrollTop)); } } catch (e) { /* private mode */ }
      return;
    }
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
  placeAgenda();
  connect();
})();
