// The rolling list of speakers: redrawn from the server (?part=list, a few kilobytes) when
// the floor's version moves on. The version is learnt from the live floor's socket, as the
// live page does; without a socket (a focal point signed in by account, a dropped
// connection, an old browser) the page asks every 30 s, and the server answers 204 with no
// body while nothing changed, so that a slow link carries almost nothing.
(function () {
  "use strict";
  var root = document.getElementById("speakers");
  if (!root || !root.dataset.part) { return; }
  var follow = root.dataset.follow === "1";
  var POLL_MS = 30000;
  var busy = false, again = false, poll = null, attempt = 0, lastItem = null;

  function list() { return document.getElementById("speakers-list"); }
  function held() { var el = list(); return el ? Number(el.dataset.version || 0) : 0; }
  function item() { var el = list(); return el && el.dataset.item ? Number(el.dataset.item) : null; }
  function banner(shown) {
    var el = document.getElementById("speakers-connection");
    if (el) { el.classList.toggle("d-none", !shown); }
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", location.pathname + root.dataset.part + "&since=" + held());
    xhr.onload = function () {
      if (xhr.status === 200) { root.innerHTML = xhr.responseText; }
      busy = false;
      if (again) { again = false; refresh(); }
    };
    xhr.onerror = function () { busy = false; };
    xhr.send();
  }

  function startPolling() { if (!poll) { poll = setInterval(refresh, POLL_MS); } }
  function stopPolling() { if (poll) { clearInterval(poll); poll = null; } }

  if (!root.dataset.ws || !window.WebSocket) { startPolling(); return; }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () {
      attempt = 0;
      stopPolling();
      banner(false);
      socket.send(JSON.stringify({op: "sync", v: held()}));
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type !== "snapshot" || (message.v || 0) <= held()) { return; }
      // A list of one item changes only while that item is on the floor (or leaves it).
      var mine = item();
      if (follow || mine === null || message.item === mine || lastItem === mine) { refresh(); }
      lastItem = message.item;
    };
    socket.onclose = function () {
      banner(true);
      startPolling();
      setTimeout(connect, Math.random() * Math.min(3000, 500 * Math.pow(2, attempt)));
      attempt += 1;
    };
  }
  connect();
})();
