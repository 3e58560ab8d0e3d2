// The chair's console: redraws itself when the floor changes (from this console or another),
// and keeps the speaker's countdown.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var version = Number(root.dataset.version || 0);

  function tick() {
    var el = document.getElementById("console-countdown");
    if (!el) { return; }
    var left = Math.round(Number(el.dataset.seconds) - (Date.now() - Date.parse(el.dataset.since)) / 1000);
    var sign = left < 0 ? "−" : "";
    left = Math.abs(left);
    el.textContent = sign + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    el.classList.toggle("text-danger", sign !== "");
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
