// The speaker's countdown, shared by the live page and the chair's console: minutes and
// seconds left of `seconds` since `since` (ISO), negative and red once the time is over.
(function () {
  "use strict";
  window.plenaryCountdown = function (el, since, seconds) {
    if (!el) { return; }
    if (!since) { el.textContent = ""; return; }
    var left = Math.round(Number(seconds) - (Date.now() - Date.parse(since)) / 1000);
    var sign = left < 0 ? "−" : "";
    left = Math.abs(left);
    el.textContent = sign + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    el.classList.toggle("text-danger", sign !== "");
  };
})();
