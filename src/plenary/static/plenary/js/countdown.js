// The speaker's countdown, shared by the live page and the chair's console: minutes and
// seconds left of `seconds` since `since` (ISO), negative and red once the time is over.
// Within `warn` seconds of the end it is marked with a sign as well as a colour
// (data-state="warning", then "over"). Returns the seconds left, or null with no speech.
(function () {
  "use strict";
  window.plenaryCountdown = function (el, since, seconds, warn) {
    if (!el) { return null; }
    if (!since) { el.textContent = ""; el.removeAttribute("data-state"); return null; }
    var left = Math.round(Number(seconds) - (Date.now() - Date.parse(since)) / 1000);
    var over = left < 0;
    var warning = !over && warn !== undefined && warn !== null && left <= Number(warn);
    var shown = Math.abs(left);
    el.textContent = (over ? "⚠ −" : warning ? "⚠ " : "") + Math.floor(shown / 60) + ":" + String(shown % 60).padStart(2, "0");
    el.classList.toggle("text-danger", over);
    el.classList.toggle("text-warning-emphasis", warning);
    if (over || warning) { el.setAttribute("data-state", over ? "over" : "warning"); } else { el.removeAttribute("data-state"); }
    return left;
  };
})();
