// The chair's console: redraws itself when the floor changes (from this console or another),
// and keeps the speaker's countdown.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var version = Number(root.dataset.version || 0);

  function tick() {
    var el = document.getElementById("console-countdown");
    if (el) { window.plenaryCountdown(el, el.dataset.since, el.dataset.seconds); }
  }

  function refresh() {
    fetch(location.href, {credentials: "same-origin"}).then(function (response) { return response.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console");
      if (fresh) { root.innerHTML = fresh.innerHTML; version = Number(fresh.dataset.version || version); tick(); }
    });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "snapshot" && (message.v || 0) > version) { version = message.v; refresh(); }
    };
    socket.onclose = function () { setTimeout(connect, 2000); };
  }
  setInterval(tick, 500);
  tick();
  connect();
})();
